/**
 * Schema constraints (`TableSchema.constraints`) that every synthetic row satisfies. Forms:
 * * sums and single columns against a constant: `hbs_pct + hbf_pct + hba2_pct <= 100`, `x >= 0`;
 * * column against column: `stroke_age_years <= age_years`;
 * * conditional missingness: `lic_mg_g is null when not chronic_transfusion`;
 * * fixed combinations: `(country, city) in ((FR, Paris), (IT, Rome))` (fixed-combinations.ts).
 * Bounds and allowed categories hold by construction of the decoder. Generators produce rows,
 * then {@link repairRows} makes each row satisfy every constraint together, exactly (no
 * tolerance), within the columns' bounds and integer grids: set to missing; lower the left column
 * to the right one (raising the right one only when the left one's minimum is above it); move
 * the summed columns toward their bounds proportionally to their room, then step one term down by
 * what floating-point rounding or integer flooring left over. The repairs of a row run again until
 * none changes it (a few passes at most), and a row they cannot fix fails loudly.
 * {@link schemaConstraintProblems} / {@link parseSchemaConstraints} check the constraints against
 * a schema (columns, kinds, bounds that make them unsatisfiable), and
 * {@link constraintViolations} / {@link constraintViolationRows} check any table.
 */
import type { Table } from 'apache-arrow';
import type { ColumnSchema, TableSchema } from '../data/schema';
import { HemasynthError, InputError, UsageError } from '../errors';
import { readLabels, readNumbers } from '../transform/column-values';
import { ComparisonOperator, ConditionColumns, ConditionExpression, ResolvedCondition, compileCondition, conditionColumns, parseCondition, resolvePredicates } from './conditions';
import { DiscreteColumnEncoder, boundNumber, missingCode } from '../transform/discretiser';
import { CombinationsConstraint, combinationChecker, combinationEvidence, combinationsRepair, parseCombinations } from './fixed-combinations';

/** A parsed constraint. */
export type Constraint =
  | { type: 'sum'; text: string; columns: string[]; op: '<=' | '<' | '>=' | '>'; bound: number }
  | { type: 'compare-columns'; text: string; left: string; op: '<=' | '<' | '>=' | '>'; right: string }
  | { type: 'null-when'; text: string; column: string; when: ConditionExpression }
  | CombinationsConstraint;

/**
 * Parses one constraint string; throws a {@link UsageError} naming it when its form is unknown.
 * @example parseConstraint('hbs_pct + hbf_pct <= 100')
 */
export function parseConstraint(text: string): Constraint {
  const combinations = parseCombinations(text);
  if (combinations) return combinations;
  const nullWhen = /^\s*([A-Za-z_]\w*)\s+is\s+null\s+when\s+(.+)$/i.exec(text);
  if (nullWhen) return { type: 'null-when', text, column: nullWhen[1], when: parseCondition(nullWhen[2], `constraint ${JSON.stringify(text)}`) };
  const cmp = /^\s*([A-Za-z_]\w*(?:\s*\+\s*[A-Za-z_]\w*)*)\s*(<=|<|>=|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[A-Za-z_]\w*)\s*$/.exec(text);
  if (cmp) {
    const columns = cmp[1].split('+').map((s) => s.trim());
    const op = cmp[2] as '<=' | '<' | '>=' | '>';
    if (/^[A-Za-z_]/.test(cmp[3])) {
      if (columns.length !== 1) throw new UsageError(`Expected a sum compared with a number or one column compared with another for constraint ${JSON.stringify(text)} but received a sum compared with a column`);
      return { type: 'compare-columns', text, left: columns[0], op, right: cmp[3] };
    }
    return { type: 'sum', text, columns, op, bound: Number(cmp[3]) };
  }
  throw new UsageError(`Expected ${CONSTRAINT_FORMS} but received ${JSON.stringify(text)}`);
}

/** Columns a constraint mentions. */
export function constraintColumns(c: Constraint): string[] {
  if (c.type === 'sum') return c.columns;
  if (c.type === 'compare-columns') return [c.left, c.right];
  if (c.type === 'combinations') return c.columns;
  return [c.column, ...conditionColumns(c.when)];
}

/**
 * The schema's constraints that apply to the given columns (constraints on columns a model does
 * not produce are dropped: they cannot be violated).
 */
export function applicableConstraints(schema: TableSchema, columns: readonly string[]): Constraint[] {
  const have = new Set(columns);
  return (schema.constraints ?? []).map(parseConstraint).filter((c) => constraintColumns(c).every((n) => have.has(n)));
}

/** A predicate of a negated condition, and whether it holds when its column is missing. */
interface NegatedPredicate { predicate: ConditionExpression; trueOnMissing: boolean }

/** The column of a simple predicate (a negated one included). */
function predicateColumn(p: ConditionExpression): string {
  return p.type === 'not' ? predicateColumn(p.item) : (p as { column: string }).column;
}

const OPPOSITE: Record<string, ComparisonOperator> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '=': '!=', '!=': '=' };

/**
 * NOT e as predicates joined by "and", or null when it has no such form (e is a conjunction, or
 * a negated predicate the conditional sampler cannot take, such as "x != 3" on a number).
 * Comparisons are false on a missing value (SQL), so their negations hold there.
 */
