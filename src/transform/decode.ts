/**
 * Decoding codes back to column values and Arrow columns. A code's value is drawn in its
 * interval (intersected with an optional restriction from a sampling condition), integers as
 * integers, then clamped to the schema bounds; categories map to their dictionary index. The
 * draw is uniform, or follows the bin's linear density when the encoder has tilts
 * (bin-tilts.ts: marginal and copula models); an outer interval that runs far beyond its
 * neighbour out to a schema bound (see {@link outerBinTails}) is drawn from a truncated
 * exponential instead.
 */
import { Bool, DataType, DateDay, Dictionary, Field, Float64, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Utf8, vectorFromArray, type Data, type Vector } from 'apache-arrow';
import { marginalNative } from '../native/marginal';
import { HemasynthError } from '../errors';
import { DiscreteColumnEncoder, missingCode } from './discretiser';
import { tiltedCdf, tiltedPosition } from './bin-tilts';

/** The tail decoding of one outer interval bin (see {@link outerBinTails}). */
export interface OuterBinTail {
  bin: number;
  /** Scale of the exponential decay away from the inner edge (-1: no tail decoding). */
  scale: number;
}

/** Outer interval bins wider than this many times their neighbour decode as an exponential tail. */
export const TAIL_WIDTH_RATIO = 2;

/**
 * The outer interval bins (first and last of non-zero width) of a numeric encoder and how they
 * decode. Such a bin ends at a schema bound, and a uniform draw over it puts values where the
 * data have none: `voc_12m` quantile edges [0, 1, 2, 3, 6, 101) decoded the top 3% of patients
 * uniformly over 6..100 crises a year (mean 53; the cohort's mean is 1.5), which broke every
 * rate ratio read from counts. When the bin is more than {@link TAIL_WIDTH_RATIO} times as wide as
 * its inner neighbour, values decay away from the inner edge as an exponential with the
 * neighbour's width as its scale (the density scale the edges show there), truncated to the bin.
 * The edges alone decide it (no data, no budget), so every model decodes this way.
 * @example outerBinTails([0, 1, 2, 3, 6, 101]) // [{ bin: 0, scale: -1 }, { bin: 4, scale: 3 }]
 */
export function outerBinTails(edges: readonly number[]): [OuterBinTail, OuterBinTail] {
  const interval: number[] = [];
  for (let k = 0; k + 1 < edges.length; k++) if (edges[k + 1] > edges[k]) interval.push(k);
  const none: [OuterBinTail, OuterBinTail] = [{ bin: -1, scale: -1 }, { bin: -1, scale: -1 }];
  if (interval.length < 2) return none;
  const width = (k: number) => edges[k + 1] - edges[k];
  const tail = (outer: number, inner: number): OuterBinTail => ({ bin: outer, scale: width(outer) > TAIL_WIDTH_RATIO * width(inner) ? width(inner) : -1 });
  return [tail(interval[0], interval[1]), tail(interval[interval.length - 1], interval[interval.length - 2])];
}

/** CDF on [0, w) of the exponential with scale s truncated to [0, w): the inverse of {@link truncatedExponential}. */
export function truncatedExponentialCdf(x: number, w: number, s: number): number {
  return Math.max(0, Math.min(1, Math.expm1(-x / s) / Math.expm1(-w / s)));
}

/**
 * The position u ∈ [0, 1] that {@link decodeColumn} turns back into value v of bin [a, b) (no
 * restriction): linear, or through the tail's CDF for an outer bin with tail decoding; for
 * integers the middle of v's cell, so the decoder gives v back exactly. Mode-specific
 * normalisation encodes α with it.
 * @example binPosition(8, 6, 101, true, 4, [{ bin: 0, scale: -1 }, { bin: 4, scale: 3 }])
 */
export function binPosition(v: number, a: number, b: number, integer: boolean, bin: number, tails: readonly [OuterBinTail, OuterBinTail]): number {
  const [low, high] = tails;
  const w = b - a;
  if (bin === high.bin && high.scale > 0) return integer ? (truncatedExponentialCdf(v - a, w, high.scale) + truncatedExponentialCdf(v - a + 1, w, high.scale)) / 2 : truncatedExponentialCdf(v - a, w, high.scale);
  if (bin === low.bin && low.scale > 0) return integer ? (truncatedExponentialCdf(b - 1 - v, w, low.scale) + truncatedExponentialCdf(b - v, w, low.scale)) / 2 : truncatedExponentialCdf(b - v, w, low.scale);
  return integer ? (v - a + 0.5) / w : (v - a) / w;
}

