/**
 * The native exact discrete Gaussian (native/dp/discrete_gaussian.cpp) used for the distributed
 * noise of secure aggregation: its distribution is N_Z(0, σ²) (a chi-square test against the exact
 * pmf at small σ, moments at large σ), it matches the bigint TypeScript reference, and bad σ is
 * refused with the field named.
 */
import { loadAddon } from '../../../src/native/addon';
import { discreteGaussian, discreteGaussianVector } from '../../../src/dp/discrete-noise';
import { CryptoRandom } from '../../../src/dp/noise';

const addon = loadAddon();

function pmf(sigma: number, k: number): number {
  let z = 0;
  for (let j = -Math.ceil(40 * sigma); j <= Math.ceil(40 * sigma); j++) z += Math.exp((-j * j) / (2 * sigma * sigma));
  return Math.exp((-k * k) / (2 * sigma * sigma)) / z;
}

/** Pearson chi-square of samples against the exact pmf on [-w, w] plus the two tails. */
function chiSquare(samples: ArrayLike<number>, sigma: number, w: number): { chi: number; df: number } {
  const counts = new Map<number, number>();
  for (let i = 0; i < samples.length; i++) {
    const y = Math.max(-w - 1, Math.min(w + 1, samples[i]));
    counts.set(y, (counts.get(y) ?? 0) + 1);
  }
  let chi = 0, inner = 0;
  for (let k = -w; k <= w; k++) {
    const p = pmf(sigma, k);
    inner += p;
    const e = samples.length * p;
    chi += ((counts.get(k) ?? 0) - e) ** 2 / e;
  }
  const tail = samples.length * (1 - inner) / 2;
  for (const k of [-w - 1, w + 1]) chi += ((counts.get(k) ?? 0) - tail) ** 2 / tail;
  return { chi, df: 2 * w + 2 };
}

test('native samples follow the exact discrete Gaussian pmf (chi-square, σ = 1.5 and σ = 0.7)', () => {
  for (const sigma of [1.5, 0.7]) {
    const s = addon.dpDiscreteGaussianSamples(-1, sigma, 300_000, 2);
    expect(s.every((y) => Number.isInteger(y))).toBe(true);
    const w = sigma > 1 ? 5 : 2;
    const { chi, df } = chiSquare(s, sigma, w);
    // 99.9% quantile of chi-square: below df + 5·sqrt(2·df) for these df.
    expect(chi).toBeLessThan(df + 5 * Math.sqrt(2 * df));
  }
});

test('a shifted distribution fails the same chi-square test (the test has power)', () => {
  const s = addon.dpDiscreteGaussianSamples(-1, 1.7, 300_000, 2);
  const { chi, df } = chiSquare(s, 1.5, 5);
  expect(chi).toBeGreaterThan(df + 5 * Math.sqrt(2 * df));
});

test('large σ: mean 0 and standard deviation σ (within sampling error), seeded streams are reproducible and thread-independent', () => {
  const sigma = 3.1e6;
  const n = 200_000;
  const s = addon.dpDiscreteGaussianSamples(-1, sigma, n, 2);
  let m = 0, v = 0;
  for (const y of s) { m += y; v += y * y; }
  m /= n; v = v / n - m * m;
  expect(Math.abs(m)).toBeLessThan((5 * sigma) / Math.sqrt(n));
  expect(Math.abs(Math.sqrt(v) / sigma - 1)).toBeLessThan(0.01);
  const a = addon.dpDiscreteGaussianSamples(7, sigma, 10_000, 1);
  const b = addon.dpDiscreteGaussianSamples(7, sigma, 10_000, 2);
  expect(Array.from(b)).toEqual(Array.from(a));
  expect(Array.from(addon.dpDiscreteGaussianSamples(8, sigma, 10, 1))).not.toEqual(Array.from(a.subarray(0, 10)));
});

test('native and the bigint TypeScript reference sample the same distribution (two-sample chi-square)', () => {
  const sigma = 2.3, n = 15_000;
  const nat = addon.dpDiscreteGaussianSamples(-1, sigma, n, 1);
  const rng = new CryptoRandom();
  const ref = Float64Array.from({ length: n }, () => discreteGaussian(rng, sigma));
  let chi = 0, df = 0;
  for (let k = -7; k <= 7; k++) {
    const a = nat.filter((y) => y === k).length, b = ref.filter((y) => y === k).length;
    if (a + b < 20) continue;
    chi += (a - b) ** 2 / (a + b);
    df++;
  }
  expect(chi).toBeLessThan(df + 5 * Math.sqrt(2 * df));
  expect(discreteGaussianVector(5, 1e6).length).toBe(5);
});

test('bad σ or count is refused with the field named', () => {
  expect(() => addon.dpDiscreteGaussianSamples(-1, -1, 10, 1)).toThrow(/sigma/);
  expect(() => addon.dpDiscreteGaussianSamples(-1, 2 ** 31, 10, 1)).toThrow(/sigma/);
  expect(() => addon.dpDiscreteGaussianSamples(-1, Number.NaN, 10, 1)).toThrow(/sigma/);
  expect(() => addon.dpDiscreteGaussianSamples(-1, 1, -1, 1)).toThrow(/count/);
  expect(() => discreteGaussianVector(3, 0)).toThrow(/sigma/);
});
