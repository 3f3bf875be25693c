/**
 * Decoding codes back to column values and Arrow columns. A code's value is drawn uniformly in
 * its interval (intersected with an optional restriction from a sampling condition), integers as
 * uniform integers, then clamped to the schema bounds; categories map to their dictionary index.
 */
import { Bool, DataType, DateDay, Dictionary, Field, Float64, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Utf8, vectorFromArray, type Data } from 'apache-arrow';
import { marginalNative } from '../native/marginal';
import { DiscreteColumnEncoder, missingCode } from './discretiser';

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
}

/**
 * Decodes the codes of one column. `uniform` gives uniforms in [0, 1) (a sampling PRNG: decoding
 * is post-processing of a DP model and needs no cryptographic source).
 * @example decodeColumn(encoder, codes, () => rng.next())
 */
export function decodeColumn(e: DiscreteColumnEncoder, codes: Int32Array, uniform: () => number, restriction?: ValueRestriction): DecodedColumn {
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
  const values = new Float64Array(n);
  const lo = e.min ?? -Infinity, hi = e.max ?? Infinity;
  const rLo = restriction ? restriction.lo : -Infinity, rHi = restriction ? restriction.hi : Infinity;
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
      values[i] = last === first ? first : first + Math.floor(uniform() * (last - first + 1));
    } else {
      const ra = Math.max(a, lo, rLo), rb = Math.min(b, hi, rHi);
      if (ra <= rb) { a = ra; b = rb; } else { a = Math.max(a, lo); b = Math.min(b, hi); }
      let v = a + (b - a) * uniform();
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

/** One decoded column as Arrow data (no per-value boxing). */
export function decodedArrowData(d: DecodedColumn): Data {
  const e = d.encoder;
  const type = decodedArrowType(e);
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
      return makeData({ ...base, data: indices, dictionary: vectorFromArray([...(e.categories as string[])], new Utf8()) } as never);
    }
  }
}

/**
 * Builds an Arrow table from decoded columns, in the given order.
 * @example decodedTable(columns, new Map([['hemasynth.synthetic', 'true']]))
 */
export function decodedTable(columns: readonly DecodedColumn[], metadata?: Map<string, string>): Table {
  const fields = columns.map((d) => new Field(d.encoder.column, decodedArrowType(d.encoder), d.encoder.nullable));
  const schema = new Schema(fields, metadata);
  const data = columns.map((d) => decodedArrowData(d));
  const n = columns.length ? columns[0].valid.length : 0;
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children: data } as never);
  return new Table(schema, [new RecordBatch(schema, struct as never)]);
}
