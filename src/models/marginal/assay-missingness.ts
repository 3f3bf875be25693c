/**
 * Noisy missing counts of the nullable columns, by assay.
 *
 * Missing counts shared by the columns of one assay. The columns of one schema `source` (a
 * SNP panel, a metabolomics run: public metadata, see neural/missingness-groups.ts) are missing
 * at one rate, so each takes the mean of their noisy missing counts, which carries 1/√(columns)
 * of the noise. Post-processing of released counts. Measured with the marginal generator on the
 * 1,500-patient cohort at ε = 3: worst panel column 4.1 points off its real missing rate, against
 * 6.0 (3 columns beyond 5) with each column's own count; fidelity ratio 4.94 → 4.77, and 7.51 →
 * 6.93 at ε = 1.
 *
 * The non-panel columns still missed: a histogram's missing cell has the noise of one of 280
 * columns (σ₁ = 47 counts, 3.2% of the rows, for the copula at ε = 3), and the worst of 24 such
 * columns was 6.3 to 8.5 points off (cohorts 21 and 7). So the copula and the marginal generator
 * also release every assay's missing count once more, as one vector with rows clipped
 * ({@link releaseGroupMissing}:
 * σ 15 counts at ε = 3 for 10% of the copula's ρ), and combine the two
 * ({@link combineGroupMissingCounts}). On cohorts 21, 7, 5, 11 and 3 at ε = 3 no column of either
 * generator is then more than 5 points off its real missing rate (worst 4.1); before, 2 or 3 were
 * on cohorts 21 and 7.
 */
import type { TableSchema } from '../../data/schema';
import type { CryptoRandom } from '../../dp/noise';
import { HemasynthError } from '../../errors';
import { missingCode, type DiscreteColumnEncoder } from '../../transform/discretiser';
import { missingnessGroups, type MissingnessGroup } from '../neural/missingness-groups';

/**
 * L2 clip of a row's vector in the missing-count release ({@link releaseGroupMissing}). Its
 * entries are the row's share of each group's columns in their rarer state, so most rows have
 * norm at most 3: on the SCD cohort (26 groups, cohort 7) 24 of the 1,500 rows had more than nine
 * groups in their rarer state, and clipping moved a group's count by at most 1.7 rows.
 */
export const MISSING_ROW_CLIP = 3;

/** A DP release of each missingness group's missing count (see {@link releaseGroupMissing}). */
export interface GroupMissingRelease {
  groups: MissingnessGroup[];
  /** Noisy Σ over rows of the share of the group's columns missing. */
  missing: Float64Array;
  /** Standard deviation of each entry's noise. */
  sigma: number;
}

/**
 * One Gaussian release of every missingness group's missing count (groups by schema source,
 * missingnessGroups), far less noisy than the missing cells of the 1-way histograms: those cost
 * noise √(columns) (280 on the cohort), this one the row clip. Each row contributes, per group,
 * the share of the group's columns in their rarer state (missing, or present where the group's
 * noisy histogram rate is above one half: mostly-missing columns such as liver iron are present in
 * few rows), the vector scaled to L2 norm at most MISSING_ROW_CLIP: the sum has L2 sensitivity
 * MISSING_ROW_CLIP under add/remove, so `sigmaUnit` (the σ of a sensitivity-1 Gaussian release)
 * times the clip is the noise. The rarer state is chosen from already released histograms.
 * Measured on the cohort at ε = 3 (copula, 10% of ρ): noise σ 1.2% of the rows per group against
 * 3.7% for a histogram's missing cell.
 * @example releaseGroupMissing(codes, rows, encoders, schema, noisyRates, sigma, rng, total)
 */
