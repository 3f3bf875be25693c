/**
 * The copula's latent correlations from the sum of the rows' normal scores (copulaScoreSum).
 *
 * The scores are coarse functions of the latents: a binary column has two scores, a 12-bin
 * numeric column twelve, and a missing value scores 0. The Pearson correlation of such scores
 * underestimates the latents' correlation, the more so the coarser and the rarer (on cohort 7:
 * hydroxyurea–HbF 0.57 against 0.74 latent, TCD velocity–Hb −0.35 against −0.57), and the
 * zeros of missing values dilute it further, by √(share of rows present) (the old estimator
 * normalised by the sums over all rows).
 *
 * What this does instead, for each pair of latents (a, b), as post-processing of the sum and the
 * CDFs (so the same under DP and in a federation):
 * 1. the rows where both are defined: n_ab. A value latent is defined where its column is present.
 *    Both columns' missingness latents are binary, and their mid-cell scores are affine in the
 *    missing indicators, so Σ s_a s_b over the rows and the 1-way rates give the count of rows
 *    missing both, hence n_ab (clamped to the Fréchet bounds);
 * 2. ρ such that the scores' mean product over those rows, S_ab / n_ab, equals what a bivariate
 *    normal pair with correlation ρ gives: by Mehler's expansion,
 *      E[s_a(Z) s_b(W)] = Σ_k ρ^k ĉ_k(a) ĉ_k(b),
 *    where ĉ_k are the scores' coefficients on the normalised Hermite polynomials, computed from
 *    the cells' thresholds (exact for a discretised normal latent; the polychoric / polyserial
 *    idea, for any score). The series is increasing in ρ (scores increase with the cell), so ρ
 *    is found by bisection.
 * The matrix of pairwise estimates need not be positive semi-definite; nearestCorrelation
 * (nearest-correlation.ts) projects it.
 */
import { normalQuantile } from '../../evaluate/statistics/normal';
import { definedShares, type CopulaMarginals } from './copula-fit';
import { midCellScore } from './copula-scores';

/** Terms of the Hermite series (the coefficients of step functions decay slowly; the test checks ρ = 0.6 to 0.02). */
export const HERMITE_TERMS = 40;
/** Latent correlations within this many standard errors of 0 are set to 0 (pairs with an assay panel's latent). */
export const SIGNIFICANCE = 3;
/** The same for pairs of latents outside the assay panels, without DP and under DP (see latentCorrelations). */
export const NON_PANEL_SIGNIFICANCE = { exact: 1, noisy: 2 } as const;
/** Pairs defined together on fewer (estimated) rows than this get correlation 0. */
export const MIN_PAIR_ROWS = 8;

/**
 * ĉ_0..ĉ_K of latent t's mid-cell scores: ĉ_k = E[s(Z) h_k(Z)], h_k = He_k/√k!, Z ~ N(0, 1) cut
 * at the thresholds Φ⁻¹(cdf). ĉ_0 is the scores' mean; ĉ_1 their covariance with Z.
 * @example hermiteCoefficients(margins, 0, 40)[1] // < 1: the scores' covariance with their latent
 */
export function hermiteCoefficients(m: CopulaMarginals, t: number, terms = HERMITE_TERMS): Float64Array {
  const cells = m.cdfOffsets[t + 1] - m.cdfOffsets[t];
  const c = new Float64Array(terms + 1);
  // ∫_{lo}^{hi} h_k φ = [h_{k−1}(x) φ(x)]_{hi}^{lo} / √k for k ≥ 1 (h_k' = √k h_{k−1}).
  const h = new Float64Array(terms + 1);
  let below = 0;
  for (let pos = 0; pos < cells; pos++) {
    const s = midCellScore(m, t, pos);
    const p = Math.min(1, m.cdfs[m.cdfOffsets[t] + pos]);
    c[0] += s * Math.max(0, p - below);
    below = p;
    // The cell's upper threshold contributes −s·h_{k−1}φ and the next cell's lower +s'·h_{k−1}φ.
    if (pos === cells - 1 || p <= 0 || p >= 1) continue;
    const x = normalQuantile(p);
    const phi = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    const next = midCellScore(m, t, pos + 1);
    h[0] = 1;
    h[1] = x;
    for (let k = 1; k < terms; k++) h[k + 1] = (x * h[k] - Math.sqrt(k) * h[k - 1]) / Math.sqrt(k + 1);
    for (let k = 1; k <= terms; k++) c[k] += ((next - s) * h[k - 1] * phi) / Math.sqrt(k);
  }
  return c;
}

