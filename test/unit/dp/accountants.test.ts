import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  calibrateNoiseMultiplier, composeDelta, composeEpsilon, computeDelta, computeEpsilon, gdpEpsilonApproximation,
  OPACUS_DEFAULT_ORDERS, RdpAccountant, PrvAccountant, rdpToEpsilon, subsampledGaussianRdp, TFP_DEFAULT_ORDERS, mechanismRdp,
} from '../../../src/dp';
import { erfc, logErfc, normalSfInverse } from '../../../src/dp/accountants/special-functions';
import { fft } from '../../../src/dp/accountants/fft';
import { UsageError } from '../../../src/errors';

const vectors = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../../shared/reference/dp-accountant-vectors.json'), 'utf8'));

const ordersOf = (name: string): readonly number[] => {
  if (name === 'opacus_default') return OPACUS_DEFAULT_ORDERS;
  if (name === 'tfp_default') return TFP_DEFAULT_ORDERS;
  if (name === 'integers 2..32') return Array.from({ length: 31 }, (_, i) => i + 2);
  throw new Error(`unknown orders ${name}`);
};
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('special functions', () => {
  test('erfc matches high-precision values on both sides of the series/fraction switch', () => {
    expect(relErr(erfc(0.5), 0.4795001221869534623)).toBeLessThan(1e-14);
    expect(relErr(erfc(1), 0.157299207050285130658)).toBeLessThan(1e-14);
    expect(relErr(erfc(3), 2.20904969985854413727e-5)).toBeLessThan(1e-13);
    expect(relErr(erfc(-1), 1.842700792949714869341)).toBeLessThan(1e-14);
    expect(relErr(erfc(10), 2.08848758376254475700e-45)).toBeLessThan(1e-12);
    expect(relErr(logErfc(40), Math.log(1.0) - 1600 - Math.log(40 * Math.sqrt(Math.PI)) + Math.log1p(-1 / 3200 + 3 / (4 * 40 ** 4)))).toBeLessThan(1e-12);
    expect(normalSfInverse(0.025)).toBeCloseTo(1.959963984540054, 10);
  });
  test('FFT of a delta is flat and the inverse restores the input', () => {
    const n = 16;
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    re[3] = 1;
    fft(re, im);
    for (let k = 0; k < n; k++) expect(Math.hypot(re[k], im[k])).toBeCloseTo(1, 14);
    fft(re, im, true);
    for (let k = 0; k < n; k++) expect(re[k]).toBeCloseTo(k === 3 ? 1 : 0, 14);
  });
});

describe('RDP accountant: reference vectors', () => {
  test.each(vectors.rdp_epsilon.map((v: { id: string }) => [v.id, v]) as [string, any][])('%s', (_id: string, v: any) => {
    const conversion = String(v.conversion ?? '').startsWith('classic') ? 'classic' : 'balle2020';
    const r = computeEpsilon({ accountant: 'rdp', noiseMultiplier: v.noise_multiplier, sampleRate: v.sample_rate, steps: v.steps, delta: v.delta, orders: ordersOf(v.orders), conversion });
    expect(relErr(r.epsilon, v.epsilon)).toBeLessThanOrEqual(v.rtol);
    if (v.best_order !== undefined) expect(r.order).toBe(v.best_order);
  });
  test('RDP vector at integer and fractional orders', () => {
    const v = vectors.rdp_vector;
    v.orders.forEach((a: number, i: number) => {
      expect(relErr(v.steps * subsampledGaussianRdp(v.sample_rate, v.noise_multiplier, a), v.rdp[i])).toBeLessThanOrEqual(v.rtol);
    });
  });
  test('pure-DP constant curve conversion', () => {
    const v = vectors.pure_dp_conversion;
    const orders = ordersOf(v.orders);
    const r = rdpToEpsilon(orders, orders.map(() => v.rdp_constant), v.delta);
    expect(relErr(r.epsilon, v.epsilon)).toBeLessThanOrEqual(v.rtol);
    expect(r.order).toBe(v.best_order);
  });
});

