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
import type { ConditionColumn, ConditionColumns } from './conditions';
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

const TRUE_WORDS = new Set(['true', 'yes', 't']);
const FALSE_WORDS = new Set(['false', 'no', 'f']);

/** A column as the combination reads and writes it: a key per row (null: missing) and a setter. */
interface CombinationColumn {
  key(i: number): string | null;
  /** The key of a written value in this column's terms, or null when the column cannot hold it. */
  normalise(value: string): string | null;
  set(i: number, key: string): void;
}

/** Keys of numbers: the number's text; a boolean's true/false words read as 1/0. */
function numericKey(value: string): string | null {
  const w = value.toLowerCase();
  if (TRUE_WORDS.has(w)) return '1';
  if (FALSE_WORDS.has(w)) return '0';
  const v = Number(value);
  return value.trim() !== '' && Number.isFinite(v) ? String(v) : null;
}

function combinationColumn(name: string, c: ConditionColumn, numbers: Float64Array | Int32Array | undefined): CombinationColumn {
  const missing = (i: number) => Boolean(c.valid && !c.valid[i]);
  if (c.labels) {
    const labels = c.labels;
    return { key: (i) => labels[i], normalise: (v) => v, set: (i, k) => { labels[i] = k; } };
  }
  if (c.codes && c.categories) {
    const codes = c.codes as unknown as { [i: number]: number }, categories = c.categories;
    return {
      key: (i) => (missing(i) ? null : categories[codes[i]] ?? null),
      normalise: (v) => (categories.includes(v) ? v : null),
      set: (i, k) => { codes[i] = categories.indexOf(k); },
    };
  }
  const values = (c.numbers ?? c.values) as unknown as { [i: number]: number } | undefined;
  if (!values) throw new UsageError(`Expected the column "${name}" of a fixed-combinations constraint among the generated columns but received none`);
  return {
    key: (i) => (missing(i) || Number.isNaN(values[i]) ? null : String(values[i])),
    normalise: numericKey,
    set: (i, k) => {
      values[i] = Number(k);
      if (numbers && (numbers as unknown) !== values) numbers[i] = Number(k);
    },
  };
}

/**
 * The repair of a fixed-combinations constraint over a batch of `rows` rows (see the header):
 * a function that repairs row i in place and says whether it changed it. Throws a UsageError
 * when none of the listed combinations can be generated (a value outside a column's categories).
 * @example const fix = combinationsRepair(c, cols, numbers, rows); fix(0)
 */
export function combinationsRepair(c: CombinationsConstraint, cols: ConditionColumns, numbers: ReadonlyMap<string, { values: Float64Array | Int32Array }>, rows: number): (i: number) => boolean {
  const parts = c.columns.map((n) => {
    const view = cols.get(n);
    if (!view) throw new UsageError(`Expected the column "${n}" of constraint ${JSON.stringify(c.text)} among the generated columns but received none`);
    return combinationColumn(n, view, numbers.get(n)?.values);
  });
  // The listed combinations the columns can hold, as keys.
  const allowed: string[][] = [];
  for (const t of c.tuples) {
    const keys = t.map((v, j) => parts[j].normalise(v));
    if (keys.every((k) => k !== null)) allowed.push(keys as string[]);
  }
  if (allowed.length === 0) throw new UsageError(`Expected at least one combination of constraint ${JSON.stringify(c.text)} that the model's columns can take but received none (a value outside a column's categories or type)`);
  const index = new Map(allowed.map((t, k) => [t.join('\u0000'), k]));
  const rowKeys = (i: number): (string | null)[] => parts.map((p) => p.key(i));
  // The batch's own mixture of the allowed combinations (before any repair).
  const weight = new Float64Array(allowed.length).fill(1);
  for (let i = 0; i < rows; i++) {
    const k = index.get(rowKeys(i).join('\u0000'));
    if (k !== undefined) weight[k]++;
  }
  const rng = new SamplingRandom(0x0c0b1a7e, 0x3ffd0000);
  const nearest: number[] = [];
  return (i) => {
    const r = rowKeys(i);
    if (r.some((k) => k === null) || index.has(r.join('\u0000'))) return false;
    let fewest = Infinity, total = 0;
    nearest.length = 0;
    for (let k = 0; k < allowed.length; k++) {
      let changes = 0;
      for (let j = 0; j < r.length; j++) if (allowed[k][j] !== r[j]) changes++;
      if (changes < fewest) { fewest = changes; nearest.length = 0; total = 0; }
      if (changes === fewest) { nearest.push(k); total += weight[k]; }
    }
    let u = rng.next() * total, pick = nearest[nearest.length - 1];
    for (const k of nearest) { u -= weight[k]; if (u < 0) { pick = k; break; } }
    allowed[pick].forEach((key, j) => { if (key !== r[j]) parts[j].set(i, key); });
    return true;
  };
}

/**
 * Whether row i breaks the constraint: all its columns present and their combination not listed.
 * @example combinationBroken(c, cols, 3)
 */
export function combinationChecker(c: CombinationsConstraint, cols: ConditionColumns): (i: number) => boolean {
  const parts = c.columns.map((n) => combinationColumn(n, cols.get(n) as ConditionColumn, undefined));
  const listed = new Set(c.tuples.map((t) => t.map((v, j) => parts[j].normalise(v) ?? '\u0002').join('\u0000')));
  return (i) => {
    const r = parts.map((p) => p.key(i));
    return r.every((k) => k !== null) && !listed.has(r.join('\u0000'));
  };
}

/** The code of a listed value in a column's encoder, or -1 when the encoder cannot hold it. */
function valueCode(e: DiscreteColumnEncoder, value: string): number {
  if (e.levels === 'categories') {
    const cats = e.categories as string[];
    const label = e.output === 'bool' ? (TRUE_WORDS.has(value.toLowerCase()) ? 'true' : FALSE_WORDS.has(value.toLowerCase()) ? 'false' : value) : value;
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
