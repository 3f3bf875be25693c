/**
 * Reads one Arrow column as plain arrays for the encoders: numbers (Float64Array with NaN for
 * missing; booleans 0/1, dates as days, timestamps as milliseconds) or labels (strings with null
 * for missing). Reads the chunk buffers directly where the type allows (no per-value boxing).
 */
import { DataType, Type, type Table, type Vector } from 'apache-arrow';
import { InputError } from '../errors';
import { decimalScale, decimalToNumber, isDecimalType } from '../data/decimal-values';

/**
 * The present (non-NaN) values of a column, in a new array. Why a loop: on 1,000,000 values
 * Float64Array.prototype.filter took 1.5 s on the 2-core machine (2026-11-30), the loop a few ms.
 * @example presentValues(Float64Array.of(3, NaN, 1)) // Float64Array [3, 1]
 */
export function presentValues(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) { const v = values[i]; if (!Number.isNaN(v)) out[k++] = v; }
  return out;
}

/**
 * The present values sorted ascending: the typed array's own numeric sort (0.5 s on 1,000,000
 * values on that machine, against 6 s for an Array sort with a comparator).
 * @example sortedPresent(Float64Array.of(3, NaN, 1)) // Float64Array [1, 3]
 */
export function sortedPresent(values: ArrayLike<number>): Float64Array {
  return presentValues(values).sort();
}

function isValid(bitmap: Uint8Array | undefined, hasNulls: boolean, bit: number): boolean {
  return !hasNulls || !bitmap || ((bitmap[bit >> 3] >> (bit & 7)) & 1) === 1;
}

function column(table: Table, name: string): Vector {
  const col = table.getChild(name);
  if (!col) throw new InputError({ column: name }, `a column named "${name}" (declared in the schema)`, `a table with columns ${table.schema.fields.map((f) => f.name).slice(0, 20).join(', ')}`);
  return col;
}

/**
 * A column as numbers: NaN for missing, booleans 0/1, DateDay as days, timestamps as ms.
 * @example readNumbers(table, 'hb_g_dl')[0] // 8.4
 */
export function readNumbers(table: Table, name: string): Float64Array {
  const col = column(table, name);
  const out = new Float64Array(col.length);
  const t = col.type as DataType;
  let k = 0;
  if (t.typeId === Type.Float || t.typeId === Type.Int || t.typeId === Type.Date || t.typeId === Type.Timestamp) {
    const dateMs = t.typeId === Type.Date && (t as unknown as { unit: number }).unit === 1; // DateUnit.MILLISECOND
    for (const d of col.data) {
      const vals = d.values as ArrayLike<number | bigint>;
      const bitmap = d.nullBitmap;
      const hasNulls = d.nullCount > 0;
      const stride = vals.length >= d.length * 2 && t.typeId === Type.Date && dateMs ? 2 : 1;
      for (let j = 0; j < d.length; j++, k++) {
        if (!isValid(bitmap, hasNulls, d.offset + j)) out[k] = NaN;
        else if (stride === 2) out[k] = Number(col.get(k) as number) / 86_400_000;
        else out[k] = Number(vals[j]);
      }
    }
    return out;
  }
  if (t.typeId === Type.Bool) {
    for (let i = 0; i < col.length; i++) {
      const v = col.get(i) as boolean | null;
      out[i] = v === null || v === undefined ? NaN : v ? 1 : 0;
    }
    return out;
  }
  if (isDecimalType(t)) {
    const scale = decimalScale(t);
    for (let i = 0; i < col.length; i++) {
      const v = col.get(i) as unknown;
      out[i] = v === null || v === undefined ? NaN : decimalToNumber(v, scale);
    }
    return out;
  }
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i) as unknown;
    if (v === null || v === undefined || v === '') out[i] = NaN;
    else if (typeof v === 'number' || typeof v === 'bigint') out[i] = Number(v);
    else if (typeof v === 'string' && Number.isFinite(Number(v))) out[i] = Number(v);
    else throw new InputError({ row: i + 1, column: name }, 'a number', JSON.stringify(v));
  }
  return out;
}

/**
 * A column as labels: strings, null for missing (booleans as "true"/"false").
 * @example readLabels(table, 'genotype')[0] // 'SS'
 */
export function readLabels(table: Table, name: string): (string | null)[] {
  const col = column(table, name);
  const out = new Array<string | null>(col.length);
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i) as unknown;
    out[i] = v === null || v === undefined ? null : String(v);
  }
  return out;
}

/**
 * Category codes of a column against a category list: -1 for missing; throws an
 * {@link InputError} naming the row for a value outside the list.
 * @example readCategoryCodes(table, 'genotype', ['SS', 'SC'])
 */
export function readCategoryCodes(table: Table, name: string, categories: readonly string[]): Int32Array {
  const col = column(table, name);
  const index = new Map(categories.map((c, k) => [c, k]));
  const out = new Int32Array(col.length);
  const t = col.type as DataType;
  if (t.typeId === Type.Bool) {
    const f = index.get('false'), tr = index.get('true');
    for (let i = 0; i < col.length; i++) {
      const v = col.get(i) as boolean | null;
      out[i] = v === null || v === undefined ? -1 : (v ? tr : f) ?? -2;
      if (out[i] === -2) throw new InputError({ row: i + 1, column: name }, `one of ${JSON.stringify(categories)}`, String(v));
    }
    return out;
  }
  if (t.typeId === Type.Dictionary) {
    // Dictionary-encoded columns: map each chunk's dictionary once, then read the index buffer
    // (a million-row column in milliseconds instead of one string decode per row).
    let row = 0;
    for (const d of col.data) {
      const dict = d.dictionary as Vector | undefined;
      const indices = d.values as ArrayLike<number | bigint> | undefined;
      if (!dict || !indices) { row = -1; break; }
      const map = new Int32Array(dict.length);
      for (let k = 0; k < dict.length; k++) {
        const v = dict.get(k) as unknown;
        const c = v === null || v === undefined || v === '' ? -1 : index.get(String(v));
        map[k] = c === undefined ? -2 : c;
      }
      const bitmap = d.nullBitmap;
      const hasNulls = d.nullCount > 0;
      for (let j = 0; j < d.length; j++, row++) {
        if (!isValid(bitmap, hasNulls, d.offset + j)) { out[row] = -1; continue; }
        const c = map[Number(indices[j])];
        if (c === -2) throw new InputError({ row: row + 1, column: name }, `one of the schema's categories ${JSON.stringify(categories.slice(0, 12))}`, JSON.stringify(dict.get(Number(indices[j]))));
        out[row] = c;
      }
    }
    if (row === col.length) return out;
  }
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i) as unknown;
    if (v === null || v === undefined || v === '') { out[i] = -1; continue; }
    const k = index.get(String(v));
    if (k === undefined) throw new InputError({ row: i + 1, column: name }, `one of the schema's categories ${JSON.stringify(categories.slice(0, 12))}`, JSON.stringify(v));
    out[i] = k;
  }
  return out;
}
