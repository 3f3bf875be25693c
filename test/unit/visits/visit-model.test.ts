import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { simulateCohort } from '../../../src/scd';
import { CryptoRandom } from '../../../src/dp/noise';
import { PrivacyLedger } from '../../../src/dp/ledger';
import { PrivacyBudgetError } from '../../../src/errors';
import { PrivacyPlanner } from '../../../src/models/privacy-plan';
import { modelFromBytes, modelToBytes, sampleModel, trainModel } from '../../../src/models';
import { readLabels, readNumbers } from '../../../src/transform/column-values';
import { SeededRandom } from '../../../src/scd/random';
import { RATE_WEIGHT, VISIT_COUNT_CELLS, VISIT_RATE_CAP, fitVisitModel, visitSums, sampleModelVisits, sampleVisits, validateVisitModel, visitLayout, visitModelFromSums, visitRateFor, visitVectorShape, type VisitModelSpec } from '../../../src/visits/visit-model';
import { runCli } from '../../support/run-cli';

const sim = simulateCohort({ patients: 1500, sites: 4, seed: 7 });
const visitsParams = sim.params.simulator.visits; // per_year 2 (clamped to [2, 12]), autocorrelation 0.6, 5% missing
const fit = (privacy: PrivacyPlanner | null, noise = new CryptoRandom()) =>
  fitVisitModel({ patients: sim.patients, patientsSchema: sim.schema, visits: sim.visits, visitsSchema: sim.visitsSchema, privacy, noise });

/** Lag-1 correlation of consecutive visits' deviations from the patient value, and the missing rate where the patient has the value, of one lab. */
function serialStatistics(patients: ReturnType<typeof sampleModel>, visits: ReturnType<typeof sampleVisits>, lab: string): { rho: number; missing: number } {
  const owner = readNumbers(visits, 'patient_row');
  const v = readNumbers(visits, lab);
  const anchor = readNumbers(patients, lab);
  let sxy = 0, sxx = 0, pairs = 0, present = 0, missing = 0, anchored = 0;
  for (let r = 0; r < owner.length; r++) {
    if (Number.isFinite(anchor[owner[r]])) anchored++;
    if (!Number.isFinite(v[r])) { if (Number.isFinite(anchor[owner[r]])) missing++; continue; }
    const d = v[r] - anchor[owner[r]];
    sxx += d * d;
    present++;
    if (r > 0 && owner[r - 1] === owner[r] && Number.isFinite(v[r - 1])) { sxy += d * (v[r - 1] - anchor[owner[r]]); pairs++; }
  }
  // mean lagged product over mean square (each over its own count: a patient has one pair fewer than visits)
  return { rho: sxy / pairs / (sxx / present), missing: missing / anchored };
}

