/**
 * The missing rates a central DP neural training (TVAE, CTGAN) releases, as one clipped vector.
 *
 * missingness-groups.ts releases each missingness group's Σ-fraction sum with sensitivity 1: with
 * G groups that costs G budget units (26 on the SCD cohort), and at ε = 3 the sums carried noise
 * σ = 36 counts (2.4% of 1,500 rows): the worst group came out 5.5 to 6.7 points off. The copula
 * and the marginal generator release the same counts as one vector whose rows are clipped to L2
 * norm MISSING_ROW_CLIP = 3 after each group is oriented to its rarer state
 * (marginal/assay-missingness.ts): sensitivity 3, i.e. 9 units, whatever G. Orientation needs a
 * first idea of each rate; the histograms the other generators have are missing here, so a pilot
 * release buys it: the groups' sums at sensitivity √G for one unit (noise √G·σ, about 8% of the
 * rows, plenty to tell a rate from one half except near it, where a wrong orientation only costs
 * clipping). 1 + 9 units against G: used when G ≥ 12.
 *
 * Federated trainings make the same releases with secure sums: the pilot is a round of its own,
 * then each site sends the clipped sums of its rows (federated/tasks/federated-missingness.ts).
 */
import type { TableSchema } from '../../data/schema';
import type { CryptoRandom } from '../../dp/noise';
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import { MISSING_ROW_CLIP, releaseGroupMissing } from '../marginal/assay-missingness';
import { dpMarginalLayout, dpMarginalSums, dpMarginalsFromSums, measureDpMarginals, planDpMarginals, type DpMarginalPlan, type DpMarginals } from './missingness-groups';

/** Budget units of the clipped vector: its L2 sensitivity squared. */
const VECTOR_UNITS = MISSING_ROW_CLIP * MISSING_ROW_CLIP;

/** A central plan: per-group releases, or (`vector`) a pilot, the clipped vector, histograms and the row count. */
export interface CentralDpMarginalPlan extends DpMarginalPlan {
  vector: boolean;
}

/**
 * The calibration releases of a central DP training, before the data is read: the clipped vector
 * where it costs fewer units than one release per group.
 * @example planCentralDpMarginals(schema, plan.map((p) => p.column.name)).releases // 15 for 26 groups
 */
export function planCentralDpMarginals(schema: TableSchema, modelled: readonly string[]): CentralDpMarginalPlan {
  const base = planDpMarginals(schema, modelled);
  if (base.groups < 1 + VECTOR_UNITS + 2) return { ...base, vector: false };
  return { ...base, releases: 1 + VECTOR_UNITS + base.conditionColumns.length + 1, vector: true };
}

/**
 * Measures a central plan (call only after the ledger was charged for `plan.releases` Gaussian
 * releases of σ = noise.sigma at sensitivity 1): the row count, the condition and count columns'
 * histograms and the groups' missing counts, read as missingness-groups.ts reads its sums.
 * @example measureCentralDpMarginals(plan, encoders, schema, codes, n, { sigma, rng })
 */
export function measureCentralDpMarginals(plan: CentralDpMarginalPlan, encoders: readonly DiscreteColumnEncoder[], schema: TableSchema, codes: readonly Int32Array[], n: number, noise: { sigma: number; rng: CryptoRandom }): DpMarginals {
  if (!plan.vector) return measureDpMarginals(plan, encoders, schema, codes, n, noise);
  const { sigma, rng } = noise;
  const layout = dpMarginalLayout(plan, encoders, schema);
  const rows = n + rng.gaussian(0, sigma);
  const G = layout.groups.length;
  // The exact sums: the groups' Σ-fraction sums first, then the histograms.
  const sums = dpMarginalSums(layout, encoders, codes);
  // Pilot: one unit at sensitivity √G.
  const pilot = Array.from(sums.subarray(0, G), (s) => (s + rng.gaussian(0, sigma * Math.sqrt(G))) / Math.max(1, rows));
  const groupOf = new Map<number, number>();
  layout.groups.forEach((g, k) => g.columns.forEach((j) => groupOf.set(j, k)));
  // The clipped vector: VECTOR_UNITS units, so its entries carry noise σ.
  const release = releaseGroupMissing(codes, n, encoders, schema, (j) => pilot[groupOf.get(j) as number], sigma / MISSING_ROW_CLIP, rng, rows);
  for (let k = 0; k < sums.length; k++) sums[k] = k < G ? release.missing[k] : sums[k] + rng.gaussian(0, sigma);
  return dpMarginalsFromSums(layout, encoders, sums, rows, sigma);
}
