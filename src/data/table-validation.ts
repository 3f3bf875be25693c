/**
 * Checking an Arrow table against a schema: the same columns, Arrow types that fit each kind,
 * no nulls where a column is not nullable, finite numbers, integers in integer columns, values
 * inside declared bounds and categories. The first problem is reported with its row (1-based
 * data row, as the CSV reader counts), column, what was expected and what was found.
 *
 * Arrow IPC and Parquet carry no checksums: a damaged file can still parse, with nonsense in its
 * buffers (an age of 3e-181, a dictionary index past the dictionary's end). So every Arrow and
 * Parquet read goes through these checks (arrow-file.ts, parquet-file.ts): against the declared
 * schema when there is one ({@link validateTable}), else against the schema the file carries
 * ({@link validateCarriedTable}). The value checks read the chunk buffers directly (no per-value
 * boxing), so they stay linear and cheap on a 1,000,000 x 50 table.
 */
import { Data, DataType, Schema, Table, Type, Vector } from 'apache-arrow';
import { InputError } from '../errors';
import type { ColumnKind, ColumnSchema, TableSchema } from './schema';
import { embeddedSchema } from './arrow-types';
import { validateSchema } from './schema-validation';
import { formatDateDays, formatDateTimeMs, parseDateTimeMs } from './value-parsing';
import { decimalScale, decimalToNumber, decimalToString, isDecimalType } from './decimal-values';

const ACCEPTED: Record<ColumnKind, { types: Type[]; words: string }> = {
  continuous: { types: [Type.Float, Type.Int, Type.Decimal], words: 'a floating-point or integer Arrow type' },
  integer: { types: [Type.Int], words: 'an integer Arrow type (Int32 or Int64)' },
  boolean: { types: [Type.Bool], words: 'the Arrow Bool type' },
  categorical: { types: [Type.Dictionary, Type.Utf8, Type.LargeUtf8], words: 'a Dictionary<Utf8> or Utf8 Arrow type' },
  ordinal: { types: [Type.Dictionary, Type.Utf8, Type.LargeUtf8], words: 'a Dictionary<Utf8> or Utf8 Arrow type' },
  datetime: { types: [Type.Date, Type.Timestamp], words: 'an Arrow Date or Timestamp type' },
  identifier: { types: [Type.Utf8, Type.LargeUtf8, Type.Int, Type.Dictionary], words: 'a Utf8 or integer Arrow type' },
  text: { types: [Type.Utf8, Type.LargeUtf8, Type.Dictionary], words: 'a Utf8 Arrow type' },
};

/**
 * Whether an Arrow type can hold a column of the given kind.
 * @example typeFitsKind(new Int32(), 'continuous') // true
 */
export function typeFitsKind(type: DataType, kind: ColumnKind): boolean {
  return ACCEPTED[kind].types.includes(type.typeId);
}

/**
 * The schema an Arrow schema carries in its metadata (written by hemasynth), checked; undefined
 * when absent or unusable (a damaged or foreign one is not trusted, as schema inference does).
 * @example const carried = carriedSchemaOf(table.schema);
 */
export function carriedSchemaOf(schema: Schema): TableSchema | undefined {
  const e = embeddedSchema(schema);
  if (e === undefined) return undefined;
  try {
    return validateSchema(e);
  } catch {
    return undefined;
  }
}

