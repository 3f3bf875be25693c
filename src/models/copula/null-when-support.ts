/**
 * A DP copula's marginals made consistent with the schema's "x is null when W" constraints. Such a
 * column can be present only in rows where NOT W holds, so the marginals must give NOT W at least
 * x's present rate; when the noisy 1-way histogram of W's column gives less, the repair
 * (repair-decoded.ts) nulls x in more rows than the model's missing rate, and no copying can
 * restore it. At ε = 1 the 1-way histograms carry σ₁ ≈ 106 counts per cell on the 1,500-patient
 * cohort, so a boolean held by 10% of patients (chronic transfusion, 147) came out held by 0–2%
 * in some trainings and liver iron, present only with it, missing in 98–100% of rows against 93%.
 *
 * Post-processing of released quantities (no data, no budget): where NOT W's share of W's column
 * (its present levels; its missing rate is kept) is below x's present rate, that column's
 * distribution is mixed with itself restricted to NOT W just enough (null-when-mixing.ts). A
 * column that fixes a stratum, or a condition on several columns, is left as it is.
 */
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import { missingCode } from '../../transform/discretiser';
import { nullWhenSupport, type Constraint } from '../constraints';
import { mixTowardSupport, shareNeeded } from '../null-when-mixing';
import type { CopulaMarginals } from './copula-fit';

/**
 * Raises, in place, the share of each "null when" constraint's NOT W in `m` to at least its
 * column's present rate (see the header); `fixed` lists columns not to change (a stratum's).
 * @example supportNullWhenColumns(margins, encoders, applicableConstraints(schema, columns), new Set())
 */
export function supportNullWhenColumns(m: CopulaMarginals, encoders: readonly DiscreteColumnEncoder[], constraints: readonly Constraint[], fixed: ReadonlySet<number>): void {
  const d = encoders.length;
  const missingRate = (j: number): number => {
    const t = m.missingLatents.indexOf(j);
    return t < 0 ? 0 : 1 - m.cdfs[m.cdfOffsets[d + t]];
  };
  for (const c of constraints) {
    if (c.type !== 'null-when') continue;
    const x = encoders.findIndex((e) => e.column === c.column);
    const support = x < 0 || m.missingLatents.indexOf(x) < 0 ? null : nullWhenSupport(c, encoders);
    if (!support || fixed.has(support.column)) continue;
    const y = support.column, w = support.weights;
    const my = missingRate(y);
    if (!(my < 1)) continue;
    const missY = missingCode(encoders[y]);
    const need = shareNeeded(1 - missingRate(x), my, missY >= 0 ? w[missY] : 0);
    const from = m.cdfOffsets[y], to = m.cdfOffsets[y + 1];
    const q = new Float64Array(to - from);
    for (let k = 0; k < q.length; k++) q[k] = m.cdfs[from + k] - (k > 0 ? m.cdfs[from + k - 1] : 0);
    if (mixTowardSupport([q], q.length, w, [1], need) === 0) continue;
    let acc = 0;
    for (let k = 0; k < q.length; k++) {
      acc += q[k];
      m.cdfs[from + k] = k === q.length - 1 ? 1 : Math.min(1, acc);
    }
  }
}
