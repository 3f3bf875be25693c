/**
 * The column view every metric of the evaluation works on: numeric columns as Float64Array
 * (NaN = missing; dates as days since 1970-01-01) and categorical columns as Int32Array codes
 * (-1 = missing) into one category list shared by the training, holdout and synthetic tables,
 * so that a code means the same value in all three.
 */
import { DataType, Table } from 'apache-arrow';
import { InputError } from '../errors';
import type { TableSchema } from '../data/schema';
import { decimalScale, decimalToNumber } from '../data/decimal-values';

/** A numeric column (continuous, integer, date). */
export interface NumericColumn {
  name: string;
  kind: 'numeric';
  /** Values, NaN where missing. */
  values: Float64Array;
  /** Whether every present value is an integer (count-like). */
  integer: boolean;
}

/** A categorical column (categorical, ordinal, boolean, text labels). */
export interface CategoricalColumn {
  name: string;
  kind: 'categorical';
  /** Codes into `categories`, -1 where missing. */
  codes: Int32Array;
  categories: string[];
}

export type EvalColumn = NumericColumn | CategoricalColumn;

/** A table in column form for evaluation. */
export interface EvalTable {
  nRows: number;
  columns: EvalColumn[];
}

/** The role a table plays, used in error messages. */
export interface NamedTable {
  /** "training", "holdout" or "synthetic" (or the file name). */
  label: string;
  table: Table;
}

const DAY_MS = 86_400_000;

function isNumericType(t: DataType): boolean {
  return DataType.isInt(t) || DataType.isFloat(t) || DataType.isDate(t) || DataType.isTimestamp(t) || DataType.isDecimal(t);
}

function numericValues(table: Table, name: string): Float64Array {
  const vec = table.getChild(name)!;
  const n = vec.length;
  const out = new Float64Array(n);
  const t = vec.type;
  const date = DataType.isDate(t) || DataType.isTimestamp(t);
  // A Decimal value's Number() is its unscaled integer (data/decimal-values.ts).
  const scale = DataType.isDecimal(t) ? decimalScale(t) : null;
  for (let i = 0; i < n; i++) {
    const v = vec.get(i) as unknown;
    if (v === null || v === undefined) out[i] = NaN;
    else if (scale !== null) out[i] = decimalToNumber(v, scale);
    else if (typeof v === 'bigint') out[i] = Number(v);
    else if (v instanceof Date) out[i] = v.getTime() / DAY_MS;
    else if (typeof v === 'number') out[i] = date ? v / DAY_MS : v; // apache-arrow returns dates as epoch milliseconds
    else out[i] = Number(v);
  }
  return out;
}

function labelValues(table: Table, name: string): (string | null)[] {
  const vec = table.getChild(name)!;
  const out: (string | null)[] = new Array(vec.length);
  for (let i = 0; i < vec.length; i++) {
    const v = vec.get(i) as unknown;
    out[i] = v === null || v === undefined ? null : String(v);
  }
  return out;
}

/** Columns that carry no statistical content (identifiers, free text) and are left out. */
export function excludedColumns(schema?: TableSchema): Set<string> {
  const out = new Set<string>();
  for (const c of schema?.columns ?? []) {
    if (c.kind === 'identifier' || c.kind === 'text' || c.role === 'direct-identifier') out.add(c.name);
  }
  return out;
}

/**
 * Converts tables with the same columns into aligned {@link EvalTable}s. The first table fixes
 * the column list; every other must hold the same columns with compatible kinds. Category
 * lists are the schema's when given, else the sorted union of the values seen.
 * @example const [train, holdout, syn] = alignTables([{label: 'training', table: a}, {label: 'holdout', table: b}, {label: 'synthetic', table: c}]);
 */