describe('PRV accountant: reference vectors', () => {
  test('opacus-prv lands in the accepted interval, with the estimate within the error', () => {
    const v = vectors.prv_or_pld_epsilon.find((x: { id: string }) => x.id === 'opacus-prv');
    const r = computeEpsilon({ accountant: 'prv', noiseMultiplier: v.noise_multiplier, sampleRate: v.sample_rate, steps: v.steps, delta: v.delta });
    expect(r.epsilon).toBeGreaterThanOrEqual(v.accept[0]);
    expect(r.epsilon).toBeLessThanOrEqual(v.accept[1]);
    // Never below the near-exact value (it is an upper bound), and the estimate is within the error of it.
    expect(r.epsilon).toBeGreaterThanOrEqual(v.epsilon_near_exact);
    expect(Math.abs((r.estimate as number) - v.epsilon_near_exact)).toBeLessThanOrEqual(r.error as number);
    expect(Math.abs(r.epsilon - v.opacus_reported_upper)).toBeLessThan(1e-3);
  });
  test('the GDP CLT approximation is below the true value and carries a warning', () => {
    const v = vectors.prv_or_pld_epsilon.find((x: { id: string }) => x.id === 'gdp-is-not-a-bound');
    const g = gdpEpsilonApproximation({ noiseMultiplier: v.noise_multiplier, sampleRate: v.sample_rate, steps: v.steps, delta: v.delta });
    expect(g.epsilon).toBeCloseTo(v.gdp_clt_epsilon, 3);
    expect(g.isUpperBound).toBe(false);
    expect(g.warning).toMatch(/not an upper bound/);
    const prv = computeEpsilon({ noiseMultiplier: v.noise_multiplier, sampleRate: v.sample_rate, steps: v.steps, delta: v.delta });
    expect(g.epsilon).toBeLessThan(prv.estimate as number);
  });
  test('pld_delta: plain Gaussian mu = 1', () => {
    const v = vectors.pld_delta.find((x: { id: string }) => x.id === 'gaussian-mu1');
    const r = composeDelta({ mechanisms: [{ kind: 'gaussian', noiseMultiplier: Math.sqrt(3), count: 3 }], epsilon: v.epsilon });
    expect(Math.abs(r.delta - v.delta)).toBeLessThanOrEqual(v.atol);
    expect(r.delta).toBeGreaterThanOrEqual(v.delta - 1e-6); // an upper bound
  });
  test('pld_delta: Poisson-subsampled Gaussian', () => {
    const v = vectors.pld_delta.find((x: { id: string }) => x.id === 'poisson-small');
    const r = computeDelta({ noiseMultiplier: v.noise_multiplier, sampleRate: v.sample_rate, steps: v.steps, epsilon: v.epsilon });
    expect(Math.abs(r.delta - v.delta)).toBeLessThanOrEqual(v.atol);
  });
});

describe('calibration', () => {
  const c = vectors.calibration;
  test.each(c.cases.map((x: { accountant: string; steps: number }) => [x.accountant, x.steps, x]) as [string, number, any][])('%s, %i steps', (_a: string, _s: number, x: any) => {
    const r = calibrateNoiseMultiplier({ accountant: x.accountant, targetEpsilon: c.target_epsilon, delta: c.delta, sampleRate: c.sample_rate, steps: x.steps });
    expect(relErr(r.noiseMultiplier, x.noise_multiplier)).toBeLessThanOrEqual(0.01);
    // Never overshoots: the returned sigma meets the target when re-evaluated independently.
    const check = computeEpsilon({ accountant: x.accountant, noiseMultiplier: r.noiseMultiplier, sampleRate: c.sample_rate, steps: x.steps, delta: c.delta });
    expect(check.epsilon).toBeLessThanOrEqual(c.target_epsilon);
    expect(r.epsilon).toBe(check.epsilon);
  });
});

