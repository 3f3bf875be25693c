// Native kernels of src/evaluate: GLM (IRLS) against R's documented example and the
// TypeScript IRLS, gradient-boosted trees, k-NN edge cases and argument checks.
import { loadAddon } from '../../../src/native/addon';
import { fitGlm, predictGlm } from '../../../src/evaluate/utility/glm';
import { fitGbt, predictGbt } from '../../../src/evaluate/utility/gradient-boosted-trees';
import { rocAuc } from '../../../src/evaluate/statistics/roc';
import { SeededSampler } from '../../../src/evaluate/statistics/random';

const addon = loadAddon();

describe('GLM', () => {
  // R, ?glm: Dobson (1990) p. 93, randomised controlled trial, poisson(log).
  const counts = [18, 17, 15, 20, 10, 20, 25, 13, 12];
  const rows = counts.map((_, i) => {
    const outcome = i % 3, treatment = Math.floor(i / 3);
    return [1, outcome === 1 ? 1 : 0, outcome === 2 ? 1 : 0, treatment === 1 ? 1 : 0, treatment === 2 ? 1 : 0];
  });
  const X = Float64Array.from(rows.flat()), y = Float64Array.from(counts);
  for (const backend of ['native', 'js'] as const) {
    it(`reproduces R's Dobson poisson example (${backend})`, () => {
      const f = fitGlm(X, y, 9, 5, 'poisson', { backend });
      expect(f.coef[0]).toBeCloseTo(3.044522, 5);
      expect(f.coef[1]).toBeCloseTo(-0.4542553, 6);
      expect(f.coef[2]).toBeCloseTo(-0.2929871, 6);
      expect(Math.abs(f.coef[3])).toBeLessThan(1e-8);
      expect(f.se[0]).toBeCloseTo(0.1708987, 6);
      expect(f.se[1]).toBeCloseTo(0.2021708, 6);
      expect(f.se[3]).toBeCloseTo(0.2, 6);
      expect(f.deviance).toBeCloseTo(5.129141, 5);
      expect(f.nullDeviance).toBeCloseTo(10.58145, 4);
      expect(f.converged).toBe(true);
    });
  }
  it('native and TypeScript logistic fits agree on simulated data', () => {
    const rng = new SeededSampler(4);
    const n = 2000, p = 4;
    const Xl = new Float64Array(n * p), yl = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      Xl[i * p] = 1;
      for (let j = 1; j < p; j++) Xl[i * p + j] = rng.next() * 2 - 1;
      const eta = 0.3 + 1.2 * Xl[i * p + 1] - 0.7 * Xl[i * p + 2];
      yl[i] = rng.next() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
    }
    const a = fitGlm(Xl, yl, n, p, 'binomial', { backend: 'native', threads: 2 });
    const b = fitGlm(Xl, yl, n, p, 'binomial', { backend: 'js' });
    for (let j = 0; j < p; j++) {
      expect(a.coef[j]).toBeCloseTo(b.coef[j], 7);
      expect(a.se[j]).toBeCloseTo(b.se[j], 7);
    }
    expect(a.coef[1]).toBeGreaterThan(0.9);
    const mu = predictGlm(a, Xl, n);
    expect(mu.every((m) => m > 0 && m < 1)).toBe(true);
  });
  it('gaussian: exact least squares with dispersion-scaled covariance', () => {
    const f = fitGlm(Float64Array.of(1, 0, 1, 1, 1, 2, 1, 3), Float64Array.of(1, 3, 5, 7.5), 4, 2, 'gaussian', { backend: 'native' });
    expect(f.coef[0]).toBeCloseTo(0.9, 12);
    expect(f.coef[1]).toBeCloseTo(2.15, 12);
    expect(f.se[1]).toBeCloseTo(Math.sqrt(0.0375 / 5), 12);
  });
  it('rejects bad input with the field and what was received', () => {
    expect(() => addon.glmFit(new Float64Array(7), new Float64Array(4), 4, 2, 0, 10, 1e-8, 0, 1)).toThrow('Expected length 8 for X but received length 7');
    expect(() => fitGlm(Float64Array.of(1, 0, 1, 1), Float64Array.of(0, 2), 2, 2, 'binomial', { backend: 'native' })).toThrow(/expected binomial responses in \[0, 1\] but row 1 is 2/);
    expect(() => fitGlm(Float64Array.of(1, 1, 1, 1, 1, 1), Float64Array.of(1, 2, 3), 3, 2, 'gaussian', { backend: 'native' })).toThrow(/singular/);
    expect(() => addon.glmFit(new Float64Array(4), new Float64Array(2), 2, 2, 5, 10, 1e-8, 0, 1)).toThrow('Expected an integer in [0, 2] for family but received number 5');
  });
});

