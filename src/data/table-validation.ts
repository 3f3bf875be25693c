/**
 * Checking an Arrow table against a schema: the same columns, Arrow types that fit each kind,
 * no nulls where a column is not nullable, values inside declared bounds and categories. The
 * first problem is reported with its row (1-based), column, what was expected and what was found.
 */
import { DataType, Table, Type, Vector } from 'apache-arrow';
import { InputError } from '../errors';
import type { ColumnKind, ColumnSchema, TableSchema } from './schema';
import { formatDateDays, formatDateTimeMs, parseDateTimeMs } from './value-parsing';

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

function show(v: unknown, type: DataType): string {
  if (type.typeId === Type.Date) return JSON.stringify(formatDateDays(Math.floor(Number(v) / 86_400_000)));
  if (type.typeId === Type.Timestamp) return JSON.stringify(formatDateTimeMs(Number(v)));
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function checkColumn(v: Vector, col: ColumnSchema, file: string | undefined, rowOffset: number): void {
  const type = v.type as DataType;
  const where = (i: number) => ({ file, row: rowOffset + i + 1, column: col.name });
  if (col.nullable === false && v.nullCount > 0) {
    for (let i = 0; i < v.length; i++) if (!v.isValid(i)) throw new InputError(where(i), 'a value (the column is not nullable)', 'null');
  }
  const hasBounds = col.min !== undefined || col.max !== undefined;
  if (hasBounds && (col.kind === 'continuous' || col.kind === 'integer' || col.kind === 'datetime')) {
    const isTime = col.kind === 'datetime';
    const big = type.typeId === Type.Int && (type as { bitWidth?: number }).bitWidth === 64;
    const conv = (b: number | string | undefined, dflt: number): number | bigint => {
      if (b === undefined) return big ? (dflt < 0 ? -(2n ** 64n) : 2n ** 64n) : dflt;
      if (isTime) return parseDateTimeMs(String(b));
      return big ? BigInt(b) : Number(b);
    };
    const lo = conv(col.min, -Infinity);
    let hi = conv(col.max, Infinity);
    // A date bound covers the whole day when the values are instants.
    if (isTime && type.typeId === Type.Timestamp && col.max !== undefined && String(col.max).length === 10) hi = (hi as number) + 86_399_999;
    for (let i = 0; i < v.length; i++) {
      let x = v.get(i) as number | bigint | null;
      if (x === null || x === undefined) continue;
      if (big && typeof x === 'number') x = BigInt(x);
      if (!big && typeof x === 'bigint') x = Number(x);
      if ((x as number) < (lo as number) || (x as number) > (hi as number)) {
        throw new InputError(where(i), `a value in [${col.min ?? '-inf'}, ${col.max ?? 'inf'}]`, show(x, type));
      }
    }
  }
  if ((col.kind === 'categorical' || col.kind === 'ordinal') && col.categories) {
    const allowed = new Set(col.categories);
    for (let i = 0; i < v.length; i++) {
      const x = v.get(i);
      if (x === null || x === undefined) continue;
      if (!allowed.has(String(x))) {
        const cats = col.categories.length <= 12 ? col.categories.map((c) => JSON.stringify(c)).join(', ') : `${col.categories.slice(0, 12).map((c) => JSON.stringify(c)).join(', ')}, ...`;
        throw new InputError(where(i), `one of the categories ${cats}`, JSON.stringify(String(x)));
      }
    }
  }
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
    if (!typeFitsKind(v.type, col.kind)) throw new InputError({ file, column: col.name }, `${ACCEPTED[col.kind].words} for kind "${col.kind}"`, `Arrow type ${String(v.type)}`);
    checkColumn(v, col, file, rowOffset);
  }
}
