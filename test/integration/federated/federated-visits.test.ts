/**
 * Visits in a federation end to end: `hemasynth federate simulate --visits` adds a round in which
 * every site process sends the clipped per-patient sums of its own visits file through secure
 * aggregation; the model file carries a visits model close to the central non-private fit, the
 * generator's plan is calibrated on top of the visits charge (federation and site ledgers within
 * ε), and a site without its visits file is refused by name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FEDERATED_TEST_COLUMNS, federatedCohort, simulateFederation, temporaryDir } from '../../support/federated-cohort';
import { runCli } from '../../support/run-cli';
import { loadModel } from '../../../src/models/model-file';
import { sampleModel } from '../../../src/models/model-api';
import { PrivacyLedger } from '../../../src/dp/ledger';
import { CryptoRandom } from '../../../src/dp/noise';
import { fitVisitModel, sampleModelVisits } from '../../../src/visits/visit-model';
import { readNumbers } from '../../../src/transform/column-values';

jest.setTimeout(150_000);
const tmp = temporaryDir('hemasynth-fedvisits-');

test('federate simulate --visits: a visits model from secure sums, charged first, the generator calibrated on top', async () => {
  const dir = tmp();
  const c = federatedCohort(dir, { patients: 2000, seed: 17, columns: [...FEDERATED_TEST_COLUMNS, 'followup_years'] });
  const out = path.join(dir, 'fed.hsm');
  // ε = 10 so that the visits' 10% share measures the serial correlation to a few hundredths.
  const result = await simulateFederation(c, { model: 'copula', out, epsilon: 10, extra: ['--visits'] });
  expect(result.rounds).toBe(5); // visits, histograms, 1-way, the assays' missing counts, correlation
  const model = loadModel(out);
  const spec = model.manifest.visits!;
  // The labs of the visits table anchored on a column of the federation's schema.
  expect(spec.labs.map((l) => l.column)).toEqual(['hb_g_dl', 'hbf_pct']);
  expect(spec.followupColumn).toBe('followup_years');
  // The same statistics as a central non-private fit on the pooled tables.
  const central = fitVisitModel({ patients: c.sim.patients, patientsSchema: c.sim.schema, visits: c.sim.visits, visitsSchema: c.sim.visitsSchema, privacy: null, noise: new CryptoRandom() });
  const hb = (s: typeof spec) => s.labs.find((l) => l.column === 'hb_g_dl')!;
  expect(Math.abs(hb(spec).autocorrelation - hb(central).autocorrelation)).toBeLessThan(0.2);
  expect(Math.abs(hb(spec).spread / hb(central).spread - 1)).toBeLessThan(0.25);
  expect(Math.abs(hb(spec).missingRate - hb(central).missingRate)).toBeLessThan(0.1);
  expect(spec.perYear).toBeGreaterThan(0.5 * central.perYear);
  expect(spec.perYear).toBeLessThan(2 * central.perYear);
  // The visits charge first, then the copula's plan calibrated on top of it: within ε everywhere.
  const entries = model.manifest.privacy.ledger!.entries as Array<{ note: string }>;
  expect(entries[0].note).toMatch(/^federated visits: clipped per-patient sums .*, 29 sensitivity-1 units$/); // 2 labs: 2·3² + 2·5 + 1
  // visits, 1-way histograms, the assays' missing counts, correlation (no quantile round: bounded columns)
  expect(entries.length).toBe(4 + 1);
  expect(model.manifest.privacy.epsilon).toBeLessThanOrEqual(10 + 1e-9);
  expect(model.manifest.privacy.epsilon).toBeGreaterThan(9.8);
  for (const s of ['ES1', 'FR1', 'IT1', 'NL1']) {
    const ledger = PrivacyLedger.open(path.join(c.ledgers, `site-${s}.arrow.ledger.json`));
    expect(ledger.entries[0].note).toMatch(/^federated visits/);
    expect(ledger.entries.length).toBe(4 + 1);
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(10 + 1e-9);
  }
  // Synthetic visits link to the synthetic patients and keep the bounds.
  const patients = sampleModel(model, { rows: 500, seed: 1 });
  const visits = sampleModelVisits(model, patients, { seed: 1 });
  expect(visits.numRows).toBeGreaterThan(500);
  for (const r of readNumbers(visits, 'patient_row')) expect(r >= 0 && r < 500).toBe(true);
  for (const v of readNumbers(visits, 'hb_g_dl')) if (Number.isFinite(v)) expect(v >= 3 && v <= 17).toBe(true);
});

test('federate simulate --visits without a site\'s visits file: refused by name before any round', async () => {
  const dir = path.join(tmp(), 'missing');
  fs.mkdirSync(dir);
  const c = federatedCohort(dir, { patients: 400, seed: 3, columns: [...FEDERATED_TEST_COLUMNS, 'followup_years'] });
  fs.rmSync(path.join(c.cohort, 'visits-FR1.arrow'));
  const r = await runCli(['federate', 'simulate', '--data', c.cohort, '--model', 'copula', '--epsilon', '3', '--out', path.join(dir, 'x.hsm'), '--schema', c.schemaFile, '--visits']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/visits-FR1\.arrow/);
  expect(fs.existsSync(path.join(dir, 'x.hsm'))).toBe(false);
});
