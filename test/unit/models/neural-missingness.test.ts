/**
 * Missingness of the neural generators (issue 5: "missingness rates within 5 points of the real
 * data"): the missing code of every nullable column is an output of the network, calibrated
 * after training to the exact rates (non-private) or to DP rates of missingness groups; checked
 * over every column of a simulated SCD cohort, with and without DP, for TVAE and CTGAN.
 */
import { tableFromArrays, type Table } from 'apache-arrow';
import type { TableSchema } from '../../../src/data/schema';
import { PrivacyLedger } from '../../../src/dp/ledger';
import { sampleModel, trainModel } from '../../../src/models/model-api';
import { constraintConditionColumns, dpMarginalsFromSums, groupMissingSums, missingOnlyTargets, missingRateOf, missingnessGroupCount, missingnessGroups, planDpMarginals } from '../../../src/models/neural/missingness-groups';
import { calibrateOutputBias, meanCodeProbabilities } from '../../../src/models/neural/output-calibration';
import { codeCounts } from '../../../src/transform/discretiser';
import type { RawOutputLayout } from '../../../src/models/neural/row-layout';
import type { GeneratorNetworkSpec } from '../../../src/models/neural/generator-network';
import { encodeTable, fitDiscretisation, type DiscreteColumnEncoder } from '../../../src/transform/discretiser';
import { missingnessGaps } from './neural-checks';
import { neuralCohort } from './neural-fixture';

const SYNTHETIC_ROWS = 5000; // keeps the synthetic side's sampling error near 0.7 points

function maxGap(real: ReturnType<typeof neuralCohort>, model: 'tvae' | 'ctgan', epsilon: number, options: Record<string, unknown>): { max: number; worst: string } {
  const ledger = Number.isFinite(epsilon) ? PrivacyLedger.create({ datasetFingerprint: `missing-${model}`, budget: { epsilon, delta: 1e-6 } }) : undefined;
  const m = trainModel({ table: real.table, schema: real.schema, model, epsilon, delta: 1e-6, seed: 5, ...(ledger ? { ledger } : {}), options: { backend: 'cpu', ...options } });
  const syn = sampleModel(m, { rows: SYNTHETIC_ROWS, seed: 2 });
  const gaps = [...missingnessGaps(real.table, syn, real.schema)].sort((a, b) => b[1] - a[1]);
  return { max: gaps[0][1], worst: `${gaps[0][0]} ${gaps[0][1].toFixed(3)}` };
}

describe('missing rates of synthetic data (every column within 5 points)', () => {
  const cohort = neuralCohort(1000, 3);

  test('the cohort has columns with very different missing rates (the check has something to check)', () => {
    const rates = [...missingnessGaps(cohort.table, cohort.table.slice(0, 0), cohort.schema).values()];
    expect(Math.max(...rates)).toBeGreaterThan(0.5);
    expect(rates.filter((r) => r > 0.02).length).toBeGreaterThan(8);
  });

  test('tvae, non-private', () => {
    const r = maxGap(cohort, 'tvae', Infinity, { epochs: 20, batchSize: 250 });
    expect({ worst: r.worst, within5Points: r.max <= 0.05 }).toEqual({ worst: r.worst, within5Points: true });
  });

  // Under DP each missingness group's rate carries Gaussian noise of about σ/N: at ε = 10 on this
  // 1,000-row cohort about 1 point (at ε = 3 about 3 points, so the largest of some 30 groups'
  // errors exceeds 5 points in a fair share of runs: the bench reports those).
  test('tvae, epsilon = 10', () => {
    const r = maxGap(cohort, 'tvae', 10, { epochs: 3, batchSize: 250 });
    expect({ worst: r.worst, within5Points: r.max <= 0.05 }).toEqual({ worst: r.worst, within5Points: true });
  });

  test('ctgan, non-private', () => {
    const r = maxGap(cohort, 'ctgan', Infinity, { epochs: 4, batchSize: 200 });
    expect({ worst: r.worst, within5Points: r.max <= 0.05 }).toEqual({ worst: r.worst, within5Points: true });
  });

  test('ctgan, epsilon = 10', () => {
    const r = maxGap(cohort, 'ctgan', 10, { epochs: 2, batchSize: 200 });
    expect({ worst: r.worst, within5Points: r.max <= 0.05 }).toEqual({ worst: r.worst, within5Points: true });
  });
});

