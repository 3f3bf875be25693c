/**
 * The federated marginal model end to end: `hemasynth federate simulate` runs a coordinator and
 * one site process per site file of a simulated cohort (pairwise secure aggregation, distributed
 * discrete Gaussian noise, random drop-outs), writes a .hsm that `sampleModel` loads, and its
 * samples are statistically as close to the pooled data as those of the central model trained on
 * the pooled data with the same budget. Each site's ledger records every round's spend.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../support/run-cli';
import { FEDERATED_TEST_COLUMNS, federatedCohort, simulateFederation, temporaryDir } from '../../support/federated-cohort';
import { loadModel } from '../../../src/models/model-file';
import { sampleModel, trainModel } from '../../../src/models/model-api';
import { meanMarginalTvd } from '../../../src/models/fidelity-ratio';
import { PrivacyLedger } from '../../../src/dp/ledger';
import { siteFilesIn } from '../../../src/federated/simulation';

jest.setTimeout(150_000);
const tmp = temporaryDir('hemasynth-fedmarg-');
const COLUMNS = FEDERATED_TEST_COLUMNS;
const simulateMarginal = (c: { cohort: string; out: string; schemaFile: string; ledgers: string }, extra: string[]) =>
  simulateFederation(c, { model: 'marginal', out: c.out, epsilon: 4, options: { bins: 8 }, extra });



test('federate simulate trains a marginal model across site processes that matches the central fit', async () => {
  const dir = tmp();
  const { cohort, byName, schema, schemaFile, ledgers, pooled } = federatedCohort(dir, { patients: 3000, seed: 11, columns: COLUMNS });
  // Only the site files are sites: patients.arrow and visits-*.arrow are left out.
  expect(siteFilesIn(cohort).map((f) => path.basename(f))).toEqual(['site-ES1.arrow', 'site-FR1.arrow', 'site-IT1.arrow', 'site-NL1.arrow']);
  const out = path.join(dir, 'fed.hsm');
  const result = await simulateMarginal({ cohort, out, schemaFile, ledgers }, ['--dropout', '0.15']);
  expect(result.rounds).toBe(5); // histograms, 1-way, the assays' missing counts, candidates, tree 2-way
  expect(result.sites.map((s: { name: string }) => s.name)).toEqual(['ES1', 'FR1', 'IT1', 'NL1']);

  const model = loadModel(out);
  expect(model.manifest.model).toBe('marginal');
  expect(model.manifest.encoders.map((e) => (e as { column: string }).column)).toEqual(COLUMNS);
  expect(model.manifest.privacy.epsilon).toBeLessThanOrEqual(4 + 1e-9);
  expect(model.manifest.privacy.epsilon).toBeGreaterThan(3.5);
  const fed = (model.manifest.training.options as { federation: { distributedDp: boolean; contributors: string[][] } }).federation;
  expect(fed.distributedDp).toBe(true);
  // Every round had at least the threshold of contributors.
  expect(fed.contributors.every((c) => c.length >= 3)).toBe(true);

  // Each site charged its own ledger for the rounds it measured, before reading its data.
  for (const s of ['ES1', 'FR1', 'IT1', 'NL1']) {
    const ledger = PrivacyLedger.open(path.join(ledgers, `site-${s}.arrow.ledger.json`));
    expect(ledger.entries.length).toBeGreaterThanOrEqual(3);
    expect(ledger.entries.every((e) => e.mechanism === 'gaussian')).toBe(true);
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(4 + 1e-9);
  }

  // Statistically close to the central model trained on the pooled data with the same budget.
  const central = trainModel({ table: pooled, schema, model: 'marginal', epsilon: 4, delta: 1e-6, options: { bins: 8 } });
  const fedRows = sampleModel(model, { rows: 3000, seed: 1 });
  const centralRows = sampleModel(central, { rows: 3000, seed: 1 });
  const fedTvd = meanMarginalTvd(pooled, fedRows, schema);
  const centralTvd = meanMarginalTvd(pooled, centralRows, schema);
  // Both near the pooled data, and the federated one within a small margin of the central one.
  expect(fedTvd.oneWay).toBeLessThan(0.1);
  expect(fedTvd.twoWay).toBeLessThan(0.15);
  expect(fedTvd.mean).toBeLessThan(centralTvd.mean + 0.05);
  // The sample respects the schema: categories from the schema only.
  const genotypes = new Set(fedRows.getChild('genotype')!.toArray() as string[]);
  for (const g of genotypes) expect(byName.get('genotype')!.categories).toContain(g);
  process.stdout.write(`federated TVD ${JSON.stringify(fedTvd)} central TVD ${JSON.stringify(centralTvd)}\n`);
});

test('federate simulate with two-server secure aggregation: site processes, a helper server, the same model', async () => {
  const dir = path.join(tmp(), 'two-server');
  fs.mkdirSync(dir);
  const { cohort, schema, schemaFile, ledgers, pooled } = federatedCohort(dir, { patients: 1200, seed: 12, columns: COLUMNS });
  const out = path.join(dir, 'two-server.hsm');
  const result = await simulateMarginal({ cohort, out, schemaFile, ledgers }, ['--secure-agg', 'two-server']);
  expect(result.secureAggregation).toBe('two-server');
  const model = loadModel(out);
  const fed = (model.manifest.training.options as { federation: { contributors: string[][] } }).federation;
  expect(fed.contributors.every((c) => c.length === 4)).toBe(true);
  // The sums the coordinator fitted on were exact: the model is as close to the pooled data as a marginal fit should be.
  const tvd = meanMarginalTvd(pooled, sampleModel(model, { rows: 3000, seed: 2 }), schema);
  expect(tvd.oneWay).toBeLessThan(0.1);
  expect(tvd.twoWay).toBeLessThan(0.15);
});

test('federate simulate refuses a folder without site files and a bad --secure-agg', async () => {
  const dir = tmp();
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  const r = await runCli(['federate', 'simulate', '--data', empty, '--model', 'marginal', '--epsilon', '1', '--out', path.join(dir, 'x.hsm')]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/at least 2 site files/);
  const r2 = await runCli(['federate', 'simulate', '--data', empty, '--model', 'marginal', '--epsilon', '1', '--out', path.join(dir, 'x.hsm'), '--secure-agg', 'trusted']);
  expect(r2.code).toBe(2);
  const r3 = await runCli(['federate', 'simulate', '--data', empty, '--model', 'nope', '--epsilon', '1', '--out', path.join(dir, 'x.hsm')]);
  expect(r3.code).toBe(2);
});
