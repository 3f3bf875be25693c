/**
 * Reading and writing the anonymiser's string tables by file extension. Delimited text is read
 * as exact text (hierarchies match values character for character, so "1.50" must stay
 * "1.50"); Arrow IPC and Parquet go through the data layer and their values are turned into
 * text.
 */
import { DataType, tableFromArrays } from 'apache-arrow';
import { formatFromPath, readTable, writeTable } from '../data';
import { readDelimitedTable, StringTable, writeDelimitedTable } from './string-table';

function isDelimited(file: string): boolean {
  return /\.(csv|tsv|txt)$/i.test(file);
}

/**
 * Reads CSV/TSV (exact text), Arrow IPC or Parquet into a {@link StringTable}.
 * @example const t = await readStringTable('adult.csv', { delimiter: ';' })
 */
export async function readStringTable(file: string, opts: { delimiter?: string } = {}): Promise<StringTable> {
  if (isDelimited(file)) return readDelimitedTable(file, opts);
  formatFromPath(file); // throws the data layer's message for unknown extensions
  const t = await readTable(file);
  const columns = t.schema.fields.map((f) => f.name);
  const values: Record<string, string[]> = {};
  for (const f of t.schema.fields) {
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
  return { columns, values, rowCount: t.numRows };
}

/**
 * Writes a {@link StringTable} as CSV/TSV, Arrow IPC or Parquet (by extension).
 * @example await writeStringTable('out.arrow', table)
 */
export async function writeStringTable(file: string, table: StringTable, opts: { delimiter?: string } = {}): Promise<void> {
  if (isDelimited(file)) return writeDelimitedTable(file, table, opts);
  const arrays: Record<string, string[]> = {};
  for (const c of table.columns) arrays[c] = table.values[c];
  await writeTable(file, tableFromArrays(arrays));
}