function negatedPredicates(e: ConditionExpression): NegatedPredicate[] | null {
  switch (e.type) {
    case 'or': {
      const parts = e.items.map(negatedPredicates);
      return parts.every((p) => p !== null) ? (parts as NegatedPredicate[][]).flat() : null;
    }
    case 'compare': return e.op === '=' || e.op === '!=' ? null : [{ predicate: { ...e, op: OPPOSITE[e.op] }, trueOnMissing: true }];
    case 'truthy': return [{ predicate: { type: 'not', item: e }, trueOnMissing: true }];
    case 'null': return [{ predicate: { ...e, negated: !e.negated }, trueOnMissing: e.negated }];
    case 'not': return e.item.type === 'truthy' ? [{ predicate: e.item, trueOnMissing: false }] : e.item.type === 'null' ? [{ predicate: e.item, trueOnMissing: !e.item.negated }] : null;
    default: return null;
  }
}

/**
 * Where "x is null when W" lets x be present: NOT W as a weight per code of the one column y it
 * mentions (the share of the code's decoded values where NOT W holds, binDecodeCdf; y's missing
 * code 1 when NOT W holds on a missing y), or null when NOT W is not a conjunction of predicates
 * on one column other than x, or can never hold. Reads no data.
 * @example nullWhenSupport(parseConstraint('tcd is null when age < 2 or age >= 17'), encoders) // age's codes in [2, 17)
 */
export function nullWhenSupport(c: Constraint, encoders: readonly DiscreteColumnEncoder[]): { column: number; weights: Float64Array } | null {
  if (c.type !== 'null-when') return null;
  const negated = negatedPredicates(c.when);
  if (!negated || negated.length === 0) return null;
  const columns = new Set(negated.map((n) => predicateColumn(n.predicate)));
  const name = [...columns][0];
  const j = encoders.findIndex((e) => e.column === name);
  if (columns.size !== 1 || name === c.column || j < 0) return null;
  let resolved: ResolvedCondition;
  try {
    resolved = resolvePredicates(negated.map((n) => n.predicate), c.text, encoders);
  } catch (e) {
    if (e instanceof HemasynthError) return null; // NOT W can never hold: nothing to support
    throw e;
  }
  const weights = resolved.evidence.get(j);
  if (!weights) return null;
  const miss = missingCode(encoders[j]);
  if (miss >= 0) weights[miss] = negated.every((n) => n.trueOnMissing) ? 1 : 0;
  return { column: j, weights };
}

/**
 * A `--where` condition with what the schema's "null when" constraints add to it: where the
 * condition needs column x present (its missing code has weight 0) and a constraint says
 * "x is null when W", rows must also satisfy NOT W (the repair would otherwise set x missing and
 * break the condition). NOT W joins the condition's predicates when it is a conjunction of
 * predicates; a column only NOT W mentions keeps its missing code where NOT W holds on a missing
 * value.
 * @example withConstraintEvidence(resolveCondition('tcd_velocity_cm_s>200', enc), constraints, enc) // adds age in [2, 17)
 */
export function withConstraintEvidence(condition: ResolvedCondition, constraints: readonly Constraint[], encoders: readonly DiscreteColumnEncoder[]): ResolvedCondition {
  const index = new Map(encoders.map((e, j) => [e.column, j]));
  const own = condition.predicates;
  const ownColumns = new Set(own.map(predicateColumn));
  const derived: NegatedPredicate[] = [];
  const applied: string[] = [];
  let resolved = condition;
  // Each constraint applies once; repeat while one applies (a derived "x is not null" can make
  // another constraint apply).
  for (let more = true; more;) {
    more = false;
    for (const c of constraints) {
      if (c.type !== 'null-when' || applied.includes(c.text)) continue;
      const j = index.get(c.column);
      const w = j === undefined ? undefined : resolved.evidence.get(j);
      const miss = j === undefined ? -1 : missingCode(encoders[j]);
      if (miss < 0 || !w || w[miss] > 0) continue;
      applied.push(c.text);
      const negated = negatedPredicates(c.when);
      if (!negated) continue;
      derived.push(...negated);
      more = true;
    }
    if (!more) break;
    const text = `${condition.text} (with the schema constraint${applied.length > 1 ? 's' : ''} ${applied.map((t) => JSON.stringify(t)).join(', ')})`;
    resolved = resolvePredicates([...own, ...derived.map((n) => n.predicate)], text, encoders);
    // A column only the constraints mention may stay missing where their negation allows it.
    for (const [k, w] of resolved.evidence) {
      const col = encoders[k].column;
      const kMiss = missingCode(encoders[k]);
      if (kMiss >= 0 && !ownColumns.has(col) && derived.filter((n) => predicateColumn(n.predicate) === col).every((n) => n.trueOnMissing)) w[kMiss] = 1;
    }
  }
  // The fixed combinations the condition touches restrict the combinations' other columns.
  let evidence = resolved.evidence;
  for (const c of constraints) if (c.type === 'combinations') evidence = combinationEvidence(c, evidence, encoders, condition.text);
  return { text: condition.text, predicates: own, evidence, restrictions: resolved.restrictions, cellRanges: resolved.cellRanges };
}

