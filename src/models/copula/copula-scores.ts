/** The copula's normal scores of the codes (one per latent cell). */
import { normalQuantile } from '../../evaluate/statistics/normal';
import type { CopulaMarginals } from './copula-fit';

/** Mid-cell normal score of cell `pos` of latent t (see rowScores). */
export function midCellScore(m: CopulaMarginals, t: number, pos: number): number {
  const lo = pos === 0 ? 0 : m.cdfs[m.cdfOffsets[t] + pos - 1];
  const hi = m.cdfs[m.cdfOffsets[t] + pos];
  return normalQuantile(Math.min(1 - 1e-6, Math.max(1e-6, (lo + hi) / 2)));
}

/**
 * Every latent's mid-cell scores (see rowScores), one array per latent indexed by cell: computed
 * once per score sum rather than once per row and latent (1.5 s of normal quantiles on
 * 1,000,000 rows × 50 columns).
 * @example cellScores(margins)[t][pos] === midCellScore(margins, t, pos)
 */
export function cellScores(m: CopulaMarginals): Float64Array[] {
  return Array.from({ length: m.cdfOffsets.length - 1 }, (_, t) => Float64Array.from({ length: m.cdfOffsets[t + 1] - m.cdfOffsets[t] }, (_, pos) => midCellScore(m, t, pos)));
}

/**
 * Row i's normal scores into z (length dl): value latents first, then missingness latents. Scores
 * sit at the middle of each code's CDF cell (`scores`: {@link cellScores}). A uniform jitter
 * inside the cell (the distributional transform) adds independent noise to every latent, which
 * for coarse codes caps correlations well below 1: panels missing together (SNP panels,
 * metabolomics) then came out missing together only part of the time (50% jointly missing
 * instead of 64% in the 1,500-patient cohort). Mid-cell scores keep identical codes identical
 * (measured: fidelity ratio at ε = inf 5.9 -> 1.8). A missing value says nothing about the value
 * latent: it scores 0 (the latent's mean).
 */
export function rowScores(codes: readonly Int32Array[], i: number, m: CopulaMarginals, missCodes: readonly number[], z: Float64Array, scores: readonly Float64Array[]): void {
  const d = codes.length;
  for (let j = 0; j < d; j++) {
    const c = codes[j][i];
    z[j] = c === missCodes[j] ? 0 : scores[j][c];
  }
  const ml = m.missingLatents;
  for (let t = 0; t < ml.length; t++) z[d + t] = scores[d + t][codes[ml[t]][i] === missCodes[ml[t]] ? 1 : 0];
}
