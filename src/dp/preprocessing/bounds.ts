/**
 * DP numeric bounds and bin edges from DP quantiles (so that encoders and histograms never
 * look at the raw minimum or maximum, which are not private).
 */
import { UsageError, describeValue } from '../../errors';
import { DataSource } from './measurement';
import { dpQuantiles, DpQuantileOptions } from './quantiles';

/**
 * ε-DP lower and upper bounds: the `lowerQuantile` and `upperQuantile` (default 0.01 and 0.99)
 * DP quantiles within the public coarse `range`.
 * @example dpBounds(hb, { ledger, range: [0, 25], epsilon: 0.2 }) // { lower: 6.1, upper: 12.9 }
 */
export function dpBounds(values: DataSource<number>, opts: Omit<DpQuantileOptions, 'quantiles'> & { lowerQuantile?: number; upperQuantile?: number }): { lower: number; upper: number } {
  const lq = opts.lowerQuantile ?? 0.01;
  const uq = opts.upperQuantile ?? 0.99;
  if (!(lq >= 0 && uq <= 1 && lq < uq)) throw new UsageError(`Expected 0 <= lowerQuantile < upperQuantile <= 1 for lowerQuantile/upperQuantile but received ${describeValue(lq)} and ${describeValue(uq)}`);
  const [a, b] = dpQuantiles(values, { ...opts, quantiles: [lq, uq], note: opts.note ?? 'DP bounds' });
  return { lower: Math.min(a, b), upper: Math.max(a, b) };
}

/**
 * ε-DP bin edges for `bins` equal-frequency bins: the public range ends and the DP quantiles
 * at i/bins, sorted and de-duplicated.
 * @example dpBinEdges(age, { ledger, range: [0, 100], bins: 4, epsilon: 0.3 }) // [0, 21.3, 40.2, 61.8, 100]
 */
export function dpBinEdges(values: DataSource<number>, opts: Omit<DpQuantileOptions, 'quantiles'> & { bins: number }): number[] {
  if (!(Number.isInteger(opts.bins) && opts.bins >= 2)) throw new UsageError(`Expected an integer >= 2 for bins but received ${describeValue(opts.bins)}`);
  const levels = Array.from({ length: opts.bins - 1 }, (_, i) => (i + 1) / opts.bins);
  const inner = dpQuantiles(values, { ...opts, quantiles: levels, note: opts.note ?? `DP bin edges (${opts.bins} bins)` }).sort((x, y) => x - y);
  const edges = [opts.range[0], ...inner, opts.range[1]];
  return edges.filter((e, i) => i === 0 || e > edges[i - 1]);
}
