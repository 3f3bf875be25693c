/**
 * Schema constraints (`TableSchema.constraints`) that every synthetic row satisfies. Forms:
 * * sums and single columns against a constant: `hbs_pct + hbf_pct + hba2_pct <= 100`, `x >= 0`;
 * * column against column: `stroke_age_years <= age_years`;
 * * conditional missingness: `lic_mg_g is null when not chronic_transfusion`.
 * Bounds and allowed categories hold by construction of the decoder. Generators produce rows,
 * then {@link repairRows} makes each row satisfy every constraint with the smallest natural
 * change (set to missing; lower the left column to the right one; scale the summed columns
 * down proportionally), and {@link constraintViolations} checks any table.
 */
import type { Table } from 'apache-arrow';
import type { TableSchema } from '../data/schema';
import { UsageError } from '../errors';
import { readLabels, readNumbers } from '../transform/column-values';
import { ComparisonOperator, ConditionColumns, ConditionExpression, ResolvedCondition, compileCondition, conditionColumns, parseCondition, resolvePredicates } from './conditions';
import { DiscreteColumnEncoder, missingCode } from '../transform/discretiser';

/** A parsed constraint. */
export type Constraint =
  | { type: 'sum'; text: string; columns: string[]; op: '<=' | '<' | '>=' | '>'; bound: number }
  | { type: 'compare-columns'; text: string; left: string; op: '<=' | '<' | '>=' | '>'; right: string }
  | { type: 'null-when'; text: string; column: string; when: ConditionExpression };

/**
 * Parses one constraint string; throws a {@link UsageError} naming it when its form is unknown.
 * @example parseConstraint('hbs_pct + hbf_pct <= 100')
 */
export function parseConstraint(text: string): Constraint {
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
  throw new UsageError(`Expected a constraint of the form "a + b <= 100", "a <= b" or "a is null when <condition>" but received ${JSON.stringify(text)}`);
}

