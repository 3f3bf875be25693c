/** Declarations of bindings/marginal.cpp. One method per exported native function. */
import { tryLoadAddon } from './addon';

export interface MarginalBindings {
  /** wraps hemasynth::marginal::count_cliques (codes column-major rows x d; threads 0 = all cores) */
  marginalCountCliques(codes: Int32Array, rows: number, sizes: Int32Array, members: Int32Array, offsets: Int32Array, threads: number): Float64Array;
  /** wraps hemasynth::marginal::pair_l1_scores (MST selection scores of every pair a < b) */
  marginalPairL1Scores(codes: Int32Array, rows: number, sizes: Int32Array, probs: Float64Array, total: number, threads: number): Float64Array;
  /** wraps hemasynth::marginal::sample_tree (forward sampling; codes column-major rows x d) */
  marginalSampleTree(order: Int32Array, parent: Int32Array, sizes: Int32Array, cpt: Float64Array, cptOffsets: Int32Array, rows: number, seed: number, threads: number): Int32Array;
  /** wraps hemasynth::marginal::sample_copula (z = B·zc + L·g, positions column-major rows x d) */
  marginalSampleCopula(L: Float64Array, d: number, B: Float64Array, k: number, zc: Float64Array, cdf: Float64Array, cdfOffsets: Int32Array, rows: number, seed: number, threads: number): Int32Array;
  /** wraps hemasynth::marginal::decode_bins (8 params per column; values column-major rows x m) */
  marginalDecodeBins(codes: Int32Array, rows: number, edges: Float64Array, edgeOffsets: Int32Array, params: Float64Array, streams: Int32Array, seed: number, threads: number): Float64Array;
}

/**
 * The marginal kernels of the addon, or null when the addon is not loaded (or was built without
 * them, or HEMASYNTH_BACKEND=js asks for the TypeScript reference): callers then use their
 * TypeScript reference loops.
 */
export function marginalNative(): MarginalBindings | null {
  if (process.env.HEMASYNTH_MARGINAL_ENGINE === 'js') return null;
  const r = tryLoadAddon();
  const a = r.addon as Partial<MarginalBindings> | undefined;
  return a && typeof a.marginalSampleTree === 'function' ? (a as MarginalBindings) : null;
}