/** Mutable row columns repaired in place: numbers (NaN = missing) per numeric column, labels per categorical. */
export interface RepairColumns {
  numbers: Map<string, { values: Float64Array | Int32Array; valid: Uint8Array; integer: boolean; min?: number; max?: number }>;
  /** Validity (1 = present) of every generated column. */
  validity: Map<string, Uint8Array>;
  /**
   * The same columns for evaluating constraint conditions: live views of the arrays above
   * (conditionView) follow the repairs by themselves; copied numbers/labels are kept in step here.
   */
  conditionColumns: ConditionColumns;
}

type Inequality = '<=' | '<' | '>=' | '>';

function holds(op: Inequality, a: number, b: number): boolean {
  return op === '<=' ? a <= b : op === '<' ? a < b : op === '>=' ? a >= b : a > b;
}

const bits = new Float64Array(1);
const bitsInt = new BigInt64Array(bits.buffer);

/** The largest double below x. */
export function nextDown(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return x;
  if (x === 0) return -Number.MIN_VALUE;
  bits[0] = x;
  bitsInt[0] += x > 0 ? -1n : 1n;
  return bits[0];
}

/** The smallest double above x. */
export function nextUp(x: number): number {
  return -nextDown(-x);
}

/** Most passes of a row's repairs: each pass runs every constraint's repair once. */
export const MAX_REPAIR_PASSES = 8;
/** Most corrective steps of one sum after its projection (floating-point leftovers). */
const MAX_SUM_STEPS = 200;

/** A numeric column as the repair sees it. */
interface NumericPart { name: string; values: Float64Array | Int32Array; valid: Uint8Array; integer: boolean; lo: number; hi: number }

/** The bounds of a column on its grid: integers' bounds rounded inwards; absent bounds infinite. */
function gridBounds(integer: boolean, min: number | undefined, max: number | undefined): { lo: number; hi: number } {
  const lo = min === undefined || Number.isNaN(min) ? -Infinity : integer ? Math.ceil(min) : min;
  const hi = max === undefined || Number.isNaN(max) ? Infinity : integer ? Math.floor(max) : max;
  return { lo, hi };
}

/** Row values of the named parts, for messages: `a=3, b=8.51`. */
function describeRow(parts: readonly NumericPart[], i: number): string {
  return parts.map((p) => `${p.name}=${p.valid[i] ? String(p.values[i]) : 'null'}`).join(', ');
}

/**
 * Repairs rows in place so that every constraint holds, exactly, together; returns how many rows
 * each constraint changed. Per row, the repairs run in order ("null when", column against column,
 * sums) and again while one of them changed the row (one repair can break another: a sum lowers
 * a column another one must stay above), at most {@link MAX_REPAIR_PASSES} passes; a row they
 * cannot make satisfy every constraint throws a UsageError naming the constraints and values
 * (never a violating row).
 * @example repairRows(constraints, columns, rows)
 */
export function repairRows(constraints: readonly Constraint[], cols: RepairColumns, rows: number): Map<string, number> {
  const ordered = [...constraints.filter((c) => c.type === 'null-when'), ...constraints.filter((c) => c.type === 'combinations'), ...constraints.filter((c) => c.type === 'compare-columns'), ...constraints.filter((c) => c.type === 'sum')];
  const parts = new Map<string, NumericPart>();
  const num = (name: string): NumericPart => {
    const known = parts.get(name);
    if (known) return known;
    const c = cols.numbers.get(name);
    if (!c) throw new UsageError(`Expected a numeric column "${name}" for a schema constraint but received a non-numeric or absent column`);
    const integer = c.integer || c.values instanceof Int32Array;
    const p = { name, values: c.values, valid: c.valid, integer, ...gridBounds(integer, c.min, c.max) };
    parts.set(name, p);
    return p;
  };
  /** Sets a number (or makes it present) and keeps a copied condition view in step. */
  const set = (p: NumericPart, i: number, v: number): void => {
    p.values[i] = v === 0 ? 0 : v; // no -0
    p.valid[i] = 1;
    const view = cols.conditionColumns.get(p.name)?.numbers;
    if (view) view[i] = p.values[i];
  };
  const fixes = ordered.map((c): ((i: number) => boolean) => {
    if (c.type === 'null-when') {
      const valid = cols.validity.get(c.column);
      const view = cols.conditionColumns.get(c.column);
      if (!valid) throw new UsageError(`Expected the column "${c.column}" of constraint ${JSON.stringify(c.text)} among the generated columns but received none`);
      const when = compileCondition(c.when, cols.conditionColumns);
      return (i) => {
        if (!valid[i] || !when(i)) return false;
        valid[i] = 0;
        if (view?.numbers) view.numbers[i] = NaN;
        if (view?.labels) view.labels[i] = null;
        return true;
      };
    }
    if (c.type === 'compare-columns') return compareRepair(c, num(c.left), num(c.right), set);
    if (c.type === 'combinations') return combinationsRepair(c, cols.conditionColumns, cols.numbers, rows);
    return sumRepair(c, c.columns.map(num), set);
  });
  const changed = new Map<string, number>(ordered.map((c) => [c.text, 0]));
  const counts = new Int32Array(ordered.length);
  const touched = new Uint8Array(ordered.length);
  for (let i = 0; i < rows; i++) {
    touched.fill(0);
    let pass = 0;
    for (;; pass++) {
      let any = false;
      for (let k = 0; k < fixes.length; k++) if (fixes[k](i)) { any = true; touched[k] = 1; }
      if (!any) break;
      if (pass + 1 >= MAX_REPAIR_PASSES) {
        // One more look: which constraints the row still breaks.
        const still = ordered.filter((_, k) => fixes[k](i)).map((c) => JSON.stringify(c.text));
        if (still.length === 0) break;
        const names = [...new Set(ordered.flatMap(constraintColumns))].filter((n) => cols.numbers.has(n));
        throw new UsageError(`Expected schema constraints that can hold together but received row ${i + 1} of a sampled batch where ${still.join(', ')} still failed after ${MAX_REPAIR_PASSES} passes of repairs that undo each other (${describeRow(names.map(num), i)}); check these constraints together with the columns' bounds`);
      }
    }
    for (let k = 0; k < fixes.length; k++) counts[k] += touched[k];
  }
  ordered.forEach((c, k) => changed.set(c.text, counts[k]));
  return changed;
}

