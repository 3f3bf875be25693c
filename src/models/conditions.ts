/**
 * Conditions on column values: the `--where` of `hemasynth sample` (e.g.
 * `genotype=SC and age_years<18`) and the conditions inside schema constraints (e.g.
 * `age_years < 2 or age_years >= 17`). One small recursive-descent parser for both.
 *
 * Grammar: expr := and ('or' and)* ; and := unary ('and' unary)* ;
 * unary := 'not' unary | '(' expr ')' | column op value | column 'is' ['not'] 'null'
 *        | column 'in' '(' value (',' value)* ')' | column (a boolean column is true);
 * column := bare word | 'quoted' | "quoted" (a name with spaces, or one that looks like a number);
 * op := = == != <> < <= > >= ; value := number | 'quoted' | "quoted" | bare word | column.
 */
import { UsageError } from '../errors';
import { DiscreteColumnEncoder, missingCode } from '../transform/discretiser';
import { binDecodeCdf, type ValueRestriction } from '../transform/decode';

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A parsed condition. */
export type ConditionExpression =
  | { type: 'and' | 'or'; items: ConditionExpression[] }
  | { type: 'not'; item: ConditionExpression }
  | { type: 'compare'; column: string; op: ComparisonOperator; value: string | number; quoted: boolean }
  | { type: 'null'; column: string; negated: boolean }
  | { type: 'in'; column: string; values: string[] }
  | { type: 'truthy'; column: string };

interface Token { text: string; kind: 'word' | 'number' | 'string' | 'op' | 'paren' | 'comma' }

function tokenize(text: string, where: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === '(' || ch === ')') { out.push({ text: ch, kind: 'paren' }); i++; continue; }
    if (ch === ',') { out.push({ text: ch, kind: 'comma' }); i++; continue; }
    const op = /^(<=|>=|!=|<>|==|=|<|>)/.exec(text.slice(i));
    if (op) { out.push({ text: op[1] === '<>' ? '!=' : op[1] === '==' ? '=' : op[1], kind: 'op' }); i += op[1].length; continue; }
    if (ch === '"' || ch === "'") {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) throw new UsageError(`Expected a closing ${ch} in ${where} but received ${JSON.stringify(text.slice(i))}`);
      out.push({ text: text.slice(i + 1, end), kind: 'string' });
      i = end + 1;
      continue;
    }
    const num = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(?![\w.])/.exec(text.slice(i));
    if (num) { out.push({ text: num[0], kind: 'number' }); i += num[0].length; continue; }
    const word = /^[A-Za-z_][\w.+\-]*/.exec(text.slice(i));
    if (word) { out.push({ text: word[0], kind: 'word' }); i += word[0].length; continue; }
    throw new UsageError(`Expected a column name, operator or value in ${where} but received ${JSON.stringify(text.slice(i, i + 12))} at character ${i + 1}`);
  }
  return out;
}

/**
 * Parses a condition expression.
 * @example parseCondition('genotype=SC and age_years<18')
 */
