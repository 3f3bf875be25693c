/**
 * Reading and writing the anonymiser's string tables by file extension. Delimited text is read
 * as exact text (hierarchies match values character for character, so "1.50" must stay
 * "1.50"); Arrow IPC and Parquet go through the data layer and their values are turned into
 * text, with each column's Arrow type kept beside the table ({@link TypedStringTable}).
 *
 * Written to Arrow or Parquet, an empty value is a null (the string table's missing value), and
 * a column keeps its input type when every value it still holds reads back as that type (a
 * released lab value stays a number; a generalised age "[20, 30[" or a suppressed "*" makes the
 * column text). Before, every column was written as text with "" for missing: `train` read the
 * release's "" as a category of a non-nullable column and stopped at the first missing value.
 */
import { DataType, DateDay, Table, Type, Utf8, Vector, vectorFromArray } from 'apache-arrow';
import { formatFromPath, readTable, writeTable } from '../data';
import { parseDateDays, parseDecimal, parseInteger } from '../data/value-parsing';
import { readDelimitedTable, StringTable, writeDelimitedTable } from './string-table';

/** A string table read from Arrow or Parquet: the Arrow type of each input column. */
export interface TypedStringTable extends StringTable {
  types?: Record<string, DataType>;
}

function isDelimited(file: string): boolean {
  return /\.(csv|tsv|txt)$/i.test(file);
}

/**
 * Reads CSV/TSV (exact text), Arrow IPC or Parquet into a {@link StringTable}.
 * @example const t = await readStringTable('adult.csv', { delimiter: ';' })
 */
export async function readStringTable(file: string, opts: { delimiter?: string } = {}): Promise<TypedStringTable> {
  if (isDelimited(file)) return readDelimitedTable(file, opts);
  formatFromPath(file); // throws the data layer's message for unknown extensions
  const t = await readTable(file);
  const columns = t.schema.fields.map((f) => f.name);
  const values: Record<string, string[]> = {};
  const types: Record<string, DataType> = {};
  for (const f of t.schema.fields) {
    types[f.name] = f.type;
    const c = f.name;
    const col = t.getChild(c)!;
    const isDate = DataType.isDate(f.type) || DataType.isTimestamp(f.type);
    const out = new Array<string>(t.numRows);
    for (let i = 0; i < t.numRows; i++) {
      const v = col.get(i);
      out[i] = v === null || v === undefined ? '' : isDate ? new Date(v instanceof Date ? v.getTime() : Number(v)).toISOString().slice(0, 10) : String(v);
    }
    values[c] = out;
  }
  return { columns, values, rowCount: t.numRows, types };
}

/**
 * Writes a {@link StringTable} as CSV/TSV, Arrow IPC or Parquet (by extension). For Arrow and
 * Parquet, `types` (the input's, from {@link readStringTable}) restores the columns whose values
 * all read back as their input type; the others are Utf8 (so schema inference reads numbers and
 * dates in them by the text rules, as for CSV), and "" is written as null.
 * @example await writeStringTable('out.arrow', released, { types: input.types })
 */
export async function writeStringTable(file: string, table: StringTable, opts: { delimiter?: string; types?: Record<string, DataType> } = {}): Promise<void> {
  if (isDelimited(file)) return writeDelimitedTable(file, table, opts);
  const columns: Record<string, Vector> = {};
  for (const c of table.columns) columns[c] = typedColumn(table.values[c], opts.types?.[c]) ?? vectorFromArray(table.values[c].map((v) => (v === '' ? null : v)), new Utf8());
  await writeTable(file, new Table(columns));
}

/**
 * The column as its input Arrow type when every non-empty value reads back as one (numbers,
 * booleans, dates), else undefined (the column is written as text).
 */
function typedColumn(values: readonly string[], type: DataType | undefined): Vector | undefined {
  if (!type) return undefined;
  const parsed: unknown[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === '') { parsed[i] = null; continue; }
    const x = parseAs(v, type);
    if (x === undefined) return undefined;
    parsed[i] = x;
  }
  // Timestamps were read as their date (YYYY-MM-DD): written back as dates.
  const target = DataType.isTimestamp(type) ? new DateDay() : type;
  return vectorFromArray(parsed, target as DataType);
}

/** A text value as a value of an Arrow type (the data layer's strict parsers), or undefined when it is not one. */
function parseAs(v: string, type: DataType): unknown {
  switch (type.typeId) {
    case Type.Int: {
      const x = parseInteger(v);
      if (x === null) return undefined;
      return (type as unknown as { bitWidth: number }).bitWidth === 64 ? x : Number(x);
    }
    case Type.Float: {
      const x = parseDecimal(v);
      return Number.isNaN(x) ? undefined : x;
    }
    case Type.Bool:
      return v === 'true' ? true : v === 'false' ? false : undefined;
    case Type.Date:
    case Type.Timestamp: {
      const days = parseDateDays(v);
      return Number.isNaN(days) ? undefined : new Date(days * 86_400_000);
    }
    default:
      return undefined;
  }
}