function show(v: unknown, type: DataType): string {
  if (type.typeId === Type.Date) return JSON.stringify(formatDateDays(Math.floor(Number(v) / 86_400_000)));
  if (type.typeId === Type.Timestamp) return JSON.stringify(formatDateTimeMs(Number(v)));
  if (isDecimalType(type)) return decimalToString(v, decimalScale(type));
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function boundsText(col: ColumnSchema): string {
  return `[${col.min ?? '-inf'}, ${col.max ?? 'inf'}]`;
}

function categoryList(cats: readonly string[]): string {
  return cats.length <= 12 ? cats.map((c) => JSON.stringify(c)).join(', ') : `${cats.slice(0, 12).map((c) => JSON.stringify(c)).join(', ')}, ... (${cats.length} in all)`;
}

/** Where the `i`-th value of a column (0-based within the vector) is, for a message. */
type Where = (i: number) => { file?: string; row: number; column: string };

function isValidAt(d: Data, j: number): boolean {
  if (d.nullCount <= 0 || !d.nullBitmap || d.nullBitmap.length === 0) return true;
  const bit = d.offset + j;
  return ((d.nullBitmap[bit >> 3] >> (bit & 7)) & 1) === 1;
}

function hasNulls(d: Data): boolean {
  return d.nullCount > 0 && d.nullBitmap !== undefined && d.nullBitmap !== null && d.nullBitmap.length > 0;
}

/**
 * Numbers of a continuous or integer column held as Arrow Float, Int or Decimal: finite,
 * integral for an integer column, inside the bounds.
 */
function checkNumbers(v: Vector, col: ColumnSchema, where: Where): void {
  const type = v.type as DataType;
  const integer = col.kind === 'integer';
  const bounded = col.min !== undefined || col.max !== undefined;
  const lo = col.min === undefined ? -Infinity : Number(col.min);
  const hi = col.max === undefined ? Infinity : Number(col.max);
  const outOfBounds = (i: number, x: unknown): never => {
    throw new InputError(where(i), `a value in ${boundsText(col)}`, show(x, type));
  };
  if (type.typeId === Type.Float) {
    let row = 0;
    for (const d of v.data) {
      const vals = d.values as ArrayLike<number>;
      const n = d.length;
      // Float16 is stored as raw 16-bit words: read through the vector.
      const raw = !(vals instanceof Float64Array || vals instanceof Float32Array);
      const nulls = hasNulls(d);
      for (let j = 0; j < n; j++) {
        const x = raw ? (v.get(row + j) as number) : vals[j];
        // One test for the common case: finite (x - x is NaN for NaN and +-Infinity), in bounds,
        // integral; the slot of a null holds anything, so validity is looked at only on failure.
        if (x - x === 0 && x >= lo && x <= hi && (!integer || x % 1 === 0)) continue;
        if (nulls && !isValidAt(d, j)) continue;
        if (raw && (x === null || x === undefined)) continue;
        if (!(x - x === 0)) throw new InputError(where(row + j), `${integer ? 'an integer' : 'a finite number'}${bounded ? ` in ${boundsText(col)}` : ''}`, String(x));
        if (integer && x % 1 !== 0) throw new InputError(where(row + j), `an integer${bounded ? ` in ${boundsText(col)}` : ''}`, String(x));
        outOfBounds(row + j, x);
      }
      row += n;
    }
    return;
  }
  if (isDecimalType(type)) {
    // Decimals are boxed values (decimal-values.ts): read one by one, compared as doubles.
    const scale = decimalScale(type);
    for (let i = 0; i < v.length; i++) {
      const raw = v.get(i) as unknown;
      if (raw === null || raw === undefined) continue;
      // (An integer column refuses the Decimal type before its values are read.)
      const x = decimalToNumber(raw, scale);
      if (x < lo || x > hi) outOfBounds(i, raw);
    }
    return;
  }
  if (type.typeId !== Type.Int || !bounded) return;
  // BigInt bounds for 64-bit columns: the integers inside [lo, hi] (integer bounds beyond 2^53 are strings).
  const big = (b: number | string | undefined, up: boolean): bigint | undefined => {
    if (b === undefined) return undefined;
    if (typeof b === 'string') return BigInt(b);
    return BigInt(up ? Math.ceil(b) : Math.floor(b));
  };
  const blo = big(col.min, true);
  const bhi = big(col.max, false);
  let row = 0;
  for (const d of v.data) {
    const vals = d.values as ArrayLike<number | bigint>;
    const n = d.length;
    const nulls = hasNulls(d);
    if (vals instanceof BigInt64Array || vals instanceof BigUint64Array) {
      for (let j = 0; j < n; j++) {
        const x = vals[j];
        if ((blo !== undefined && x < blo) || (bhi !== undefined && x > bhi)) {
          if (nulls && !isValidAt(d, j)) continue;
          outOfBounds(row + j, x);
        }
      }
    } else {
      const nums = vals as ArrayLike<number>;
      for (let j = 0; j < n; j++) {
        const x = nums[j];
        if (x < lo || x > hi) {
          if (nulls && !isValidAt(d, j)) continue;
          outOfBounds(row + j, x);
        }
      }
    }
    row += n;
  }
}

/** Milliseconds per unit of an Arrow Timestamp (second, millisecond, microsecond, nanosecond). */
const TIMESTAMP_MS = [1000, 1, 1e-3, 1e-6];

/** Dates and date-times of a datetime column inside the declared bounds (a date bound covers its whole day). */
function checkDates(v: Vector, col: ColumnSchema, where: Where): void {
  if (col.min === undefined && col.max === undefined) return;
  const type = v.type as DataType;
  const lo = col.min === undefined ? -Infinity : parseDateTimeMs(String(col.min));
  let hi = col.max === undefined ? Infinity : parseDateTimeMs(String(col.max));
  // A date bound covers the whole day when the values are instants.
  if (type.typeId === Type.Timestamp && col.max !== undefined && String(col.max).length === 10) hi += 86_399_999;
  const dayLo = Math.floor(lo / 86_400_000);
  const dayHi = Math.floor(hi / 86_400_000);
  const isDay = type.typeId === Type.Date && (type as unknown as { unit: number }).unit === 0;
  const unitMs = type.typeId === Type.Timestamp ? TIMESTAMP_MS[(type as unknown as { unit: number }).unit] ?? 1 : 1;
  let row = 0;
  for (const d of v.data) {
    const vals = d.values as ArrayLike<number | bigint>;
    const n = d.length;
    const nulls = hasNulls(d);
    for (let j = 0; j < n; j++) {
      let bad: boolean;
      if (isDay) {
        const x = (vals as ArrayLike<number>)[j];
        bad = x < dayLo || x > dayHi;
      } else if (vals instanceof BigInt64Array) {
        const ms = Number(vals[j]) * unitMs;
        bad = ms < lo || ms > hi;
      } else {
        const x = v.get(row + j) as number | null;
        bad = x !== null && x !== undefined && (Number(x) < lo || Number(x) > hi);
      }
      if (bad && (!nulls || isValidAt(d, j))) {
        throw new InputError(where(row + j), `a value in ${boundsText(col)}`, show(v.get(row + j), type));
      }
    }
    row += n;
  }
}

/** 32-bit FNV-1a of bytes [start, end). */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let k = start; k < end; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
  return h >>> 0;
}

