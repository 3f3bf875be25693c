// Known-answer tests for every fidelity and utility statistic (hand-computed small cases).
import { ksStatistic, wasserstein1, totalVariation, missingRate } from '../../../src/evaluate/fidelity/univariate';
import { cramersV, correlationRatio } from '../../../src/evaluate/fidelity/association';
import { marginalDistance, fitDiscretiser, discretise, kWayMarginals } from '../../../src/evaluate/fidelity/marginals';
import { pearson, spearman, midRanks } from '../../../src/evaluate/statistics/ranks';
import { rocAuc, aucInterval, tprAtFpr } from '../../../src/evaluate/statistics/roc';
import { normalQuantile, normalCdf } from '../../../src/evaluate/statistics/normal';
import { accuracy, macroF1, macroAuc } from '../../../src/evaluate/utility/scores';
import { EvalTable } from '../../../src/evaluate/table-columns';

describe('per-column distances', () => {
  it('KS statistic', () => {
    expect(ksStatistic([1, 2, 3], [2, 3, 4])).toBeCloseTo(1 / 3, 15);
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(ksStatistic([0, 0, 1], [5, 6])).toBe(1);
    expect(ksStatistic([1, NaN, 2], [1, 2])).toBe(0); // missing values are not values
  });
  it('Wasserstein-1', () => {
    expect(wasserstein1([0, 1], [1, 2])).toBeCloseTo(1, 15);
    expect(wasserstein1([0, 0, 1], [0, 1, 1])).toBeCloseTo(1 / 3, 15);
    expect(wasserstein1([3], [3])).toBe(0);
  });
  it('total variation and missingness', () => {
    expect(totalVariation([1, 1], [2, 0])).toBe(0.5);
    expect(totalVariation([5, 5, 0], [1, 1, 0])).toBe(0);
    expect(missingRate([1, NaN, 3, NaN], false)).toBe(0.5);
    expect(missingRate(Int32Array.of(-1, 0, 1, 2), true)).toBe(0.25);
  });
});

describe('associations', () => {
  it('Pearson and Spearman', () => {
    expect(pearson([1, 2, 3, 4], [2, 4, 5, 9])).toBeCloseTo(11 / Math.sqrt(130), 14);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 100])).toBeCloseTo(1, 14);
    expect(Array.from(midRanks([10, 20, 20, NaN]))).toEqual([1, 2.5, 2.5, NaN]);
  });
  it("Cramér's V", () => {
    // 2x2 table [[20,10],[10,20]]: chi2 = 60*(400-100)^2/30^4 = 6.667, V = 1/3.
    const a: number[] = [], b: number[] = [];
    const add = (x: number, y: number, k: number) => { for (let i = 0; i < k; i++) { a.push(x); b.push(y); } };
    add(0, 0, 20); add(0, 1, 10); add(1, 0, 10); add(1, 1, 20);
    expect(cramersV(Int32Array.from(a), Int32Array.from(b))).toBeCloseTo(1 / 3, 14);
    expect(cramersV(Int32Array.of(0, 0, 1, 1), Int32Array.of(1, 1, 0, 0))).toBeCloseTo(1, 14);
    expect(cramersV(Int32Array.of(0, 0, 0), Int32Array.of(0, 1, 0))).toBeNull();
  });
  it('correlation ratio', () => {
    // groups means 2 and 6 around 4: between 16, total 20.
    expect(correlationRatio(Int32Array.of(0, 0, 1, 1), Float64Array.of(1, 3, 5, 7))).toBeCloseTo(Math.sqrt(0.8), 14);
    expect(correlationRatio(Int32Array.of(0, 1, -1), Float64Array.of(2, 2, 9))).toBeNull();
  });
});

describe('k-way marginals', () => {
  it('TVD of a one-way marginal', () => {
    expect(marginalDistance([Int32Array.of(0, 0, 1, 1)], [Int32Array.of(0, 1, 1, 1)], [2])).toBeCloseTo(0.25, 15);
  });
  it('discretises numbers by training deciles with a missing bin and an overflow bin', () => {
    const c = { name: 'x', kind: 'numeric' as const, integer: true, values: Float64Array.from({ length: 10 }, (_, i) => i + 1) };
    const d = fitDiscretiser(c);
    expect(d.edges).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Array.from(discretise({ ...c, values: Float64Array.of(NaN, 1, 1.5, 10, 11) }, d))).toEqual([0, 1, 2, 10, 11]);
  });
  it('NIST score is 1000 for identical tables and 1000(1 - mean TVD) otherwise', () => {
    const t = (codes: number[][]): EvalTable => ({ nRows: codes[0].length, columns: codes.map((c, j) => ({ name: `c${j}`, kind: 'categorical' as const, categories: ['a', 'b'], codes: Int32Array.from(c) })) });
    const a = t([[0, 0, 1, 1], [0, 1, 0, 1]]);
    expect(kWayMarginals(a, [a], 2)[0]).toMatchObject({ meanTvd: 0, nistScore: 1000, subsets: 1 });
    // b has cells (0,0),(1,1) twice each: TVD = 0.5 against the uniform 4 cells.
    const b = t([[0, 0, 1, 1], [0, 0, 1, 1]]);
    const r = kWayMarginals(a, [b], 2)[0];
    expect(r.meanTvd).toBeCloseTo(0.5, 15);
    expect(r.nistScore).toBeCloseTo(500, 10);
  });
});

describe('ROC and classification scores', () => {
  it('AUC by Mann-Whitney with ties as one half', () => {
    expect(rocAuc([0.9, 0.8], [0.1, 0.85])).toBe(0.75);
    expect(rocAuc([1], [1])).toBe(0.5);
    expect(rocAuc([], [1])).toBeNull();
  });
  it('Hanley-McNeil interval', () => {
    const [lo, hi] = aucInterval(0.8, 50, 50, 0.95);
    const se = Math.sqrt((0.16 + 49 * (0.8 / 1.2 - 0.64) + 49 * (1.28 / 1.8 - 0.64)) / 2500);
    expect(lo).toBeCloseTo(0.8 - 1.959963984540054 * se, 12);
    expect(hi).toBeCloseTo(0.8 + 1.959963984540054 * se, 12);
  });
  it('TPR at 1% FPR', () => {
    const neg = Array.from({ length: 100 }, (_, i) => i);
    const r = tprAtFpr([99.5, 98.5, 50], neg, 0.01);
    expect(r).toMatchObject({ tpr: 2 / 3, fpr: 0.01, threshold: 98, truePositives: 2 });
  });
  it('accuracy, macro-F1, macro AUC', () => {
    const truth = Int32Array.of(0, 0, 1, 1), pred = Int32Array.of(0, 1, 1, 1);
    expect(accuracy(truth, pred)).toBe(0.75);
    expect(macroF1(truth, pred)).toBeCloseTo((2 / 3 + 4 / 5) / 2, 15);
    expect(macroAuc(truth, [Float64Array.of(0.9, 0.6, 0.4, 0.1), Float64Array.of(0.1, 0.4, 0.6, 0.9)])).toBe(1);
  });
  it('normal quantile (AS 241) and CDF', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 12);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 6);
    expect(() => normalQuantile(1.5)).toThrow('Expected a probability in [0, 1] for p but received 1.5');
  });
});