export function parseCondition(text: string, where = 'the condition'): ConditionExpression {
  if (typeof text !== 'string' || text.trim() === '') throw new UsageError(`Expected a condition such as "genotype=SC and age_years<18" for ${where} but received ${JSON.stringify(text)}`);
  const toks = tokenize(text, where);
  let p = 0;
  const peek = () => toks[p];
  const isWord = (w: string) => peek()?.kind === 'word' && peek().text.toLowerCase() === w;
  const fail = (expected: string): never => {
    throw new UsageError(`Expected ${expected} in ${where} ${JSON.stringify(text)} but received ${peek() ? JSON.stringify(peek().text) : 'the end of the condition'}`);
  };
  const value = (): { v: string | number; quoted: boolean } => {
    const t = peek();
    if (!t || (t.kind !== 'word' && t.kind !== 'number' && t.kind !== 'string')) return fail('a value');
    p++;
    return { v: t.kind === 'number' ? Number(t.text) : t.text, quoted: t.kind === 'string' };
  };
  const unary = (): ConditionExpression => {
    if (isWord('not')) { p++; return { type: 'not', item: unary() }; }
    if (peek()?.text === '(' ) { p++; const e = orExpr(); if (peek()?.text !== ')') fail('")"'); p++; return e; }
    const t = peek();
    // A quoted column name: "age years", "123" (names the bare-word form cannot spell).
    if (!t || (t.kind !== 'word' && t.kind !== 'string')) return fail('a column name');
    p++;
    const column = t.text;
    if (isWord('is')) {
      p++;
      let negated = false;
      if (isWord('not')) { p++; negated = true; }
      if (!isWord('null')) fail('"null"');
      p++;
      return { type: 'null', column, negated };
    }
    if (isWord('in')) {
      p++;
      if (peek()?.text !== '(') fail('"(" after "in"');
      p++;
      const values: string[] = [];
      for (;;) {
        values.push(String(value().v));
        if (peek()?.kind === 'comma') { p++; continue; }
        if (peek()?.text === ')') { p++; break; }
        fail('"," or ")"');
      }
      return { type: 'in', column, values };
    }
    if (peek()?.kind === 'op') {
      const op = peek().text as ComparisonOperator;
      p++;
      const { v, quoted } = value();
      return { type: 'compare', column, op, value: v, quoted };
    }
    return { type: 'truthy', column };
  };
  const andExpr = (): ConditionExpression => {
    const items = [unary()];
    while (isWord('and')) { p++; items.push(unary()); }
    return items.length === 1 ? items[0] : { type: 'and', items };
  };
  const orExpr = (): ConditionExpression => {
    const items = [andExpr()];
    while (isWord('or')) { p++; items.push(andExpr()); }
    return items.length === 1 ? items[0] : { type: 'or', items };
  };
  const e = orExpr();
  if (p < toks.length) fail('"and", "or" or the end of the condition');
  return e;
}

/** Columns a condition mentions. */
export function conditionColumns(e: ConditionExpression): string[] {
  switch (e.type) {
    case 'and': case 'or': return [...new Set(e.items.flatMap(conditionColumns))];
    case 'not': return conditionColumns(e.item);
    default: return [e.column];
  }
}

/**
 * Row values a condition is evaluated on, per column one of: `numbers` (NaN missing), `labels`
 * (null missing), or a live view of decoded arrays, `values` + `valid` (numbers) or `codes` +
 * `valid` + `categories` (labels): live views read the arrays a repair changes, so nothing is
 * copied or kept in step (condition-after-repair.ts conditionView).
 */
export type ConditionColumns = Map<string, ConditionColumn>;
/** One column of {@link ConditionColumns}. */
export interface ConditionColumn {
  numbers?: Float64Array;
  labels?: (string | null)[];
  values?: ArrayLike<number>;
  codes?: ArrayLike<number>;
  valid?: Uint8Array;
  categories?: readonly string[];
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 't']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'f']);

function compare(op: ComparisonOperator, a: number | string, b: number | string): boolean {
  switch (op) {
    case '=': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
  }
}

type Leaf = Exclude<ConditionExpression, { type: 'and' | 'or' | 'not' }>;

/** Whether a column reads as numbers (numeric and boolean columns) rather than labels. */
function isNumeric(c: ConditionColumn): boolean {
  return c.numbers !== undefined || c.values !== undefined;
}

/** Row `row` of a column: its number (NaN missing; NaN for label columns) and label (null missing). */
function cell(c: ConditionColumn, row: number): { num: number; label: string | null } {
  if (c.numbers) { const num = c.numbers[row]; return { num, label: Number.isNaN(num) ? null : String(num) }; }
  if (c.values) { const num = c.valid && !c.valid[row] ? NaN : c.values[row]; return { num, label: Number.isNaN(num) ? null : String(num) }; }
  if (c.codes) return { num: NaN, label: c.valid && !c.valid[row] ? null : (c.categories as readonly string[])[c.codes[row]] ?? null };
  return { num: NaN, label: c.labels ? c.labels[row] : null };
}

