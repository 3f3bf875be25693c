/**
 * The native read-out of a neural generator's raw output (native/neural/readout.cpp) and the
 * native decode of its codes and positions (the marginal decoder, native/marginal/column_decoder.h,
 * with the positions as its uniforms): the twins of readRawOutput and decodeWithPositions in
 * row-layout.ts, which stay the reference. Same codes for the same raw output, seed and first
 * row (the same PRNG streams, draw order and softmax arithmetic, Math.exp's algorithm included);
 * positions within the round-off of log, cos and tanh (the C library's, not V8's), and the values
 * decoded from them within that and the round-off of log1p and expm1 in tail bins.
 */
import { UsageError } from '../../errors';
import type { MarginalBindings } from '../../native/marginal';
import type { NeuralBindings } from '../../native/neural';
import type { DecodedColumn, ValueRestriction } from '../../transform/decode';
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import { allocateDecoded, decodeInto, nativeDecodePlan, type NativeDecodeDraws, type NativeDecodePlan } from '../../transform/native-decode';
import type { RawOutputLayout } from './row-layout';

/** Where {@link readRawOutputNative} writes: per column arrays of at least offset + rows entries. */
export interface ReadoutTarget {
  codes: Int32Array[];
  positions: Float64Array[];
  /** Index of the first row written. */
  offset: number;
}

/**
 * readRawOutput in native code, writing rows [target.offset, target.offset + rows) of the target
 * arrays (no per-chunk copies). Throws readRawOutput's UsageError when the condition allows no
 * value of a column.
 * @example readRawOutputNative(native, raw, rows, encoders, layout, { seed: 1, firstRow: 0 }, { codes, positions, offset: 0 }, 0)
 */
export function readRawOutputNative(
  native: NeuralBindings,
  raw: Float32Array,
  rows: number,
  encoders: readonly DiscreteColumnEncoder[],
  out: RawOutputLayout,
  opts: { seed: number; firstRow: number; evidence?: ReadonlyMap<number, Float64Array>; conditionText?: string },
  target: ReadoutTarget,
  threads: number,
): void {
  const W = out.width;
  if (raw.length !== rows * W) throw new UsageError(`Expected ${rows * W} raw output values (${rows} rows × ${W}) but received ${raw.length}`);
  const sizes = Int32Array.from(encoders, (e) => e.size);
  const weights = encoders.map((_, j) => opts.evidence?.get(j) ?? null);
  const failed = native.neuralReadRawOutput(raw, rows, W, sizes, Int32Array.from(out.logitOffsets), Int32Array.from(out.alphaOffsets), out.alpha === 'gaussian' ? 0 : 1, out.alphaSigma ?? 0, weights,
    opts.seed, opts.firstRow, threads, target.codes, target.positions, target.offset);
  if (failed >= 0) throw new UsageError(`Condition ${JSON.stringify(opts.conditionText ?? '')} allows no value of column "${encoders[failed].column}"`);
}

/**
 * decodeWithPositions in native code: row i's value at position i of its bin (float64 values for
 * bin columns, int32 category indices, as the reference).
 * @example decodeWithPositionsNative(native, encoders, codes, positions, new Map(), 0)
 */
export function decodeWithPositionsNative(native: MarginalBindings, encoders: readonly DiscreteColumnEncoder[], codes: Int32Array[], positions: Float64Array[], restrictions: ReadonlyMap<number, ValueRestriction>, threads: number): DecodedColumn[] {
  const plan = neuralDecodePlan(encoders, restrictions);
  const columns = allocateDecoded(plan, codes.length ? codes[0].length : 0);
  decodeInto(native, plan, codes, columns, positionDraws(encoders.length, positions, threads));
  return columns;
}

/** The decode plan of a neural generator's columns: bins as float64 (constraint repair rewrites them in place), categories as int32. */
export function neuralDecodePlan(encoders: readonly DiscreteColumnEncoder[], restrictions: ReadonlyMap<number, ValueRestriction>): NativeDecodePlan {
  return nativeDecodePlan(encoders, restrictions, () => false);
}

/** Draws that are the positions (the streams and seed are never read). */
export function positionDraws(columns: number, positions: Float64Array[], threads: number): NativeDecodeDraws {
  return { seed: 0, streams: new Int32Array(columns), threads, uniforms: positions };
}
