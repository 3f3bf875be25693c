/**
 * The fitting steps of the Gaussian copula (see copula-generator.ts for the model), each a
 * function of sums over rows so that the same code fits a central model and a federated one
 * (src/federated/tasks/copula.ts, where the sums are summed securely across sites):
 *  1. copulaMarginals: the latents' CDFs from (noisy) 1-way counts;
 *  2. copulaScoreSum: Σ z zᵀ of the rows' clipped normal scores (upper triangle);
 *  3. copulaCorrelation: the (noisy) sum to a positive-definite correlation matrix;
 *  4. copulaParts: the model's configuration and weights.
 */
import { DiscreteColumnEncoder, levelCount, missingCode } from '../../transform/discretiser';
import type { TableSchema } from '../../data/schema';
import type { TrainedParts } from '../generator';
import { missingnessGroups } from '../neural/missingness-groups';
import { PANEL_MIN_COLUMNS, TIE_MIN_JACCARD, tiedColumnGroups } from '../neural/tied-missingness';
import { projectToSimplex } from '../marginal/tree-estimation';
import { latentCorrelations, scoreMoments } from './latent-correlation';

// The tie and panel thresholds are shared with the neural generators (neural/tied-missingness.ts).
export { PANEL_MIN_COLUMNS, TIE_MIN_JACCARD };
import { cellScores, rowScores } from './copula-scores';
import { nearestCorrelation, nearestCorrelationKeeping } from './nearest-correlation';
import { cholesky } from './cholesky';

export { cholesky };

/** The latents' CDFs: per latent its cells' cumulative probabilities. */
export interface CopulaMarginals {
  cdfOffsets: number[];
  cdfs: number[];
  /** Columns with a (present, missing) latent after the value latents. */
  missingLatents: number[];
  /** The (noisy) row count. */
  total: number;
}

/**
 * Latents and their CDFs from the (noisy) 1-way counts of every column's codes.
 * @example copulaMarginals(encoders, measureMarginals(enc, encoders.map((_, j) => [j])))
 * @param missingColumns the columns with a missingness latent (default: the nullable ones whose noisy missing rate is above 0.1%)
 */
export function copulaMarginals(encoders: readonly DiscreteColumnEncoder[], oneWay: readonly Float64Array[], missingColumns?: readonly number[]): CopulaMarginals {
  const d = encoders.length;
  const total = Math.max(1, oneWay.reduce((s, c) => s + c.reduce((a, b) => a + b, 0), 0) / d);
  // Latents: one value latent per column over its present levels (in order), then one
  // missingness latent (present, missing) per nullable column whose noisy missing rate is above
  // 0.1%. Panels of columns missing together (SNP panels not run) then correlate through their
  // missingness latents only: with missing as the lowest cell of a single latent, the joint
  // missingness forced correlations near 1 onto the values as well (28,830 of the 39,060 column
  // pairs of the 1,500-patient cohort had |r| > 0.1, and the copula's 2-way fidelity ratio was ~6).
  // `missingColumns` fixes the list instead (the components of a stratified copula share one
  // latent layout).
  const cdfOffsets = [0];
  const cdfs: number[] = [];
  const missingLatents: number[] = [];
  const missingProb: number[] = [];
  encoders.forEach((e, j) => {
    const miss = missingCode(e);
    const present = levelCount(e);
    // The missing rate is read off the missing cell itself and only the present cells are
    // projected onto the simplex (with the rest of the mass). Projecting the whole histogram
    // shifted every cell by the same amount, the missing cell too, and the present cells'
    // noise decided that shift: at ε = 1 (σ₁ ≈ 160 counts per cell on the cohort) every missing
    // rate came out low, retic 1.9% against 13.1% real, although its count had been refined by
    // the assays' release (assay-missingness.ts) to within about 2 points.
    const missCount = miss >= 0 ? Math.min(total, Math.max(0, oneWay[j][miss])) : 0;
    const missRate = missCount / total;
    // total − missCount, not total·(1 − rate): exact counts then project onto themselves exactly.
    const p = projectToSimplex(oneWay[j].subarray(0, present), total - missCount);
    let mass = 0;
    for (let c = 0; c < present; c++) mass += p[c];
    let acc = 0;
    for (let c = 0; c < present; c++) { acc += mass > 0 ? p[c] / mass : 1 / present; cdfs.push(c === present - 1 ? 1 : Math.min(1, acc)); }
    cdfOffsets.push(cdfs.length);
    if (missingColumns ? missingColumns.includes(j) : miss >= 0 && missRate > 0.001) { missingLatents.push(j); missingProb.push(missRate); }
  });
  missingLatents.forEach((_, t) => { cdfs.push(1 - missingProb[t], 1); cdfOffsets.push(cdfs.length); });
  return { cdfOffsets, cdfs, missingLatents, total };
}