/** A leaf predicate on one value (SQL semantics: a comparison with a missing value is false). */
function leafHolds(e: Leaf, numeric: boolean, num: number, label: string | null): boolean {
  const missing = numeric ? Number.isNaN(num) : label === null;
  switch (e.type) {
    case 'null': return missing !== e.negated;
    case 'truthy': return !missing && (numeric ? num === 1 : TRUE_WORDS.has(String(label).toLowerCase()));
    case 'in': return !missing && (numeric ? e.values.some((v) => Number(v) === num) : e.values.includes(label as string));
    case 'compare': {
      if (missing) return false;
      if (numeric && typeof e.value === 'number') return compare(e.op, num, e.value);
      if (numeric && typeof e.value === 'string') {
        const w = e.value.toLowerCase();
        if (TRUE_WORDS.has(w) || FALSE_WORDS.has(w)) return compare(e.op, num, TRUE_WORDS.has(w) ? 1 : 0);
        return false;
      }
      return compare(e.op, label as string, String(e.value));
    }
  }
}

function columnOf(e: Leaf, cols: ConditionColumns): ConditionColumn {
  const c = cols.get(e.column);
  if (!c) throw new UsageError(`Expected a known column in the condition but received "${e.column}"`);
  return c;
}

/**
 * Evaluates a condition on one row (SQL semantics: a comparison with a missing value is false).
 * For many rows, {@link compileCondition} gives the same answers without re-reading the tree.
 * @example evaluateCondition(parseCondition('age_years < 2'), columns, 0)
 */
export function evaluateCondition(e: ConditionExpression, cols: ConditionColumns, row: number): boolean {
  switch (e.type) {
    case 'and': return e.items.every((x) => evaluateCondition(x, cols, row));
    case 'or': return e.items.some((x) => evaluateCondition(x, cols, row));
    case 'not': return !evaluateCondition(e.item, cols, row);
    default: break;
  }
  const c = columnOf(e, cols);
  const { num, label } = cell(c, row);
  return leafHolds(e, isNumeric(c), num, label);
}

/**
 * The condition as a function of the row, equal to {@link evaluateCondition}: columns are looked
 * up once, a label column's answer is tabled per category, a number column's comparison reads the
 * array directly. Why: the constraint repair evaluates each "null when" condition on every
 * sampled row; the interpreted tree (a Map lookup and a number-to-string per row) took a quarter
 * of sampling 200,000 rows.
 * @example const holds = compileCondition(parseCondition('age_years < 2'), columns); holds(0)
 */
export function compileCondition(e: ConditionExpression, cols: ConditionColumns): (row: number) => boolean {
  switch (e.type) {
    case 'and': {
      const fs = e.items.map((x) => compileCondition(x, cols));
      return (row) => { for (const f of fs) if (!f(row)) return false; return true; };
    }
    case 'or': {
      const fs = e.items.map((x) => compileCondition(x, cols));
      return (row) => { for (const f of fs) if (f(row)) return true; return false; };
    }
    case 'not': { const f = compileCondition(e.item, cols); return (row) => !f(row); }
    default: break;
  }
  const c = columnOf(e, cols);
  if (c.codes && c.categories) {
    // The answer depends on the label alone: one per category, one for missing.
    const { codes, valid, categories } = c;
    const byCode = Uint8Array.from(categories, (label) => (leafHolds(e, false, NaN, label) ? 1 : 0));
    const ifMissing = leafHolds(e, false, NaN, null);
    return (row) => { if (valid && !valid[row]) return ifMissing; const k = codes[row]; return k >= 0 && k < byCode.length ? byCode[k] === 1 : ifMissing; };
  }
  const ifMissing = leafHolds(e, isNumeric(c), NaN, null);
  if (e.type === 'compare' && typeof e.value === 'number' && isNumeric(c)) {
    const { op, value } = e;
    const { numbers, values, valid } = c;
    return (row) => {
      const x = numbers ? numbers[row] : valid && !valid[row] ? NaN : (values as ArrayLike<number>)[row];
      return Number.isNaN(x) ? ifMissing : compare(op, x, value);
    };
  }
  const numeric = isNumeric(c);
  return (row) => { const { num, label } = cell(c, row); return leafHolds(e, numeric, num, label); };
}

/** A `--where` condition resolved against the model's encoders: per-code weights and value restrictions. */
export interface ResolvedCondition {
  text: string;
  /** The condition's predicates (joined by "and"), as parsed. */
  predicates: ConditionExpression[];
  /** Column index → weight of each code in [0, 1] (fraction of the code's interval allowed). */
  evidence: Map<number, Float64Array>;
  /** Column index → interval the decoded value must fall in. */
  restrictions: Map<number, ValueRestriction>;
  /**
   * Numeric comparisons only: column index → per code k the part of its decoded mass the
   * condition allows, as the interval [ranges[2k], ranges[2k + 1]] of the code's CDF
   * (binDecodeCdf; the weight is its length). The copula conditions its latent inside that part
   * of the code's cell, so that other columns follow the allowed values, not the whole bin.
   */
  cellRanges: Map<number, Float64Array>;
}