/** A draw in [0, w) of an exponential with scale s truncated to [0, w), from a uniform u in [0, 1). */
export function truncatedExponential(u: number, w: number, s: number): number {
  // Inverse CDF of the truncated exponential; -expm1 keeps precision when w / s is small.
  return Math.min(w * (1 - 1e-12), -s * Math.log1p(u * Math.expm1(-w / s)));
}

/**
 * A value of bin [A, B) under its tilted density (bin-tilts.ts), restricted to [a, b] ⊆ [A, B]:
 * the uniform is mapped onto the restriction's share of the bin's CDF.
 * @example tiltedValue(0.5, 0, 10, 0, 10, 0) // 5
 */
export function tiltedValue(U: number, A: number, B: number, a: number, b: number, t: number): number {
  const W = B - A;
  const fa = tiltedCdf((a - A) / W, t), fb = tiltedCdf((b - A) / W, t);
  return Math.min(b, Math.max(a, A + W * tiltedPosition(fa + (fb - fa) * U, t)));
}

/**
 * An integer of bin [A, B) (the cells A..B−1) under its tilted density, restricted to first..last.
 * @example tiltedInteger(0.5, 0, 4, 0, 3, 0) // 2
 */
export function tiltedInteger(U: number, A: number, B: number, first: number, last: number, t: number): number {
  const W = B - A;
  const fa = tiltedCdf((first - A) / W, t), fb = tiltedCdf((last + 1 - A) / W, t);
  return Math.min(last, Math.max(first, A + Math.floor(W * tiltedPosition(fa + (fb - fa) * U, t))));
}

/**
 * The share of code `bin`'s decoded values (no restriction) below x: the CDF of the decoder's
 * draw inside the bin (uniform, tilted, or an outer bin's exponential tail), for conditions that
 * allow part of a bin (conditions.ts). Integers count the cells below x (x a whole number).
 * @example binDecodeCdf(encoder, 3, 10.5) // 0.5 for a uniform bin [10, 11)
 */
export function binDecodeCdf(e: DiscreteColumnEncoder, bin: number, x: number): number {
  const edges = e.edges as number[];
  const A = edges[bin], B = edges[bin + 1];
  const lo = e.min ?? -Infinity, hi = e.max ?? Infinity;
  // The decoder's range of the bin: integers first..last (as cells [first, last + 1)), else [a, b].
  const a = e.integer ? Math.max(A, Math.ceil(lo)) : Math.max(A, lo);
  const b = e.integer ? Math.min(B - 1, Math.floor(hi)) + 1 : Math.min(B, hi);
  if (!(b > a)) return x > a ? 1 : 0;
  if (x <= a) return 0;
  if (x >= b) return 1;
  const [low, high] = outerBinTails(edges);
  const t = e.tilts?.[bin] ?? 0;
  if (bin === high.bin && high.scale > 0) return truncatedExponentialCdf(x - a, b - a, high.scale);
  if (bin === low.bin && low.scale > 0) return 1 - truncatedExponentialCdf(b - x, b - a, low.scale);
  if (t !== 0) {
    const W = B - A, fa = tiltedCdf((a - A) / W, t);
    return (tiltedCdf((x - A) / W, t) - fa) / (tiltedCdf((b - A) / W, t) - fa);
  }
  return (x - a) / (b - a);
}

/** A numeric interval a decoded value must fall in (inclusive ends). */
export interface ValueRestriction {
  lo: number;
  hi: number;
  /** Open ends: strict inequalities of the condition. */
  loOpen?: boolean;
  hiOpen?: boolean;
}

/** A decoded column: numbers (numeric kinds) or dictionary indices (categories), with validity. */
export interface DecodedColumn {
  encoder: DiscreteColumnEncoder;
  /** Numeric value per row (bins) or category index per row (categories); unspecified where invalid. */
  values: Float64Array | Int32Array;
  /** 1 where the value is present. */
  valid: Uint8Array;
  /** The values of SampledCodes.drawnCodes, decoded (every row valid), where the generator gives them. */
  drawn?: Float64Array | Int32Array;
}