/** Columns a constraint mentions. */
export function constraintColumns(c: Constraint): string[] {
  if (c.type === 'sum') return c.columns;
  if (c.type === 'compare-columns') return [c.left, c.right];
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
  return { text: condition.text, predicates: own, evidence: resolved.evidence, restrictions: resolved.restrictions, cellRanges: resolved.cellRanges };
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

function holds(op: '<=' | '<' | '>=' | '>', a: number, b: number): boolean {
  return op === '<=' ? a <= b : op === '<' ? a < b : op === '>=' ? a >= b : a > b;
}

/**
 * Repairs rows in place so that every constraint holds; returns how many rows each changed.
 * @example repairRows(constraints, columns, rows)
 */
export function repairRows(constraints: readonly Constraint[], cols: RepairColumns, rows: number): Map<string, number> {
  const changed = new Map<string, number>();
  const ordered = [...constraints.filter((c) => c.type === 'null-when'), ...constraints.filter((c) => c.type === 'compare-columns'), ...constraints.filter((c) => c.type === 'sum')];
  const num = (name: string) => {
    const c = cols.numbers.get(name);
    if (!c) throw new UsageError(`Expected a numeric column "${name}" for a schema constraint but received a non-numeric or absent column`);
    return c;
  };
  for (const c of ordered) {
    let count = 0;
    if (c.type === 'null-when') {
      const valid = cols.validity.get(c.column);
      const view = cols.conditionColumns.get(c.column);
      if (!valid) throw new UsageError(`Expected the column "${c.column}" of constraint ${JSON.stringify(c.text)} among the generated columns but received none`);
      const when = compileCondition(c.when, cols.conditionColumns);
      for (let i = 0; i < rows; i++) {
        if (!valid[i] || !when(i)) continue;
        valid[i] = 0;
        if (view?.numbers) view.numbers[i] = NaN;
        if (view?.labels) view.labels[i] = null;
        count++;
      }
    } else if (c.type === 'compare-columns') {
      const l = num(c.left), r = num(c.right);
      const lv = cols.conditionColumns.get(c.left)?.numbers;
      for (let i = 0; i < rows; i++) {
        if (!l.valid[i] || !r.valid[i]) continue;
        if (holds(c.op, l.values[i], r.values[i])) continue;
        let v = r.values[i];
        if (c.op === '<') v = l.integer ? v - 1 : v - Math.max(1e-9, Math.abs(v) * 1e-12);
        if (c.op === '>') v = l.integer ? v + 1 : v + Math.max(1e-9, Math.abs(v) * 1e-12);
        if (l.min !== undefined && v < l.min) v = l.min;
        if (l.max !== undefined && v > l.max) v = l.max;
        l.values[i] = v;
        if (lv) lv[i] = v;
        count++;
      }
    } else {
      const parts = c.columns.map(num);
      for (let i = 0; i < rows; i++) {
        let s = 0;
        for (const p of parts) if (p.valid[i]) s += p.values[i];
        if (holds(c.op, s, c.bound)) continue;
        if (c.op === '<=' || c.op === '<') {
          // scale the (non-negative) terms down so the sum meets the bound; integers round down
          const target = c.op === '<' ? c.bound - 1e-9 : c.bound;
          const f = s > 0 ? target / s : 0;
          for (const p of parts) {
            if (!p.valid[i]) continue;
            let v = p.values[i] * f;
            if (p.integer || p.values instanceof Int32Array) v = Math.floor(v);
            if (p.min !== undefined && v < p.min) v = p.min;
            p.values[i] = v;
          }
        } else {
          // raise the first column by the shortfall, within its bound
          const p = parts[0];
          const need = c.bound - s + (c.op === '>' ? 1e-9 : 0);
          p.values[i] = Math.min(p.max ?? Infinity, p.values[i] + need);
          p.valid[i] = 1;
        }
        for (const p of parts) { const view = cols.conditionColumns.get(c.columns[parts.indexOf(p)])?.numbers; if (view) view[i] = p.valid[i] ? p.values[i] : NaN; }
        count++;
      }
    }
    changed.set(c.text, count);
  }
  return changed;
}

/**
 * Counts rows of a table that violate each constraint (constraints on absent columns are skipped).
 * @example constraintViolations(synthetic, schema) // Map { 'hbs_pct + ... <= 100' => 0, ... }
 */
export function constraintViolations(table: Table, schema: TableSchema, tolerance = 1e-6): Map<string, number> {
  const names = table.schema.fields.map((f) => f.name);
  const constraints = applicableConstraints(schema, names);
  const cols: ConditionColumns = new Map();
  const kinds = new Map(schema.columns.map((c) => [c.name, c.kind]));
  for (const n of new Set(constraints.flatMap(constraintColumns))) {
    const k = kinds.get(n);
    if (k === 'categorical' || k === 'ordinal') cols.set(n, { labels: readLabels(table, n) });
    else cols.set(n, { numbers: readNumbers(table, n) });
  }
  const out = new Map<string, number>();
  for (const c of constraints) {
    let bad = 0;
    const when = c.type === 'null-when' ? compileCondition(c.when, cols) : null;
    for (let i = 0; i < table.numRows; i++) {
      if (c.type === 'null-when') {
        if (!(when as (row: number) => boolean)(i)) continue;
        const v = cols.get(c.column) as { numbers?: Float64Array; labels?: (string | null)[] };
        const present = v.numbers ? !Number.isNaN(v.numbers[i]) : v.labels?.[i] !== null;
        if (present) bad++;
      } else if (c.type === 'compare-columns') {
        const a = cols.get(c.left)?.numbers?.[i] ?? NaN, b = cols.get(c.right)?.numbers?.[i] ?? NaN;
        if (Number.isNaN(a) || Number.isNaN(b)) continue;
        if (!holds(c.op, a, b + (c.op === '<=' || c.op === '<' ? tolerance : -tolerance))) bad++;
      } else {
        let s = 0;
        for (const n of c.columns) { const v = cols.get(n)?.numbers?.[i] ?? NaN; if (!Number.isNaN(v)) s += v; }
        if (!holds(c.op, s, c.bound + (c.op === '<=' || c.op === '<' ? tolerance : -tolerance))) bad++;
      }
    }
    out.set(c.text, bad);
  }
  return out;
}
