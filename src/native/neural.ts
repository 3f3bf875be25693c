/** Declarations of bindings/neural.cpp. One method per exported native function. */
import { tryLoadAddon } from './addon';

export interface NeuralBindings {
  /**
   * wraps hemasynth::neural::read_raw_output (src/models/neural/row-layout.ts readRawOutput in
   * native code: the same codes; positions within round-off). alpha: 0 gaussian, 1 tanh; weights:
   * per column the condition's Float64Array of code weights or null. Writes column j's `rows`
   * codes and positions into codes[j] and positions[j] from index outOffset. Returns -1, or the
   * first column whose weights allow no code.
   */
  neuralReadRawOutput(raw: Float32Array, rows: number, width: number, sizes: Int32Array, logitOffsets: Int32Array, alphaOffsets: Int32Array, alpha: number, alphaSigma: number, weights: Array<Float64Array | null>, seed: number, firstRow: number, threads: number, codes: Int32Array[], positions: Float64Array[], outOffset: number): number;
}

/**
 * The neural read-out kernel of the addon, or null when the addon is not loaded (or was built
 * without it): callers then use the TypeScript reference.
 */
export function neuralNative(): NeuralBindings | null {
  const a = tryLoadAddon().addon as Partial<NeuralBindings> | undefined;
  return a && typeof a.neuralReadRawOutput === 'function' ? (a as NeuralBindings) : null;
}
