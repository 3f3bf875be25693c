/**
 * Reads Arrow table columns as plain numeric arrays for statistics: numbers as they are,
 * booleans as 0/1, nulls as NaN; categorical (string) columns as string arrays with null.
 */
import { Type, type Table } from 'apache-arrow';
import { decimalScale, decimalToNumber } from '../../data/decimal-values';

/** Whether the table has a column of that name. */
export function hasColumn(table: Table, name: string): boolean {
  return table.schema.fields.some((f) => f.name === name);
}

/**
 * A numeric view of a column (booleans 0/1, nulls NaN, dates as days); undefined if absent
 * or not numeric.
 * @example numericColumn(table, 'hb_g_dl')[0]
 */
export function numericColumn(table: Table, name: string): Float64Array | undefined {
  const col = table.getChild(name);
  if (!col) return undefined;
  const n = col.length;
  const out = new Float64Array(n);
  // Fast path: numeric Arrow chunks are read straight from their value buffers and validity bitmaps.
  const typeId = col.type.typeId;
  if (typeId === Type.Float || typeId === Type.Int) {
    let k = 0;
    for (const d of col.data) {
      const vals = d.values as ArrayLike<number | bigint>;
      const bitmap = d.nullBitmap;
      const hasNulls = d.nullCount > 0 && bitmap && bitmap.length > 0;
      for (let j = 0; j < d.length; j++, k++) {
        const bit = d.offset + j;
        if (hasNulls && !((bitmap[bit >> 3] >> (bit & 7)) & 1)) out[k] = NaN;
        else out[k] = Number(vals[j]);
      }
    }
    return out;
  }
  // A Decimal value's Number() is its unscaled integer (data/decimal-values.ts).
  const scale = typeId === Type.Decimal ? decimalScale(col.type) : null;
  for (let i = 0; i < n; i++) {
    const v = col.get(i) as unknown;
    if (v === null || v === undefined) out[i] = NaN;
    else if (scale !== null) out[i] = decimalToNumber(v, scale);
    else if (typeof v === 'number') out[i] = v;
    else if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else if (typeof v === 'bigint') out[i] = Number(v);
    else if (v instanceof Date) out[i] = v.getTime() / 86400000;
    else if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) out[i] = Number(v);
    else return undefined;
  }
  return out;
}

/**
 * A column's values as strings (null for missing); undefined if absent.
 * @example stringColumn(table, 'genotype')[0] // 'SS'
 */
export function stringColumn(table: Table, name: string): (string | null)[] | undefined {
  const col = table.getChild(name);
  if (!col) return undefined;
  const out = new Array<string | null>(col.length);
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i) as unknown;
    out[i] = v === null || v === undefined ? null : String(v);
  }
  return out;
}
