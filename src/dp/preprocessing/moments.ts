/**
 * DP mean and variance with public bounds: values are clamped to [lower, upper] and centred at
 * the midpoint c, so each record changes (count, Σ(x-c), Σ(x-c)²) by at most (1, r, r²) with
 * r = (upper - lower)/2; each statistic gets Gaussian noise of σ times its sensitivity, i.e. a
 * composition of three Gaussian mechanisms with noise multiplier σ (two for the mean alone).
 */
import { chargeThenRead, checkPositive, checkRange, DataSource, MeasurementOptions } from './measurement';

/** Options of {@link dpMeanVariance}. */
export interface DpMomentOptions extends MeasurementOptions {
  /** Public bounds; values outside are clamped. */
  range: [number, number];
  /** Gaussian noise multiplier of each statistic. */
  noiseMultiplier: number;
  /** Also release the variance (default true). */
  variance?: boolean;
}

/**
 * (ε, δ)-DP mean (and variance) of numeric values; charges the ledger before reading.
 * @example dpMeanVariance(hb, { ledger, range: [4, 16], noiseMultiplier: 5 }) // { mean: 8.9, variance: 1.7, count: 1012.4 }
 */
export function dpMeanVariance(values: DataSource<number>, opts: DpMomentOptions): { mean: number; variance: number | null; count: number } {
  const [lo, hi] = checkRange(opts.range, 'range');
  const sigma = checkPositive(opts.noiseMultiplier, 'noiseMultiplier');
  const withVariance = opts.variance ?? true;
  const { values: data, rng } = chargeThenRead(opts, { kind: 'gaussian', noiseMultiplier: sigma, count: withVariance ? 3 : 2 }, values, withVariance ? 'DP mean and variance' : 'DP mean');
  const c = (lo + hi) / 2;
  const r = (hi - lo) / 2;
  let n = 0;
  let s = 0;
  let q = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' || Number.isNaN(v)) continue;
    const y = Math.min(hi, Math.max(lo, v)) - c;
    n += 1;
    s += y;
    q += y * y;
  }
  const count = n + rng.gaussian(0, sigma);
  const sum = s + rng.gaussian(0, sigma * r);
  const denom = Math.max(1, count);
  const meanCentered = Math.min(r, Math.max(-r, sum / denom));
  let variance: number | null = null;
  if (withVariance) {
    const sumSq = q + rng.gaussian(0, sigma * r * r);
    variance = Math.min(r * r, Math.max(0, sumSq / denom - meanCentered * meanCentered));
  }
  return { mean: c + meanCentered, variance, count };
}