/** ρ in [−0.999, 0.999] with Σ_{k≥1} ρ^k a_k = y (a increasing series), by bisection. */
function invertSeries(a: Float64Array, y: number): number {
  const f = (r: number) => {
    let s = 0, p = 1;
    for (let k = 1; k < a.length; k++) { p *= r; s += p * a[k]; }
    return s;
  };
  let lo = -0.999, hi = 0.999;
  if (y <= f(lo)) return lo;
  if (y >= f(hi)) return hi;
  for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < y) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mean and variance of latent t's scores (exact, from its cells). */
export function scoreMoments(m: CopulaMarginals, t: number): { mean: number; variance: number } {
  let mean = 0, sq = 0, below = 0;
  for (let pos = 0; pos < m.cdfOffsets[t + 1] - m.cdfOffsets[t]; pos++) {
    const p = Math.max(0, Math.min(1, m.cdfs[m.cdfOffsets[t] + pos]) - below);
    below += p;
    const s = midCellScore(m, t, pos);
    mean += p * s;
    sq += p * s * s;
  }
  return { mean, variance: Math.max(0, sq - mean * mean) };
}

/** Spread of the latents' kept shares around their mean, the prior that noisy ones shrink to (clippedScoreShares). */
export const KEPT_SHARE_SPREAD = 0.1;

/**
 * Per latent, the share of its score products a DP score sum kept through its row clip
 * (squaredScoreClip): its diagonal entry against what its scores' moments under the CDFs give.
 * A clipped row's products all shrink by one factor, so the mean product of a pair (a, b) shrinks
 * by about √(kept_a kept_b); latentCorrelations divides that out. The share differs by latent:
 * rows in a rare state (a stroke, death, transfusion) have large scores and are clipped more (on
 * cohort 7: 0.61 to 0.68 for those, 0.9 for most, 0.88 over the full-weight latents). Under DP a
 * diagonal entry is noisy (σ = the release's noise over the expected entry: 10% for stroke at
 * ε = 10), so each latent's share is shrunk towards the mean share of the full-weight latents (one
 * ratio over dozens of entries), with prior spread KEPT_SHARE_SPREAD, by their precisions. Clamped
 * to [0.5, 1]. On cohort 7 the mean share came out 0.87 at ε = 10 and 0.82 at ε = 3, and 1.04 at
 * ε = 1 (clamped to 1): the noisy CDFs there misstate the scores' moments by more than clipping removes.
 * @example clippedScoreShares(sum, margins, weights, moments, null) // all 1 when no row was clipped
 */
export function clippedScoreShares(S: Float64Array, m: CopulaMarginals, weights: ArrayLike<number>, moments: ReadonlyArray<{ mean: number; variance: number }>, noise: (t: number) => number | null): Float64Array {
  const dl = m.cdfOffsets.length - 1;
  const defined = definedShares(m);
  const expected = Float64Array.from({ length: dl }, (_, t) => m.total * (t < defined.length ? defined[t] : 1) * (moments[t].variance + moments[t].mean * moments[t].mean));
  let observed = 0, total = 0;
  for (let t = 0; t < dl; t++) if (weights[t] === 1) { observed += S[t * dl + t]; total += expected[t]; }
  const clamp = (x: number) => Math.min(1, Math.max(0.5, x));
  const mean = total > 0 ? clamp(observed / total) : 1;
  return Float64Array.from({ length: dl }, (_, t) => {
    if (!(expected[t] > 0)) return mean;
    const own = S[t * dl + t] / expected[t];
    const sd = noise(t);
    if (sd === null || !(sd > 0)) return clamp(own); // exact (no release noise)
    const precision = (expected[t] / sd) ** 2, prior = 1 / KEPT_SHARE_SPREAD ** 2;
    return clamp((own * precision + mean * prior) / (precision + prior));
  });
}

