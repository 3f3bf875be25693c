/**
 * Fixed combinations: a schema constraint that lists the combinations a set of columns may take
 * together, `(country, city) in ((FR, Paris), (FR, Lyon), (IT, Rome))` (SDV calls the data-derived
 * form FixedCombinations). The combinations are declared, not read from the data: a DP generator
 * may not learn which combinations exist outside its budget, and a declared list is public.
 *
 * The columns are categorical, ordinal, boolean or integer; a row with any of them missing is
 * not restricted (as a comparison with a missing value holds). A synthetic row whose present
 * combination is not listed is repaired to a listed one that changes the fewest of its columns;
 * among those, one is drawn with weight 1 + the number of rows of the batch that already have it,
 * so the repaired rows follow the model's own mixture of the allowed combinations (post-processing
 * of synthetic rows: no data, no budget).
 */
import { UsageError } from '../errors';
import { binOf, missingCode, type DiscreteColumnEncoder } from '../transform/discretiser';
import { booleanValue, type ConditionColumn, type ConditionColumns } from './conditions';
import { SamplingRandom } from './sampling-random';

/** A parsed fixed-combinations constraint. */
export interface CombinationsConstraint {
  type: 'combinations';
  text: string;
  columns: string[];
  /** The allowed combinations, each a value per column as written. */
  tuples: string[][];
}

const FORM = '"(a, b) in ((x1, y1), (x2, y2))"';

/**
 * Parses `(a, b, ...) in ((v, w, ...), ...)`, or returns null when `text` does not start with
 * "(" (another form). Values are words, numbers or quoted text ('New York'); throws a UsageError
 * naming the constraint when the form is broken or a combination has the wrong number of values.
 * @example parseCombinations('(genotype, alpha) in ((SS, 0), (SC, 1))')?.tuples // [['SS', '0'], ['SC', '1']]
 */
export function parseCombinations(text: string): CombinationsConstraint | null {
  if (!/^\s*\(/.test(text)) return null;
  const tokens: string[] = [];
  const re = /\s*(?:(\()|(\))|(,)|'((?:[^']|'')*)'|"((?:[^"]|"")*)"|([^\s(),'"]+))/y;
  let at = 0;
  const bad = (why: string): never => {
    throw new UsageError(`Expected a fixed-combinations constraint of the form ${FORM} but received ${JSON.stringify(text)}: ${why}`);
  };
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(at))) break;
      bad(`unexpected text at ${JSON.stringify(text.slice(at).trim().slice(0, 20))}`);
    }
    const match = m as RegExpExecArray;
    at = re.lastIndex;
    tokens.push(match[1] ?? match[2] ?? match[3] ?? (match[4] !== undefined ? `\u0001${match[4].replace(/''/g, "'")}` : match[5] !== undefined ? `\u0001${match[5].replace(/""/g, '"')}` : match[6]));
  }
  let k = 0;
  const peek = () => tokens[k];
  const take = (want?: string): string => {
    const t = tokens[k++];
    if (t === undefined) bad(`the text ends where ${want ? JSON.stringify(want) : 'a value'} was expected`);
    if (want !== undefined && t !== want) bad(`${JSON.stringify(want)} expected before ${JSON.stringify(t.replace('\u0001', ''))}`);
    return t;
  };
  /** A parenthesised list of values (quoted ones marked by \u0001). */
  const list = (): string[] => {
    take('(');
    const out: string[] = [];
    for (;;) {
      const t = take();
      if (t === '(' || t === ')' || t === ',') bad(`a value expected before ${JSON.stringify(t)}`);
      out.push(t);
      const next = take();
      if (next === ')') return out;
      if (next !== ',') bad(`"," or ")" expected before ${JSON.stringify(next)}`);
    }
  };
  const columns = list();
  for (const c of columns) if (c.startsWith('\u0001') || !/^[A-Za-z_]\w*$/.test(c)) bad(`${JSON.stringify(c.replace('\u0001', ''))} is not a column name`);
  if (columns.length < 2) bad('a combination needs at least two columns');
  if (String(take()).toLowerCase() !== 'in') bad('"in" expected after the columns');
  take('(');
  if (peek() === ')') bad('no combinations are listed');
  const tuples: string[][] = [];
  for (;;) {
    const values = list().map((v) => v.replace('\u0001', ''));
    if (values.length !== columns.length) bad(`combination ${tuples.length + 1} has ${values.length} value${values.length === 1 ? '' : 's'} for ${columns.length} columns`);
    tuples.push(values);
    const next = take();
    if (next === ')') break;
    if (next !== ',') bad(`"," or ")" expected before ${JSON.stringify(next)}`);
  }
  if (peek() !== undefined) bad(`unexpected ${JSON.stringify(peek().replace('\u0001', ''))} after the combinations`);
  return { type: 'combinations', text, columns, tuples };
}

/** A column of a combination: each row's value as an index into the column's listed values. */
interface CombinationColumn {
  /** Row i's value as an index into the listed values; -1 when missing, -2 when none lists it. */
  id(i: number): number;
  /** Writes listed value `id` into row i. */
  set(i: number, id: number): void;
}

