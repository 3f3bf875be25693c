/**
 * DP quantiles by the exponential mechanism over the gaps between sorted values (Smith 2011,
 * "Privacy-preserving statistical estimation with optimal convergence rates", STOC; the
 * "exponential-mechanism quantile" of Gillenwater, Joseph & Kulesza 2021). Each quantile is a
 * pure ε-DP release; several quantiles compose (the ledger accounts them as k pure-DP releases
 * of ε/k each).
 *
 * Utility of the gap between the i-th and (i+1)-th sorted value: -|i - p·n|; it changes by at
 * most 1 when a record is added or removed, so sampling a gap with probability ∝
 * width · exp(ε·u/2) is ε-DP (McSherry & Talwar 2007), then a uniform point in the gap.
 * The range [lower, upper] must be public (schema or policy), never computed from the data.
 */
import { UsageError, describeValue } from '../../errors';
import { CryptoRandom } from '../noise';
import { chargeThenRead, checkPositive, checkRange, DataSource, MeasurementOptions } from './measurement';

/** Options of {@link dpQuantiles}. */
export interface DpQuantileOptions extends MeasurementOptions {
  /** Quantile levels in [0, 1]. */
  quantiles: readonly number[];
  /** Public range of the values; values outside are clamped. */
  range: [number, number];
  /** Total ε for all the quantiles together. */
  epsilon: number;
}

function sortedClamped(values: ArrayLike<number>, lo: number, hi: number): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || Number.isNaN(v)) continue; // missing values carry no rank
    out[n++] = Math.min(hi, Math.max(lo, v));
  }
  return out.subarray(0, n).sort();
}

/** One exponential-mechanism quantile over sorted values (already clamped) in [lo, hi]. */
export function exponentialMechanismQuantile(sorted: Float64Array, p: number, lo: number, hi: number, epsilon: number, rng: CryptoRandom): number {
  const n = sorted.length;
  const target = p * n;
  // Gumbel-max: argmax_i (log weight_i + Gumbel) is a sample with probability ∝ weight_i.
  let best = -Infinity;
  let bestGap = 0;
  for (let i = 0; i <= n; i++) {
    const left = i === 0 ? lo : sorted[i - 1];
    const right = i === n ? hi : sorted[i];
    const width = right - left;
    if (!(width > 0)) continue;
    const score = Math.log(width) - (epsilon / 2) * Math.abs(i - target) + rng.gumbel();
    if (score > best) {
      best = score;
      bestGap = i;
    }
  }
  const left = bestGap === 0 ? lo : sorted[bestGap - 1];
  const right = bestGap === n ? hi : sorted[bestGap];
  return left + (right - left) * rng.uniform();
}

/**
 * ε-DP quantiles of numeric values; charges the ledger (k pure-DP releases of ε/k) before reading.
 * @example dpQuantiles(ages, { ledger, quantiles: [0.25, 0.5, 0.75], range: [0, 120], epsilon: 0.3 })
 */
export function dpQuantiles(values: DataSource<number>, opts: DpQuantileOptions): number[] {
  const [lo, hi] = checkRange(opts.range, 'range');
  const epsilon = checkPositive(opts.epsilon, 'epsilon');
  const qs = opts.quantiles;
  if (!Array.isArray(qs) || qs.length === 0 || qs.some((q) => typeof q !== 'number' || !(q >= 0 && q <= 1))) {
    throw new UsageError(`Expected a non-empty array of quantile levels in [0, 1] for quantiles but received ${describeValue(qs)}${Array.isArray(qs) ? ` ${JSON.stringify(qs)}` : ''}`);
  }
  const each = epsilon / qs.length;
  const { values: data, rng } = chargeThenRead(opts, { kind: 'pure-dp', epsilon: each, count: qs.length, name: 'exponential-mechanism quantile' }, values, `DP quantiles ${JSON.stringify(qs)}`);
  const sorted = sortedClamped(data, lo, hi);
  return qs.map((p) => exponentialMechanismQuantile(sorted, p, lo, hi, each, rng));
}