const decoder = new TextDecoder();

/**
 * Dictionary columns: every index inside its dictionary (whatever the schema says: an index past
 * the end is a damaged file), and, with `categories`, every value used one of them. Utf8 columns
 * with `categories`: every value one of them, compared as UTF-8 bytes (no string per row).
 */
function checkCodes(v: Vector, categories: readonly string[] | undefined, where: Where): void {
  const type = v.type as DataType;
  const allowed = categories ? new Set(categories) : undefined;
  const notACategory = (i: number, value: unknown): never => {
    throw new InputError(where(i), `one of the categories ${categoryList(categories ?? [])}`, value === null || value === undefined ? String(value) : JSON.stringify(String(value)));
  };
  if (type.typeId === Type.Dictionary) {
    // The usable entries of each dictionary, once per dictionary (batches usually share one).
    const seen = new Map<unknown, Uint8Array>();
    let row = 0;
    for (const d of v.data) {
      const dict = d.dictionary as Vector | undefined;
      const size = dict ? dict.length : 0;
      let ok = seen.get(dict);
      if (!ok) {
        ok = new Uint8Array(size);
        for (let k = 0; k < size; k++) {
          const x = dict!.get(k);
          ok[k] = !allowed || (x !== null && x !== undefined && allowed.has(String(x))) ? 1 : 0;
        }
        seen.set(dict, ok);
      }
      const idx = d.values as ArrayLike<number | bigint>;
      const n = d.length;
      const nulls = hasNulls(d);
      const isBig = idx instanceof BigInt64Array || idx instanceof BigUint64Array;
      for (let j = 0; j < n; j++) {
        const k = isBig ? Number(idx[j]) : (idx[j] as number);
        if (k >= 0 && k < size && ok[k] === 1) continue;
        if (nulls && !isValidAt(d, j)) continue;
        if (!(k >= 0 && k < size)) {
          throw new InputError(where(row + j), `a dictionary index in [0, ${size - 1}] (the column's dictionary has ${size} entries)`, `index ${k}: a damaged file`);
        }
        notACategory(row + j, dict!.get(k));
      }
      row += n;
    }
    return;
  }
  if (!categories || (type.typeId !== Type.Utf8 && type.typeId !== Type.LargeUtf8)) return;
  const lookup = new CategoryBytes(categories);
  let row = 0;
  for (const d of v.data) {
    const offsets = d.valueOffsets as ArrayLike<number | bigint>;
    const bytes = (d.values as Uint8Array | undefined) ?? new Uint8Array(0);
    const n = d.length;
    const nulls = hasNulls(d);
    const isBig = offsets instanceof BigInt64Array;
    for (let j = 0; j < n; j++) {
      const start = isBig ? Number(offsets[j]) : (offsets[j] as number);
      const end = isBig ? Number(offsets[j + 1]) : (offsets[j + 1] as number);
      if (start >= 0 && end >= start && end <= bytes.length && lookup.has(bytes, start, end)) continue;
      if (nulls && !isValidAt(d, j)) continue;
      if (!(start >= 0 && end >= start && end <= bytes.length)) {
        throw new InputError(where(row + j), `a string inside the column's data (${bytes.length} bytes)`, `bytes [${start}, ${end}): a damaged file`);
      }
      notACategory(row + j, decoder.decode(bytes.subarray(start, end)));
    }
    row += n;
  }
}