/**
 * A boolean word or number as 1 or 0 (true/yes/t/1, false/no/f/0), or null.
 * @example booleanValue('Yes') // 1
 */
export function booleanValue(v: string | number): number | null {
  const w = String(v).toLowerCase();
  if (TRUE_WORDS.has(w)) return 1;
  if (FALSE_WORDS.has(w)) return 0;
  return null;
}

/**
 * `in (...)` (`only`) or `!=` on a numeric column, as code weights: a set of values is not one
 * interval, so it is conditioned through the codes alone, which needs each value to be a code of
 * its own (an integer column's one-value bins: counts, small ranges). A value sharing its bin
 * with others is refused with the range to use instead, and so is a continuous column (a value
 * there has probability 0, and "!=" would hold almost everywhere). Missing values never match
 * (SQL), so the missing code gets weight 0.
 */
function integerValueWeights(enc: DiscreteColumnEncoder, column: string, values: ReadonlyArray<string | number>, only: boolean, weights: Float64Array): void {
  const what = only ? '"in (...)"' : '"!="';
  if (!enc.integer) {
    const numbers = values.map(Number).filter((v) => Number.isFinite(v));
    const instead = only && numbers.length > 0 ? `; use a range such as ${column} >= ${Math.min(...numbers)} and ${column} <= ${Math.max(...numbers)}` : ' (a continuous column equals one value with probability 0)';
    throw new UsageError(`Expected <, <=, >, >= or = for continuous column "${column}" in --where but received ${what}: it takes categories or whole numbers of an integer column${instead}`);
  }
  const edges = enc.edges as number[];
  const lo = enc.min ?? edges[0], hi = enc.max ?? edges[edges.length - 1];
  const chosen = new Set<number>();
  for (const raw of values) {
    const v = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isInteger(v)) throw new UsageError(`Expected whole numbers for integer column "${column}" in --where but received ${JSON.stringify(raw)} in ${what}`);
    if (v < lo || v > hi) continue; // outside the bounds: never a value
    let k = 0;
    while (k < edges.length - 2 && v >= edges[k + 1]) k++;
    const first = Math.max(edges[k], Math.ceil(lo)), last = Math.min(edges[k + 1] - 1, Math.floor(hi));
    if (first !== last) throw new UsageError(`Expected values with a code of their own for ${what} on integer column "${column}" in --where but received ${v}, which the model keeps with ${first}–${last} in one code (it cannot tell them apart); use a range such as ${column} >= ${first} and ${column} <= ${last}`);
    chosen.add(k);
  }
  for (let k = 0; k < edges.length - 1; k++) weights[k] = chosen.has(k) === only ? 1 : 0;
}

/**
 * Resolves a `--where` condition (predicates joined by "and") against the encoders. Throws a
 * clear error at once when a predicate can never hold (a value outside the bounds or categories).
 * @example resolveCondition('genotype=SC and age_years<18', encoders)
 */
export function resolveCondition(text: string, encoders: readonly DiscreteColumnEncoder[]): ResolvedCondition {
  const expr = parseCondition(text, '--where');
  return resolvePredicates(expr.type === 'and' ? expr.items : [expr], text, encoders);
}

/**
 * Resolves predicates joined by "and" (see {@link resolveCondition}); `text` names them in errors.
 * @example resolvePredicates([parseCondition('age_years>=2')], 'age_years>=2', encoders)
 */
