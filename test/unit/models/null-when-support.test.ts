/**
 * A DP copula's marginals made consistent with "x is null when W" (null-when-support.ts): NOT W
 * at least as likely as x is present, so the repair does not null x beyond its model rate.
 */
import { simulateCohort } from '../../../src/scd';
import { nullWhenCase } from '../../support/null-when-case';
import { applicableConstraints, nullWhenSupport, parseConstraint } from '../../../src/models/constraints';
import { copulaMarginals, type CopulaMarginals } from '../../../src/models/copula/copula-fit';
import { supportNullWhenColumns } from '../../../src/models/copula/null-when-support';
import { encodeTable, fitDiscretisation } from '../../../src/transform/discretiser';
import { measureMarginals } from '../../../src/models/marginal/contingency';

const sim = simulateCohort({ patients: 1500, sites: 4, seed: 7 });
const encoders = fitDiscretisation(sim.patients, sim.schema, { histogramSigma: null });
const codes = encodeTable(sim.patients, encoders);
const exact = () => copulaMarginals(encoders, measureMarginals({ codes, sizes: encoders.map((e) => e.size), rows: sim.patients.numRows }, encoders.map((_, j) => [j])));
const index = (name: string) => encoders.findIndex((e) => e.column === name);
const d = encoders.length;
const presentRate = (m: CopulaMarginals, name: string) => m.cdfs[m.cdfOffsets[d + m.missingLatents.indexOf(index(name))]];
const probabilities = (m: CopulaMarginals, name: string) => {
  const j = index(name);
  const c = m.cdfs.slice(m.cdfOffsets[j], m.cdfOffsets[j + 1]);
  return c.map((v, k) => v - (k > 0 ? c[k - 1] : 0));
};
/** Sets a column's value latent to the given probabilities. */
const setProbabilities = (m: CopulaMarginals, name: string, p: number[]) => {
  const j = index(name);
  let acc = 0;
  p.forEach((v, k) => { acc += v; m.cdfs[m.cdfOffsets[j] + k] = k === p.length - 1 ? 1 : acc; });
};
const share = (m: CopulaMarginals, name: string, w: Float64Array) => probabilities(m, name).reduce((s, p, k) => s + p * w[k], 0);

describe('nullWhenSupport', () => {
  test('a boolean condition: the level where NOT W holds', () => {
    const s = nullWhenSupport(parseConstraint('lic_mg_g is null when not chronic_transfusion'), encoders)!;
    expect(s.column).toBe(index('chronic_transfusion'));
    const cats = encoders[s.column].categories as string[];
    expect(Array.from(s.weights)).toEqual(cats.map((c) => (c === 'true' ? 1 : 0)));
  });
  test('a numeric range: whole bins inside, a share of the bins across its ends', () => {
    const s = nullWhenSupport(parseConstraint('tcd_velocity_cm_s is null when age_years < 2 or age_years >= 17'), encoders)!;
    expect(s.column).toBe(index('age_years'));
    const edges = encoders[s.column].edges as number[];
    for (let k = 0; k + 1 < edges.length; k++) {
      if (edges[k] >= 2 && edges[k + 1] <= 17 && edges[k + 1] > edges[k]) expect(s.weights[k]).toBe(1);
      if (edges[k + 1] <= 2 || edges[k] >= 17) expect(s.weights[k]).toBe(0);
    }
    expect(s.weights.some((w) => w > 0 && w < 1)).toBe(true);
  });
  test('conditions on two columns, or on the column itself, are not supported', () => {
    expect(nullWhenSupport(parseConstraint('lic_mg_g is null when not chronic_transfusion or age_years < 2'), encoders)).toBeNull();
    expect(nullWhenSupport(parseConstraint('lic_mg_g is null when lic_mg_g < 1'), encoders)).toBeNull();
    expect(nullWhenSupport(parseConstraint('hb_g_dl + hbf_pct <= 100'), encoders)).toBeNull();
  });
});

describe('supportNullWhenColumns', () => {
  const constraints = applicableConstraints(sim.schema, encoders.map((e) => e.column));
  test('exact marginals already satisfy every constraint: nothing changes', () => {
    const m = exact();
    const before = m.cdfs.slice();
    supportNullWhenColumns(m, encoders, constraints, new Set());
    expect(m.cdfs).toEqual(before);
  });
  test('a condition lost to noise is raised to its column\u2019s present rate, the other levels scaled down by one factor', () => {
    const m = exact();
    const transfused = nullWhenSupport(parseConstraint('lic_mg_g is null when not chronic_transfusion'), encoders)!.weights;
    setProbabilities(m, 'chronic_transfusion', Array.from(transfused, (w) => (w === 1 ? 0.01 : 0.99)));
    const age = nullWhenSupport(parseConstraint('tcd_velocity_cm_s is null when age_years < 2 or age_years >= 17'), encoders)!.weights;
    const ageBefore = probabilities(m, 'age_years');
    // Move most of the age mass outside [2, 17).
    const shrunk = ageBefore.map((p, k) => p * (1 - 0.8 * age[k]));
    const total = shrunk.reduce((a, b) => a + b, 0);
    setProbabilities(m, 'age_years', shrunk.map((p) => p / total));
    expect(share(m, 'age_years', age)).toBeLessThan(presentRate(m, 'tcd_velocity_cm_s'));
    supportNullWhenColumns(m, encoders, constraints, new Set());
    expect(share(m, 'chronic_transfusion', transfused)).toBeCloseTo(presentRate(m, 'lic_mg_g'), 12);
    expect(share(m, 'age_years', age)).toBeCloseTo(presentRate(m, 'tcd_velocity_cm_s'), 12);
    // Ages wholly outside [2, 17) keep their proportions.
    const after = probabilities(m, 'age_years');
    const outside = after.map((_, k) => k).filter((k) => age[k] === 0 && shrunk[k] > 0);
    expect(outside.length).toBeGreaterThan(2);
    for (const k of outside) expect(after[k] / after[outside[0]]).toBeCloseTo(shrunk[k] / shrunk[outside[0]], 9);
    expect(after.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
  test('a column that fixes a stratum is left as it is', () => {
    const m = exact();
    const transfused = nullWhenSupport(parseConstraint('lic_mg_g is null when not chronic_transfusion'), encoders)!.weights;
    setProbabilities(m, 'chronic_transfusion', Array.from(transfused, (w) => (w === 1 ? 0 : 1)));
    const before = m.cdfs.slice();
    supportNullWhenColumns(m, encoders, constraints.filter((c) => c.text.startsWith('lic_mg_g')), new Set([index('chronic_transfusion')]));
    expect(m.cdfs).toEqual(before);
  });
});

// Cohort 7, training seed 8 at ε = 1: the noisy histogram gave chronic transfusion to 0.0% of
// synthetic patients (9.8% real), so liver iron was missing in 100% of rows against 92.7%.
test('DP copula at ε = 1: liver iron keeps its missing rate where the transfusion histogram lost the transfused', () => {
  const { gap, conditionShare } = nullWhenCase('copula', 8, 'lic_mg_g', 'chronic_transfusion');
  expect(gap).toBeLessThan(0.05);
  expect(conditionShare).toBeGreaterThan(0.05);
}, 60000);
