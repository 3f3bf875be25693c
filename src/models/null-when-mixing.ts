/**
 * The step shared by the DP generators' "null when" support (copula/null-when-support.ts,
 * marginal/null-when-support.ts): for "x is null when W", NOT W's share of the present values of
 * W's column must be at least what x's present rate needs, or the repair nulls x beyond its model
 * rate. Where it is below, each row of that column's distribution (one row for a copula's
 * marginal; one per parent level for a tree's conditional table) is mixed with itself restricted
 * to NOT W, by one factor λ for all rows, just enough. A row's present mass and missing cell are
 * kept, and levels wholly outside NOT W keep their proportions. Post-processing: no data, no budget.
 */

/**
 * The share of NOT W that W's column's present levels must reach: P(x present) =
 * (1 − m_y)·share + m_y·w_miss, with m_y that column's missing rate and w_miss whether NOT W holds
 * on its missing value; at most 1.
 * @example shareNeeded(0.1, 0, 0) // 0.1
 */
export function shareNeeded(presentX: number, missingY: number, notWOnMissing: number): number {
  return Math.min(1, (presentX - missingY * notWOnMissing) / (1 - missingY));
}

/**
 * Mixes, in place, the first `present` cells of each row of `rows` (a row: probabilities or
 * masses over codes) with the row restricted to NOT W (`w`: weight per code in [0, 1]), by one λ
 * found so that NOT W's share of the present mass, over the rows weighted by `rowWeights`, is
 * `need`; nothing when it already is. Returns λ (0: unchanged).
 * @example mixTowardSupport([q], 2, Float64Array.of(0, 1), [1], 0.1) // P(level 1) raised to 0.1
 */
export function mixTowardSupport(rows: Float64Array[], present: number, w: ArrayLike<number>, rowWeights: ArrayLike<number>, need: number): number {
  let weightSum = 0;
  for (let k = 0; k < present; k++) weightSum += w[k];
  if (!(weightSum > 0)) return 0;
  // Per row: present mass m, NOT W's mass a, and the restricted row's share of NOT W a_u.
  let mass = 0, allowed = 0, restricted = 0;
  const shares = rows.map((row, r) => {
    let m = 0, a = 0, a2 = 0;
    for (let k = 0; k < present; k++) { m += row[k]; a += w[k] * row[k]; a2 += w[k] * w[k] * row[k]; }
    const shareU = a > 0 ? a2 / a : Array.from({ length: present }, (_, k) => w[k] * w[k]).reduce((s, v) => s + v, 0) / weightSum;
    mass += rowWeights[r] * m;
    allowed += rowWeights[r] * a;
    restricted += rowWeights[r] * m * shareU;
    return { m, a };
  });
  if (!(mass > 0)) return 0;
  const A = allowed / mass, B = restricted / mass;
  if (!(A < need) || !(B > A)) return 0;
  const lambda = Math.min(1, (need - A) / (B - A));
  rows.forEach((row, r) => {
    const { m, a } = shares[r];
    if (!(m > 0)) return;
    for (let k = 0; k < present; k++) {
      const u = a > 0 ? (w[k] * row[k]) / a : w[k] / weightSum;
      row[k] = (1 - lambda) * row[k] + lambda * m * u;
    }
  });
  return lambda;
}