export function releaseGroupMissing(codes: readonly Int32Array[], rows: number, encoders: readonly DiscreteColumnEncoder[], schema: TableSchema, noisyRate: (j: number) => number, sigmaUnit: number, rng: CryptoRandom, total: number): GroupMissingRelease {
  const groups = missingnessGroups(encoders, schema);
  const rareIsPresent = rarerStates(groups, noisyRate);
  const sums = clippedRareSums(codes, rows, encoders, groups, rareIsPresent);
  const sigma = sigmaUnit * MISSING_ROW_CLIP;
  return { groups, missing: missingFromRareSums(Array.from(sums, (s) => s + rng.gaussian(0, sigma)), rareIsPresent, total), sigma };
}

/** Per group, whether its rarer state is "present" (the mean noisy missing rate of its columns above one half). */
export function rarerStates(groups: readonly MissingnessGroup[], noisyRate: (j: number) => number): boolean[] {
  return groups.map((g) => g.columns.reduce((s, j) => s + noisyRate(j), 0) / g.columns.length > 0.5);
}

/**
 * The exact statistic of {@link releaseGroupMissing}: per group, Σ over rows of the share of its
 * columns in their rarer state, each row's vector scaled to L2 norm at most MISSING_ROW_CLIP
 * (L2 sensitivity MISSING_ROW_CLIP; additive over rows, so a federation sums it across sites).
 * @example clippedRareSums(codes, rows, encoders, groups, rarerStates(groups, rate))
 */
export function clippedRareSums(codes: readonly Int32Array[], rows: number, encoders: readonly DiscreteColumnEncoder[], groups: readonly MissingnessGroup[], rareIsPresent: readonly boolean[]): Float64Array {
  const sums = new Float64Array(groups.length);
  const v = new Float64Array(groups.length);
  const miss = encoders.map(missingCode);
  for (let i = 0; i < rows; i++) {
    let norm = 0;
    groups.forEach((g, k) => {
      let rare = 0;
      for (const j of g.columns) if ((codes[j][i] === miss[j]) !== rareIsPresent[k]) rare++;
      v[k] = rare / g.columns.length;
      norm += v[k] * v[k];
    });
    const f = norm > MISSING_ROW_CLIP * MISSING_ROW_CLIP ? MISSING_ROW_CLIP / Math.sqrt(norm) : 1;
    for (let k = 0; k < groups.length; k++) sums[k] += f * v[k];
  }
  return sums;
}

/** Missing counts from (noisy) rare-state sums: a "present" group's count is the total less its sum. */
export function missingFromRareSums(noisy: ArrayLike<number>, rareIsPresent: readonly boolean[], total: number): Float64Array {
  return Float64Array.from(rareIsPresent, (present, k) => (present ? total - noisy[k] : noisy[k]));
}

/**
 * Sets each grouped column's missing cell (1-way counts per column, indexed by code, noise σ₁ per
 * cell) to its group's estimate, in place: the mean of the group's noisy cells, combined with the
 * group's entry of `release` (when there is one) by inverse-variance weighting.
 * @example combineGroupMissingCounts(noisy, encoders, schema, sigma1, releaseGroupMissing(...))
 */
export function combineGroupMissingCounts(counts: ReadonlyArray<Float64Array | number[]>, encoders: readonly DiscreteColumnEncoder[], schema: TableSchema, sigma1: number, release: GroupMissingRelease | null): void {
  const groups = release ? release.groups : missingnessGroups(encoders, schema);
  groups.forEach((group, k) => {
    let estimate = group.columns.reduce((s, j) => s + counts[j][missingCode(encoders[j])], 0) / group.columns.length;
    if (release) {
      const wHist = group.columns.length / (sigma1 * sigma1), wRelease = 1 / (release.sigma * release.sigma);
      estimate = (estimate * wHist + release.missing[k] * wRelease) / (wHist + wRelease);
    }
    for (const j of group.columns) counts[j][missingCode(encoders[j])] = estimate;
  });
}

/**
 * Releases the assays' missing counts ({@link releaseGroupMissing}, rarer states read off the noisy
 * histograms `counts`) and combines them into the histograms' missing cells, in place
 * ({@link combineGroupMissingCounts}); returns the release. `sigmaUnit` 0: no release, the
 * groups only share their cells' mean.
 * @example refineMissingCounts(noisy, codes, rows, encoders, schema, sigma1, sigmaM, rng)
 */