/** A number's listed value: the number; a boolean's true/false words as 1/0. */
function listedNumber(value: string): number | null {
  const b = booleanValue(value);
  if (b !== null) return b;
  const v = Number(value);
  return value.trim() !== '' && Number.isFinite(v) ? v : null;
}

/**
 * A column of the combination over its row view (labels, category codes, or numbers; booleans as
 * 1/0), with the index of each written value among its distinct listed values (-1: the column
 * cannot hold it). Rows are compared by these small integers, not by text: the check runs on
 * every sampled row (a text key per row took the marginal model from 218k to 167k rows/s).
 */
function combinationColumn(name: string, c: ConditionColumn | undefined, numbers: Float64Array | Int32Array | undefined, written: readonly string[]): { column: CombinationColumn; ids: number[] } {
  if (!c) throw new UsageError(`Expected the column "${name}" of a fixed-combinations constraint among the generated columns but received none`);
  const valid = c.valid;
  const missing = (i: number) => valid !== undefined && !valid[i];
  // Distinct listed values by their key in this view's terms.
  const distinct = <K>(keyOf: (v: string) => K | null): { keys: K[]; ids: number[]; idOf: Map<K, number> } => {
    const idOf = new Map<K, number>(), keys: K[] = [];
    const ids = written.map((v) => {
      const k = keyOf(v);
      if (k === null) return -1;
      if (!idOf.has(k)) { idOf.set(k, keys.length); keys.push(k); }
      return idOf.get(k) as number;
    });
    return { keys, ids, idOf };
  };
  if (c.labels) {
    const labels = c.labels;
    const { keys, ids, idOf } = distinct((v) => v);
    return { ids, column: { id: (i) => (labels[i] === null ? -1 : idOf.get(labels[i] as string) ?? -2), set: (i, id) => { labels[i] = keys[id]; } } };
  }
  if (c.codes && c.categories) {
    const codes = c.codes as unknown as { [i: number]: number }, categories = c.categories;
    const { keys, ids } = distinct((v) => (categories.includes(v) ? categories.indexOf(v) : null));
    const idOfCode = new Int32Array(categories.length).fill(-2);
    keys.forEach((code, id) => { idOfCode[code] = id; });
    return { ids, column: { id: (i) => (missing(i) ? -1 : idOfCode[codes[i]] ?? -2), set: (i, id) => { codes[i] = keys[id]; } } };
  }
  const values = (c.numbers ?? c.values) as unknown as { [i: number]: number } | undefined;
  if (!values) throw new UsageError(`Expected the column "${name}" of a fixed-combinations constraint among the generated columns but received none`);
  const { keys, ids, idOf } = distinct(listedNumber);
  return {
    ids,
    column: {
      id: (i) => (missing(i) || Number.isNaN(values[i]) ? -1 : idOf.get(values[i]) ?? -2),
      set: (i, id) => {
        values[i] = keys[id];
        if (numbers && (numbers as unknown) !== values) numbers[i] = keys[id];
      },
    },
  };
}

/** The columns of a combination over row views, its listed combinations they can hold (as ids), and a row's ids. */
function combinationRows(c: CombinationsConstraint, cols: ConditionColumns, numbers?: ReadonlyMap<string, { values: Float64Array | Int32Array }>) {
  const built = c.columns.map((n, j) => combinationColumn(n, cols.get(n), numbers?.get(n)?.values, c.tuples.map((t) => t[j])));
  const parts = built.map((b) => b.column);
  const allowed = c.tuples.map((_, k) => built.map((b) => b.ids[k])).filter((ids) => ids.every((id) => id >= 0));
  // Mixed-radix index of a combination of ids.
  const radix = built.map((b) => Math.max(1, ...b.ids) + 1);
  const indexOf = (ids: ArrayLike<number>): number => {
    let x = 0;
    for (let j = 0; j < ids.length; j++) x = x * radix[j] + ids[j];
    return x;
  };
  const listed = new Map<number, number>();
  allowed.forEach((ids, k) => { if (!listed.has(indexOf(ids))) listed.set(indexOf(ids), k); });
  const row = new Int32Array(parts.length);
  /** Row i's ids into `row`; 'missing' (a column missing), 'unlisted', or the listed combination's index. */
  const read = (i: number): number | 'missing' | 'unlisted' => {
    let unlisted = false;
    for (let j = 0; j < parts.length; j++) {
      const id = parts[j].id(i);
      if (id === -1) return 'missing';
      if (id === -2) unlisted = true;
      row[j] = id;
    }
    return unlisted ? 'unlisted' : listed.get(indexOf(row)) ?? 'unlisted';
  };
  return { parts, allowed, read, row };
}

/**
 * The repair of a fixed-combinations constraint over a batch of `rows` rows (see the header):
 * a function that repairs row i in place and says whether it changed it. Throws a UsageError
 * when none of the listed combinations can be generated (a value outside a column's categories).
 * @example const fix = combinationsRepair(c, cols, numbers, rows); fix(0)
 */