/**
 * The pairwise latent correlations (dl × dl, unit diagonal) from the score sum S (upper triangle)
 * and the CDFs (see the header).
 *
 * Each estimate ρ̂ is the smaller in size of the Mehler inversion and the first-order correction
 * r / (α_a α_b) (α = ĉ_1 / sd of the scores): the inversion runs to ±1 when a rare category meets
 * its Fréchet bound (death, 2% of patients, against a SNP gave −0.999 from r = −0.08). Its
 * standard error is se = 1 / (α_a α_b √n_ab), plus the DP noise's carried through. Estimates
 * of pairs with an assay panel's latent (`panel`, copula-fit.ts panelLatents) within
 * SIGNIFICANCE standard errors of 0 are set to 0: liver iron, measured on 96 rows, had spurious
 * correlations of ±0.4 with dozens of the 240 SNPs, which made its row's norm exceed 1 and the
 * projection pull every correlation down. Pairs of other latents, a few dozen clinical columns,
 * are set to 0 within NON_PANEL_SIGNIFICANCE standard errors only (1 without DP, 2 under DP),
 * and no estimate is shrunk: the weak clinical associations the checks read (WBC and death, Hb
 * and VOC) were thresholded or shrunk away. Measured with the panels fitted around the clinical
 * block (nearestCorrelationKeeping), checks V1–V13 on three 1,500-row samples per cohort, before
 * (3 standard errors and ρ̂³ / (ρ̂² + se²) for every pair) and after:
 *  - ε = ∞, cohorts 7, 21, 5, 11, 3, 13, 17 and 29: 155 → 215 checks (55 → 77 on one 15,000-row
 *    sample per cohort), fidelity ratio 1.214 → 1.243;
 *  - ε = 10, cohorts 7, 21, 5 and 11: 34 → 46 checks, fidelity 3.198 → 3.198; ε = 3: 0 → 9,
 *    fidelity 3.704 → 3.723;
 *  - a 12-column table (3,000 rows, 8 training seeds) at ε = 1: fidelity 1.474 → 1.480, where
 *    1 standard error under DP too gave 1.516 (it lets the release's noise in) and 46 → 42
 *    checks at ε = 10.
 * No threshold on any pair kept 156 checks at a fidelity ratio of 1.37 (measured before the
 * panels were fitted around the rest).
 * @example latentCorrelations(sum, margins, null)
 */