describe('visits model (per-visit conditional on the patient row)', () => {
  const spec = fit(null);

  test('non-private fit recovers the simulator: serial correlation, missing rate, visit counts', () => {
    expect(spec.numberColumn).toBe('visit_number');
    expect(spec.copied).toEqual(['site']);
    expect(spec.labs.map((l) => l.column)).toEqual(['hb_g_dl', 'hbf_pct', 'mcv_fl', 'ldh_u_l', 'wbc_1e9_l', 'platelets_1e9_l']);
    for (const l of spec.labs) {
      expect(Math.abs(l.autocorrelation - visitsParams.autocorrelation)).toBeLessThan(0.05);
      expect(Math.abs(l.missingRate - 0.05)).toBeLessThan(0.01);
    }
    // Poisson(2 per year) clamped to [2, 12]: the clamp on long follow-up takes the cohort's rate below 2.
    expect([spec.minVisits, spec.maxVisits]).toEqual([visitsParams.min, visitsParams.max]);
    expect(spec.perYear).toBeGreaterThan(1.5);
    expect(spec.perYear).toBeLessThan(2);
    // Spread: the simulator's AR(1) deviation is 0.35 of the patients' between-patient SD; Hb's is about 1.2 g/dL.
    expect(spec.labs[0].spread).toBeGreaterThan(0.3);
    expect(spec.labs[0].spread).toBeLessThan(0.6);
    expect(spec.labs[0].decimals).toBe(1);
  });

  test('sampled visits: linked rows, counts within bounds, values within bounds, the serial correlation and missing rate kept; same seed, same table', () => {
    const patients = sampleModel(trainModel({ table: sim.patients, schema: sim.schema, model: 'marginal', epsilon: Infinity, seed: 3 }), { rows: 1500, seed: 1 });
    const visits = sampleVisits(spec, patients, 5);
    const owner = readNumbers(visits, 'patient_row');
    const counts = new Int32Array(patients.numRows);
    owner.forEach((i) => { counts[i]++; });
    for (const k of counts) { expect(k).toBeGreaterThanOrEqual(spec.minVisits); expect(k).toBeLessThanOrEqual(spec.maxVisits); }
    // visit_number counts 1..k within each patient; site copied from the patient row
    const number = readNumbers(visits, 'visit_number');
    const sites = readLabels(visits, 'site'), patientSites = readLabels(patients, 'site');
    for (let r = 0; r < owner.length; r++) {
      expect(number[r]).toBe(r > 0 && owner[r - 1] === owner[r] ? number[r - 1] + 1 : 1);
      expect(sites[r]).toBe(patientSites[owner[r]]);
    }
    for (const l of spec.labs) {
      for (const x of readNumbers(visits, l.column)) if (Number.isFinite(x)) { expect(x).toBeGreaterThanOrEqual(l.min); expect(x).toBeLessThanOrEqual(l.max); }
    }
    // Visits per year of follow-up as in the real cohort (1.719 here): λ is solved for the
    // synthetic follow-ups (visitRateFor). Sampling at Σ visits / Σ years gave 1.578 (10,256 visits against 11,890).
    const perYear = (t: typeof patients, v: typeof visits) => v.numRows / readNumbers(t, 'followup_years').reduce((a, f) => a + (Number.isFinite(f) ? f : 0), 0);
    expect(Math.abs(perYear(patients, visits) / perYear(sim.patients, sim.visits) - 1)).toBeLessThan(0.04);
    const s = serialStatistics(patients, visits, 'hb_g_dl');
    expect(Math.abs(s.rho - spec.labs[0].autocorrelation)).toBeLessThan(0.05);
    expect(Math.abs(s.missing - spec.labs[0].missingRate)).toBeLessThan(0.015);
    // A patient without Hb gets visits without Hb.
    const hb = readNumbers(patients, 'hb_g_dl'), vhb = readNumbers(visits, 'hb_g_dl');
    for (let r = 0; r < owner.length; r++) if (!Number.isFinite(hb[owner[r]])) expect(Number.isFinite(vhb[r])).toBe(false);
    const again = sampleVisits(spec, patients, 5);
    expect(Array.from(readNumbers(again, 'ldh_u_l'))).toEqual(Array.from(readNumbers(visits, 'ldh_u_l')));
    expect(Array.from(readNumbers(sampleVisits(spec, patients, 6), 'ldh_u_l'))).not.toEqual(Array.from(readNumbers(visits, 'ldh_u_l')));
  });

  test('the sampling rate λ reproduces the clamped Poisson visits it was measured on', () => {
    // 20,000 patients with follow-ups of 0–20 years, visits clamp(Poisson(2·follow-up), 2, 12), as the simulator.
    const rng = new SeededRandom(3, 'rate-test');
    const followups = Float64Array.from({ length: 20000 }, () => Math.round(rng.uniform() * 2000) / 100);
    let sum = 0;
    for (const f of followups) sum += Math.min(Math.max(2, Math.min(12, rng.poisson(2 * f))) / Math.max(f, 0.5), VISIT_RATE_CAP);
    const spec = { meanRate: sum / followups.length, perYear: 1.5, minVisits: 2, maxVisits: 12 };
    expect(visitRateFor(spec, followups)).toBeCloseTo(2, 1);
    // The mean rate itself is not λ: the clamp and the short follow-ups move it.
    expect(Math.abs(spec.meanRate - 2)).toBeGreaterThan(0.1);
    // A file written before meanRate samples at its perYear; a target below the clamp's floor gives λ = 0.
    expect(visitRateFor({ perYear: 1.5, minVisits: 2, maxVisits: 12 }, followups)).toBe(1.5);
    expect(visitRateFor({ ...spec, meanRate: 0.01 }, followups)).toBe(0);
  });

  test('DP: the most visits is the last histogram cell at 4σ, else the public stand-in', () => {
    const layout = visitLayout(sim.schema, sim.visitsSchema);
    const at = visitVectorShape(layout.labs.length).histogramAt;
    expect(at).toBe(32);
    expect(layout.vectorLength).toBe(at + VISIT_COUNT_CELLS);
    // the two rate sums at weight RATE_WEIGHT count RATE_WEIGHT² units each; 5 per lab; the histogram 1
    expect(layout.releases).toBe(2 * RATE_WEIGHT ** 2 + 5 * layout.labs.length + 1);
    const sums = (cells: Record<number, number>) => {
      const v = new Float64Array(layout.vectorLength);
      v[0] = 1000; v[1] = 200;
      for (const [k, c] of Object.entries(cells)) v[at + Number(k) - 1] = c;
      return v;
    };
    const most = (cells: Record<number, number>) => visitModelFromSums(layout, sums(cells), null, 10).maxVisits;
    const publicMost = Math.ceil(VISIT_RATE_CAP * layout.followupMax);
    expect(most({ 2: 300, 5: 200, 12: 500, 20: 39 })).toBe(12); // 39 < 4σ: noise
    expect(most({ 2: 300, 12: 500, [VISIT_COUNT_CELLS]: 40 })).toBe(publicMost); // "or more" occupied
    expect(most({ 3: 20 })).toBe(publicMost); // nothing occupied
    expect(() => visitModelFromSums(layout, new Float64Array(layout.releases), null, 10)).toThrow(/Expected 80 visit sums but received 49/);
  });

  test('DP: one Gaussian charge before the tables are read, within the training ε; estimates stay in range', () => {
    const ledger = PrivacyLedger.create({ datasetFingerprint: 'a'.repeat(64), budget: { epsilon: 3, delta: 1e-6 } });
    const planner = new PrivacyPlanner(ledger, { epsilon: 3, delta: 1e-6 });
    const dp = fit(planner, CryptoRandom.fromSeed('visits-test'));
    expect(ledger.entries).toHaveLength(1);
    expect(ledger.entries[0].note).toMatch(/^visits: clipped per-patient sums .*, 49 sensitivity-1 units$/);
    expect(ledger.entries[0].parameters).toMatchObject({ kind: 'gaussian', count: 49 });
    // the default share: 10% of ε
    expect(planner.spentEpsilon).toBeGreaterThan(0.28);
    expect(planner.spentEpsilon).toBeLessThanOrEqual(0.3);
    // the public stand-in for the fewest visits; the most read off the noisy histogram (the
    // simulator's cap of 12, held by a third of the patients); public rounding
    expect(dp.minVisits).toBe(1);
    expect(dp.maxVisits).toBe(12);
    expect(dp.labs.every((l) => l.decimals === 2 && l.spread >= 0 && Math.abs(l.autocorrelation) <= 0.99 && l.missingRate >= 0 && l.missingRate <= 1)).toBe(true);
    // The rate is a mean of clipped per-patient rates (noise about 0.4 visits a year here).
    expect(Math.abs(dp.perYear - spec.perYear)).toBeLessThan(1.5);
    // The rate sums carry RATE_WEIGHT under DP, and it cancels: the noise-free DP sums give the exact mean rate.
    const layout = visitLayout(sim.schema, sim.visitsSchema);
    const clipped = visitSums(layout, sim.patients, sim.visits, true).sums;
    const plain = visitSums(layout, sim.patients, sim.visits, false).sums;
    expect(clipped[0]).toBe(RATE_WEIGHT * plain[0]);
    expect(clipped[1]).toBeCloseTo(RATE_WEIGHT * plain[1], 9);
    expect(visitModelFromSums(layout, clipped, null, 1e-9).meanRate).toBeCloseTo(spec.meanRate as number, 12);
    // Over budget: refused before anything is charged or read.
    const full = PrivacyLedger.create({ datasetFingerprint: 'b'.repeat(64), budget: { epsilon: 0.1, delta: 1e-6 } });
    expect(() => fit(new PrivacyPlanner(full, { epsilon: 3, delta: 1e-6 }))).toThrow(PrivacyBudgetError);
    expect(full.entries).toHaveLength(0);
  });

  test('trained with a model: the visits share is charged first, the generator takes the rest; the model file keeps the visits model', () => {
    const ledger = PrivacyLedger.create({ datasetFingerprint: 'c'.repeat(64), budget: { epsilon: 3, delta: 1e-6 } });
    const model = trainModel({ table: sim.patients, schema: sim.schema, model: 'copula', epsilon: 3, delta: 1e-6, seed: 2, ledger, visits: { table: sim.visits, schema: sim.visitsSchema } });
    expect(ledger.entries[0].note).toMatch(/^visits:/);
    expect(ledger.entries.length).toBeGreaterThan(1);
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(3 + 1e-9);
    expect(model.manifest.privacy.epsilon).toBeGreaterThan(2.9);
    const loaded = modelFromBytes(modelToBytes(model), 'with-visits.hsm');
    expect(loaded.manifest.visits).toEqual(model.manifest.visits);
    const patients = sampleModel(loaded, { rows: 200, seed: 1 });
    expect(sampleModelVisits(loaded, patients, { seed: 1 }).numRows).toBeGreaterThanOrEqual(200);
    // A model without visits says so.
    const plain = trainModel({ table: sim.patients, schema: sim.schema, model: 'copula', epsilon: Infinity, seed: 2 });
    expect(() => sampleModelVisits(plain, patients)).toThrow(/trained with a visits table/);
  });

  test.each(['tvae', 'ctgan'])('%s with visits: the neural plan composes with the visits charge, the whole training within its ε', (model) => {
    // The neural plan once calibrated DP-SGD ignoring the visits charged before it: the model
    // reported the neural plan's ε alone (2.97 here against 2.996 on the ledger), and nothing
    // held the composition within the training's ε.
    const small = simulateCohort({ patients: 300, sites: 2, seed: 5 });
    const ledger = PrivacyLedger.create({ datasetFingerprint: 'd'.repeat(64), budget: { epsilon: 10, delta: 1e-6 } });
    const m = trainModel({ table: small.patients, schema: small.schema, model, epsilon: 3, delta: 1e-6, seed: 2, ledger, options: { epochs: 1 }, visits: { table: small.visits, schema: small.visitsSchema } });
    expect(ledger.entries[0].note).toMatch(/^visits:/);
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(3 + 1e-9);
    expect(ledger.spent().epsilon).toBeGreaterThan(2.9);
    expect(m.manifest.privacy.epsilon).toBeCloseTo(ledger.spent().epsilon, 6);
  });

  test('bad input: visits of an unknown patient, a model file with a bad visits field, synthetic patients without the anchor', () => {
    const stray = tableFromArrays({ patient_id: ['nobody'], hb_g_dl: Float64Array.of(9) });
    expect(() => fitVisitModel({ patients: sim.patients, patientsSchema: sim.schema, visits: stray, visitsSchema: { version: 1, columns: [sim.visitsSchema.columns[0], sim.visitsSchema.columns.find((c) => c.name === 'hb_g_dl')!] }, privacy: null, noise: new CryptoRandom() }))
      .toThrow(/row 1, column "patient_id" but received "nobody"/);
    const broken = { ...spec, labs: [{ ...spec.labs[0], autocorrelation: 2 }] } as VisitModelSpec;
    expect(() => validateVisitModel(broken, 'm.hsm')).toThrow(/file "m.hsm", field "visits.labs\[0\]"/);
    expect(() => validateVisitModel({ ...spec, meanRate: -1 }, 'm.hsm')).toThrow(/field "visits.meanRate"/);
    expect(() => sampleVisits(spec, tableFromArrays({ followup_years: Float64Array.of(3) }), 1)).toThrow(/column "hb_g_dl" in the synthetic patients/);
  });

  test('CLI: train --visits and sample --visits-out write linked visits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-visits-'));
    expect((await runCli(['simulate', '--patients', '300', '--sites', '2', '--seed', '4', '--out', dir])).code).toBe(0);
    const model = path.join(dir, 'm.hsm');
    const t = await runCli(['train', '--data', path.join(dir, 'patients.arrow'), '--visits', path.join(dir, 'visits.arrow'), '--model', 'marginal', '--epsilon', 'inf', '--seed', '1', '--out', model, '--json']);
    expect(t.code).toBe(0);
    const s = await runCli(['sample', '--model', model, '--rows', '50', '--seed', '2', '--out', path.join(dir, 's.arrow'), '--visits-out', path.join(dir, 'v.arrow'), '--json']);
    expect(s.code).toBe(0);
    const summary = JSON.parse(s.stdout);
    expect(summary.visits.rows).toBeGreaterThanOrEqual(50);
    expect(fs.existsSync(path.join(dir, 'v.arrow'))).toBe(true);
    // A model without visits: a clear error and nothing written.
    const plain = path.join(dir, 'p.hsm');
    expect((await runCli(['train', '--data', path.join(dir, 'patients.arrow'), '--model', 'marginal', '--epsilon', 'inf', '--seed', '1', '--out', plain, '--json'])).code).toBe(0);
    const bad = await runCli(['sample', '--model', plain, '--rows', '5', '--out', path.join(dir, 'x.arrow'), '--visits-out', path.join(dir, 'y.arrow')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/trained with a visits table/);
    expect(fs.existsSync(path.join(dir, 'x.arrow'))).toBe(false);
  });
});