/**
 * The repair of `left op right` on one row: the left column moves to the nearest value of its
 * grid that satisfies it (integers: floor/ceil; strict: one step past); when its bound stops it,
 * the right column moves to the nearest value its grid allows past that bound.
 */
function compareRepair(c: Extract<Constraint, { type: 'compare-columns' }>, l: NumericPart, r: NumericPart, set: (p: NumericPart, i: number, v: number) => void): (i: number) => boolean {
  const strict = c.op === '<' || c.op === '>';
  const down = c.op === '<=' || c.op === '<';
  /** The value of p's grid nearest to x on the allowed side of x (below for down, above otherwise). */
  const toward = (p: NumericPart, x: number, below: boolean): number => {
    if (p.integer) return below ? (strict ? Math.ceil(x) - 1 : Math.floor(x)) : (strict ? Math.floor(x) + 1 : Math.ceil(x));
    return strict ? (below ? nextDown(x) : nextUp(x)) : x;
  };
  return (i) => {
    if (!l.valid[i] || !r.valid[i]) return false;
    if (holds(c.op, l.values[i], r.values[i])) return false;
    let v = toward(l, r.values[i], down);
    if (down ? v < l.lo : v > l.hi) {
      v = down ? l.lo : l.hi;
      const w = toward(r, v, !down);
      if (down ? w > r.hi : w < r.lo) {
        throw new UsageError(`Expected column bounds that allow constraint ${JSON.stringify(c.text)} but received a row where ${describeRow([l, r], i)} and "${l.name}" ${down ? `cannot go below its minimum ${l.lo}` : `cannot go above its maximum ${l.hi}`} while "${r.name}" ${down ? `cannot go above its maximum ${r.hi}` : `cannot go below its minimum ${r.lo}`}`);
      }
      set(r, i, w);
    }
    set(l, i, v);
    return true;
  };
}

/**
 * The repair of a sum `x1 + ... + xn op c` on one row (missing terms count 0). In the direction
 * the sum must move (down for <= and <, up for >= and >), each present term keeps its bound:
 * x_i = b_i + (x_i - b_i)·t with b_i its bound (a term without one: 0, or itself when beyond 0)
 * and t making the sum meet c; what that cannot cover goes to the terms without a bound.
 * Integer terms are floored toward their bound. Then, while the sum computed as checkers compute
 * it (in column order) still fails by rounding (10.000000000000002), the term with the most room
 * steps by the excess (at least one ulp, or one for integers). A ">=" sum that its present terms
 * cannot reach makes missing terms present (as before). A row the bounds cannot repair throws.
 */