describe('properties and edge cases', () => {
  const base = { noiseMultiplier: 1.2, sampleRate: 0.02, steps: 500, delta: 1e-5 };
  test.each(['rdp', 'prv'] as const)('%s: epsilon grows with steps and q, falls with sigma', (accountant) => {
    const e = (p: Partial<typeof base>) => computeEpsilon({ accountant, ...base, ...p }).epsilon;
    const e0 = e({});
    expect(e({ steps: 1000 })).toBeGreaterThan(e0);
    expect(e({ sampleRate: 0.04 })).toBeGreaterThan(e0);
    expect(e({ noiseMultiplier: 1.5 })).toBeLessThan(e0);
  });
  test('RDP of k composed steps equals k times one step', () => {
    for (const a of [1.5, 2, 7.3, 32]) {
      const one = mechanismRdp({ kind: 'subsampled-gaussian', noiseMultiplier: 1.1, sampleRate: 0.05, steps: 1 }, a);
      const acc = new RdpAccountant({ orders: [a] });
      for (let i = 0; i < 7; i++) acc.compose({ kind: 'subsampled-gaussian', noiseMultiplier: 1.1, sampleRate: 0.05, steps: 1 });
      expect(acc.rdpCurve()[0]).toBeCloseTo(7 * one, 12);
    }
  });
  test('q = 0 gives 0, sigma = 0 gives Infinity, q = 1 gives alpha/(2 sigma^2) per step', () => {
    for (const accountant of ['rdp', 'prv'] as const) {
      expect(computeEpsilon({ accountant, ...base, sampleRate: 0 }).epsilon).toBe(0);
      expect(computeEpsilon({ accountant, ...base, noiseMultiplier: 0 }).epsilon).toBe(Infinity);
    }
    expect(subsampledGaussianRdp(1, 2, 5)).toBe(5 / 8);
    expect(subsampledGaussianRdp(1, 2, 2.5)).toBe(2.5 / 8);
  });
  test('huge step counts are finite (never NaN), and PRV falls back to the tighter RDP bound when its grid is capped', () => {
    const p = { noiseMultiplier: 1, sampleRate: 0.01, steps: 1e9, delta: 1e-5 };
    const rdp = computeEpsilon({ accountant: 'rdp', ...p });
    const prv = computeEpsilon({ accountant: 'prv', ...p });
    expect(Number.isFinite(rdp.epsilon)).toBe(true);
    expect(prv.epsilon).toBeLessThanOrEqual(rdp.epsilon);
    expect(prv.note).toMatch(/RDP/);
  });
  test('PRV is tighter than RDP and never below its own estimate', () => {
    const r = computeEpsilon({ accountant: 'prv', ...base });
    expect(r.epsilon).toBeLessThan(computeEpsilon({ accountant: 'rdp', ...base }).epsilon);
    expect(r.epsilon).toBeGreaterThan(r.estimate as number);
  });
  test('heterogeneous composition: Gaussian, subsampled Gaussian, Laplace and pure DP in one accountant', () => {
    const acc = new PrvAccountant();
    acc.compose({ kind: 'subsampled-gaussian', noiseMultiplier: 1.1, sampleRate: 0.01, steps: 1000 });
    acc.compose({ kind: 'subsampled-gaussian', noiseMultiplier: 2, sampleRate: 0.05, steps: 200 });
    acc.compose({ kind: 'laplace', scale: 10, count: 2 });
    acc.compose({ kind: 'pure-dp', epsilon: 0.1, count: 3 });
    const all = acc.getEpsilon(1e-5).epsilon;
    const first = composeEpsilon({ mechanisms: [acc.history[0]], delta: 1e-5 }).epsilon;
    const rdp = composeEpsilon({ accountant: 'rdp', mechanisms: acc.history, delta: 1e-5 }).epsilon;
    expect(all).toBeGreaterThan(first);
    expect(all).toBeLessThan(rdp);
    // A single Laplace with scale 1 is exactly 1-DP: delta(1) = 0 and epsilon(1e-5) <= 1 + error.
    const lap = composeEpsilon({ mechanisms: [{ kind: 'laplace', scale: 1 }], delta: 1e-5 });
    expect(lap.epsilon).toBeLessThanOrEqual(1 + (lap.error as number));
    expect(lap.epsilon).toBeGreaterThan(0.99);
  });
  test('bad parameters are refused with the field named', () => {
    expect(() => computeEpsilon({ noiseMultiplier: 1, sampleRate: 1.5, steps: 1, delta: 1e-5 })).toThrow(UsageError);
    expect(() => computeEpsilon({ noiseMultiplier: 1, sampleRate: 1.5, steps: 1, delta: 1e-5 })).toThrow(/Expected a sample rate in \[0, 1\] for sampleRate but received number 1.5/);
    expect(() => computeEpsilon({ noiseMultiplier: NaN, sampleRate: 0.1, steps: 1, delta: 1e-5 })).toThrow(/noiseMultiplier/);
    expect(() => computeEpsilon({ accountant: 'gdp' as never, noiseMultiplier: 1, sampleRate: 0.1, steps: 1, delta: 1e-5 })).toThrow(/"prv", "pld" or "rdp"/);
    expect(() => composeEpsilon({ mechanisms: [{ kind: 'laplace', scale: -1 }], delta: 1e-5 })).toThrow(/mechanisms\[0\]\.scale/);
  });
});