/**
 * Decodes the codes of one column. `uniform(i)` gives row i's uniform in [0, 1), called in row
 * order for the rows that need a draw (a non-missing row of a bin column with more than one
 * admissible value): a sampling PRNG that ignores i (decoding is post-processing of a DP model
 * and needs no cryptographic source), or given per-row uniforms (the neural generators'
 * positions, row-layout.ts decodeWithPositions). With `positions` (256ths
 * of the bin, SampledCodes), row i's value is drawn inside the 256th positions[i] of its bin's
 * decoded distribution, share (positions[i] + u) / 256, from the same draw u (a low tail's share
 * counted from its inner edge, so values rise with the position in every bin).
 * @example decodeColumn(encoder, codes, () => rng.next())
 */
export function decodeColumn(e: DiscreteColumnEncoder, codes: Int32Array, uniform: (row: number) => number, restriction?: ValueRestriction, positions?: Uint8Array): DecodedColumn {
  const n = codes.length;
  const valid = new Uint8Array(n);
  const miss = missingCode(e);
  if (e.levels === 'categories') {
    const values = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = codes[i];
      if (c === miss) continue;
      values[i] = c;
      valid[i] = 1;
    }
    return { encoder: e, values, valid };
  }
  const edges = e.edges as number[];
  const [lowTail, highTail] = outerBinTails(edges);
  const tilts = e.tilts;
  const values = new Float64Array(n);
  const lo = e.min ?? -Infinity, hi = e.max ?? Infinity;
  const rLo = restriction ? restriction.lo : -Infinity, rHi = restriction ? restriction.hi : Infinity;
  // The bin's share for row i: a draw, inside the row's 256th of the bin when it has a position.
  const share = positions ? (i: number, fromTop = false) => { const p = (positions[i] + uniform(i)) / 256; return fromTop ? 1 - p : p; } : (i: number) => uniform(i);
  for (let i = 0; i < n; i++) {
    const c = codes[i];
    if (c === miss) continue;
    let a = edges[c], b = edges[c + 1];
    if (e.integer) {
      // integers of [a, b): a .. b-1 (edges of integer columns are whole numbers)
      let first = Math.max(a, Math.ceil(lo), Math.ceil(rLo + (restriction?.loOpen && Number.isInteger(rLo) ? 1 : 0)));
      let last = Math.min(b - 1, Math.floor(hi), Math.floor(rHi - (restriction?.hiOpen && Number.isInteger(rHi) ? 1 : 0)));
      if (first > last) { first = Math.max(a, Math.ceil(lo)); last = Math.min(b - 1, Math.floor(hi)); }
      if (first > last) last = first;
      // A single admissible integer needs no draw (as native/marginal/column_decoder.cpp).
      if (last === first) values[i] = first;
      else if (c === highTail.bin && highTail.scale > 0) values[i] = first + Math.floor(truncatedExponential(share(i), last - first + 1, highTail.scale));
      else if (c === lowTail.bin && lowTail.scale > 0) values[i] = last - Math.floor(truncatedExponential(share(i, true), last - first + 1, lowTail.scale));
      else if (tilts && tilts[c] !== 0) values[i] = tiltedInteger(share(i), edges[c], edges[c + 1], first, last, tilts[c]);
      else values[i] = first + Math.floor(share(i) * (last - first + 1));
    } else {
      const ra = Math.max(a, lo, rLo), rb = Math.min(b, hi, rHi);
      if (ra <= rb) { a = ra; b = rb; } else { a = Math.max(a, lo); b = Math.min(b, hi); }
      let v: number;
      if (c === highTail.bin && highTail.scale > 0) v = a + truncatedExponential(share(i), b - a, highTail.scale);
      else if (c === lowTail.bin && lowTail.scale > 0) v = b - truncatedExponential(share(i, true), b - a, lowTail.scale);
      else if (tilts && tilts[c] !== 0) v = tiltedValue(share(i), edges[c], edges[c + 1], a, b, tilts[c]);
      else v = a + (b - a) * share(i);
      if (restriction?.hiOpen && v >= rHi) v = a + (Math.min(b, rHi) - a) * 0.5;
      if (restriction?.loOpen && v <= rLo) v = (Math.max(a, rLo) + b) * 0.5;
      values[i] = Math.min(hi, Math.max(lo, v));
    }
    valid[i] = 1;
  }
  return { encoder: e, values, valid };
}

function packBits(bytes: Uint8Array): { bitmap: Uint8Array; nulls: number } {
  const bitmap = new Uint8Array((bytes.length + 7) >> 3);
  const native = marginalNative();
  if (native) return { bitmap, nulls: native.marginalPackValidity(bytes, bitmap) };
  let nulls = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]) bitmap[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return { bitmap, nulls };
}