function sumRepair(c: Extract<Constraint, { type: 'sum' }>, parts: NumericPart[], set: (p: NumericPart, i: number, v: number) => void): (i: number) => boolean {
  const sign = c.op === '<=' || c.op === '<' ? 1 : -1;
  const strict = c.op === '<' || c.op === '>';
  const n = parts.length;
  // Work on y = sign·x, where the constraint reads sum(y) <= C (strict: <) and each y has a lower bound.
  const C = sign * c.bound;
  const floorY = parts.map((p) => (sign > 0 ? p.lo : -p.hi));
  const y = new Float64Array(n), base = new Float64Array(n);
  const present = new Uint8Array(n);
  const sumOf = (i: number): number => {
    let s = 0;
    for (const p of parts) if (p.valid[i]) s += p.values[i];
    return s;
  };
  const write = (i: number, j: number): void => {
    let v = y[j];
    if (parts[j].integer) v = Math.floor(v);
    if (v < floorY[j]) v = floorY[j];
    y[j] = v;
    set(parts[j], i, sign * v);
  };
  const fail = (i: number, why: string): never => {
    throw new UsageError(`Expected column bounds that allow constraint ${JSON.stringify(c.text)} but received a row where ${describeRow(parts, i)}: ${why}`);
  };
  return (i) => {
    let s = sumOf(i);
    if (holds(c.op, s, c.bound)) return false;
    for (let j = 0; j < n; j++) present[j] = parts[j].valid[i];
    for (let j = 0; j < n; j++) y[j] = present[j] ? sign * parts[j].values[i] : 0;
    let excess = sign * s - C;
    // Room of each present term toward its bound (Infinity beyond 0 for a term without one).
    const room = (j: number): number => (present[j] ? Math.max(0, y[j] - floorY[j]) : 0);
    let capacity = 0;
    for (let j = 0; j < n; j++) capacity += room(j);
    if (sign < 0 && (strict ? capacity <= excess : capacity < excess)) {
      // A ">=" sum its present terms cannot reach: missing terms become present, at 0 within their bounds.
      for (let j = 0; j < n && (strict ? capacity <= excess : capacity < excess); j++) {
        if (present[j]) continue;
        present[j] = 1;
        y[j] = sign * Math.min(Math.max(0, parts[j].lo), parts[j].hi);
        excess += y[j];
        capacity += room(j);
        write(i, j);
      }
    }
    // Proportional move toward the bounds (a term without a bound: toward 0 first).
    let finiteRoom = 0, free = 0;
    for (let j = 0; j < n; j++) {
      if (!present[j]) continue;
      if (floorY[j] === -Infinity) { base[j] = Math.min(0, y[j]); free++; } else base[j] = Math.min(floorY[j], y[j]);
      finiteRoom += y[j] - base[j];
    }
    if (excess > 0) {
      if (finiteRoom >= excess) {
        const t = 1 - excess / finiteRoom;
        for (let j = 0; j < n; j++) if (present[j]) y[j] = base[j] + (y[j] - base[j]) * t;
      } else {
        for (let j = 0; j < n; j++) if (present[j]) y[j] = base[j];
        for (let j = 0; j < n; j++) if (present[j] && floorY[j] === -Infinity) y[j] -= (excess - finiteRoom) / free;
      }
      for (let j = 0; j < n; j++) if (present[j]) write(i, j);
    }
    // What rounding (or a strict bound met exactly) left over: step the roomiest term.
    for (let k = 0; ; k++) {
      s = sumOf(i);
      if (holds(c.op, s, c.bound)) return true;
      if (k >= MAX_SUM_STEPS) fail(i, `the sum ${s} still fails after ${MAX_SUM_STEPS} corrective steps`);
      const left = sign * s - C;
      // The continuous term with the most room (integer steps are coarser), else the integer one.
      let best = -1, most = 0, bestInt = -1, mostInt = 0;
      for (let j = 0; j < n; j++) {
        if (!present[j]) continue;
        y[j] = sign * parts[j].values[i];
        const r = y[j] - floorY[j];
        if (parts[j].integer) { if (r > mostInt) { mostInt = r; bestInt = j; } } else if (r > most) { most = r; best = j; }
      }
      if (best < 0) best = bestInt;
      if (best < 0) fail(i, `every term is at its ${sign > 0 ? 'minimum' : 'maximum'} and the sum ${s} is ${sign > 0 ? 'above' : 'below'} ${c.bound}`);
      if (parts[best].integer) y[best] -= strict ? Math.floor(left) + 1 : Math.max(1, Math.ceil(left));
      else y[best] = Math.min(y[best] - left * (k >= 16 ? 2 ** (k - 15) : 1), nextDown(y[best]));
      write(i, best);
    }
  };
}

/** The bounds of a column that decide whether a constraint can hold. */
export interface ColumnBounds {
  /** Values are whole numbers (integer and datetime columns). */
  integer: boolean;
  min?: number;
  max?: number;
  /** Whether the column may be missing (a missing term counts 0 in a sum). */
  nullable: boolean;
}

/** The bounds of a schema column (datetimes as days, or ms for date-times), or undefined for a non-numeric one. */
export function schemaColumnBounds(c: ColumnSchema): ColumnBounds | undefined {
  if (c.kind !== 'continuous' && c.kind !== 'integer' && c.kind !== 'datetime') return undefined;
  return { integer: c.kind !== 'continuous', min: boundNumber(c, c.min), max: boundNumber(c, c.max), nullable: c.nullable !== false };
}

function fmtBound(x: number): string {
  return Number.isFinite(x) ? String(x) : x > 0 ? 'no maximum' : 'no minimum';
}

/**
 * Why the columns' bounds make a sum or column comparison impossible in some row, or null when
 * they do not: `a + b <= c` needs the smallest sum the bounds allow (a nullable term: its minimum
 * only when positive, as a missing term counts 0) to meet c; `a + b >= c` the largest;
 * `l <= r` needs l's minimum at most r's maximum. "null when" constraints are not checked here.
 * @example constraintBoundsProblem(parseConstraint('hb + hbf <= 2'), (n) => bounds[n]) // 'the smallest sum ...'
 */