describe('output calibration', () => {
  // One column of 3 codes, a network that is a single linear layer of a 2-wide input.
  const net: GeneratorNetworkSpec = { inputs: [{ name: 'noise', width: 2 }], layers: [{ type: 'linear', outputs: 3 }], outputWidth: 3 };
  const raw: RawOutputLayout = { width: 3, logitOffsets: [0], alphaOffsets: [-1], alpha: 'tanh' };
  const encoders = [{ column: 'c', kind: 'categorical', output: 'dictionary', levels: 'categories', categories: ['a', 'b'], integer: false, nullable: true, size: 3, source: 'schema' }] as never;
  const rows = 2000;
  const inputs = Float32Array.from({ length: rows * 2 }, (_, i) => Math.sin(i * 12.9898) * 2);
  const params = Float32Array.from([0.5, -1, 0.3, 1, 0.2, -0.4, 0, 0, 0]); // W (2×3) then b (3)

  test('moves only the last bias so the mean softmax equals the target', () => {
    const target = [Float64Array.from([0.2, 0.1, 0.7])];
    const cal = calibrateOutputBias(net, params, raw, encoders, [inputs], rows, target, { backend: 'cpu' });
    expect(cal.maxGap).toBeLessThan(1e-3);
    expect(Array.from(cal.parameters.subarray(0, 6))).toEqual(Array.from(params.subarray(0, 6)));
    // Independent check: the forward pass by hand with the calibrated parameters.
    const out = new Float32Array(rows * 3);
    for (let i = 0; i < rows; i++) for (let k = 0; k < 3; k++) out[i * 3 + k] = inputs[i * 2] * cal.parameters[k] + inputs[i * 2 + 1] * cal.parameters[3 + k] + cal.parameters[6 + k];
    const mean = meanCodeProbabilities(out, rows, encoders, raw)[0];
    for (let k = 0; k < 3; k++) expect(mean[k]).toBeCloseTo(target[0][k], 2);
    expect(cal.before[0][2]).not.toBeCloseTo(0.7, 1);
  });

  test('refuses a target of the wrong size or outside [0, 1], naming the column', () => {
    expect(() => calibrateOutputBias(net, params, raw, encoders, [inputs], rows, [Float64Array.from([0.5, 0.5])])).toThrow(/Expected 3 probabilities as the calibration target of column "c"/);
    expect(() => calibrateOutputBias(net, params, raw, encoders, [inputs], rows, [Float64Array.from([1.5, -0.5, 0])])).toThrow(/column "c"/);
  });

  test('missing-only targets keep the value proportions and set the missing rate', () => {
    const t = missingOnlyTargets(encoders, [{ key: 's', columns: [0] }], Float64Array.from([0.4]), [Float64Array.from([0.3, 0.1, 0.6])]);
    expect(t[0][2]).toBe(0.4);
    expect(t[0][0] / t[0][1]).toBeCloseTo(3, 12);
    expect(t[0][0] + t[0][1] + t[0][2]).toBeCloseTo(1, 12);
  });
});

