/**
 * Singling-out attack (Anonymeter, Giomi et al. 2023, section 4.1; the "singling out"
 * criterion of the EU Article 29 Working Party Opinion 05/2014). The attacker writes
 * predicates that isolate exactly one synthetic record and claims each isolates exactly one
 * real person; success is a predicate matching exactly one training record. The same
 * predicates on control (holdout) records measure what is singled out by chance.
 */
import { sortedPresent } from '../../transform/column-values';
import type { EvalTable, EvalColumn } from '../table-columns';
import { selectRows } from '../table-columns';
import { SeededSampler } from '../statistics/random';
import { AttackResult, attackResult, countAttack } from './attack-result';

/** One condition of a predicate: numeric `<=`/`>=`/`==` a value, categorical `==` a code, or missing. */
export interface Condition {
  column: number;
  op: '==' | '<=' | '>=' | 'missing';
  value: number;
}

/** A conjunction of conditions. */
export type Predicate = Condition[];

function matches(c: EvalColumn, cond: Condition, row: number): boolean {
  const v = c.kind === 'numeric' ? c.values[row] : c.codes[row];
  if (cond.op === 'missing') return c.kind === 'numeric' ? Number.isNaN(v) : v === -1;
  if (c.kind === 'categorical') return v === cond.value;
  if (Number.isNaN(v)) return false;
  return cond.op === '==' ? v === cond.value : cond.op === '<=' ? v <= cond.value : v >= cond.value;
}

/**
 * How many rows match the predicate, counting no further than `stopAt`.
 * @example countMatches(table, [{ column: 0, op: '==', value: 3 }], 2)
 */
export function countMatches(t: EvalTable, p: Predicate, stopAt = Infinity): number {
  let count = 0;
  const cols = p.map((c) => t.columns[c.column]);
  outer: for (let i = 0; i < t.nRows; i++) {
    for (let k = 0; k < p.length; k++) if (!matches(cols[k], p[k], i)) continue outer;
    if (++count >= stopAt) break;
  }
  return count;
}

/** Univariate predicates that single out a synthetic record: unique values, and numeric extremes. */
export function univariatePredicates(synthetic: EvalTable): Predicate[] {
  const out: Predicate[] = [];
  synthetic.columns.forEach((c, j) => {
    const counts = new Map<number, number>();
    const vals = c.kind === 'numeric' ? c.values : c.codes;
    let lo = Infinity, hi = -Infinity;
    for (const v of vals) {
      if (Number.isNaN(v) || (v === -1 && c.kind === 'categorical')) continue;
      counts.set(v, (counts.get(v) ?? 0) + 1);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    for (const [v, n] of counts) if (n === 1) out.push([{ column: j, op: '==', value: v }]);
    if (c.kind === 'numeric' && Number.isFinite(lo)) {
      if ((counts.get(lo) ?? 0) === 1) out.push([{ column: j, op: '<=', value: lo }]);
      if ((counts.get(hi) ?? 0) === 1) out.push([{ column: j, op: '>=', value: hi }]);
    }
  });
  return out;
}

function median(values: Float64Array): number {
  const v = sortedPresent(values);
  return v.length ? v[Math.floor(v.length / 2)] : NaN;
}

/**
 * Predicate from a record on `columns`: numeric values above the median become `>= value`,
 * others `<= value` (the tail side makes isolation likelier), categorical `== value'.
 */
function predicateFromRecord(t: EvalTable, row: number, columns: number[], medians: number[]): Predicate {
  return columns.map((j) => {
    const c = t.columns[j];
    if (c.kind === 'categorical') return c.codes[row] === -1 ? { column: j, op: 'missing' as const, value: -1 } : { column: j, op: '==' as const, value: c.codes[row] };
    const v = c.values[row];
    if (Number.isNaN(v)) return { column: j, op: 'missing' as const, value: NaN };
    return { column: j, op: v >= medians[j] ? '>=' as const : '<=' as const, value: v };
  });
}

/** Options of {@link singlingOutAttack}. */
export interface SinglingOutOptions {
  mode: 'univariate' | 'multivariate';
  /** Number of predicates (default 500). */
  nAttacks?: number;
  /** Columns per multivariate predicate (default 3). */
  nColumns?: number;
  /** Multivariate: give up after this many candidate predicates (default 50 x nAttacks). */
  maxAttempts?: number;
  confidenceLevel?: number;
  seed?: number;
}

/** The attack result with how many predicates could be built. */
export interface SinglingOutResult extends AttackResult {
  mode: 'univariate' | 'multivariate';
  predicatesFound: number;
}

/**
 * Runs the singling-out attack. Training records are subsampled to the control size so that
 * both are searched among equally many people (uniqueness depends on the population size).
 * @example singlingOutAttack(train, synthetic, holdout, { mode: 'multivariate' })
 */
export function singlingOutAttack(train: EvalTable, synthetic: EvalTable, control: EvalTable | null, opts: SinglingOutOptions): SinglingOutResult | null {
  const level = opts.confidenceLevel ?? 0.95;
  const nAttacks = opts.nAttacks ?? 500;
  const rng = new SeededSampler(opts.seed ?? 2);
  const d = synthetic.columns.length;
  let predicates: Predicate[];
  if (opts.mode === 'univariate') {
    const all = univariatePredicates(synthetic);
    predicates = Array.from(rng.sample(all.length, nAttacks), (i) => all[i]);
  } else {
    const nCols = Math.min(opts.nColumns ?? 3, d);
    const medians = synthetic.columns.map((c) => (c.kind === 'numeric' ? median(c.values) : NaN));
    const maxAttempts = opts.maxAttempts ?? 50 * nAttacks;
    const seen = new Set<string>();
    predicates = [];
    for (let a = 0; a < maxAttempts && predicates.length < nAttacks; a++) {
      const row = rng.int(synthetic.nRows);
      const cols = Array.from(rng.sample(d, nCols)).sort((x, y) => x - y);
      const p = predicateFromRecord(synthetic, row, cols, medians);
      const key = JSON.stringify(p);
      if (seen.has(key)) continue;
      seen.add(key);
      if (countMatches(synthetic, p, 2) === 1) predicates.push(p);
    }
  }
  if (predicates.length === 0) return null;
  const target = control && control.nRows < train.nRows ? selectRows(train, rng.sample(train.nRows, control.nRows).sort()) : train;
  const singled = (t: EvalTable) => predicates.filter((p) => countMatches(t, p, 2) === 1).length;
  const n = predicates.length;
  // Naive baseline: predicates built from values drawn independently per column (no record, no check).
  const medians = synthetic.columns.map((c) => (c.kind === 'numeric' ? median(c.values) : NaN));
  let base = 0;
  for (const p of predicates) {
    const naive = p.map((cond) => {
      const row = rng.int(synthetic.nRows);
      return predicateFromRecord(synthetic, row, [cond.column], medians)[0];
    });
    if (countMatches(target, naive, 2) === 1) base++;
  }
  const r = attackResult(countAttack(n, singled(target), level), control ? countAttack(n, singled(control), level) : null, countAttack(n, base, level), level);
  return { ...r, mode: opts.mode, predicatesFound: n };
}
