/**
 * The constraint repair of decoded synthetic rows (constraints.ts) as sampling runs it: every row
 * made to satisfy every constraint, then each "null when" column's missing rate put back to the
 * model's own (restoreMissingRates).
 */
import type { DecodedColumn } from '../transform/decode';
import { compileCondition } from './conditions';
import { conditionView } from './condition-after-repair';
import { UsageError } from '../errors';
import { Constraint, constraintBoundsProblem, constraintColumns, repairRows, RepairColumns } from './constraints';
import { SamplingRandom } from './sampling-random';

/** A "null when" column before the repair: its missing count, validity and values. */
interface BeforeRepair {
  missing: number;
  valid: Uint8Array;
  values: ArrayLike<number>;
}

/**
 * Repairs decoded rows in place so every constraint holds, keeping the model's missing rates.
 * Throws a UsageError before changing anything when the columns' bounds make a constraint
 * impossible (a model trained before schemas were checked), and when a row cannot be made to
 * satisfy every constraint (repairRows): rows that break a constraint never come out.
 */
export function repairDecoded(constraints: readonly Constraint[], decoded: DecodedColumn[], seed: number): void {
  const byColumn = new Map(decoded.map((d) => [d.encoder.column, d.encoder]));
  for (const c of constraints) {
    const problem = constraintBoundsProblem(c, (name) => {
      const e = byColumn.get(name);
      return e && e.levels === 'bins' ? { integer: e.integer, min: e.min, max: e.max, nullable: e.nullable } : undefined;
    });
    if (problem) throw new UsageError(`Expected schema constraints that the columns' bounds allow but received constraint ${JSON.stringify(c.text)}: ${problem}; no row can satisfy it, so the model's schema must change`);
  }
  const used = new Set(constraints.flatMap(constraintColumns));
  const cols: RepairColumns = { numbers: new Map(), validity: new Map(), conditionColumns: conditionView(decoded, used) };
  for (const d of decoded) {
    const e = d.encoder;
    if (!used.has(e.column)) continue;
    cols.validity.set(e.column, d.valid);
    if (e.levels === 'bins') cols.numbers.set(e.column, { values: d.values, valid: d.valid, integer: e.integer, min: e.min, max: e.max });
  }
  // The null-when columns before the repair: their missing counts and the values it removes.
  const before = new Map<string, BeforeRepair>();
  for (const c of constraints) {
    const d = c.type === 'null-when' ? decoded.find((x) => x.encoder.column === c.column) : undefined;
    if (d) before.set(d.encoder.column, { missing: countMissing(d.valid), valid: Uint8Array.from(d.valid), values: d.values.slice() });
  }
  const rows = decoded.length ? decoded[0].valid.length : 0;
  repairRows(constraints, cols, rows);
  if (restoreMissingRates(constraints, cols, decoded, before, seed)) {
    // A value moved to another row may break that row's other constraints (a stroke age above
    // the recipient's age: 23 of 1,500 rows of a DP marginal model once "stroke_age_years is
    // null when not stroke" joined the schema), so the rows are repaired once more, against
    // every constraint together (moved values only enter rows where their own condition allows
    // them, but a column moved by another repair may make a condition hold).
    repairRows(constraints, cols, rows);
  }
}

function countMissing(valid: Uint8Array): number {
  let k = 0;
  for (let i = 0; i < valid.length; i++) if (!valid[i]) k++;
  return k;
}

/**
 * A "null when" constraint forces values to missing where its condition holds; when the model
 * did not tie the column's missingness to that condition, this adds missing values and the
 * column's missing rate overshoots the model's own. To keep the model's rate, that many rows
 * where the condition does not hold and the value is missing get the value of a random other
 * such row that has one (post-processing of synthetic rows only; the condition stays satisfied).
 * Returns whether any value moved.
 * When no such row has a value (the model put every value where the condition holds), the
 * donors are the values the repair removed: a DP copula at ε = 1 lost the tie of liver iron to
 * chronic transfusion, and liver iron came out missing in every row (real 92.7%, model 92.1%).
 * Where the generator drew a value for every row (DecodedColumn.drawn: the copula's value
 * latent), a row made present takes its own drawn value instead of a donor's, so it keeps its
 * dependence on the row: on cohort 7 (15,000 rows, ε = ∞) 1,697 of 6,107 TCD velocities were
 * another row's, whatever its genotype and Hb (check V8: TCD by genotype and against Hb).
 */
function restoreMissingRates(constraints: readonly Constraint[], cols: RepairColumns, decoded: DecodedColumn[], before: ReadonlyMap<string, BeforeRepair>, seed: number): boolean {
  const rng = new SamplingRandom(seed, 0x3fff0000);
  let moved = false;
  for (const c of constraints) {
    if (c.type !== 'null-when') continue;
    const d = decoded.find((x) => x.encoder.column === c.column);
    const was = before.get(c.column);
    if (!d || !was) continue;
    const valid = d.valid;
    const excess = countMissing(valid) - was.missing;
    if (excess <= 0) continue;
    const holes: number[] = [], donors: number[] = [];
    const when = compileCondition(c.when, cols.conditionColumns);
    for (let i = 0; i < valid.length; i++) {
      if (when(i)) continue;
      (valid[i] ? donors : holes).push(i);
    }
    // Donor values: kept ones, else removed ones.
    let source: ArrayLike<number> = d.values;
    if (donors.length === 0) {
      for (let i = 0; i < valid.length; i++) if (was.valid[i] && !valid[i]) donors.push(i);
      source = was.values;
    }
    if (donors.length === 0) continue;
    // The condition view is live over d.values and valid (conditionView), so it follows.
    for (let k = 0; k < Math.min(excess, holes.length); k++) {
      const pick = k + Math.floor(rng.next() * (holes.length - k));
      const h = holes[pick];
      holes[pick] = holes[k];
      const from = donors[Math.floor(rng.next() * donors.length)];
      d.values[h] = d.drawn ? d.drawn[h] : source[from];
      valid[h] = 1;
      moved = true;
    }
  }
  return moved;
}