export function alignTables(tables: NamedTable[], schema?: TableSchema): EvalTable[] {
  if (tables.length === 0) return [];
  const excluded = excludedColumns(schema);
  const first = tables[0];
  const names = first.table.schema.fields.map((f) => f.name).filter((n) => !excluded.has(n));
  if (names.length === 0) throw new InputError({ file: first.label }, 'at least one column to evaluate', 'none (all columns are identifiers or the table is empty)');
  const kinds = new Map<string, 'numeric' | 'categorical'>();
  for (const name of names) {
    const sc = schema?.columns.find((c) => c.name === name);
    const t = first.table.schema.fields.find((f) => f.name === name)!.type;
    const categoricalBySchema = sc && ['categorical', 'ordinal', 'boolean'].includes(sc.kind);
    kinds.set(name, categoricalBySchema || !isNumericType(t) ? 'categorical' : 'numeric');
  }
  for (const { label, table } of tables.slice(1)) {
    for (const name of names) {
      const f = table.schema.fields.find((x) => x.name === name);
      if (!f) throw new InputError({ file: label, column: name }, `the column "${name}" present in the ${first.label} table`, 'no such column', `The ${label} table has columns ${table.schema.fields.map((x) => x.name).join(', ')}`);
      if (kinds.get(name) === 'numeric' && !isNumericType(f.type)) {
        throw new InputError({ file: label, column: name }, `a numeric column as in the ${first.label} table`, `a column of type ${f.type}`);
      }
    }
  }
  const out: EvalTable[] = tables.map(({ table }) => ({ nRows: table.numRows, columns: [] }));
  for (const name of names) {
    if (kinds.get(name) === 'numeric') {
      tables.forEach(({ table }, k) => {
        const values = numericValues(table, name);
        let integer = true;
        for (let i = 0; i < values.length && integer; i++) if (!Number.isNaN(values[i]) && !Number.isInteger(values[i])) integer = false;
        out[k].columns.push({ name, kind: 'numeric', values, integer });
      });
    } else {
      const labels = tables.map(({ table }) => labelValues(table, name));
      const sc = schema?.columns.find((c) => c.name === name);
      let categories: string[];
      if (sc?.categories && sc.categories.length > 0) {
        categories = [...sc.categories];
        const known = new Set(categories);
        // Values outside the schema's list still get a code: they are evidence, not noise.
        const extra = new Set<string>();
        for (const l of labels) for (const v of l) if (v !== null && !known.has(v)) extra.add(v);
        categories.push(...[...extra].sort());
      } else {
        const all = new Set<string>();
        for (const l of labels) for (const v of l) if (v !== null) all.add(v);
        categories = [...all].sort();
      }
      const index = new Map(categories.map((c, i) => [c, i]));
      labels.forEach((l, k) => {
        const codes = new Int32Array(l.length);
        for (let i = 0; i < l.length; i++) codes[i] = l[i] === null ? -1 : index.get(l[i]!)!;
        out[k].columns.push({ name, kind: 'categorical', codes, categories });
      });
    }
  }
  return out;
}

/** Rows `rows` of a table (used to subsample). */
export function selectRows(t: EvalTable, rows: ArrayLike<number>): EvalTable {
  const n = rows.length;
  return {
    nRows: n,
    columns: t.columns.map((c) => {
      if (c.kind === 'numeric') {
        const v = new Float64Array(n);
        for (let i = 0; i < n; i++) v[i] = c.values[rows[i]];
        return { ...c, values: v };
      }
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = c.codes[rows[i]];
      return { ...c, codes };
    }),
  };
}

/** Columns `names` of a table, in that order. */
export function selectColumns(t: EvalTable, names: string[]): EvalTable {
  return {
    nRows: t.nRows,
    columns: names.map((n) => {
      const c = t.columns.find((x) => x.name === n);
      if (!c) throw new InputError({ column: n }, 'a column of the evaluated tables', 'no such column', `Columns are ${t.columns.map((x) => x.name).join(', ')}`);
      return c;
    }),
  };
}