/**
 * A set of categories looked up by their UTF-8 bytes: an open-addressing table of FNV-1a hashes
 * (typed arrays only), so a million-row Utf8 column is checked without making a string per row.
 */
class CategoryBytes {
  private readonly bytes: Uint8Array;
  private readonly starts: Int32Array;
  private readonly slots: Int32Array;
  private readonly hashes: Uint32Array;
  private readonly mask: number;
  constructor(categories: readonly string[]) {
    const encoded = categories.map((c) => Buffer.from(c, 'utf8'));
    this.bytes = new Uint8Array(Buffer.concat(encoded));
    this.starts = new Int32Array(encoded.length + 1);
    encoded.forEach((b, k) => (this.starts[k + 1] = this.starts[k] + b.length));
    let size = 8;
    while (size < encoded.length * 4) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size).fill(-1);
    this.hashes = new Uint32Array(size);
    for (let k = 0; k < encoded.length; k++) {
      const h = hashBytes(this.bytes, this.starts[k], this.starts[k + 1]);
      let slot = h & this.mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slots[slot] = k;
      this.hashes[slot] = h;
    }
  }
  /** Whether bytes [start, end) of `data` are one of the categories. */
  has(data: Uint8Array, start: number, end: number): boolean {
    const h = hashBytes(data, start, end);
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const k = this.slots[slot];
      if (k === -1) return false;
      if (this.hashes[slot] !== h) continue;
      const s = this.starts[k];
      const len = this.starts[k + 1] - s;
      if (len !== end - start) continue;
      let same = true;
      for (let q = 0; q < len; q++) {
        if (data[start + q] !== this.bytes[s + q]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
  }
}

/**
 * The values of one column against its schema entry, for whatever Arrow type holds them: numbers
 * (finite, integral in an integer column, in bounds), dates in bounds, categories; nulls where
 * the column is not nullable. A type that does not fit the kind is left to the caller.
 */
function checkColumnValues(v: Vector, col: ColumnSchema, file: string | undefined, rowOffset: number): void {
  const where: Where = (i) => ({ file, row: rowOffset + i + 1, column: col.name });
  if (col.nullable === false && v.nullCount > 0) {
    for (let i = 0; i < v.length; i++) if (!v.isValid(i)) throw new InputError(where(i), 'a value (the column is not nullable)', 'null');
  }
  const typeId = (v.type as DataType).typeId;
  switch (col.kind) {
    case 'continuous':
    case 'integer':
      if (typeId === Type.Float || typeId === Type.Int || typeId === Type.Decimal) checkNumbers(v, col, where);
      break;
    case 'datetime':
      if (typeId === Type.Date || typeId === Type.Timestamp) checkDates(v, col, where);
      break;
    case 'categorical':
    case 'ordinal':
      checkCodes(v, col.categories, where);
      return;
  }
  if (typeId === Type.Dictionary) checkCodes(v, undefined, where);
}

/**
 * Checks a table against a schema; throws an InputError for the first problem.
 * `rowOffset` shifts the reported rows (when checking one batch of a larger table).
 * @example validateTable(table, loadSchema('cohort.schema.json'), 'cohort.arrow');
 */
export function validateTable(table: Table, schema: TableSchema, file?: string, rowOffset = 0): void {
  const names = table.schema.fields.map((f) => f.name);
  const declared = new Set(schema.columns.map((c) => c.name));
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new InputError({ file, column: n }, 'unique column names', 'a duplicate column name');
    seen.add(n);
    if (!declared.has(n)) throw new InputError({ file, column: n }, 'a column declared in the schema', 'a column the schema does not declare');
  }
  for (const col of schema.columns) {
    const i = names.indexOf(col.name);
    if (i < 0) throw new InputError({ file, column: col.name }, 'the column declared in the schema', 'a table without it');
    const v = table.getChildAt(i)!;
    if (!typeFitsKind(v.type, col.kind)) {
      // An integer column held as floating point: a value that is not an integer is named with its row first.
      if (col.kind === 'integer' && (v.type as DataType).typeId === Type.Float) checkColumnValues(v, col, file, rowOffset);
      throw new InputError({ file, column: col.name }, `${ACCEPTED[col.kind].words} for kind "${col.kind}"`, `Arrow type ${String(v.type)}`);
    }
    checkColumnValues(v, col, file, rowOffset);
  }
}