export function refineMissingCounts(counts: readonly Float64Array[], codes: readonly Int32Array[], rows: number, encoders: readonly DiscreteColumnEncoder[], schema: TableSchema, sigma1: number, sigmaUnit: number, rng: CryptoRandom): GroupMissingRelease | null {
  const { total, rate } = histogramMissingRates(counts, encoders);
  const release = sigmaUnit > 0 ? releaseGroupMissing(codes, rows, encoders, schema, rate, sigmaUnit, rng, total) : null;
  combineGroupMissingCounts(counts, encoders, schema, sigma1, release);
  return release;
}

/**
 * The noisy row count of noisy 1-way histograms (the mean of the columns' sums) and each column's
 * noisy missing rate.
 * @example histogramMissingRates(noisy, encoders).rate(3) // 0.19
 */
export function histogramMissingRates(counts: ReadonlyArray<ArrayLike<number>>, encoders: readonly DiscreteColumnEncoder[]): { total: number; rate: (j: number) => number } {
  let sum = 0;
  for (const h of counts) for (let k = 0; k < h.length; k++) sum += h[k];
  const total = Math.max(1, sum / Math.max(1, counts.length));
  return { total, rate: (j) => Math.max(0, counts[j][missingCode(encoders[j])]) / total };
}

/**
 * What a federation's missing-count round sends to the sites: the assays (missingness groups,
 * from the schema) and their rarer states read off the noisy 1-way histograms, with the noisy row
 * count the summed release is read against ({@link missingFromRareSums}).
 * @example assayLayout(noisyOneWay, encoders, schema).rareIsPresent
 */
export function assayLayout(counts: ReadonlyArray<ArrayLike<number>>, encoders: readonly DiscreteColumnEncoder[], schema: TableSchema): { groups: MissingnessGroup[]; rareIsPresent: boolean[]; total: number } {
  const { total, rate } = histogramMissingRates(counts, encoders);
  const groups = missingnessGroups(encoders, schema);
  return { groups, rareIsPresent: rarerStates(groups, rate), total };
}

/**
 * A site's clipped rare-state sums ({@link clippedRareSums}) for a missing-count round plan, after
 * checking the plan's groups (nullable encoder indices) and rarer states: the plan comes from the
 * coordinator, not from this site.
 * @example siteRareSums(plan.groups, plan.rareIsPresent, codes, rows, encoders, 'federated copula')
 */
export function siteRareSums(groups: unknown, rare: unknown, codes: readonly Int32Array[], rows: number, encoders: readonly DiscreteColumnEncoder[], model: string): Float64Array {
  const valid = Array.isArray(groups) && Array.isArray(rare) && rare.length === groups.length && rare.every((r) => typeof r === 'boolean')
    && groups.every((g) => Array.isArray(g) && g.length > 0 && g.every((j) => Number.isInteger(j) && j >= 0 && j < encoders.length && encoders[j].nullable));
  if (!valid) throw new HemasynthError(`${model}: a missing-count plan without valid groups (nullable encoder indices) and one rarer state per group`);
  return clippedRareSums(codes, rows, encoders, (groups as number[][]).map((columns, k) => ({ key: String(k), columns })), rare as boolean[]);
}

/**
 * Sets each grouped column's missing cell to its group's mean, in place (1-way counts per column,
 * indexed by code): {@link combineGroupMissingCounts} without a release.
 * @example shareAssayMissingCounts(oneWay.map((m) => m.counts), encoders, schema)
 */
export function shareAssayMissingCounts(counts: ReadonlyArray<Float64Array | number[]>, encoders: readonly DiscreteColumnEncoder[], schema: TableSchema): void {
  combineGroupMissingCounts(counts, encoders, schema, 1, null);
}
