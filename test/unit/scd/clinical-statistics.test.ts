import { linearRegression, logisticRegression, negativeBinomialRegression, poissonRegression, digamma, trigamma } from '../../../src/evaluate/clinical/glm';
import { pearson, ranks, spearman } from '../../../src/evaluate/clinical/correlation';
import { cumulativeIncidence } from '../../../src/evaluate/clinical/kaplan-meier';
import { SeededRandom } from '../../../src/scd/random';

describe('statistics used by the clinical checks', () => {
  test('linear regression is exact on a noiseless line and gives R² = 1', () => {
    const fit = linearRegression({ covariates: { x: [1, 2, 3, 4] }, y: [3, 5, 7, 9] });
    expect(fit.coef('(intercept)')).toBeCloseTo(1, 10);
    expect(fit.coef('x')).toBeCloseTo(2, 10);
    expect(fit.r2).toBeCloseTo(1, 10);
  });

  test('Poisson regression with an offset recovers a known rate ratio', () => {
    const rng = new SeededRandom(1, 'poisson-test');
    const n = 20000;
    const x = new Float64Array(n), y = new Float64Array(n), off = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = rng.bernoulli(0.5);
      const years = 0.5 + 4 * rng.uniform();
      off[i] = Math.log(years);
      y[i] = rng.poisson(0.1 * Math.pow(2.5, x[i]) * years);
    }
    const fit = poissonRegression({ covariates: { x }, y, offset: off });
    expect(fit.converged).toBe(true);
    expect(Math.exp(fit.coef('x'))).toBeGreaterThan(2.5 * Math.exp(-3 * fit.se('x')));
    expect(Math.exp(fit.coef('x'))).toBeLessThan(2.5 * Math.exp(3 * fit.se('x')));
    expect(Math.exp(fit.coef('(intercept)'))).toBeCloseTo(0.1, 1);
  });

  test('negative-binomial regression recovers the rate ratio and the shape', () => {
    const rng = new SeededRandom(2, 'nb-test');
    const n = 20000;
    const x = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = rng.normal();
      y[i] = rng.negativeBinomial(Math.exp(0.2 + 0.4 * x[i]), 1.5);
    }
    const fit = negativeBinomialRegression({ covariates: { x }, y });
    expect(fit.coef('x')).toBeCloseTo(0.4, 1);
    expect(fit.theta!).toBeGreaterThan(1.2);
    expect(fit.theta!).toBeLessThan(1.9);
    // The Poisson fit of over-dispersed data gives the same slope with smaller (wrong) SEs.
    expect(poissonRegression({ covariates: { x }, y }).se('x')).toBeLessThan(fit.se('x'));
  });

  test('logistic regression recovers a known odds ratio', () => {
    const rng = new SeededRandom(3, 'logit-test');
    const n = 20000;
    const x = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = rng.bernoulli(0.4);
      y[i] = rng.bernoulli(1 / (1 + Math.exp(-(-1.5 + Math.log(3) * x[i]))));
    }
    expect(Math.exp(logisticRegression({ covariates: { x }, y }).coef('x'))).toBeCloseTo(3, 0);
  });

  test('a collinear design is reported, not answered', () => {
    expect(() => linearRegression({ covariates: { a: [1, 2, 3], b: [2, 4, 6] }, y: [1, 2, 4] })).toThrow(/collinear/);
  });

  test('digamma and trigamma match known values', () => {
    expect(digamma(1)).toBeCloseTo(-0.5772156649, 8);
    expect(trigamma(1)).toBeCloseTo(Math.PI ** 2 / 6, 8);
  });

  test('correlations and ranks', () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [10, 20, 25, 100])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  test('Kaplan-Meier cumulative incidence with censoring', () => {
    // Events at 1 and 3, censored at 2: S(2.5) = 1 - 1/3; S(3) = (2/3)(1 - 1/1) = 0.
    expect(cumulativeIncidence([1, 2, 3], [1, 0, 1], 2.5)).toBeCloseTo(1 / 3, 12);
    expect(cumulativeIncidence([1, 2, 3], [1, 0, 1], 3)).toBeCloseTo(1, 12);
    expect(cumulativeIncidence([5, 6], [0, 0], 10)).toBe(0);
  });

  test('the seeded generator is reproducible and its normals are standard', () => {
    const a = new SeededRandom(42, 's'), b = new SeededRandom(42, 's'), c = new SeededRandom(43, 's');
    const xa = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xa);
    const r = new SeededRandom(7);
    let s = 0, s2 = 0;
    const n = 50000;
    for (let i = 0; i < n; i++) { const z = r.normal(); s += z; s2 += z * z; }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(s2 / n).toBeCloseTo(1, 1);
    let g = 0;
    for (let i = 0; i < n; i++) g += r.gamma(0.7, 2);
    expect(g / n).toBeCloseTo(1.4, 1);
  });
});