export function constraintBoundsProblem(c: Constraint, boundsOf: (column: string) => ColumnBounds | undefined): string | null {
  if (c.type === 'null-when' || c.type === 'combinations') return null;
  const strict = c.op === '<' || c.op === '>';
  const grid = (name: string) => {
    const b = boundsOf(name);
    return b ? { ...gridBounds(b.integer, b.min, b.max), nullable: b.nullable } : { lo: -Infinity, hi: Infinity, nullable: true };
  };
  if (c.type === 'sum') {
    const terms = c.columns.map((n) => ({ n, ...grid(n) }));
    if (c.op === '<=' || c.op === '<') {
      let least = 0;
      for (const t of terms) least += t.nullable ? Math.max(t.lo, 0) : t.lo;
      if (holds(c.op, least, c.bound)) return null;
      return `${terms.length > 1 ? "the columns' minimums" : "the column's minimum"} (${terms.map((t) => `${t.n} ${t.nullable && t.lo < 0 ? `missing, 0 (its minimum ${t.lo} is lower)` : `min ${fmtBound(t.lo)}`}`).join('; ')}) already make${terms.length > 1 ? '' : 's'} the sum ${least}, ${strict ? 'not below' : 'above'} ${c.bound}`;
    }
    let most = 0;
    for (const t of terms) most += t.hi;
    if (holds(c.op, most, c.bound)) return null;
    return `${terms.length > 1 ? "the columns' maximums" : "the column's maximum"} (${terms.map((t) => `${t.n} max ${fmtBound(t.hi)}`).join('; ')}) allow${terms.length > 1 ? '' : 's'} a sum of at most ${most}, ${strict ? 'not above' : 'below'} ${c.bound}`;
  }
  if (c.left === c.right) return strict ? `a column is never ${c.op === '<' ? 'below' : 'above'} itself` : null;
  const l = grid(c.left), r = grid(c.right);
  const down = c.op === '<=' || c.op === '<';
  if (down ? holds(c.op, l.lo, r.hi) : holds(c.op, l.hi, r.lo)) return null;
  return down
    ? `the minimum of "${c.left}" (${fmtBound(l.lo)}) is ${strict ? 'not below' : 'above'} the maximum of "${c.right}" (${fmtBound(r.hi)})`
    : `the maximum of "${c.left}" (${fmtBound(l.hi)}) is ${strict ? 'not above' : 'below'} the minimum of "${c.right}" (${fmtBound(r.lo)})`;
}

/** A constraint of a schema that is wrong: its index in `constraints`, its text and what is wrong. */
export interface ConstraintProblem {
  index: number;
  text: string;
  /** What a correct constraint would be, as in an InputError's "Expected ...". */
  expected: string;
  /** What is wrong with it. */
  problem: string;
}

/** The constraint forms, as an error's "Expected ..." names them. */
export const CONSTRAINT_FORMS = 'a constraint of the form "a + b <= 100", "a <= b", "a is null when <condition>" or "(a, b) in ((x1, y1), (x2, y2))"';

function listNames(names: readonly string[], max = 12): string {
  return names.slice(0, max).join(', ') + (names.length > max ? `, ... (${names.length} in all)` : '');
}

/** Conditions' leaves (compare, in) on a categorical column whose values are not its categories. */
function unknownCategories(e: ConditionExpression, byName: ReadonlyMap<string, ColumnSchema>): string | null {
  switch (e.type) {
    case 'and': case 'or': { for (const x of e.items) { const p = unknownCategories(x, byName); if (p) return p; } return null; }
    case 'not': return unknownCategories(e.item, byName);
    case 'compare': case 'in': {
      const col = byName.get(e.column);
      if (!col || (col.kind !== 'categorical' && col.kind !== 'ordinal') || !col.categories) return null;
      if (e.type === 'compare' && e.op !== '=' && e.op !== '!=') return null;
      const values = e.type === 'in' ? e.values : [String(e.value)];
      const bad = values.find((v) => !col.categories?.includes(v));
      return bad === undefined ? null : `${JSON.stringify(bad)} is not a category of "${e.column}" (${listNames(col.categories.map((x) => JSON.stringify(x)))})`;
    }
    default: return null;
  }
}

/**
 * What is wrong with a fixed-combinations constraint against the schema: a column twice, a
 * column that is not categorical, ordinal, boolean or integer, or a value its column cannot take
 * (not a category; not true/false; not a whole number within the bounds); null when all is well.
 */