/**
 * C², the squared row clip of a score sum, which is the sum's L2 sensitivity. Without weights (no
 * DP): dl, which no row's mid-cell scores exceed by much. With weights (DP, copulaScoreWeights):
 * the expected squared weighted norm of a row's scores, E‖w∘z‖² = Σ w² E[s²], at most Σ w² (the
 * worst case, which was the clip before). E[s²] comes from the CDFs, released (noisy) marginals,
 * so the clip is post-processing and reads no row. Why: the noise of every correlation is
 * proportional to C², and Σ w² is far above what rows' norms are: on the cohort (546 latents, the
 * panels weighted 0.1) Σ w² = 70.8, E‖w∘z‖² = 31.2, and rows' squared norms had median 29.5 and
 * 99th percentile 60.8. About half the rows are scaled down; latentCorrelations divides out the
 * share of the products that leaves (clippedScoreShares).
 * Measured on cohorts 7, 21, 5 and 11 (training seed 3; checks V1–V13 on six 1,500-row samples per
 * cohort, and on one of 15,000 rows), the worst-case clip against this one:
 *  - ε = 10: 75 → 120 checks (11 → 22 on 15,000 rows), fidelity ratio 3.216 → 3.213;
 *  - ε = 3: 17 → 33 checks (0 → 3), fidelity 3.728 → 3.696; ε = 1: 0 → 2, fidelity 5.025 → 5.012;
 *  - the 12-column table (3,000 rows, no panels; 8 training seeds): ε = 1 1.480 → 1.469, ε = 4
 *    1.287 → 1.303: on a narrow table the noise saved is small and the clipping shows a little.
 * These counts are noisy: over three samples per cohort, the sampling seeds alone moved them by up
 * to 16 (37 to 53 at ε = 10, same models).
 * Not kept: the expected norm plus one standard deviation (independent latents), which left the
 * narrow table as it was (1.293 at ε = 4) but gave 19 checks at ε = 3; one kept share for all
 * latents instead of one per latent, 113 and 30 checks; a clip at 35% or 50% of Σ w² without
 * dividing out the share kept, 110 at ε = 10.
 * @example squaredScoreClip(margins, copulaScoreWeights(encoders, schema, margins))
 */
export function squaredScoreClip(m: CopulaMarginals, weights?: ArrayLike<number>): number {
  const dl = m.cdfOffsets.length - 1;
  if (!weights) return dl;
  const d = dl - m.missingLatents.length;
  const defined = definedShares(m);
  let worst = 0, expected = 0;
  for (let t = 0; t < dl; t++) {
    const w2 = weights[t] * weights[t];
    worst += w2;
    // E[s²] of the latent's mid-cell scores where its column is present (0 where missing).
    const { mean, variance } = scoreMoments(m, t);
    expected += w2 * (t < d ? defined[t] : 1) * (variance + mean * mean);
  }
  return Math.min(worst, expected);
}

/** Per value latent, the share of rows where its column is present (1 − its missingness latent's rate; 1 without one). */
export function definedShares(m: CopulaMarginals): Float64Array {
  const d = m.cdfOffsets.length - 1 - m.missingLatents.length;
  const share = new Float64Array(d).fill(1);
  m.missingLatents.forEach((j, u) => { share[j] = Math.min(1, Math.max(0, m.cdfs[m.cdfOffsets[d + u]])); });
  return share;
}

/**
 * Σ z zᵀ (upper triangle, row-major dl × dl) of the rows' normal scores, each row scaled to L2
 * norm at most C = sqrt(clip2) (default squaredScoreClip: dl without weights): under add/remove
 * of a row the upper triangle changes by at most ||z||² <= C² in L2, the sensitivity of the
 * Gaussian mechanism on it. With `weights` (DP, copulaScoreWeights) each score is multiplied by
 * its latent's weight first; latentCorrelations divides them out again.
 * @example const { sum, dl, clip } = copulaScoreSum(encoders, codes, rows, margins)
 */
