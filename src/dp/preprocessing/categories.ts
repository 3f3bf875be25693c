/**
 * DP category discovery by thresholded Gaussian counts (the "Gaussian thresholding" of
 * Korolova et al. 2009 / Wilson et al. 2020, "Differentially private SQL with bounded user
 * contribution"): each category's count gets N(0, σ²) noise and only categories whose noisy
 * count exceeds τ = 1 + σ·Φ⁻¹(1 - δ_τ) are released. A category that exists only because of
 * one record is released with probability at most δ_τ, so the release is (ε_Gauss(δ) + δ_τ)-DP;
 * the ledger records the Gaussian mechanism with `additionalDelta` δ_τ.
 * Each record contributes to exactly one category (L2 sensitivity 1 under add/remove).
 */
import { UsageError, describeValue } from '../../errors';
import { normalSfInverse } from '../accountants/special-functions';
import { chargeThenRead, checkPositive, DataSource, MeasurementOptions } from './measurement';

/** Options of {@link dpDiscoverCategories}. */
export interface DpCategoryOptions extends MeasurementOptions {
  /** Noise standard deviation of each count (the Gaussian noise multiplier, sensitivity 1). */
  noiseMultiplier: number;
  /** Probability δ_τ that a category held by a single record is released (default 1e-7). */
  thresholdDelta?: number;
}

/** A released category with its noisy count. */
export interface DiscoveredCategory {
  value: string;
  noisyCount: number;
}

/**
 * The threshold τ for a noise multiplier and δ_τ.
 * @example categoryThreshold(4, 1e-7) // 1 + 4·5.199 ≈ 21.8
 */
export function categoryThreshold(noiseMultiplier: number, thresholdDelta: number): number {
  return 1 + noiseMultiplier * normalSfInverse(thresholdDelta);
}

/**
 * (ε, δ)-DP list of the categories present in a column; charges the ledger before reading.
 * Missing values (null, undefined, '') are not categories.
 * @example dpDiscoverCategories(genotypes, { ledger, noiseMultiplier: 4 }) // [{ value: 'HbSS', noisyCount: 812.3 }, ...]
 */
export function dpDiscoverCategories(values: DataSource<string | null | undefined>, opts: DpCategoryOptions): DiscoveredCategory[] {
  const sigma = checkPositive(opts.noiseMultiplier, 'noiseMultiplier');
  const thresholdDelta = opts.thresholdDelta ?? 1e-7;
  if (!(thresholdDelta > 0 && thresholdDelta < 0.5)) throw new UsageError(`Expected a threshold delta in (0, 0.5) for thresholdDelta but received ${describeValue(thresholdDelta)}`);
  const tau = categoryThreshold(sigma, thresholdDelta);
  const { values: data, rng } = chargeThenRead(opts, { kind: 'gaussian', noiseMultiplier: sigma, count: 1, additionalDelta: thresholdDelta }, values, 'DP category discovery');
  const counts = new Map<string, number>();
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v === null || v === undefined || v === '') continue;
    const key = String(v);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const out: DiscoveredCategory[] = [];
  // Iterate in sorted order so the output order does not reveal insertion order.
  for (const key of [...counts.keys()].sort()) {
    const noisy = (counts.get(key) as number) + rng.gaussian(0, sigma);
    if (noisy > tau) out.push({ value: key, noisyCount: noisy });
  }
  return out;
}
