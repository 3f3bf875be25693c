/**
 * Columnar storage of simulated values (typed arrays plus a validity mask) and its conversion
 * to Arrow vectors without row-by-row builders: the simulator fills whole typed arrays and
 * hands Arrow the buffers, which keeps generation above 20,000 patients per second.
 */
import {
  Bool, DateDay, Float64, Int32, Int8, Table, Utf8, Vector, makeData, makeVector,
} from 'apache-arrow';

/** One simulated column. `valid[i] === 0` marks a missing value. */
export type ColumnData =
  | { type: 'float64'; values: Float64Array; valid?: Uint8Array }
  | { type: 'int32'; values: Int32Array; valid?: Uint8Array }
  | { type: 'int8'; values: Int8Array; valid?: Uint8Array }
  | { type: 'bool'; values: Uint8Array; valid?: Uint8Array }
  /** Days since 1970-01-01. */
  | { type: 'date'; values: Int32Array; valid?: Uint8Array }
  /** Category codes into `categories`. */
  | { type: 'category'; codes: Uint8Array; categories: readonly string[]; valid?: Uint8Array }
  | { type: 'string'; values: string[]; valid?: Uint8Array }
  /** Row r holds `values[index[r]]` (repeated strings, e.g. patient keys on visit rows, are encoded once). */
  | { type: 'indexed-string'; index: Int32Array; values: string[]; valid?: Uint8Array };

/** Ordered named columns of one table. */
export class ColumnStore {
  readonly names: string[] = [];
  readonly columns = new Map<string, ColumnData>();
  constructor(readonly length: number) {}

  /** Adds (or replaces) a column; its length must match the store. */
  set(name: string, col: ColumnData): void {
    const n = col.type === 'category' ? col.codes.length : col.type === 'indexed-string' ? col.index.length : col.values.length;
    if (n !== this.length) throw new RangeError(`column ${name} has ${n} values, table has ${this.length}`);
    if (col.valid && col.valid.length !== this.length) throw new RangeError(`validity of column ${name} has ${col.valid.length} entries, table has ${this.length}`);
    if (!this.columns.has(name)) this.names.push(name);
    this.columns.set(name, col);
  }

  get(name: string): ColumnData {
    const c = this.columns.get(name);
    if (!c) throw new RangeError(`no simulated column ${name}`);
    return c;
  }

  /** Builds an Arrow table of rows [start, end) in column order. */
  toTable(start = 0, end = this.length, order: readonly string[] = this.names): Table {
    const vectors: Record<string, Vector> = {};
    for (const name of order) vectors[name] = toVector(this.get(name), start, end);
    return new Table(vectors);
  }
}

function nullBitmap(valid: Uint8Array | undefined, start: number, end: number): { bitmap: Uint8Array | undefined; nullCount: number } {
  if (!valid) return { bitmap: undefined, nullCount: 0 };
  const n = end - start;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (valid[start + i]) bitmap[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return nulls === 0 ? { bitmap: undefined, nullCount: 0 } : { bitmap, nullCount: nulls };
}

/** Copies values, writing 0 where a value is missing so that files are byte-identical across runs. */
function maskedCopy<T extends Float64Array | Int32Array | Int8Array | Uint8Array>(values: T, valid: Uint8Array | undefined, start: number, end: number): T {
  const out = values.slice(start, end) as T;
  if (valid) for (let i = 0; i < out.length; i++) if (!valid[start + i]) out[i] = 0;
  return out;
}

/** UTF-8 bytes and offsets of a whole string column, computed once and sliced per site. */
interface EncodedStrings {
  bytes: Uint8Array;
  offsets: Int32Array;
}
const encodedCache = new WeakMap<ColumnData, EncodedStrings>();

/** Encodes strings into one buffer (Buffer.write: no per-string allocation). */
function encodeAll(strings: readonly string[]): EncodedStrings {
  const n = strings.length;
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += Buffer.byteLength(strings[i], 'utf8');
    offsets[i + 1] = total;
  }
  const buf = Buffer.alloc(total);
  for (let i = 0; i < n; i++) buf.write(strings[i], offsets[i], 'utf8');
  return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, total), offsets };
}

/** Per-row bytes of a string-like column (nulls written as empty strings). */
function encodedColumn(col: ColumnData & { type: 'string' | 'category' | 'indexed-string' }): EncodedStrings {
  const hit = encodedCache.get(col);
  if (hit) return hit;
  let out: EncodedStrings;
  if (col.type === 'string') out = encodeAll(col.values);
  else {
    const dict = encodeAll(col.type === 'category' ? col.categories : col.values);
    const index = col.type === 'category' ? col.codes : col.index;
    const n = index.length;
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + dict.offsets[index[i] + 1] - dict.offsets[index[i]];
    const bytes = new Uint8Array(offsets[n]);
    for (let i = 0; i < n; i++) bytes.set(dict.bytes.subarray(dict.offsets[index[i]], dict.offsets[index[i] + 1]), offsets[i]);
    out = { bytes, offsets };
  }
  encodedCache.set(col, out);
  return out;
}

function utf8Vector(col: ColumnData & { type: 'string' | 'category' | 'indexed-string' }, start: number, end: number): Vector {
  const n = end - start;
  const enc = encodedColumn(col);
  const offsets = new Int32Array(n + 1);
  const valid = col.valid;
  // Missing rows get zero-length values so the bytes do not depend on what the hidden value was.
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!valid || valid[start + i]) total += enc.offsets[start + i + 1] - enc.offsets[start + i];
    offsets[i + 1] = total;
  }
  let data: Uint8Array;
  if (!valid) data = enc.bytes.slice(enc.offsets[start], enc.offsets[end]);
  else {
    data = new Uint8Array(total);
    for (let i = 0; i < n; i++) if (valid[start + i]) data.set(enc.bytes.subarray(enc.offsets[start + i], enc.offsets[start + i + 1]), offsets[i]);
  }
  const { bitmap, nullCount } = nullBitmap(valid, start, end);
  return makeVector(makeData({ type: new Utf8(), length: n, nullCount, nullBitmap: bitmap, valueOffsets: offsets, data }));
}

/** Converts rows [start, end) of a simulated column to an Arrow vector. */
export function toVector(col: ColumnData, start: number, end: number): Vector {
  const n = end - start;
  const { bitmap, nullCount } = nullBitmap(col.valid, start, end);
  switch (col.type) {
    case 'float64':
      return makeVector(makeData({ type: new Float64(), length: n, nullCount, nullBitmap: bitmap, data: maskedCopy(col.values, col.valid, start, end) }));
    case 'int32':
      return makeVector(makeData({ type: new Int32(), length: n, nullCount, nullBitmap: bitmap, data: maskedCopy(col.values, col.valid, start, end) }));
    case 'int8':
      return makeVector(makeData({ type: new Int8(), length: n, nullCount, nullBitmap: bitmap, data: maskedCopy(col.values, col.valid, start, end) }));
    case 'date':
      return makeVector(makeData({ type: new DateDay(), length: n, nullCount, nullBitmap: bitmap, data: maskedCopy(col.values, col.valid, start, end) }));
    case 'bool': {
      const bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (col.values[start + i] && (!col.valid || col.valid[start + i])) bits[i >> 3] |= 1 << (i & 7);
      return makeVector(makeData({ type: new Bool(), length: n, nullCount, nullBitmap: bitmap, data: bits }));
    }
    case 'category':
    case 'string':
    case 'indexed-string':
      return utf8Vector(col, start, end);
  }
}