export function resolvePredicates(preds: readonly ConditionExpression[], text: string, encoders: readonly DiscreteColumnEncoder[]): ResolvedCondition {
  const evidence = new Map<number, Float64Array>();
  const intervals = new Map<number, ValueRestriction>();
  const intervalWeights = new Map<number, Float64Array>();
  const cellRanges = new Map<number, Float64Array>();
  const names = new Map(encoders.map((e, i) => [e.column, i]));
  const predicateText = (p: ConditionExpression) => JSON.stringify(p.type === 'compare' ? `${p.column}${p.op}${p.value}` : (p as { column?: string }).column ?? '');
  for (const p of preds) {
    if (p.type === 'or' || p.type === 'and' || p.type === 'not' && p.item.type !== 'truthy' && p.item.type !== 'null') {
      throw new UsageError(`Expected predicates joined by "and" (column op value, column is [not] null, column in (...)) for --where but received ${JSON.stringify(text)}; "or" and nested "not" are not supported for conditional sampling`);
    }
    const base = p.type === 'not' ? p.item : p;
    const column = (base as { column: string }).column;
    const j = names.get(column);
    if (j === undefined) throw new UsageError(`Expected a modelled column in --where but received "${column}" (columns: ${encoders.map((e) => e.column).slice(0, 15).join(', ')}${encoders.length > 15 ? ', ...' : ''})`);
    const enc = encoders[j];
    const w = evidence.get(j) ?? new Float64Array(enc.size).fill(1);
    const miss = missingCode(enc);
    const weights = new Float64Array(enc.size);
    if (base.type === 'null') {
      const wantNull = p.type === 'not' ? base.negated : !base.negated;
      for (let k = 0; k < enc.size; k++) weights[k] = (k === miss) === wantNull ? 1 : 0;
    } else if (enc.levels === 'categories') {
      const cats = enc.categories as string[];
      const isBool = enc.output === 'bool';
      // "col" and "not col" test a boolean; on a category column "not sex" matched every row.
      if (base.type === 'truthy' && !isBool) throw new UsageError(`Expected a boolean column alone or after "not" in --where but received ${enc.kind} column "${column}" (write ${column} = value)`);
      const notBoolean = isBool && base.type === 'in' ? base.values.find((v) => booleanValue(v) === null) : undefined;
      if (notBoolean !== undefined) throw new UsageError(`Expected true or false for boolean column "${column}" in --where but received ${JSON.stringify(notBoolean)}`);
      const matches = (k: number): boolean => {
        const label = cats[k];
        if (base.type === 'truthy') return (label === 'true') !== (p.type === 'not');
        if (base.type === 'in') return base.values.some((v) => (isBool ? booleanValue(v) === (label === 'true' ? 1 : 0) : v === label));
        const b = base as Extract<ConditionExpression, { type: 'compare' }>;
        if (isBool) {
          const bv = booleanValue(b.value);
          if (bv === null) throw new UsageError(`Expected true or false for boolean column "${column}" in --where but received ${JSON.stringify(b.value)}`);
          return compare(b.op, label === 'true' ? 1 : 0, bv);
        }
        if (b.op !== '=' && b.op !== '!=') {
          if (enc.kind !== 'ordinal') throw new UsageError(`Expected = or != for categorical column "${column}" in --where but received "${b.op}"`);
          const target = cats.indexOf(String(b.value));
          if (target < 0) throw new UsageError(`Expected one of ${JSON.stringify(cats)} for "${column}" in --where but received ${JSON.stringify(b.value)}`);
          return compare(b.op, k, target);
        }
        return compare(b.op, label, String(b.value));
      };
      if (base.type === 'compare' && !isBool && (base.op === '=') && !cats.includes(String(base.value))) {
        throw new UsageError(`Condition ${predicateText(base)} can never hold: expected one of ${JSON.stringify(cats)} for column "${column}" but received ${JSON.stringify(base.value)}`);
      }
      // A label outside the categories in "in (...)" or "!=" is a typo, not a value to drop silently.
      const unknown = isBool ? undefined : base.type === 'in' ? base.values.find((v) => !cats.includes(v)) : base.type === 'compare' && base.op === '!=' && !cats.includes(String(base.value)) ? String(base.value) : undefined;
      if (unknown !== undefined) throw new UsageError(`Expected one of ${JSON.stringify(cats)} for "${column}" in --where but received ${JSON.stringify(unknown)}`);
      for (let k = 0; k < cats.length; k++) weights[k] = matches(k) ? 1 : 0;
    } else if (base.type === 'in' || (base.type === 'compare' && base.op === '!=')) {
      integerValueWeights(enc, column, base.type === 'in' ? base.values : [base.value], base.type === 'in', weights);
    } else {
      if (base.type !== 'compare' || typeof base.value !== 'number') {
        throw new UsageError(`Expected a numeric comparison (<, <=, >, >=, =) for numeric column "${column}" in --where but received ${predicateText(base)}`);
      }
      const r = intervals.get(j) ?? { lo: -Infinity, hi: Infinity };
      const v = base.value;
      if (base.op === '=') { r.lo = Math.max(r.lo, v); r.hi = Math.min(r.hi, v); }
      if (base.op === '<' || base.op === '<=') { if (v < r.hi || (v === r.hi && base.op === '<')) { r.hi = v; r.hiOpen = base.op === '<'; } }
      if (base.op === '>' || base.op === '>=') { if (v > r.lo || (v === r.lo && base.op === '>')) { r.lo = v; r.loOpen = base.op === '>'; } }
      intervals.set(j, r);
      const edges = enc.edges as number[];
      const lo = enc.min ?? -Infinity, hi = enc.max ?? Infinity;
      // The allowed part of each bin as an interval [from, to] of its decoded CDF (binDecodeCdf:
      // tilted and tail bins are not uniform); the weight is its length.
      const ranges = new Float64Array(2 * enc.size);
      const allow = (k: number, from: number, to: number) => { ranges[2 * k] = from; ranges[2 * k + 1] = Math.max(from, to); weights[k] = Math.max(0, to - from); };
      for (let k = 0; k < edges.length - 1; k++) {
        const a = Math.max(edges[k], lo), b = Math.min(edges[k + 1], enc.integer ? Infinity : hi);
        if (enc.integer) {
          const first = Math.max(a, Math.ceil(r.lo + (r.loOpen && Number.isInteger(r.lo) ? 1 : 0)));
          const last = Math.min(edges[k + 1] - 1, Math.floor(hi), Math.floor(r.hi - (r.hiOpen && Number.isInteger(r.hi) ? 1 : 0)));
          const total = Math.min(edges[k + 1] - 1, Math.floor(hi)) - a + 1;
          if (total > 0 && last >= first) allow(k, binDecodeCdf(enc, k, first), binDecodeCdf(enc, k, last + 1));
        } else {
          const oa = Math.max(a, r.lo), ob = Math.min(b, r.hi);
          // A point bin [a, a] (see binOf) holds exactly a.
          if (a === b) { if ((a > r.lo || (a === r.lo && !r.loOpen)) && (a < r.hi || (a === r.hi && !r.hiOpen))) allow(k, 0, 1); }
          else if (r.lo === r.hi) { if (r.lo >= a && (r.lo < b || (k === edges.length - 2 && r.lo <= b))) allow(k, 0, 1); }
          else if (b > a && ob > oa) allow(k, binDecodeCdf(enc, k, oa), binDecodeCdf(enc, k, ob));
        }
      }
      cellRanges.set(j, ranges);
    }
    // A numeric column's comparisons narrow one interval, whose weights replace the previous
    // ones (multiplying them would count a bin's fraction once per comparison).
    const numeric = enc.levels === 'bins' && base.type === 'compare' && base.op !== '!=';
    if (numeric) intervalWeights.set(j, weights);
    else for (let k = 0; k < enc.size; k++) w[k] *= weights[k];
    const iw = intervalWeights.get(j);
    let any = false;
    for (let k = 0; k < enc.size; k++) if (w[k] * (iw ? iw[k] : 1) > 0) any = true;
    if (!any) {
      const range = enc.levels === 'bins' ? `values in [${enc.min ?? enc.edges?.[0]}, ${enc.max ?? enc.edges?.[enc.edges.length - 1]}]` : `one of ${JSON.stringify(enc.categories)}`;
      throw new UsageError(`Condition ${JSON.stringify(text)} can never hold: column "${column}" has ${range}${enc.nullable ? ' or missing' : ''}, and no value satisfies all its predicates`);
    }
    evidence.set(j, w);
  }
  for (const [j, iw] of intervalWeights) {
    const w = evidence.get(j) as Float64Array;
    for (let k = 0; k < w.length; k++) w[k] *= iw[k];
  }
  const restrictions = new Map<number, ValueRestriction>();
  for (const [j, r] of intervals) restrictions.set(j, r);
  return { text, predicates: [...preds], evidence, restrictions, cellRanges };
}
