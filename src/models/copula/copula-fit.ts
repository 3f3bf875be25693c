/**
 * The fitting steps of the Gaussian copula (see copula-generator.ts for the model), each a
 * function of sums over rows so that the same code fits a central model and a federated one
 * (src/federated/tasks/copula.ts, where the sums are summed securely across sites):
 *  1. copulaMarginals: the latents' CDFs from (noisy) 1-way counts;
 *  2. copulaScoreSum: Σ z zᵀ of the rows' clipped normal scores (upper triangle);
 *  3. copulaCorrelation: the (noisy) sum to a positive-definite correlation matrix;
 *  4. copulaParts: the model's configuration and weights.
 */
import { normalQuantile } from '../../evaluate/statistics/normal';
import { DiscreteColumnEncoder, levelCount, missingCode } from '../../transform/discretiser';
import type { TrainedParts } from '../generator';
import { projectToSimplex } from '../marginal/tree-estimation';

/** Cholesky factor (row-major lower) of a symmetric matrix, or null when not positive definite. */
export function cholesky(a: Float64Array, d: number): Float64Array | null {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= L[i * d + k] * L[j * d + k];
      if (i === j) {
        if (!(s > 1e-10)) return null;
        L[i * d + i] = Math.sqrt(s);
      } else L[i * d + j] = s / L[j * d + j];
    }
  }
  return L;
}

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
 */
export function copulaMarginals(encoders: readonly DiscreteColumnEncoder[], oneWay: readonly Float64Array[]): CopulaMarginals {
  const d = encoders.length;
  const total = Math.max(1, oneWay.reduce((s, c) => s + c.reduce((a, b) => a + b, 0), 0) / d);
  // Latents: one value latent per column over its present levels (in order), then one
  // missingness latent (present, missing) per nullable column whose noisy missing rate is above
  // 0.1%. Panels of columns missing together (SNP panels not run) then correlate through their
  // missingness latents only: with missing as the lowest cell of a single latent, the joint
  // missingness forced correlations near 1 onto the values as well (28,830 of the 39,060 column
  // pairs of the 1,500-patient cohort had |r| > 0.1, and the copula's 2-way fidelity ratio was ~6).
  const cdfOffsets = [0];
  const cdfs: number[] = [];
  const missingLatents: number[] = [];
  const missingProb: number[] = [];
  encoders.forEach((e, j) => {
    const p = projectToSimplex(oneWay[j], total);
    const miss = missingCode(e);
    const present = levelCount(e);
    let mass = 0;
    for (let c = 0; c < present; c++) mass += p[c];
    let acc = 0;
    for (let c = 0; c < present; c++) { acc += mass > 0 ? p[c] / mass : 1 / present; cdfs.push(c === present - 1 ? 1 : Math.min(1, acc)); }
    cdfOffsets.push(cdfs.length);
    if (miss >= 0 && p[miss] / total > 0.001) { missingLatents.push(j); missingProb.push(Math.min(1, p[miss] / total)); }
  });
  missingLatents.forEach((_, t) => { cdfs.push(1 - missingProb[t], 1); cdfOffsets.push(cdfs.length); });
  return { cdfOffsets, cdfs, missingLatents, total };
}

/**
 * Σ z zᵀ (upper triangle, row-major dl × dl) of the rows' normal scores, each row scaled to L2
 * norm at most C = sqrt(dl): under add/remove of a row the upper triangle changes by at most
 * ||z||² <= C² in L2, the sensitivity of the Gaussian mechanism on it.
 * @example const { sum, dl, clip } = copulaScoreSum(encoders, codes, rows, margins)
 */
export function copulaScoreSum(encoders: readonly DiscreteColumnEncoder[], codes: readonly Int32Array[], rows: number, m: CopulaMarginals): { sum: Float64Array; dl: number; clip: number } {
  const d = encoders.length;
  const dl = d + m.missingLatents.length;
  const clip = Math.sqrt(dl);
  const S = new Float64Array(dl * dl);
  const z = new Float64Array(dl);
  // Normal scores at the middle of each code's CDF cell. A uniform jitter inside the cell (the
  // distributional transform) adds independent noise to every latent, which for coarse codes
  // caps correlations well below 1: panels missing together (SNP panels, metabolomics) then came
  // out missing together only part of the time (50% jointly missing instead of 64% in the
  // 1,500-patient cohort). Mid-cell scores keep identical codes identical (measured: fidelity
  // ratio at ε = inf 5.9 -> 1.8).
  const score = (t: number, pos: number) => {
    const lo = pos === 0 ? 0 : m.cdfs[m.cdfOffsets[t] + pos - 1];
    const hi = m.cdfs[m.cdfOffsets[t] + pos];
    return normalQuantile(Math.min(1 - 1e-6, Math.max(1e-6, (lo + hi) / 2)));
  };
  const missCodes = encoders.map(missingCode);
  for (let i = 0; i < rows; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const c = codes[j][i];
      // A missing value says nothing about the value latent: score 0 (its mean).
      z[j] = c === missCodes[j] ? 0 : score(j, c);
      norm += z[j] * z[j];
    }
    m.missingLatents.forEach((j, t) => {
      z[d + t] = score(d + t, codes[j][i] === missCodes[j] ? 1 : 0);
      norm += z[d + t] * z[d + t];
    });
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
 * A positive-definite correlation matrix from the (noisy) score sum: normalised, entries within
 * twice the noise hard-thresholded to 0 (Bickel & Levina 2008) when noiseSd is given, then shrunk
 * towards I until the Cholesky factorisation succeeds.
 * @example const { cholesky, shrinkage } = copulaCorrelation(sum, dl, null)
 */
export function copulaCorrelation(S: Float64Array, dl: number, noiseSd: number | null): { cholesky: Float64Array; shrinkage: number } {
  const R = new Float64Array(dl * dl);
  for (let a = 0; a < dl; a++) {
    R[a * dl + a] = 1;
    for (let b = a + 1; b < dl; b++) {
      const den = Math.sqrt(Math.max(1e-9, S[a * dl + a]) * Math.max(1e-9, S[b * dl + b]));
      let r = Math.max(-1, Math.min(1, S[a * dl + b] / den));
      if (noiseSd !== null && Math.abs(r) < (2 * noiseSd) / den) r = 0;
      R[a * dl + b] = r;
      R[b * dl + a] = r;
    }
  }
  let L: Float64Array | null = null;
  let lambda = 0;
  for (const l of [0, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1]) {
    const M = R.map((v, idx) => (Math.floor(idx / dl) === idx % dl ? 1 : (1 - l) * v));
    L = cholesky(M, dl);
    lambda = l;
    if (L) break;
  }
  return { cholesky: L as Float64Array, shrinkage: lambda };
}

/**
 * The copula model's configuration and weights.
 * @example copulaParts(encoders, margins, copulaCorrelation(sum, dl, null), clip, { sigma1: 0 })
 */
export function copulaParts(encoders: DiscreteColumnEncoder[], m: CopulaMarginals, corr: { cholesky: Float64Array; shrinkage: number }, clip: number, noise: Record<string, number | null>): TrainedParts {
  return {
    encoders,
    generator: { structure: 'gaussian-copula', sizes: encoders.map((e) => e.size), cdfOffsets: m.cdfOffsets, missingLatents: m.missingLatents, shrinkage: corr.shrinkage, rowClip: clip, total: m.total, noise },
    weights: { cholesky: Float32Array.from(corr.cholesky), cdf: Float32Array.from(m.cdfs) },
  };
}
