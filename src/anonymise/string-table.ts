/**
 * The anonymiser works on tables of strings: hierarchies map text to text, and every value
 * written out is text. Reading goes through csv-parse (CSV, any delimiter); the data layer's
 * Arrow tables can be converted with {@link fromColumns}.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { InputError } from '../errors';
import { sniffDelimiter } from '../data/file-format';

/** A table of string columns, in column order. */
export interface StringTable {
  columns: string[];
  values: Record<string, string[]>;
  rowCount: number;
}

/**
 * Builds a table from named columns of equal length (numbers and nulls become text; null is "").
 * @example fromColumns({ age: [34, 51], sex: ['F', 'M'] })
 */
export function fromColumns(cols: Record<string, ArrayLike<unknown>>): StringTable {
  const columns = Object.keys(cols);
  const rowCount = columns.length ? cols[columns[0]].length : 0;
  const values: Record<string, string[]> = {};
  for (const c of columns) {
    const src = cols[c];
    if (src.length !== rowCount) throw new InputError({ column: c }, `${rowCount} values like every other column`, `${src.length} values`);
    const out = new Array<string>(rowCount);
    for (let i = 0; i < rowCount; i++) out[i] = src[i] === null || src[i] === undefined ? '' : String(src[i]);
    values[c] = out;
  }
  return { columns, values, rowCount };
}

/**
 * Reads a delimited text file with a header row into a {@link StringTable}.
 * @example const t = readDelimitedTable('adult.csv', { delimiter: ';' })
 */
export function readDelimitedTable(file: string, opts: { delimiter?: string } = {}): StringTable {
  if (!fs.existsSync(file)) throw new InputError({ file }, 'an existing data file', 'a path that does not exist');
  const text = fs.readFileSync(file, 'utf8');
  const firstLine = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
  const delimiter = opts.delimiter ?? sniffDelimiter(firstLine);
  let records: string[][];
  try {
    records = parse(text, { delimiter, relax_quotes: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (e) {
    throw new InputError({ file }, 'well-formed delimited text', `a parse error (${(e as Error).message})`);
  }
  if (records.length === 0) throw new InputError({ file }, 'a header row', 'an empty file');
  const columns = records[0].map((c) => c.trim());
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new InputError({ file, row: 0, column: c }, 'unique column names', 'a duplicate');
    seen.add(c);
  }
  const values: Record<string, string[]> = {};
  for (const c of columns) values[c] = new Array<string>(records.length - 1);
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    if (rec.length !== columns.length) throw new InputError({ file, row: r }, `${columns.length} fields`, `${rec.length} fields`);
    for (let j = 0; j < columns.length; j++) values[columns[j]][r - 1] = rec[j];
  }
  return { columns, values, rowCount: records.length - 1 };
}

function quoteField(v: string, delimiter: string): string {
  return v.includes(delimiter) || v.includes('"') || v.includes('\n') || v.includes('\r') ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Writes a {@link StringTable} as delimited text (',' unless the file name ends in .tsv).
 * @example writeDelimitedTable('out.csv', table)
 */
export function writeDelimitedTable(file: string, table: StringTable, opts: { delimiter?: string } = {}): void {
  const delimiter = opts.delimiter ?? (file.endsWith('.tsv') ? '\t' : ',');
  const lines: string[] = [table.columns.map((c) => quoteField(c, delimiter)).join(delimiter)];
  const cols = table.columns.map((c) => table.values[c]);
  for (let r = 0; r < table.rowCount; r++) lines.push(cols.map((col) => quoteField(col[r], delimiter)).join(delimiter));
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, lines.join('\n') + '\n');
}
