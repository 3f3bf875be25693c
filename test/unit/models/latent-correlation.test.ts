/**
 * The copula's latent correlations (latent-correlation.ts) and the spectral projection
 * (nearest-correlation.ts): known correlations of discretised normal pairs are recovered from the
 * sum of mid-cell scores, where the scores' own correlation is attenuated.
 */
import { latentCorrelations, hermiteCoefficients } from '../../../src/models/copula/latent-correlation';
import { midCellScore } from '../../../src/models/copula/copula-scores';
import { nearestCorrelation, nearestCorrelationKeeping } from '../../../src/models/copula/nearest-correlation';
import { cholesky, type CopulaMarginals } from '../../../src/models/copula/copula-fit';
import { normalCdf } from '../../../src/evaluate/statistics/normal';
import { SamplingRandom } from '../../../src/models/sampling-random';

/** A latent cut at the given standard-normal thresholds: its CDF cells. */
const cellsAt = (thresholds: number[]) => [...thresholds.map(normalCdf), 1];
const equalCells = (k: number) => Array.from({ length: k }, (_, c) => (c + 1) / k);

function margins(latents: number[][], missingLatents: number[], total: number): CopulaMarginals {
  const cdfOffsets = [0];
  const cdfs: number[] = [];
  for (const l of latents) { cdfs.push(...l); cdfOffsets.push(cdfs.length); }
  return { cdfOffsets, cdfs, missingLatents, total };
}

const cellOf = (cdf: number[], z: number) => {
  const u = normalCdf(z);
  let c = 0;
  while (c < cdf.length - 1 && u > cdf[c]) c++;
  return c;
};

/**
 * The score sum of n draws of latents with correlation matrix C (row-major, dl × dl) cut into the
 * cells of `m`; `defined(i, t)` false gives the value latent t a 0 score in row i.
 */
function scoreSum(m: CopulaMarginals, C: number[], n: number, seed: number, defined: (z: Float64Array, t: number) => boolean = () => true): Float64Array {
  const dl = m.cdfOffsets.length - 1;
  const L = cholesky(Float64Array.from(C), dl) as Float64Array;
  const rng = new SamplingRandom(seed);
  const S = new Float64Array(dl * dl);
  const e = new Float64Array(dl), z = new Float64Array(dl), s = new Float64Array(dl);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dl; t++) e[t] = rng.normal();
    for (let t = 0; t < dl; t++) { let v = 0; for (let k = 0; k <= t; k++) v += L[t * dl + k] * e[k]; z[t] = v; }
    for (let t = 0; t < dl; t++) {
      const cdf = m.cdfs.slice(m.cdfOffsets[t], m.cdfOffsets[t + 1]);
      s[t] = defined(z, t) ? midCellScore(m, t, cellOf(cdf, z[t])) : 0;
    }
    for (let a = 0; a < dl; a++) for (let b = a; b < dl; b++) S[a * dl + b] += s[a] * s[b];
  }
  return S;
}

