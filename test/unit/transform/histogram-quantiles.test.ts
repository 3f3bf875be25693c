/**
 * DP quantile edges read off noisy fine histograms (src/transform/histogram-quantiles.ts), and the
 * discretiser's DP path that uses them.
 */
import type { ColumnSchema } from '../../../src/data/schema';
import { CryptoRandom } from '../../../src/dp/noise';
import { simulateCohort } from '../../../src/scd';
import { readNumbers } from '../../../src/transform/column-values';
import { binOf, fitDiscretisation } from '../../../src/transform/discretiser';
import { edgesFromHistogram, histogramCounts, histogramSpec, UNBOUNDED_ASINH_RANGE } from '../../../src/transform/histogram-quantiles';

const column = (name: string): ColumnSchema => ({ name, kind: 'continuous', role: 'feature' });

describe('fine histograms', () => {
  test('linear between both bounds, else in asinh space from the bound there is', () => {
    expect(histogramSpec(column('x'), 3, 17, 64)).toEqual({ column: 'x', lo: 3, hi: 17, bins: 64, asinh: false });
    expect(histogramSpec(column('x'), 0, undefined, 32)).toEqual({ column: 'x', lo: 0, hi: UNBOUNDED_ASINH_RANGE[1], bins: 32, asinh: true });
    expect(histogramSpec(column('x'), undefined, undefined).bins).toBe(64);
  });

  test('counts each value in its cell; missing values are skipped, values outside land in the end cells', () => {
    const spec = { column: 'x', lo: 0, hi: 4, bins: 4, asinh: false };
    expect(Array.from(histogramCounts(spec, [0, 0.5, 1, 3.99, NaN, -5, 9]))).toEqual([3, 1, 0, 2]);
    const logSpec = { column: 'x', lo: 0, hi: Math.asinh(1000), bins: 3, asinh: true };
    // asinh(1000) / 3 ≈ 2.53: 1 → cell 0, 10 → cell 1 (asinh 3.0), 500 → cell 2
    expect(Array.from(histogramCounts(logSpec, [1, 10, 500]))).toEqual([1, 1, 1]);
  });

  test('quantiles by linear interpolation in the cumulative counts; negative noise clipped; asinh mapped back', () => {
    const spec = { column: 'x', lo: 0, hi: 4, bins: 4, asinh: false };
    expect(edgesFromHistogram(spec, [10, 10, 10, 10], [0.25, 0.5, 0.625])).toEqual([1, 2, 2.5]);
    // A negative cell counts as empty: the median of [-5, 10, 0, 10] is at the end of cell 1.
    expect(edgesFromHistogram(spec, [-5, 10, 0, 10], [0.5])).toEqual([2]);
    expect(edgesFromHistogram(spec, [-1, -2, 0, 0], [0.5])).toEqual([]);
    const logSpec = { column: 'x', lo: 0, hi: 2, bins: 2, asinh: true };
    expect(edgesFromHistogram(logSpec, [5, 5], [0.5])[0]).toBeCloseTo(Math.sinh(1), 12);
  });
});

describe('the discretiser\'s DP edges', () => {
  const sim = simulateCohort({ patients: 1500, sites: 4, seed: 21 });
  const age = sim.schema.columns.find((c) => c.name === 'age_years')!;
  const values = readNumbers(sim.patients, 'age_years');
  /** Largest share of the rows in one bin of the edges. */
  const largestBin = (edges: number[]) => {
    const counts = new Array(edges.length - 1).fill(0);
    for (const v of values) counts[binOf(edges, v)]++;
    return Math.max(...counts) / values.length;
  };

  test('small noise: 12 bins of about a twelfth of the rows each (2 narrow tails)', () => {
    const [enc] = fitDiscretisation(sim.patients, { version: 1, columns: [age] }, { histogramSigma: 2, rng: CryptoRandom.fromSeed(5) });
    expect(enc.source).toBe('dp-quantiles');
    const edges = enc.edges as number[];
    for (let i = 1; i < edges.length; i++) expect(edges[i]).toBeGreaterThanOrEqual(edges[i - 1]);
    expect(largestBin(edges)).toBeLessThan(0.14);
  });

  test('at ε = 3 noise (σ ≈ 40 per cell) ages 2 to 17 are still split: the bin holding most rows has under 30% of them', () => {
    const [enc] = fitDiscretisation(sim.patients, { version: 1, columns: [age] }, { histogramSigma: 40, rng: CryptoRandom.fromSeed(6) });
    const edges = enc.edges as number[];
    expect(largestBin(edges)).toBeLessThan(0.3);
    expect(edges.filter((e) => e > 2 && e < 17).length).toBeGreaterThanOrEqual(3);
    expect(() => fitDiscretisation(sim.patients, { version: 1, columns: [age] }, { histogramSigma: 40 })).toThrow(/CryptoRandom for the DP histograms/);
  });
});