export function combinationsRepair(c: CombinationsConstraint, cols: ConditionColumns, numbers: ReadonlyMap<string, { values: Float64Array | Int32Array }>, rows: number): (i: number) => boolean {
  const { parts, allowed, read, row } = combinationRows(c, cols, numbers);
  if (allowed.length === 0) throw new UsageError(`Expected at least one combination of constraint ${JSON.stringify(c.text)} that the model's columns can take but received none (a value outside a column's categories or type)`);
  // The batch's own mixture of the allowed combinations (before any repair).
  const weight = new Float64Array(allowed.length).fill(1);
  for (let i = 0; i < rows; i++) {
    const k = read(i);
    if (typeof k === 'number') weight[k]++;
  }
  const rng = new SamplingRandom(0x0c0b1a7e, 0x3ffd0000);
  const nearest: number[] = [];
  return (i) => {
    if (read(i) !== 'unlisted') return false;
    let fewest = Infinity, total = 0;
    nearest.length = 0;
    for (let k = 0; k < allowed.length; k++) {
      let changes = 0;
      for (let j = 0; j < row.length; j++) if (allowed[k][j] !== row[j]) changes++;
      if (changes < fewest) { fewest = changes; nearest.length = 0; total = 0; }
      if (changes === fewest) { nearest.push(k); total += weight[k]; }
    }
    let u = rng.next() * total, pick = nearest[nearest.length - 1];
    for (const k of nearest) { u -= weight[k]; if (u < 0) { pick = k; break; } }
    allowed[pick].forEach((id, j) => { if (id !== row[j]) parts[j].set(i, id); });
    return true;
  };
}

/**
 * Whether row i breaks the constraint: all its columns present and their combination not listed.
 * @example combinationChecker(c, cols)(3)
 */
export function combinationChecker(c: CombinationsConstraint, cols: ConditionColumns): (i: number) => boolean {
  const { read } = combinationRows(c, cols);
  return (i) => read(i) === 'unlisted';
}

/** The code of a listed value in a column's encoder, or -1 when the encoder cannot hold it. */
function valueCode(e: DiscreteColumnEncoder, value: string): number {
  if (e.levels === 'categories') {
    const cats = e.categories as string[];
    const b = e.output === 'bool' ? booleanValue(value) : null;
    const label = b === null ? value : b === 1 ? 'true' : 'false';
    return cats.indexOf(label);
  }
  const v = Number(value);
  const edges = e.edges as number[];
  if (value.trim() === '' || !Number.isFinite(v) || (e.min !== undefined && v < e.min) || (e.max !== undefined && v > e.max)) return -1;
  return binOf(edges, v);
}

/**
 * A `--where` condition's code weights (`evidence`, column index → weight per code) with what a
 * fixed-combinations constraint implies, as a new map: where the condition restricts some of its
 * columns, each of its columns may only take the values of the listed combinations that the
 * condition allows (`country = IT` leaves Rome and Bari for `city`). A column is left free where
 * another column of the combination may be missing (such rows are not restricted). Conditioning
 * the model this way keeps the repair from breaking the condition. Throws a UsageError when no
 * listed combination meets the condition.
 * @example combinationEvidence(c, resolved.evidence, encoders)
 */
export function combinationEvidence(c: CombinationsConstraint, evidence: ReadonlyMap<number, Float64Array>, encoders: readonly DiscreteColumnEncoder[], conditionText: string): Map<number, Float64Array> {
  const out = new Map(evidence);
  const js = c.columns.map((n) => encoders.findIndex((e) => e.column === n));
  if (js.some((j) => j < 0) || !js.some((j) => evidence.has(j))) return out;
  const tuples = c.tuples.map((t) => t.map((v, x) => valueCode(encoders[js[x]], v)));
  const consistent = tuples.filter((codes) => codes.every((k, x) => k >= 0 && (evidence.get(js[x])?.[k] ?? 1) > 0));
  /** Whether column x of the combination may be missing under the condition. */
  const mayBeMissing = (x: number): boolean => {
    const miss = missingCode(encoders[js[x]]);
    return miss >= 0 && (evidence.get(js[x])?.[miss] ?? 1) > 0;
  };
  if (consistent.length === 0 && !js.some((_, x) => mayBeMissing(x))) {
    throw new UsageError(`Condition ${JSON.stringify(conditionText)} and the schema constraint ${JSON.stringify(c.text)} cannot hold together: no listed combination meets the condition`);
  }
  js.forEach((j, x) => {
    if (js.some((_, y) => y !== x && mayBeMissing(y))) return;
    const e = encoders[j];
    const w = Float64Array.from(evidence.get(j) ?? new Float64Array(e.size).fill(1));
    const allowed = new Set(consistent.map((codes) => codes[x]));
    const miss = missingCode(e);
    for (let k = 0; k < e.size; k++) if (k !== miss && !allowed.has(k)) w[k] = 0;
    out.set(j, w);
  });
  return out;
}