/** The Arrow type of a decoded column. */
export function decodedArrowType(e: DiscreteColumnEncoder): DataType {
  switch (e.output) {
    case 'float64': return new Float64();
    case 'int32': return new Int32();
    case 'int64': return new Int64();
    case 'bool': return new Bool();
    case 'dictionary': return new Dictionary(new Utf8(), new Int32(), undefined, e.kind === 'ordinal');
    case 'date-day': return new DateDay();
    case 'timestamp-ms': return new TimestampMillisecond('UTC');
  }
}

/**
 * The Arrow schema of decoded tables and each categorical column's dictionary, made once so that
 * every batch of a sampling run has the same fields, dictionary ids and dictionaries (an Arrow
 * IPC file allows one dictionary per id).
 */
export interface DecodedArrowSchema {
  schema: Schema;
  dictionaries: Array<Vector | undefined>;
}

/**
 * The schema of the decoded columns of `encoders` (in order), with `metadata`.
 * @example decodedTable(columns, decodedArrowSchema(encoders, meta))
 */
export function decodedArrowSchema(encoders: readonly DiscreteColumnEncoder[], metadata?: Map<string, string>): DecodedArrowSchema {
  const fields = encoders.map((e) => new Field(e.column, decodedArrowType(e), e.nullable));
  return { schema: new Schema(fields, metadata), dictionaries: encoders.map((e) => (e.output === 'dictionary' ? vectorFromArray([...(e.categories as string[])], new Utf8()) : undefined)) };
}

/** One decoded column as Arrow data (no per-value boxing); `dictionary` and `type` from a shared schema. */
export function decodedArrowData(d: DecodedColumn, dictionary?: Vector, type?: DataType): Data {
  const e = d.encoder;
  type ??= decodedArrowType(e);
  const n = d.valid.length;
  const { bitmap, nulls } = packBits(d.valid);
  const nullBitmap = nulls > 0 ? bitmap : undefined;
  const base = { type, length: n, nullCount: nulls, nullBitmap } as Record<string, unknown>;
  switch (e.output) {
    case 'float64':
      return makeData({ ...base, data: d.values instanceof Float64Array ? d.values : Float64Array.from(d.values) } as never);
    case 'int32': case 'date-day': {
      // Invalid rows hold 0 already (decoders leave them untouched); the typed-array constructor converts natively.
      const out = d.values instanceof Int32Array ? d.values : new Int32Array(d.values);
      return makeData({ ...base, data: out } as never);
    }
    case 'int64': case 'timestamp-ms': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = d.valid[i] ? BigInt(Math.round(d.values[i])) : 0n;
      return makeData({ ...base, data: out } as never);
    }
    case 'bool': {
      const bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (d.valid[i] && d.values[i] === 1) bits[i >> 3] |= 1 << (i & 7);
      return makeData({ ...base, data: bits } as never);
    }
    case 'dictionary': {
      const indices = d.values instanceof Int32Array ? d.values : Int32Array.from(d.values);
      return makeData({ ...base, data: indices, dictionary: dictionary ?? vectorFromArray([...(e.categories as string[])], new Utf8()) } as never);
    }
  }
}

/**
 * Builds an Arrow table from decoded columns, in the given order: with metadata (a schema of its
 * own) or with a shared {@link decodedArrowSchema} of the same columns.
 * @example decodedTable(columns, new Map([['hemasynth.synthetic', 'true']]))
 */
export function decodedTable(columns: readonly DecodedColumn[], shared?: Map<string, string> | DecodedArrowSchema): Table {
  const arrow = shared instanceof Map || shared === undefined ? decodedArrowSchema(columns.map((d) => d.encoder), shared) : shared;
  const { schema } = arrow;
  if (schema.fields.length !== columns.length || schema.fields.some((f, j) => f.name !== columns[j].encoder.column)) {
    throw new HemasynthError(`decodedTable: the shared schema's fields (${schema.fields.map((f) => f.name).join(', ')}) are not the decoded columns`);
  }
  const data = columns.map((d, j) => decodedArrowData(d, arrow.dictionaries[j], schema.fields[j].type));
  const n = columns.length ? columns[0].valid.length : 0;
  const struct = makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children: data } as never);
  return new Table(schema, [new RecordBatch(schema, struct as never)]);
}
