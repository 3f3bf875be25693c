/**
 * The native column decoder (native/marginal/column_decoder.h, bindings marginalDecodeColumns):
 * every column in one call, multi-threaded over columns, written straight into the typed arrays
 * that become the Arrow buffers, with the arithmetic of the TypeScript reference
 * {@link decodeColumn} (the same values for the same uniforms, but for the C library's
 * log1p/expm1 of tail bins, within round-off). Used by every generator's sampling (decodeAll in
 * models/model-api.ts, and the neural samplers chunk by chunk).
 */
import type { MarginalBindings } from '../native/marginal';
import { outerBinTails, type DecodedColumn, type ValueRestriction } from './decode';
import { missingCode, type DiscreteColumnEncoder } from './discretiser';

/** Spec values per column of marginalDecodeColumns (see native/marginal/column_decoder.h). */
export const DECODE_SPEC_WIDTH = 14;

/** The per-column description marginalDecodeColumns reads, made once for any number of calls. */
export interface NativeDecodePlan {
  encoders: readonly DiscreteColumnEncoder[];
  specs: Float64Array;
  edges: Float64Array;
  tilts: Float64Array;
  edgeOffsets: Int32Array;
  /** Per column: values written as int32 (categories, and the bin columns asked for), else float64. */
  int32: boolean[];
}

/**
 * The decode plan of `encoders` under `restrictions` (a condition's numeric ranges).
 * @example nativeDecodePlan(encoders, new Map(), () => false)
 */
export function nativeDecodePlan(encoders: readonly DiscreteColumnEncoder[], restrictions: ReadonlyMap<number, ValueRestriction>, int32Bins: (e: DiscreteColumnEncoder, j: number) => boolean): NativeDecodePlan {
  const m = encoders.length;
  const specs = new Float64Array(m * DECODE_SPEC_WIDTH);
  const edgeOffsets = new Int32Array(m + 1);
  const edgeList: number[] = [];
  const tiltList: number[] = [];
  const int32: boolean[] = [];
  encoders.forEach((e, j) => {
    const bins = e.levels === 'bins';
    // Categories: one placeholder edge per level (the native side reads the level count from it).
    if (bins) (e.edges as number[]).forEach((x, k) => { edgeList.push(x); tiltList.push(e.tilts?.[k] ?? 0); });
    else for (let k = 0; k < (e.categories as string[]).length; k++) { edgeList.push(k); tiltList.push(0); }
    edgeOffsets[j + 1] = edgeList.length;
    const r = restrictions.get(j);
    const i32 = !bins || int32Bins(e, j);
    int32.push(i32);
    const [low, high] = bins ? outerBinTails(e.edges as number[]) : [{ bin: -1, scale: -1 }, { bin: -1, scale: -1 }];
    specs.set([bins ? 1 : 0, e.integer ? 1 : 0, e.min ?? -Infinity, e.max ?? Infinity, r ? r.lo : -Infinity, r ? r.hi : Infinity, r?.loOpen ? 1 : 0, r?.hiOpen ? 1 : 0, missingCode(e), i32 ? 1 : 0, low.bin, low.scale, high.bin, high.scale], j * DECODE_SPEC_WIDTH);
  });
  return { encoders, specs, edges: Float64Array.from(edgeList), tilts: Float64Array.from(tiltList), edgeOffsets, int32 };
}

/** Fresh decoded columns of `rows` rows for a plan (values zero, all invalid) to decode into. */
export function allocateDecoded(plan: NativeDecodePlan, rows: number): DecodedColumn[] {
  return plan.encoders.map((encoder, j) => ({ encoder, values: plan.int32[j] ? new Int32Array(rows) : new Float64Array(rows), valid: new Uint8Array(rows) }));
}

/** The draws of a {@link decodeInto} call. */
export interface NativeDecodeDraws {
  /** Seed and per-column stream of the decoder's draws (unused by columns with uniforms). */
  seed: number;
  streams: Int32Array;
  threads: number;
  /** Per column: positions in 256ths of the bin (SampledCodes), or null. */
  positions?: Array<Uint8Array | null>;
  /** Per column: row i's draw as uniforms[i] instead of the stream's (decodeColumn's uniform(i)), or null. */
  uniforms?: Array<Float64Array | null>;
}

/**
 * Decodes `codes` (one array per column, all of one length) into `into` (the same length: whole
 * columns of {@link allocateDecoded}, or subarrays of them for a range of rows).
 * @example decodeInto(native, plan, codes, allocateDecoded(plan, rows), { seed, streams, threads: 0 })
 */
export function decodeInto(native: MarginalBindings, plan: NativeDecodePlan, codes: Int32Array[], into: readonly DecodedColumn[], draws: NativeDecodeDraws): void {
  const rows = codes.length ? codes[0].length : 0;
  native.marginalDecodeColumns(codes, rows, plan.specs, plan.edges, plan.tilts, plan.edgeOffsets, draws.streams, draws.seed, draws.threads,
    into.map((d) => d.values), into.map((d) => d.valid), draws.positions ?? null, draws.uniforms);
}