export function latentCorrelations(weighted: Float64Array, m: CopulaMarginals, noiseSd: number | null, weights?: Float64Array, panel?: ArrayLike<number>): Float64Array {
  const dl = m.cdfOffsets.length - 1;
  // A sum of weighted scores (copulaScoreSum) back in score units; its noise grows by 1/(w_a w_b).
  const S = weights ? weighted.map((v, k) => v / (weights[Math.floor(k / dl)] * weights[k % dl])) : weighted;
  const pairNoise = (a: number, b: number) => (noiseSd === null ? null : weights ? noiseSd / (weights[a] * weights[b]) : noiseSd);
  const d = dl - m.missingLatents.length;
  const n = m.total;
  const coef = Array.from({ length: dl }, (_, t) => hermiteCoefficients(m, t));
  const moments = Array.from({ length: dl }, (_, t) => scoreMoments(m, t));
  const attenuation = moments.map((mo, t) => (mo.variance > 1e-12 ? Math.min(1, coef[t][1] / Math.sqrt(mo.variance)) : 0));
  // Per latent: its column's missingness latent (−1: defined on every row) and missing rate.
  const missLatent = new Int32Array(dl).fill(-1);
  m.missingLatents.forEach((j, u) => { missLatent[j] = d + u; });
  const missRate = (u: number) => 1 - m.cdfs[m.cdfOffsets[u]];
  // Scores of missingness latent u: α + β·[missing].
  const alpha = (u: number) => midCellScore(m, u, 0);
  const beta = (u: number) => midCellScore(m, u, 1) - midCellScore(m, u, 0);
  const bothPresent = (a: number, b: number): number => {
    const ua = missLatent[a], ub = missLatent[b];
    if (ua < 0 && ub < 0) return n;
    if (ua < 0 || ub < 0) return n * (1 - missRate(ua < 0 ? ub : ua));
    const [x, y] = ua < ub ? [ua, ub] : [ub, ua];
    const ma = n * missRate(ua), mb = n * missRate(ub);
    const sum = S[x * dl + y];
    const both = (sum - n * alpha(ua) * alpha(ub) - alpha(ua) * beta(ub) * mb - beta(ua) * alpha(ub) * ma) / (beta(ua) * beta(ub));
    const lo = Math.max(0, ma + mb - n), hi = Math.min(ma, mb);
    const missBoth = Math.min(hi, Math.max(lo, Number.isFinite(both) ? both : lo));
    return n - ma - mb + missBoth;
  };
  const kept = weights ? clippedScoreShares(S, m, weights, moments, (t) => pairNoise(t, t)) : null;
  const R = new Float64Array(dl * dl);
  const series = new Float64Array(HERMITE_TERMS + 1);
  for (let a = 0; a < dl; a++) {
    R[a * dl + a] = 1;
    for (let b = a + 1; b < dl; b++) {
      const s = S[a * dl + b];
      const scale = attenuation[a] * attenuation[b];
      // A value latent and its own column's missingness latent are never observed together.
      const noise = pairNoise(a, b);
      const rows = missLatent[a] === b || !(scale > 0) ? 0 : bothPresent(a, b);
      if (rows < MIN_PAIR_ROWS || (noise !== null && Math.abs(s) < 2 * noise)) continue;
      // The scores' correlation on the pair's rows, with the scores' moments under the CDFs.
      const r = (s / (rows * (kept ? Math.sqrt(kept[a] * kept[b]) : 1)) - moments[a].mean * moments[b].mean) / Math.sqrt(moments[a].variance * moments[b].variance);
      if (!Number.isFinite(r)) continue;
      const firstOrder = Math.max(-0.999, Math.min(0.999, r / scale));
      let se2 = 1 / (scale * scale * rows);
      if (noise !== null) se2 += (noise / (rows * Math.sqrt(moments[a].variance * moments[b].variance) * scale)) ** 2;
      // ρ̂ is at most the first-order estimate in size, so a pair whose first-order estimate is
      // insignificant is 0 without the inversion (most pairs: on the --wide cohort this skipped
      // most of the 28 s the inversions took).
      const z = panel && !panel[a] && !panel[b] ? NON_PANEL_SIGNIFICANCE[noise === null ? 'exact' : 'noisy'] : SIGNIFICANCE;
      if (firstOrder * firstOrder < z * z * se2) continue;
      for (let k = 1; k <= HERMITE_TERMS; k++) series[k] = coef[a][k] * coef[b][k];
      const mehler = invertSeries(series, r * Math.sqrt(moments[a].variance * moments[b].variance));
      const rho = Math.abs(mehler) < Math.abs(firstOrder) ? mehler : firstOrder;
      if (rho * rho < z * z * se2) continue;
      R[a * dl + b] = R[b * dl + a] = rho;
    }
  }
  return R;
}