export function copulaScoreSum(encoders: readonly DiscreteColumnEncoder[], codes: readonly Int32Array[], rows: number, m: CopulaMarginals, weights?: Float64Array, clip2 = squaredScoreClip(m, weights)): { sum: Float64Array; dl: number; clip: number } {
  const d = encoders.length;
  const dl = d + m.missingLatents.length;
  const clip = Math.sqrt(clip2);
  const S = new Float64Array(dl * dl);
  const z = new Float64Array(dl);
  const missCodes = encoders.map(missingCode);
  const scores = cellScores(m);
  for (let i = 0; i < rows; i++) {
    rowScores(codes, i, m, missCodes, z, scores);
    if (weights) for (let a = 0; a < dl; a++) z[a] *= weights[a];
    let norm = 0;
    for (let a = 0; a < dl; a++) norm += z[a] * z[a];
    const f = norm > clip * clip ? clip / Math.sqrt(norm) : 1;
    for (let a = 0; a < dl; a++) {
      const za = z[a] * f;
      if (za === 0) continue;
      for (let b = a; b < dl; b++) S[a * dl + b] += za * z[b] * f;
    }
  }
  return { sum: S, dl, clip };
}

/**
 * Weight of an assay panel's latents in a DP score sum (copulaScoreWeights). Why: the sum's
 * sensitivity is the squared row clip, Σ w² over the latents, so on the cohort the 240 omics
 * columns' ~450 latents set the noise of every correlation: at ε = 10 each clinical latent
 * correlation had noise ≈ 0.27 and was thresholded away. Weighted by w, a panel latent's own
 * correlations carry 1/w (1/w² within the panel) times the noise, the clinical ones about a
 * sixth of it. Measured on cohorts 7, 21 and 5 (three 1,500-row samples each, checks V1–V13):
 * at ε = 10, 17 checks with w = 0.1 against 5 with w = 1 (8 with 0.3, 15 with 0.05), fidelity
 * ratio 3.73, 2.88, 3.21 against 3.59, 3.02, 3.25; at ε = 3 no real difference (1 against 3
 * checks, fidelity 4.15, 3.52, 3.76 against 4.23, 3.51, 3.81).
 */
export const PANEL_SCORE_WEIGHT = 0.1;

/**
 * Per latent its weight in a DP score sum: PANEL_SCORE_WEIGHT for the latents of assay panels
 * (panelLatents), 1 for the others.
 * @example copulaScoreWeights(encoders, schema, margins, PANEL_SCORE_WEIGHT)
 */
export function copulaScoreWeights(encoders: readonly DiscreteColumnEncoder[], schema: TableSchema, m: CopulaMarginals, panelWeight = PANEL_SCORE_WEIGHT): Float64Array {
  return Float64Array.from(panelLatents(encoders, schema, m), (p) => (p ? panelWeight : 1));
}

/**
 * Per latent 1 if it belongs to an assay panel (missingness groups of at least PANEL_MIN_COLUMNS
 * columns: a SNP array, a metabolomics run; public schema metadata), else 0.
 * @example panelLatents(encoders, schema, margins) // 1 for the SNP array's value and missingness latents
 */
export function panelLatents(encoders: readonly DiscreteColumnEncoder[], schema: TableSchema, m: CopulaMarginals): Uint8Array {
  const d = encoders.length;
  const panel = new Set(missingnessGroups(encoders, schema).filter((g) => g.columns.length >= PANEL_MIN_COLUMNS).flatMap((g) => g.columns));
  return Uint8Array.from({ length: d + m.missingLatents.length }, (_, t) => (panel.has(t < d ? t : m.missingLatents[t - d]) ? 1 : 0));
}

