/**
 * A `--where` condition checked again after the schema constraints' repair.
 *
 * Generators condition exactly (the graphical model's elimination, the conditional vector, the
 * copula), and "null when" constraints join the condition before sampling
 * (withConstraintEvidence), but the other repairs change values after sampling: a sum above its
 * bound is scaled down (HbS% + HbF% + ... ≤ 100 can take HbS% below the 85 a condition asked for)
 * and a column above another is lowered to it (stroke age to age). The synthetic distribution
 * is "model, then repair", so its rows given the condition are those of that pipeline that meet
 * the condition: the few repaired rows that no longer do are replaced by rows of further exactly
 * conditioned batches (derived seeds, so a seed still gives the same table). Where the condition
 * and the constraints cannot hold together (almost every row fails), sampling stops with an error
 * that names both instead of returning rows that break the condition.
 */
import { UsageError } from '../errors';
import type { DecodedColumn } from '../transform/decode';
import { ConditionColumns, ConditionExpression, compileCondition, conditionColumns } from './conditions';

/** Below this share of repaired rows meeting the condition, the condition and constraints conflict. */
export const MIN_CONDITION_PASS_RATE = 1e-3;
/** Most extra batches drawn to replace repaired rows that broke the condition. */
const MAX_EXTRA_BATCHES = 32;

/**
 * The named columns of decoded rows as conditions read them: live views of the decoded arrays
 * (numbers for numeric and boolean columns, category codes for the others), so a repair that
 * changes values or validity needs no copy kept in step.
 * @example compileCondition(expr, conditionView(decoded, new Set(['age_years'])))(0)
 */
export function conditionView(decoded: readonly DecodedColumn[], names: ReadonlySet<string>): ConditionColumns {
  const cols: ConditionColumns = new Map();
  for (const d of decoded) {
    const e = d.encoder;
    if (!names.has(e.column)) continue;
    if (e.levels === 'bins' || e.output === 'bool') cols.set(e.column, { values: d.values, valid: d.valid });
    else cols.set(e.column, { codes: d.values, valid: d.valid, categories: e.categories as string[] });
  }
  return cols;
}

/** Rows `take` of decoded columns, in that order. */
function takeRows(decoded: readonly DecodedColumn[], take: ReadonlyArray<{ batch: number; row: number }>, batches: readonly DecodedColumn[][]): DecodedColumn[] {
  return decoded.map((d, c) => {
    const values = d.values instanceof Float64Array ? new Float64Array(take.length) : new Int32Array(take.length);
    const valid = new Uint8Array(take.length);
    take.forEach(({ batch, row }, i) => {
      const src = batches[batch][c];
      values[i] = src.values[row];
      valid[i] = src.valid[row];
    });
    return { encoder: d.encoder, values, valid };
  });
}

/**
 * `rows` repaired rows that meet `condition`: the first batch's rows that do, then those of
 * further batches from `sampleBatch(rows, k)` (k = 1, 2, ...).
 * @example rowsMeetingCondition(parseCondition(where), where, constraintTexts, first, 1000, (n, k) => sampleAndRepair(n, k))
 */
export function rowsMeetingCondition(condition: ConditionExpression, text: string, constraintTexts: readonly string[], first: DecodedColumn[], rows: number, sampleBatch: (rows: number, k: number) => DecodedColumn[]): DecodedColumn[] {
  const names = new Set(conditionColumns(condition));
  const batches: DecodedColumn[][] = [first];
  const take: Array<{ batch: number; row: number }> = [];
  let drawn = 0;
  for (let k = 0; take.length < rows; k++) {
    const batch = batches[k];
    const n = batch.length ? batch[0].valid.length : 0;
    const holds = compileCondition(condition, conditionView(batch, names));
    for (let i = 0; i < n && take.length < rows; i++) if (holds(i)) take.push({ batch: k, row: i });
    drawn += n;
    if (take.length >= rows) break;
    const rate = take.length / Math.max(1, drawn);
    if (rate < MIN_CONDITION_PASS_RATE || k >= MAX_EXTRA_BATCHES) {
      throw new UsageError(`Condition ${JSON.stringify(text)} and the schema constraints ${constraintTexts.map((t) => JSON.stringify(t)).join(', ')} cannot hold together: after the constraints' repair, ${take.length} of ${drawn} sampled rows still meet the condition`);
    }
    // Enough rows for the rest at the observed rate, with a margin.
    const need = rows - take.length;
    batches.push(sampleBatch(Math.min(Math.max(64, Math.ceil((need / rate) * 1.2)), 4 * rows + 64), k + 1));
  }
  if (take.length === (first.length ? first[0].valid.length : 0) && take.every((t) => t.batch === 0)) return first;
  return takeRows(first, take, batches);
}
