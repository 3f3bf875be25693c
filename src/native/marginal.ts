/** Declarations of bindings/marginal.cpp. One method per exported native function. */
import { tryLoadAddon } from './addon';
import { BackendUnavailableError, UsageError } from '../errors';

export interface MarginalBindings {
  /** wraps hemasynth::marginal::count_cliques (codes column-major rows x d; threads 0 = all cores) */
  marginalCountCliques(codes: Int32Array, rows: number, sizes: Int32Array, members: Int32Array, offsets: Int32Array, threads: number): Float64Array;
  /** wraps hemasynth::marginal::pair_l1_scores (MST selection scores of every pair a < b) */
  marginalPairL1Scores(codes: Int32Array, rows: number, sizes: Int32Array, probs: Float64Array, total: number, threads: number): Float64Array;
  /** wraps hemasynth::marginal::sample_tree (forward sampling; node j's parents are parentList[parentStart[j]..parentStart[j+1]), each at its level (levelMap); d columns of rows codes) */
  marginalSampleTree(order: Int32Array, parentStart: Int32Array, parentList: Int32Array, sizes: Int32Array, levelMap: Int32Array, levels: Int32Array, cpt: Float64Array, cptOffsets: Int32Array, rows: number, seed: number, threads: number): Int32Array[];
  /** wraps hemasynth::marginal::sample_copula (z = B·zc + L·g with ziggurat normals; outColumns columns of rows codes; latent j's within-cell shares into positions[positionSlots[j]] where >= 0) */
  marginalSampleCopula(L: Float64Array, d: number, B: Float64Array, k: number, zc: Float64Array, thresholds: Float64Array, thresholdOffsets: Int32Array, codeOf: Int32Array, targets: Int32Array, outColumns: number, rows: number, seed: number, threads: number, positionSlots: Int32Array, positions: Array<Uint8Array | null>): Int32Array[];
  /** wraps hemasynth::marginal::decode_columns (14 spec values per column; writes values[c] and valid[c] in place; a column with positions[c] places values there instead of drawing; a column with uniforms[c] takes row i's draw from uniforms[c][i] instead of its stream) */
  marginalDecodeColumns(codes: Int32Array[], rows: number, specs: Float64Array, edges: Float64Array, tilts: Float64Array, edgeOffsets: Int32Array, streams: Int32Array, seed: number, threads: number, values: Array<Float64Array | Int32Array>, valid: Uint8Array[], positions?: Array<Uint8Array | null> | null, uniforms?: Array<Float64Array | null>): void;
  /** wraps hemasynth::marginal::pack_validity (bytes to an LSB-first Arrow bitmap; returns the null count) */
  marginalPackValidity(bytes: Uint8Array, bitmap: Uint8Array): number;
}

/** The engine a {@link withMarginalBackend} call forces, while it runs. */
let forced: 'js' | 'native' | null = null;

/**
 * The marginal kernels of the addon, or null when the addon is not loaded (or was built without
 * them, or HEMASYNTH_MARGINAL_ENGINE=js or a `js` backend asks for the TypeScript reference):
 * callers then use their TypeScript reference loops.
 */
export function marginalNative(): MarginalBindings | null {
  if (forced === 'js' || process.env.HEMASYNTH_MARGINAL_ENGINE === 'js') return null;
  const r = tryLoadAddon();
  const a = r.addon as Partial<MarginalBindings> | undefined;
  return a && typeof a.marginalSampleTree === 'function' ? (a as MarginalBindings) : null;
}

/**
 * Runs a synchronous computation (a marginal or copula training) on the requested backend:
 * `js` the TypeScript reference loops, `cpu` the native kernels (an error when the addon is not
 * loaded), `auto` or undefined the native kernels when loaded. These generators have no CUDA
 * kernels, so `cuda` is an error rather than a silent fallback.
 * @example withMarginalBackend('js', () => trainModel({ ... }))
 */
export function withMarginalBackend<T>(backend: unknown, what: string, fn: () => T): T {
  if (backend === undefined || backend === 'auto') return fn();
  if (backend === 'cuda') throw new BackendUnavailableError(`Expected backend js, cpu or auto for ${what} but received "cuda": ${what} has no CUDA kernels`);
  if (backend !== 'js' && backend !== 'cpu') throw new UsageError(`Expected backend js, cpu, cuda or auto for ${what} but received ${JSON.stringify(backend)}`);
  const engine = backend === 'js' ? 'js' : 'native';
  if (engine === 'native' && !marginalNative()) throw new BackendUnavailableError(`Expected the native addon for backend cpu (${what}) but it is not loaded: ${tryLoadAddon().error ?? 'build it with npm run build:native'}`);
  const before = forced;
  forced = engine;
  try { return fn(); } finally { forced = before; }
}