/**
 * A positive-definite correlation matrix from the (noisy) score sum and the CDFs: the pairwise
 * latent correlations (latent-correlation.ts; entries within twice the noise hard-thresholded to 0
 * when noiseSd is given), then the nearest correlation matrix by spectral projection
 * (nearest-correlation.ts), shrunk towards I only if rounding leaves it short of positive definite.
 *
 * `panel` (panelLatents): the latents of assay panels are fitted around the others
 * (nearestCorrelationKeeping) instead of projected with them. Why: their many weak pairwise
 * estimates are what is far from positive semi-definite, and one projection of the whole matrix
 * shrank every clinical correlation with them. Measured at ε = ∞ on cohorts 7, 21, 5 and 11
 * (the split tree; three 1,500-row samples each, checks V1–V13): 95 checks against 78, 27
 * against 23 on one 15,000-row sample per cohort, fidelity ratio 1.202 against 1.225; at ε = 10
 * 33 against 34, fidelity 3.199 against 3.198.
 *
 * `tied`: groups of latents that are one latent (the missingness latents of columns measured by
 * one assay, e.g. a SNP panel, which are missing together). Pairwise correlations of binary
 * latents are attenuated by their thresholds (two panel columns missing together in 98.5% of
 * the rows that miss either came out together in 90% of the synthetic rows), and a block of
 * hundreds of them near 1 is not positive definite once estimated pair by pair. A tied group is
 * one row of the matrix, the mean of its members' rows (under DP that also averages their noise),
 * and every member's row of the factor is its group's: members are perfectly correlated and,
 * with their own missing rates as thresholds, the columns of a panel are missing together.
 * @example const { cholesky, shrinkage } = copulaCorrelation(sum, margins, null)
 */
export function copulaCorrelation(S: Float64Array, m: CopulaMarginals, noiseSd: number | null, tied: readonly number[][] = [], weights?: Float64Array, panel?: ArrayLike<number>): { cholesky: Float64Array; shrinkage: number } {
  const dl = m.cdfOffsets.length - 1;
  const R = latentCorrelations(S, m, noiseSd, weights, panel);
  // Groups of the reduced matrix: the tied groups (first member representing), then singletons,
  // in the order of their first latent so that the expanded factor stays lower triangular.
  const groupOf = new Int32Array(dl).fill(-1);
  const groups: number[][] = [];
  for (const g of tied) {
    const members = [...new Set(g)].filter((t) => Number.isInteger(t) && t >= 0 && t < dl && groupOf[t] < 0).sort((x, y) => x - y);
    if (members.length < 2) continue;
    for (const t of members) groupOf[t] = groups.length;
    groups.push(members);
  }
  for (let t = 0; t < dl; t++) if (groupOf[t] < 0) { groupOf[t] = groups.length; groups.push([t]); }
  groups.sort((x, y) => x[0] - y[0]);
  groups.forEach((g, u) => { for (const t of g) groupOf[t] = u; });
  const r = groups.length;
  const reduced = new Float64Array(r * r);
  for (let u = 0; u < r; u++) {
    reduced[u * r + u] = 1;
    for (let v = u + 1; v < r; v++) {
      let s = 0;
      for (const a of groups[u]) for (const b of groups[v]) s += R[a * dl + b];
      const mean = s / (groups[u].length * groups[v].length);
      reduced[u * r + v] = mean;
      reduced[v * r + u] = mean;
    }
  }
  // The nearest positive-definite correlation matrix, the panels' groups fitted around the
  // others; shrinking towards I is the fallback for a projection that rounding left just short
  // of positive definite.
  const kept = panel ? groups.flatMap((g, u) => (panel[g[0]] ? [] : [u])) : [];
  const projected = panel ? nearestCorrelationKeeping(reduced, r, kept) : nearestCorrelation(reduced, r);
  let Lr: Float64Array | null = null;
  let lambda = 0;
  for (const l of [0, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1]) {
    const M = projected.map((v, idx) => (Math.floor(idx / r) === idx % r ? 1 : (1 - l) * v));
    Lr = cholesky(M, r);
    lambda = l;
    if (Lr) break;
  }
  if (r === dl) return { cholesky: Lr as Float64Array, shrinkage: lambda };
  // Expand: latent t's row is its group's, in the columns of the groups' first latents.
  const L = new Float64Array(dl * dl);
  for (let t = 0; t < dl; t++) {
    const u = groupOf[t];
    for (let v = 0; v <= u; v++) L[t * dl + groups[v][0]] = (Lr as Float64Array)[u * r + v];
  }
  return { cholesky: L, shrinkage: lambda };
}

/**
 * The copula model's configuration and weights.
 * @example copulaParts(encoders, margins, copulaCorrelation(sum, dl, null), clip, { sigma1: 0 })
 */