describe('missingness groups', () => {
  const schema: TableSchema = {
    version: 1,
    columns: [
      { name: 'a', kind: 'integer', role: 'feature', min: 0, max: 2, source: 'panel' },
      { name: 'b', kind: 'integer', role: 'feature', min: 0, max: 2, source: 'panel' },
      { name: 'c', kind: 'integer', role: 'feature', min: 0, max: 2 },
      { name: 'd', kind: 'integer', role: 'feature', min: 0, max: 2, nullable: false, source: 'panel' },
    ],
  };
  const table = tableFromArrays({ a: Int32Array.from([0, 1, 2, 1]), b: Int32Array.from([1, 1, 0, 2]), c: Int32Array.from([2, 2, 2, 2]), d: Int32Array.from([0, 0, 1, 1]) });
  // Missing values: a in rows 1 and 3, b in row 3, c in row 0.
  const withNulls = tableFromArrays({ a: [0, null, 2, null], b: [1, 1, 0, null], c: [null, 2, 2, 2], d: Int32Array.from([0, 0, 1, 1]) } as never) as unknown as Table;

  test('groups nullable columns by their schema source; a column without one is its own group', () => {
    const encoders = fitDiscretisation(table, schema, { histogramSigma: null });
    expect(missingnessGroups(encoders, schema)).toEqual([{ key: 'panel', columns: [0, 1] }, { key: 'column:c', columns: [2] }]);
    expect(missingnessGroupCount(schema, ['a', 'b', 'c', 'd'])).toBe(2);
  });

  test('exact group rates: the mean missing fraction of the group', () => {
    const encoders = fitDiscretisation(table, schema, { histogramSigma: null });
    const codes = encodeTable(withNulls, encoders);
    expect(codeCounts(encoders, codes)[0]).toEqual([1, 0, 1, 2]);
    const groups = missingnessGroups(encoders, schema);
    const sums = groupMissingSums(groups, codes, encoders);
    expect(Array.from(sums)).toEqual([(2 + 1) / 2, 1]);
    // Read with a row count of 4 (exact: σ = 0), as the DP release is read with its noisy count.
    expect(Array.from(dpMarginalsFromSums({ groups, condition: [] }, encoders, sums, 4, 0).rates)).toEqual([(2 + 1) / 2 / 4, 1 / 4]);
  });

  test('a count column\'s released histogram drops cells under 2σ (a wide upper code holding only noise); others keep them', () => {
    const count = { column: 'n', kind: 'integer', output: 'int32', levels: 'bins', edges: [0, 1, 2, 5, 40, 101], integer: true, min: 0, max: 100, nullable: false, size: 5, source: 'schema' } as DiscreteColumnEncoder;
    const hb = { ...count, column: 'x', kind: 'continuous', output: 'float64', integer: false, edges: [3, 6, 9, 12, 15, 17], min: 3, max: 17 } as DiscreteColumnEncoder;
    const sums = [700, 300, 20, 50, 10, 700, 300, 20, 50, 10];
    const m = dpMarginalsFromSums({ groups: [], condition: [0, 1] }, [count, hb], sums, 1080, 15);
    expect(Array.from(m.full.get(0) as Float64Array)).toEqual([700, 300, 0, 50, 0].map((x) => x / 1050));
    expect(Array.from(m.full.get(1) as Float64Array)).toEqual([700, 300, 20, 50, 10].map((x) => x / 1080));
    // σ = 0 (exact sums): nothing is dropped
    expect(Array.from(dpMarginalsFromSums({ groups: [], condition: [0] }, [count], sums.slice(0, 5), 1080, 0).full.get(0) as Float64Array)).toEqual([700, 300, 20, 50, 10].map((x) => x / 1080));
  });

  test('the columns that "null when" constraints read, and count columns, get whole histograms under DP', () => {
    const { schema: scd } = neuralCohort(50, 1);
    const modelled = scd.columns.map((c) => c.name);
    // tcd_velocity_cm_s is null when age_years < 2 or >= 17; lic_mg_g is null when not
    // chronic_transfusion; stroke_age_years when not stroke; the pre-treatment values when not hydroxyurea.
    expect(constraintConditionColumns(scd, modelled)).toEqual(['age_years', 'chronic_transfusion', 'hydroxyurea', 'stroke']);
    const plan = planDpMarginals(scd, modelled);
    // plus the two count columns (integers from 0 with more than 32 values): crises and ACS episodes
    expect(plan.conditionColumns).toEqual(['acs_count', 'age_years', 'chronic_transfusion', 'hydroxyurea', 'stroke', 'voc_12m']);
    // one release per group and histogram, and the row count the rates are divided by
    expect(plan.releases).toBe(plan.groups + 6 + 1);
    expect(constraintConditionColumns(scd, modelled.filter((c) => c !== 'age_years'))).toEqual(['chronic_transfusion', 'hydroxyurea', 'stroke']);
  });
});

describe('noisy missing rates near 0 and 1', () => {
  test('a noisy sum beyond a bound gives a rate one noise SD inside it, never exactly 0 or 1', () => {
    // 1,500 rows, σ = 36: a sum of 1,540 (real rate 0.93, noise +2.7σ) is 1 − 36/1500, not 1
    expect(missingRateOf(1540, 1500, 36)).toBeCloseTo(1 - 36 / 1500, 12);
    expect(missingRateOf(-20, 1500, 36)).toBeCloseTo(36 / 1500, 12);
    expect(missingRateOf(700, 1500, 36)).toBeCloseTo(700 / 1500, 12);
    // without noise (federation tests pass σ) the bounds are the plain clamp
    expect(missingRateOf(1540, 1500)).toBe(1);
  });
});