describe('latent correlations of the copula', () => {
  test('Hermite coefficients: mean and covariance with the latent of a binary score', () => {
    // cut at 0: scores ±Φ⁻¹(0.75) = ±0.674; E[s] = 0; E[s Z] = 0.674 · 2φ(0) = 0.538
    const m = margins([cellsAt([0])], [], 1);
    const c = hermiteCoefficients(m, 0);
    expect(c[0]).toBeCloseTo(0, 6);
    expect(c[1]).toBeCloseTo(0.6745 * 2 * 0.3989423, 3);
  });

  test('a binary (20%) and a 12-cell latent at ρ = 0.6: recovered within 0.03, where the scores correlate at about 0.45', () => {
    const n = 40000;
    const m = margins([cellsAt([0.8416]), equalCells(12)], [], n);
    const S = scoreSum(m, [1, 0.6, 0.6, 1], n, 3);
    const scoresR = S[1] / Math.sqrt(S[0] * S[3]);
    expect(scoresR).toBeLessThan(0.5);
    const R = latentCorrelations(S, m, null);
    expect(Math.abs(R[1] - 0.6)).toBeLessThan(0.03);
    expect(R[2]).toBe(R[1]);
  });

  test('values missing completely at random (70% and 50%): the pair count comes from the missingness latents and ρ = 0.7 is recovered', () => {
    // latents: 0, 1 value latents (12 cells); 2, 3 their missingness latents (independent of all)
    const n = 40000;
    const m = margins([equalCells(12), equalCells(12), cellsAt([-0.5244]), cellsAt([0])], [0, 1], n);
    const C = [1, 0.7, 0, 0, 0.7, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    // value latent t is present where its missingness latent is in the first cell (present)
    const S = scoreSum(m, C, n, 5, (z, t) => (t === 0 ? z[2] <= -0.5244 : t === 1 ? z[3] <= 0 : true));
    const old = S[1] / Math.sqrt(S[0] * S[5]);
    expect(old).toBeLessThan(0.3); // ρ n_ab / √(n_a n_b) = 0.7 · 0.15 / √(0.3 · 0.5) = 0.27
    const R = latentCorrelations(S, m, null);
    expect(Math.abs(R[1] - 0.7)).toBeLessThan(0.04);
    // a value latent and its own missingness latent: never observed together, 0
    expect(R[0 * 4 + 2]).toBe(0);
  });

  test('a rare category at its Fréchet bound does not run to ±1; noise within the threshold gives 0', () => {
    const n = 2000;
    const m = margins([cellsAt([2.0]), cellsAt([0.86, 2.43])], [], n);
    const ms = (t: number, c: number) => midCellScore(m, t, c);
    const mean = (t: number, probs: number[]) => probs.reduce((s, p, c) => s + p * ms(t, c), 0);
    const pa = [normalCdf(2.0), 1 - normalCdf(2.0)], pb = [normalCdf(0.86), normalCdf(2.43) - normalCdf(0.86), 1 - normalCdf(2.43)];
    const va = pa.reduce((s, p, c) => s + p * ms(0, c) ** 2, 0) - mean(0, pa) ** 2;
    const vb = pb.reduce((s, p, c) => s + p * ms(1, c) ** 2, 0) - mean(1, pb) ** 2;
    const sum = (r: number) => n * (r * Math.sqrt(va * vb) + mean(0, pa) * mean(1, pb));
    const S = (r: number) => Float64Array.of(n * va, sum(r), 0, n * vb);
    // r = −0.2 is beyond what these margins allow; the estimate stays bounded
    const R = latentCorrelations(S(-0.2), m, null);
    expect(R[1]).toBeLessThan(-0.2);
    expect(R[1]).toBeGreaterThan(-0.9);
    // r = −0.02 is within 3 standard errors of 0 at n = 2000
    expect(latentCorrelations(S(-0.02), m, null)[1]).toBe(0);
  });

  test('the spectral projection: a positive-definite input comes back unchanged; an indefinite one becomes a correlation matrix', () => {
    const pd = Float64Array.of(1, 0.5, 0.2, 0.5, 1, 0.3, 0.2, 0.3, 1);
    const same = nearestCorrelation(pd, 3);
    for (let i = 0; i < 9; i++) expect(same[i]).toBeCloseTo(pd[i], 12);
    const bad = Float64Array.of(1, 0.9, 0.9, 0.9, 1, -0.9, 0.9, -0.9, 1);
    expect(cholesky(bad, 3)).toBeNull();
    const fixed = nearestCorrelation(bad, 3);
    expect(cholesky(fixed, 3)).not.toBeNull();
    for (let i = 0; i < 3; i++) expect(fixed[i * 4]).toBeCloseTo(1, 12);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(fixed[i * 3 + j]).toBeCloseTo(fixed[j * 3 + i], 12);
    // the signs of the strong entries are kept
    expect(fixed[1]).toBeGreaterThan(0.3);
    expect(fixed[5]).toBeLessThan(-0.1);
  });

  test('the projection keeping a block: the kept block stays as its own projection, the other rows are fitted around it', () => {
    // Rows 0–2: a consistent block (positive definite). Rows 3–8: a "panel" whose pairwise
    // estimates are far from positive semi-definite, with weak correlations to rows 0–2.
    const r = 9;
    const A = new Float64Array(r * r);
    const set = (i: number, j: number, v: number) => { A[i * r + j] = v; A[j * r + i] = v; };
    for (let i = 0; i < r; i++) set(i, i, 1);
    set(0, 1, 0.8); set(0, 2, 0.6); set(1, 2, 0.5);
    for (let a = 3; a < r; a++) for (let b = a + 1; b < r; b++) set(a, b, (a + b) % 2 === 0 ? 0.9 : -0.9);
    for (let a = 3; a < r; a++) set(a % 3, a, 0.3);
    expect(cholesky(A, r)).toBeNull();
    const out = nearestCorrelationKeeping(A, r, [0, 1, 2]);
    expect(cholesky(out, r)).not.toBeNull();
    for (let i = 0; i < r; i++) {
      expect(out[i * r + i]).toBeCloseTo(1, 12);
      for (let j = 0; j < r; j++) expect(out[i * r + j]).toBeCloseTo(out[j * r + i], 12);
    }
    // the kept block is untouched; one projection of the whole matrix shrinks it
    for (const [i, j] of [[0, 1], [0, 2], [1, 2]]) expect(out[i * r + j]).toBeCloseTo(A[i * r + j], 12);
    const whole = nearestCorrelation(A, r);
    expect(whole[1]).toBeLessThan(0.75);
    // an entry between the block and the rest keeps its sign and at most its size
    for (let a = 3; a < r; a++) {
      const k = (a % 3) * r + a;
      expect(out[k]).toBeGreaterThan(0);
      expect(out[k]).toBeLessThanOrEqual(A[k] + 1e-12);
    }
    // a positive-definite input comes back unchanged; an empty or full block is the plain projection
    const pd = Float64Array.of(1, 0.5, 0.2, 0.5, 1, 0.3, 0.2, 0.3, 1);
    const same = nearestCorrelationKeeping(pd, 3, [0]);
    for (let i = 0; i < 9; i++) expect(same[i]).toBeCloseTo(pd[i], 12);
    expect(Array.from(nearestCorrelationKeeping(A, r, []))).toEqual(Array.from(whole));
    expect(Array.from(nearestCorrelationKeeping(A, r, [0, 1, 2, 3, 4, 5, 6, 7, 8]))).toEqual(Array.from(whole));
  });
});
