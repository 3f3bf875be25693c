/** `hemasynth train --model tvae|ctgan` and `hemasynth sample --engine onnx` end to end. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTable } from '../../../src/data/table-io';
import { readTable } from '../../../src/data/table-io';
import { readLabels } from '../../../src/transform/column-values';
import { runCli } from '../../support/run-cli';
import { neuralCohort } from './neural-fixture';

let dir: string;
const small = neuralCohort(250, 8, ['genotype', 'hb_g_dl', 'sex', 'hbf_pct', 'hydroxyurea', 'died', 'lic_mg_g', 'chronic_transfusion']);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-neural-cli-'));
  await writeTable(path.join(dir, 'cohort.arrow'), small.table);
  fs.writeFileSync(path.join(dir, 'schema.json'), JSON.stringify(small.schema));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test.each(['tvae', 'ctgan'])('%s: train non-private (marked loudly), then sample with --engine onnx', async (model) => {
  const out = path.join(dir, `${model}.hsm`);
  const train = await runCli(['train', '--data', path.join(dir, 'cohort.arrow'), '--schema', path.join(dir, 'schema.json'), '--model', model, '--epsilon', 'inf', '--seed', '4', '--epochs', '2', '--batch-size', '50', '--backend', 'cpu', '--out', out]);
  expect(train.stderr).toMatch(/NON-PRIVATE MODEL/);
  expect(train.code).toBe(0);
  expect(train.stdout).toMatch(new RegExp(`trained ${model} on 8 columns`));
  const csv = path.join(dir, `${model}.csv`);
  const sample = await runCli(['sample', '--model', out, '--rows', '120', '--seed', '2', '--engine', 'onnx', '--where', 'genotype=SS', '--out', csv, '--json']);
  expect(sample.code).toBe(0);
  expect(JSON.parse(sample.stdout)).toMatchObject({ model, rows: 120, nonPrivate: true, where: 'genotype=SS' });
  const t = await readTable(csv);
  expect(readLabels(t, 'genotype').every((g) => g === 'SS')).toBe(true);
});

test('DP training charges the data file ledger and reports epsilon spent', async () => {
  const out = path.join(dir, 'dp.hsm');
  const r = await runCli(['train', '--data', path.join(dir, 'cohort.arrow'), '--schema', path.join(dir, 'schema.json'), '--model', 'tvae', '--epsilon', '2', '--seed', '1', '--epochs', '2', '--batch-size', '50', '--out', out, '--json']);
  expect(r.code).toBe(0);
  const summary = JSON.parse(r.stdout);
  expect(summary.nonPrivate).toBe(false);
  expect(summary.epsilon).toBeLessThanOrEqual(2);
  expect(summary.ledger.spent).toBeGreaterThan(1.5);
  const again = await runCli(['train', '--data', path.join(dir, 'cohort.arrow'), '--schema', path.join(dir, 'schema.json'), '--model', 'ctgan', '--epsilon', '2', '--epochs', '1', '--batch-size', '50', '--out', path.join(dir, 'dp2.hsm')]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/Privacy budget exceeded/);
});

test('an unusable backend is refused with the reason', async () => {
  const r = await runCli(['train', '--data', path.join(dir, 'cohort.arrow'), '--schema', path.join(dir, 'schema.json'), '--model', 'tvae', '--epsilon', 'inf', '--backend', 'tpu', '--out', path.join(dir, 'x.hsm')]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/one of js, cpu, cuda, auto for tvae option backend but received/);
});