function combinationsProblem(c: CombinationsConstraint, byName: ReadonlyMap<string, ColumnSchema>): { expected: string; problem: string } | null {
  const twice = c.columns.find((n, k) => c.columns.indexOf(n) !== k);
  if (twice) return { expected: 'each column at most once in a combination', problem: `"${twice}" appears more than once` };
  for (let j = 0; j < c.columns.length; j++) {
    const col = byName.get(c.columns[j]) as ColumnSchema;
    if (col.kind !== 'categorical' && col.kind !== 'ordinal' && col.kind !== 'boolean' && col.kind !== 'integer') {
      return { expected: 'categorical, ordinal, boolean or integer columns in a combination', problem: `column "${col.name}" of kind ${col.kind}` };
    }
    for (let k = 0; k < c.tuples.length; k++) {
      const v = c.tuples[k][j];
      const where = `combination ${k + 1} gives "${col.name}" the value ${JSON.stringify(v)}`;
      if ((col.kind === 'categorical' || col.kind === 'ordinal') && col.categories && !col.categories.includes(v)) {
        return { expected: 'values of the columns in each combination', problem: `${where}, not one of its categories (${listNames(col.categories.map((x) => JSON.stringify(x)))})` };
      }
      if (col.kind === 'boolean' && !['true', 'false'].includes(v.toLowerCase())) return { expected: 'values of the columns in each combination', problem: `${where}; a boolean takes true or false` };
      if (col.kind === 'integer') {
        const x = Number(v), lo = boundNumber(col, col.min), hi = boundNumber(col, col.max);
        if (v.trim() === '' || !Number.isInteger(x) || (lo !== undefined && x < lo) || (hi !== undefined && x > hi)) {
          return { expected: 'values of the columns in each combination', problem: `${where}; it takes whole numbers${lo !== undefined || hi !== undefined ? ` in [${lo ?? '-inf'}, ${hi ?? 'inf'}]` : ''}` };
        }
      }
    }
  }
  return null;
}

/**
 * Every problem of a schema's constraints, each with the constraint's index and text: a form
 * parseConstraint does not know, a column the schema does not have, a sum or comparison on a
 * column that is not numeric (continuous or integer; datetimes may be compared with datetimes),
 * a column named twice in a sum, "is null when" on a column that is not nullable, a category a
 * condition compares with that the column does not have, and bounds that make the constraint
 * impossible ({@link constraintBoundsProblem}). Empty when all is well.
 * @example schemaConstraintProblems(loadSchema('s.json')) // [{ index: 0, text: 'b < 3', expected: ..., problem: 'unknown column "b" ...' }]
 */
export function schemaConstraintProblems(schema: TableSchema): ConstraintProblem[] {
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  const out: ConstraintProblem[] = [];
  (schema.constraints ?? []).forEach((text, index) => {
    const add = (expected: string, problem: string) => out.push({ index, text, expected, problem });
    if (typeof text !== 'string') return add(CONSTRAINT_FORMS, `a ${typeof text}`);
    let c: Constraint;
    try {
      c = parseConstraint(text);
    } catch (e) {
      const msg = (e as Error).message;
      return add(CONSTRAINT_FORMS, msg.startsWith(`Expected ${CONSTRAINT_FORMS}`) ? 'text of none of these forms' : msg);
    }
    const unknown = [...new Set(constraintColumns(c))].filter((n) => !byName.has(n));
    if (unknown.length) return add('a constraint on columns of the schema', `${unknown.length > 1 ? 'unknown columns' : 'unknown column'} ${unknown.map((n) => JSON.stringify(n)).join(', ')} (the schema's columns: ${listNames(schema.columns.map((x) => x.name))})`);
    if (c.type === 'combinations') {
      const problem = combinationsProblem(c, byName);
      if (problem) return add(problem.expected, problem.problem);
      return;
    }
    if (c.type === 'null-when') {
      if (byName.get(c.column)?.nullable === false) return add('a nullable column before "is null when"', `column "${c.column}" has "nullable": false, so it can never be null`);
      const cat = unknownCategories(c.when, byName);
      if (cat) return add('values of the columns a condition compares with', cat);
      return;
    }
    const numeric = (c.type === 'sum' ? c.columns : [c.left, c.right]).map((n) => byName.get(n) as ColumnSchema);
    const notNumeric = numeric.find((col) => col.kind !== 'continuous' && col.kind !== 'integer' && !(c.type === 'compare-columns' && col.kind === 'datetime'));
    if (notNumeric) return add(`numeric (continuous or integer) columns in a ${c.type === 'sum' ? 'sum or comparison with a number' : 'comparison of columns'}`, `column "${notNumeric.name}" of kind ${notNumeric.kind}`);
    if (c.type === 'compare-columns' && (numeric[0].kind === 'datetime') !== (numeric[1].kind === 'datetime')) {
      return add('a datetime column compared with a datetime column', `"${c.left}" (${numeric[0].kind}) compared with "${c.right}" (${numeric[1].kind})`);
    }
    if (c.type === 'sum') {
      const twice = c.columns.find((n, k) => c.columns.indexOf(n) !== k);
      if (twice) return add('each column at most once in a sum', `"${twice}" appears more than once`);
    }
    const bounds = constraintBoundsProblem(c, (n) => schemaColumnBounds(byName.get(n) as ColumnSchema));
    if (bounds) return add('a constraint that the columns\' bounds allow', bounds);
  });
  return out;
}

/**
 * Parses a schema's constraints against the schema and returns them; throws an InputError naming
 * the file, the constraint (`constraints[1]`), its text and what is wrong on the first problem
 * ({@link schemaConstraintProblems}). Call it before training so that a wrong constraint is not
 * silently dropped or found only while sampling.
 * @example const constraints = parseSchemaConstraints(schema, 'cohort.schema.json');
 */
