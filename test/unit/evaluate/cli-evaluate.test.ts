// `hemasynth evaluate` end to end on Arrow files: report.json fields, report.html offline, errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeArrowFile } from '../../../src/data/arrow-file';
import { runCli } from '../../support/run-cli';
import { sampledChain } from './chain-fixture';
import { cohortColumns, cohortTable } from './cohort-fixture';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-eval-cli-'));
const file = (n: string) => path.join(dir, n);
beforeAll(() => {
  writeArrowFile(file('train.arrow'), cohortTable(cohortColumns(600, 1)));
  writeArrowFile(file('holdout.arrow'), cohortTable(cohortColumns(600, 2)));
  writeArrowFile(file('syn.arrow'), cohortTable(cohortColumns(600, 3)));
  fs.writeFileSync(file('analyses.json'), JSON.stringify([{ id: 'crises-hbf', outcome: 'crises_per_year', family: 'poisson', covariates: ['hbf_pct', 'genotype'] }]));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('writes report.json with the documented sections and a self-contained report.html', async () => {
  const r = await runCli(['evaluate', '--real', file('train.arrow'), '--holdout', file('holdout.arrow'), '--synthetic', file('syn.arrow'),
    '--target', 'hospitalised', '--analyses', file('analyses.json'), '--out', file('report.html'), '--json', file('report.json'), '--attacks', '100', '--no-progress']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/clinical: 1\/1 analyses reproduced/);
  const report = JSON.parse(fs.readFileSync(file('report.json'), 'utf8'));
  expect(Object.keys(report)).toEqual(expect.arrayContaining(['fidelity', 'utility', 'privacy', 'clinical', 'ledger']));
  for (const k of ['singlingOut', 'linkability', 'inference', 'membershipInference', 'distanceToClosestRecord']) expect(report.privacy[k]).toBeDefined();
  expect(report.ledger).toBeNull();
  expect(report.notes.join(' ')).toMatch(/no privacy ledger given/);
  expect(report.clinical[0]).toMatchObject({ id: 'crises-hbf', passed: true });
  const html = fs.readFileSync(file('report.html'), 'utf8');
  expect(html).toMatch(/^<!DOCTYPE html>/);
  expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(7 + 4);
  // Offline: no script, and nothing fetched from anywhere (SVG namespaces are names, not fetches).
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
  expect(html).not.toMatch(/url\(\s*["']?https?:/i);
});

it('names the file and column when the synthetic table lacks a column', async () => {
  const { tableFromArrays } = await import('apache-arrow');
  writeArrowFile(file('bad.arrow'), tableFromArrays({ age: Int32Array.of(1, 2, 3) }));
  const r = await runCli(['evaluate', '--real', file('train.arrow'), '--holdout', file('holdout.arrow'), '--synthetic', file('bad.arrow'), '--json', file('x.json'), '--no-progress']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/Expected the column "sex" present in the train.arrow table for file "bad.arrow", column "sex" but received no such column/);
});

it('rejects a malformed analyses file with its field path', async () => {
  fs.writeFileSync(file('bad-analyses.json'), JSON.stringify([{ id: 'x', outcome: 'hb_g_dl', family: 'gamma', covariates: ['age'] }]));
  const r = await runCli(['evaluate', '--real', file('train.arrow'), '--holdout', file('holdout.arrow'), '--synthetic', file('syn.arrow'), '--analyses', file('bad-analyses.json'), '--json', file('x.json'), '--no-progress']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/Expected one of "gaussian", "binomial", "poisson" for file ".*bad-analyses.json", field "analyses\[0\].family" but received "gamma"/);
});

it('requires the three tables (usage error, exit 2)', async () => {
  const r = await runCli(['evaluate', '--real', file('train.arrow')]);
  expect(r.code).toBe(2);
});

it('refuses the training table as the holdout (the attacks would have no control group)', async () => {
  fs.copyFileSync(file('train.arrow'), file('train-copy.arrow'));
  const r = await runCli(['evaluate', '--real', file('train.arrow'), '--holdout', file('train-copy.arrow'), '--synthetic', file('syn.arrow'), '--json', file('same.json'), '--out', file('same.html'), '--no-progress']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/Expected records held out from training .*not the train.arrow table again for file "train-copy.arrow" but received a table with the same rows/);
  expect(fs.existsSync(file('same.json'))).toBe(false);
});

it('refuses --secrets naming no evaluated column instead of reporting no risk', async () => {
  const r = await runCli(['evaluate', '--real', file('train.arrow'), '--holdout', file('holdout.arrow'), '--synthetic', file('syn.arrow'), '--secrets', 'genotype,nosuch', '--json', file('sec.json'), '--out', file('sec.html'), '--no-progress']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/Expected --secrets to name evaluated columns \(.*genotype.*\) but received "nosuch"/);
});

describe('the documented chain simulate → train → sample → evaluate', () => {
  // A model's rows carry no direct identifiers (patient_id, name, ...), which the real table has.
  const chain = path.join(dir, 'chain');
  const at = (n: string) => path.join(chain, n);
  beforeAll(async () => {
    await sampledChain(chain, 'syn.arrow');
  }, 120000);

  it.each([['with --schema', true], ['with the schema the real table carries', false]])('%s: evaluates the modelled columns', async (_, withSchema) => {
    const r = await runCli(['evaluate', '--real', at('real/patients.arrow'), '--holdout', at('holdout/patients.arrow'), '--synthetic', at('syn.arrow'),
      ...(withSchema ? ['--schema', at('real/schema.json')] : []), '--json', at(`r-${withSchema}.json`), '--out', at(`r-${withSchema}.html`), '--attacks', '20', '--no-progress']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(at(`r-${withSchema}.json`), 'utf8'));
    const columns = JSON.stringify(report.fidelity);
    expect(columns).toMatch(/hb_g_dl/);
    expect(columns).not.toMatch(/patient_id|hospital_record_number/);
  }, 120000);
});