/**
 * Checks the values of a table read from a file against the schema it carries in its metadata
 * (as `simulate` and `convert` write it), when it carries a usable one: each
 * column the schema declares and the table holds, by name, whatever its Arrow type (an integer
 * column held as floating point is checked for integers). Columns are not required to match: a
 * table whose columns were selected keeps the metadata of the whole. Dictionary indices are
 * checked in every dictionary column, with a schema or without. Throws an InputError for the
 * first problem, naming the file, the row (1-based, shifted by `rowOffset`), the column and what
 * the schema expects.
 * @example validateCarriedTable(readArrowFile('cohort.arrow'), 'cohort.arrow');
 */
export function validateCarriedTable(table: Table, file?: string, rowOffset = 0, carried: TableSchema | undefined = carriedSchemaOf(table.schema)): void {
  const byName = new Map((carried?.columns ?? []).map((c) => [c.name, c]));
  table.schema.fields.forEach((f, i) => {
    const v = table.getChildAt(i)!;
    const col = byName.get(f.name);
    if (col) checkColumnValues(v, col, file, rowOffset);
    else if ((f.type as DataType).typeId === Type.Dictionary) checkCodes(v, undefined, (j) => ({ file, row: rowOffset + j + 1, column: f.name }));
  });
}

/**
 * The check of a table read from `file`: against `declared` (columns, types and values), else
 * against the schema the table carries (values).
 * @example checkReadTable(table, 'cohort.parquet', schema);
 */
export function checkReadTable(table: Table, file: string, declared?: TableSchema, rowOffset = 0): void {
  if (declared) validateTable(table, declared, file, rowOffset);
  else validateCarriedTable(table, file, rowOffset);
}