export function parseSchemaConstraints(schema: TableSchema, source?: string): Constraint[] {
  const problems = schemaConstraintProblems(schema);
  if (problems.length) {
    const p = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more wrong constraint${problems.length > 2 ? 's' : ''}: ${problems.slice(1, 4).map((x) => `constraints[${x.index}]`).join(', ')}${problems.length > 4 ? ', ...' : ''})` : '';
    throw new InputError({ file: source, field: `constraints[${p.index}]` }, p.expected, `${JSON.stringify(p.text)}: ${p.problem}${more}`);
  }
  return (schema.constraints ?? []).map(parseConstraint);
}

/** A row of a table that breaks a constraint: 1-based row, the constraint's text, the values it reads. */
export interface ConstraintViolationRow {
  row: number;
  constraint: string;
  values: Record<string, number | string | null>;
}

/** Options of {@link constraintViolationRows}. */
export interface ConstraintCheckOptions {
  /** Absolute slack on sums and comparisons (default 0: exact). */
  tolerance?: number;
  /** Slack relative to the larger of |sum| and |bound| (default 0); for decimal data read from text. */
  relativeTolerance?: number;
  /** Most rows listed (default 20); counts cover every row. */
  limit?: number;
}

/**
 * Counts the rows of a table that break each constraint and lists the first `limit` of them
 * (constraints on absent columns are skipped). Missing terms of a sum count 0; a comparison with
 * a missing value holds (SQL). Exact by default.
 * @example constraintViolationRows(table, schema, { limit: 10 }).rows[0] // { row: 12, constraint: 'a + b <= 10', values: { a: 3, b: 8.5 } }
 */
export function constraintViolationRows(table: Table, schema: TableSchema, opts: ConstraintCheckOptions = {}): { counts: Map<string, number>; rows: ConstraintViolationRow[] } {
  const tolerance = opts.tolerance ?? 0, rel = opts.relativeTolerance ?? 0, limit = opts.limit ?? 20;
  const names = table.schema.fields.map((f) => f.name);
  const constraints = applicableConstraints(schema, names);
  const cols: ConditionColumns = new Map();
  const kinds = new Map(schema.columns.map((c) => [c.name, c.kind]));
  for (const n of new Set(constraints.flatMap(constraintColumns))) {
    const k = kinds.get(n);
    if (k === 'categorical' || k === 'ordinal') cols.set(n, { labels: readLabels(table, n) });
    else cols.set(n, { numbers: readNumbers(table, n) });
  }
  const slack = (a: number, b: number) => tolerance + rel * Math.max(Math.abs(a), Math.abs(b));
  const meets = (op: Inequality, a: number, b: number) => holds(op, a, b + (op === '<=' || op === '<' ? slack(a, b) : -slack(a, b)));
  const counts = new Map<string, number>();
  const rows: ConstraintViolationRow[] = [];
  const value = (n: string, i: number): number | string | null => {
    const v = cols.get(n) as { numbers?: Float64Array; labels?: (string | null)[] };
    if (v.numbers) return Number.isNaN(v.numbers[i]) ? null : v.numbers[i];
    return v.labels?.[i] ?? null;
  };
  for (const c of constraints) {
    let bad = 0;
    const when = c.type === 'null-when' ? compileCondition(c.when, cols) : null;
    const combination = c.type === 'combinations' ? combinationChecker(c, cols) : null;
    for (let i = 0; i < table.numRows; i++) {
      let broken = false;
      if (combination) {
        broken = combination(i);
      } else if (c.type === 'null-when') {
        broken = (when as (row: number) => boolean)(i) && value(c.column, i) !== null;
      } else if (c.type === 'compare-columns') {
        const a = cols.get(c.left)?.numbers?.[i] ?? NaN, b = cols.get(c.right)?.numbers?.[i] ?? NaN;
        broken = !Number.isNaN(a) && !Number.isNaN(b) && !meets(c.op, a, b);
      } else if (c.type === 'sum') {
        let s = 0;
        for (const n of c.columns) { const v = cols.get(n)?.numbers?.[i] ?? NaN; if (!Number.isNaN(v)) s += v; }
        broken = !meets(c.op, s, c.bound);
      }
      if (!broken) continue;
      bad++;
      if (rows.length < limit) rows.push({ row: i + 1, constraint: c.text, values: Object.fromEntries(constraintColumns(c).map((n) => [n, value(n, i)])) });
    }
    counts.set(c.text, bad);
  }
  rows.sort((a, b) => a.row - b.row);
  return { counts, rows };
}

/**
 * Counts rows of a table that violate each constraint (constraints on absent columns are skipped),
 * with an absolute tolerance (default 1e-6, for data whose decimal values meet a bound exactly
 * but whose binary sum does not: 76.9 + 6.4 + 4.7 + 12 = 100.00000000000001). Synthetic rows
 * satisfy every constraint with tolerance 0.
 * @example constraintViolations(synthetic, schema, 0) // Map { 'hbs_pct + ... <= 100' => 0, ... }
 */
export function constraintViolations(table: Table, schema: TableSchema, tolerance = 1e-6): Map<string, number> {
  return constraintViolationRows(table, schema, { tolerance, limit: 0 }).counts;
}