describe('gradient-boosted trees', () => {
  const rng = new SeededSampler(9);
  const n = 3000, d = 3;
  const X = new Float64Array(n * d), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) X[j * n + i] = rng.next();
    if (i % 10 === 0) X[2 * n + i] = NaN;
    // The label depends on feature 1 only (a step), with 5% label noise.
    y[i] = (X[n + i] > 0.5 ? 1 : 0) ^ (rng.next() < 0.05 ? 1 : 0);
  }
  it('learns a step, puts the importance on the right feature and handles missing values', () => {
    const m = fitGbt(X, y, n, d, 'logistic', { trees: 40, depth: 3, threads: 2 });
    const p = predictGbt(m, X, n, 2);
    const pos: number[] = [], neg: number[] = [];
    for (let i = 0; i < n; i++) ((X[n + i] > 0.5) ? pos : neg).push(p[i]);
    expect(rocAuc(pos, neg)!).toBeGreaterThan(0.99);
    expect(m.importance[1] / (m.importance[0] + m.importance[1] + m.importance[2])).toBeGreaterThan(0.9);
    expect(p.every((v) => v > 0 && v < 1)).toBe(true);
  });
  it('fits counts with a poisson loss and numbers with squared loss', () => {
    // A discrete feature (10 values) gives exact bins, so the fit can be exact.
    const X2 = Float64Array.from(X);
    for (let i = 0; i < n; i++) X2[i] = i % 10;
    const yc = Float64Array.from({ length: n }, (_, i) => (i % 10 >= 5 ? 6 : 1));
    const mp = fitGbt(X2, yc, n, d, 'poisson', { trees: 80, depth: 2, learningRate: 0.3 });
    const pp = predictGbt(mp, X2, n);
    expect(pp[7]).toBeCloseTo(6, 2);
    expect(pp[2]).toBeCloseTo(1, 2);
    const ms = fitGbt(X2, yc, n, d, 'squared', { trees: 50, depth: 2, learningRate: 0.5 });
    const ps = predictGbt(ms, X2, n);
    expect(ps[3]).toBeCloseTo(1, 6);
    expect(ps[9]).toBeCloseTo(6, 6);
  });
  it('is the same with one thread and with two', () => {
    const a = fitGbt(X, y, n, d, 'logistic', { trees: 10, threads: 1 });
    const b = fitGbt(X, y, n, d, 'logistic', { trees: 10, threads: 2 });
    expect(Array.from(a.model)).toEqual(Array.from(b.model));
  });
  it('checks its model and inputs', () => {
    const m = fitGbt(X, y, n, d, 'logistic', { trees: 2 });
    expect(() => addon.gbtPredict(m.model, new Float64Array(2 * n), n, 2, 1)).toThrow(/expected 3 features as in training but received 2/);
    const broken = Float64Array.from(m.model);
    broken[6] = 99; // first node's feature
    expect(() => addon.gbtPredict(broken, X, n, d, 1)).toThrow(/expected node features within the feature count/);
    expect(() => fitGbt(X, Float64Array.from(y, (v) => v * 3), n, d, 'logistic')).toThrow(/expected logistic targets in \[0, 1\]/);
    expect(() => addon.gbtFit(X, y, n, d, 1, 10, 4, 0.1, 1, 1, 300, 1)).toThrow('Expected an integer in [2, 255] for maxBins but received number 300');
  });
});

describe('k-NN', () => {
  it('never returns the query itself with skipSelf, and threads do not change the answer', () => {
    const rng = new SeededSampler(2);
    const n = 700, dn = 2, dc = 1;
    const num = Float64Array.from({ length: n * dn }, () => Math.round(rng.next() * 5));
    const cat = Int32Array.from({ length: n * dc }, () => rng.int(3));
    const w = Float64Array.of(0.2, 0.2);
    const a = addon.knnMixed(num, cat, n, num, cat, n, dn, dc, w, 2, 1, 1);
    const b = addon.knnMixed(num, cat, n, num, cat, n, dn, dc, w, 2, 1, 2);
    expect(Array.from(a.index)).toEqual(Array.from(b.index));
    for (let i = 0; i < n; i++) expect(a.index[i * 2]).not.toBe(i);
    // Many exact duplicates exist (few distinct values): nearest distances are 0.
    expect(a.distance.filter((v, i) => i % 2 === 0 && v === 0).length).toBeGreaterThan(n / 2);
  });
  it('pads with -1 / Infinity when k exceeds the reference rows, and checks lengths', () => {
    const r = addon.knnMixed(Float64Array.of(0), new Int32Array(0), 1, Float64Array.of(1, 3), new Int32Array(0), 2, 1, 0, Float64Array.of(1), 3, 0, 1);
    expect(Array.from(r.index)).toEqual([0, 1, -1]);
    expect(Array.from(r.distance)).toEqual([1, 3, Infinity]);
    expect(() => addon.knnMixed(Float64Array.of(0), new Int32Array(0), 1, Float64Array.of(1, 3), new Int32Array(0), 3, 1, 0, Float64Array.of(1), 1, 0, 1)).toThrow('Expected length 3 for refNumeric but received length 2');
    expect(() => addon.knnMixed(Float64Array.of(0), new Int32Array(0), 1, Float64Array.of(1), new Int32Array(0), 1, 1, 0, Float64Array.of(-1), 1, 0, 1)).toThrow(/numericWeight: expected finite non-negative weights/);
  });
});
