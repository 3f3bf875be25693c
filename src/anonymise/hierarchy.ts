/**
 * Generalisation hierarchies: for each original value, its label at level 0 (itself), 1, 2, …
 * The file format is ARX's: one row per value, `value;level1;level2;…` (every row the same
 * number of levels; the last level is usually "*").
 */
import * as fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { InputError } from '../errors';

/** A value-to-labels table: `labels[i][l]` is value i's label at level l (level 0 is the value). */
export interface Hierarchy {
  /** Rows: each starts with the original value. */
  labels: string[][];
  /** Number of levels including level 0. */
  height: number;
  /** Where it came from, for error messages. */
  source: string;
}

/**
 * Validates rows (equal length, unique first column) and makes a {@link Hierarchy}.
 * @example makeHierarchy([['F', '*'], ['M', '*']], 'sex')
 */
export function makeHierarchy(rows: string[][], source: string): Hierarchy {
  if (rows.length === 0) throw new InputError({ file: source }, 'at least one hierarchy row', 'none');
  const height = rows[0].length;
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (r.length !== height) throw new InputError({ file: source, row: i + 1 }, `${height} levels like the first row`, `${r.length}`);
    if (seen.has(r[0])) throw new InputError({ file: source, row: i + 1 }, 'each value once', `${JSON.stringify(r[0])} again`);
    seen.add(r[0]);
  });
  return { labels: rows, height, source };
}

/**
 * Reads an ARX hierarchy CSV (';' separated unless another delimiter is given).
 * @example const h = readArxHierarchy('adult_hierarchy_age.csv')
 */
export function readArxHierarchy(file: string, delimiter = ';'): Hierarchy {
  if (!fs.existsSync(file)) throw new InputError({ file }, 'an existing hierarchy file', 'a path that does not exist');
  let rows: string[][];
  try {
    rows = parse(fs.readFileSync(file, 'utf8'), { delimiter, skip_empty_lines: true, relax_quotes: true, bom: true, relax_column_count: true }) as string[][];
  } catch (e) {
    throw new InputError({ file }, 'a hierarchy in ARX CSV format (value;level1;…)', `a parse error (${(e as Error).message})`);
  }
  return makeHierarchy(rows, file);
}

/**
 * Formats a hierarchy in ARX CSV format.
 * @example fs.writeFileSync('h.csv', hierarchyToCsv(h))
 */
export function hierarchyToCsv(h: Hierarchy, delimiter = ';'): string {
  return h.labels.map((r) => r.join(delimiter)).join('\n') + '\n';
}

/** Integer form of a hierarchy restricted to the values of one column. */
export interface EncodedHierarchy {
  /** Level-0 code of each row of the column. */
  rowCodes: Int32Array;
  /** Distinct values in code order. */
  values: string[];
  /** gen[level * card + code] = code of the label at that level. */
  gen: Int32Array;
  card: number;
  height: number;
  /** labelsByLevel[l][code] = label text. */
  labelsByLevel: string[][];
}

/**
 * Codes a column against its hierarchy; a value the hierarchy lacks is an error naming the
 * value and the column. Codes follow the hierarchy's row order (so ordered attributes keep
 * their order).
 * @example encodeWithHierarchy(table.values.age, h, 'age')
 */
export function encodeWithHierarchy(column: string[], h: Hierarchy, name: string, file?: string): EncodedHierarchy {
  const index = new Map<string, number>();
  h.labels.forEach((r, i) => index.set(r[0], i));
  const rowToHier = new Int32Array(column.length);
  const used = new Uint8Array(h.labels.length);
  for (let i = 0; i < column.length; i++) {
    const k = index.get(column[i]);
    if (k === undefined) {
      throw new InputError({ file, row: i + 1, column: name }, `a value covered by the hierarchy ${JSON.stringify(h.source)}`,
        `${JSON.stringify(column[i])}, which the hierarchy does not list`, 'Add the value to the hierarchy or rebuild it with "hemasynth hierarchy build"');
    }
    rowToHier[i] = k;
    used[k] = 1;
  }
  // Keep only values present in the data, in hierarchy order.
  const hierToCode = new Int32Array(h.labels.length).fill(-1);
  const values: string[] = [];
  for (let k = 0; k < h.labels.length; k++) if (used[k]) { hierToCode[k] = values.length; values.push(h.labels[k][0]); }
  const card = values.length;
  const rowCodes = new Int32Array(column.length);
  for (let i = 0; i < column.length; i++) rowCodes[i] = hierToCode[rowToHier[i]];
  const gen = new Int32Array(card * h.height);
  const labelsByLevel: string[][] = [];
  for (let l = 0; l < h.height; l++) {
    const labelCode = new Map<string, number>();
    const labels: string[] = [];
    for (let k = 0; k < h.labels.length; k++) {
      if (!used[k]) continue;
      const lab = h.labels[k][l];
      let c = labelCode.get(lab);
      if (c === undefined) { c = labels.length; labelCode.set(lab, c); labels.push(lab); }
      gen[l * card + hierToCode[k]] = c;
    }
    labelsByLevel.push(labels);
  }
  // Every label must generalise to one label at the next level (a tree), or generalising
  // classes of a lower level would not give the classes of a higher one.
  for (let l = 0; l + 1 < h.height; l++) {
    const parent = new Map<number, number>();
    for (let v = 0; v < card; v++) {
      const a = gen[l * card + v], b = gen[(l + 1) * card + v];
      const seen = parent.get(a);
      if (seen === undefined) parent.set(a, b);
      else if (seen !== b) {
        throw new InputError({ file: h.source, column: name }, `one level-${l + 1} label for the level-${l} label ${JSON.stringify(labelsByLevel[l][a])}`,
          `${JSON.stringify(labelsByLevel[l + 1][seen])} and ${JSON.stringify(labelsByLevel[l + 1][b])} (value ${JSON.stringify(values[v])})`);
      }
    }
  }
  return { rowCodes, values, gen, card, height: h.height, labelsByLevel };
}
