import { orderStatistics } from '../../../src/transform/order-statistics';
import { presentValues, sortedPresent } from '../../../src/transform/column-values';
import { SamplingRandom } from '../../../src/models/sampling-random';

/** The same ranks read off a sorted copy: what selection must equal exactly (−0 and 0 are equal values). */
function bySort(a: Float64Array, ks: number[]): number[] {
  const s = Float64Array.from(a).sort();
  return ks.map((k) => s[k] + 0);
}
const plusZero = (xs: number[]) => xs.map((x) => x + 0);

describe('orderStatistics (exact quantiles without a full sort)', () => {
  const rng = new SamplingRandom(11, 0);
  const shapes: Array<[string, (n: number) => Float64Array]> = [
    ['uniform', (n) => Float64Array.from({ length: n }, () => rng.next())],
    ['heavy ties', (n) => Float64Array.from({ length: n }, () => Math.floor(rng.next() * 4))],
    ['all equal', (n) => new Float64Array(n).fill(2.5)],
    ['sorted', (n) => Float64Array.from({ length: n }, (_, i) => i / n)],
    ['reversed', (n) => Float64Array.from({ length: n }, (_, i) => n - i)],
    ['organ pipe', (n) => Float64Array.from({ length: n }, (_, i) => Math.min(i, n - i))],
    ['negative and zero', (n) => Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -0 : i % 3 === 1 ? 0 : -rng.next()))],
  ];
  for (const [name, make] of shapes) {
    test.each([1, 2, 7, 1000, 20011])(`${name}, n = %i: equals the sorted array's ranks`, (n) => {
      const a = make(n);
      const ks = [0, Math.floor(n / 100), Math.floor(n / 4), Math.floor(n / 2), n - 1, Math.floor(n / 2), Math.floor((3 * n) / 4)].filter((k) => k < n);
      expect(plusZero(orderStatistics(Float64Array.from(a), ks))).toEqual(bySort(a, ks));
    });
  }

  test('returns the ranks in the order asked, whatever the order', () => {
    expect(orderStatistics(Float64Array.of(5, 1, 4, 2, 3), [4, 0, 2])).toEqual([5, 1, 3]);
  });

  test('refuses a rank outside the array', () => {
    expect(() => orderStatistics(Float64Array.of(1, 2), [2])).toThrow(/ranks in \[0, 2\)/);
    expect(() => orderStatistics(Float64Array.of(1, 2), [0.5])).toThrow(/ranks/);
  });
});

describe('presentValues / sortedPresent', () => {
  test('drop NaN (missing) and keep every other value, in order or sorted', () => {
    const v = Float64Array.of(3, NaN, -1, Infinity, NaN, 0);
    expect(Array.from(presentValues(v))).toEqual([3, -1, Infinity, 0]);
    expect(Array.from(sortedPresent(v))).toEqual([-1, 0, 3, Infinity]);
    expect(sortedPresent(new Float64Array(0)).length).toBe(0);
  });
});