export function copulaParts(encoders: DiscreteColumnEncoder[], m: CopulaMarginals, corr: { cholesky: Float64Array; shrinkage: number }, clip: number, noise: Record<string, number | null>): TrainedParts {
  return copulaMixtureParts(encoders, [], [{ cell: [], weight: 1, margins: m, corr }], clip, noise);
}

/** One component of a stratified copula: its code of each stratifying column (-1: any), weight and fit. */
export interface CopulaComponentFit {
  cell: number[];
  weight: number;
  margins: CopulaMarginals;
  corr: { cholesky: Float64Array; shrinkage: number };
}

/**
 * A stratified copula's configuration and weights (copula-strata.ts): the components share the
 * latent layout (cdfOffsets, missingLatents); their Cholesky factors and CDFs follow each other in
 * the weight blobs, in the order of `strata.cells`. No columns: one copula, no `strata`.
 * @example copulaMixtureParts(encoders, [genotypeIndex], components, clip, { sigma1: 0 })
 */
export function copulaMixtureParts(encoders: DiscreteColumnEncoder[], columns: readonly number[], components: readonly CopulaComponentFit[], clip: number, noise: Record<string, number | null>): TrainedParts {
  const first = components[0].margins;
  const shrinkage = components.map((c) => c.corr.shrinkage);
  const strata = columns.length > 0 ? { strata: { columns: [...columns], cells: components.map((c) => c.cell), weights: components.map((c) => c.weight), shrinkage } } : {};
  const concat = (parts: ArrayLike<number>[]) => {
    const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  return {
    encoders,
    generator: {
      structure: 'gaussian-copula', sizes: encoders.map((e) => e.size), cdfOffsets: first.cdfOffsets, missingLatents: first.missingLatents,
      shrinkage: Math.max(...shrinkage), rowClip: clip, total: components.reduce((s, c) => s + c.margins.total, 0), noise, ...strata,
    },
    weights: { cholesky: concat(components.map((c) => c.corr.cholesky)), cdf: concat(components.map((c) => c.margins.cdfs)) },
  };
}

/**
 * Groups of missingness latents to tie (copulaCorrelation): the columns of one schema `source`
 * (an assay or sub-study: public metadata, so usable under DP) that have missingness latents.
 * Given the codes (training without DP), a column joins its source's group only if its missing
 * rows and the group's first column's overlap by at least TIE_MIN_JACCARD
 * (neural/tied-missingness.ts tiedColumnGroups, shared with the neural generators; the copula
 * ties every source under DP, since its tie is a shared correlation row, not a forced state).
 * @example tiedMissingness(encoders, schema, margins, codes) // [[d + 20, d + 21, ...]] for a SNP panel
 */
export function tiedMissingness(encoders: readonly DiscreteColumnEncoder[], schema: TableSchema, m: CopulaMarginals, codes: readonly Int32Array[] | null): number[][] {
  const d = encoders.length;
  const latentOf = new Map(m.missingLatents.map((j, t) => [j, d + t]));
  return tiedColumnGroups(encoders, schema, codes, { eligible: (j) => latentOf.has(j), panelsOnly: false }).map((g) => g.map((j) => latentOf.get(j) as number));
}

/**
 * Under DP, the members of a tied group (tiedMissingness) take the group's mean (noisy) missing
 * rate: a panel is one assay, missing at one rate, and the mean of its 200 columns' noisy rates
 * has a fourteenth of their noise (at ε = 3 on the cohort, 18 columns were more than 5 points off
 * the real missing rate, most of them panel columns). In place, before the scores are taken.
 * The rates are averaged after the histograms are projected onto the simplex, not as counts
 * before (as the marginal generator does, assay-missingness.ts): averaged counts left the
 * projected rates 7 points apart within a panel and the fidelity ratio at ε = 3 at 4.83 (4.65).
 * @example averageTiedMissingness(margins, tiedMissingness(encoders, schema, margins, null))
 */
export function averageTiedMissingness(m: CopulaMarginals, tied: readonly number[][]): void {
  for (const group of tied) {
    // A missingness latent t has cells (present, missing): cdf [1 − p, 1].
    const at = group.map((t) => m.cdfOffsets[t]);
    const p = at.reduce((s, o) => s + (1 - m.cdfs[o]), 0) / at.length;
    for (const o of at) m.cdfs[o] = 1 - p;
  }
}
