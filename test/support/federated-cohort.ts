/**
 * A simulated cohort written as one Arrow file per site, with a schema file restricted to some
 * columns (what the federated integration tests train on) and an empty folder for the sites'
 * ledgers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Table } from 'apache-arrow';
import type { TableSchema } from '../../src/data/schema';
import type { HemasynthModel } from '../../src/models/generator';
import { sampleModel } from '../../src/models/model-api';
import { simulateCohort, writeSimulation } from '../../src/scd/simulate';
import { runCli } from './run-cli';

/** The clinical columns the federated marginal, TVAE and CTGAN tests train on. */
export const FEDERATED_TEST_COLUMNS = ['sex', 'genotype', 'alpha_thal_deletions', 'hydroxyurea', 'chronic_transfusion', 'stroke', 'died', 'age_years', 'hb_g_dl', 'hbf_pct', 'voc_12m'];

/**
 * Runs `hemasynth federate simulate` on a {@link federatedCohort} (δ = 1e-6, its schema and ledger
 * folder), checks that it succeeded and that every site process exited 0, and returns its JSON
 * summary.
 * @example const result = await simulateFederation(c, { model: 'tvae', out, epsilon: 4, rounds: 100 })
 */
export async function simulateFederation(c: { cohort: string; schemaFile: string; ledgers: string }, o: { model: string; out: string; epsilon: number; rounds?: number; options?: Record<string, unknown>; extra?: string[] }) {
  const r = await runCli(['federate', 'simulate', '--data', c.cohort, '--model', o.model, '--epsilon', String(o.epsilon), '--delta', '1e-6', '--out', o.out,
    '--schema', c.schemaFile, '--ledger-dir', c.ledgers, '--json',
    ...(o.rounds !== undefined ? ['--rounds', String(o.rounds)] : []), ...(o.options ? ['--options', JSON.stringify(o.options)] : []), ...(o.extra ?? [])]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const result = JSON.parse(r.stdout);
  expect(result.sites.every((s: { exitCode: number }) => s.exitCode === 0)).toBe(true);
  return result;
}

/**
 * Simulates `patients` at 4 sites under `dir` and writes the subset schema.
 * @example const c = federatedCohort(dir, { patients: 3000, seed: 11, columns: ['sex', 'genotype'] })
 */
export function federatedCohort(dir: string, o: { patients: number; seed: number; columns: readonly string[] }) {
  const sim = simulateCohort({ patients: o.patients, sites: 4, seed: o.seed });
  const cohort = path.join(dir, 'cohort');
  writeSimulation(cohort, sim);
  const byName = new Map(sim.schema.columns.map((c) => [c.name, c]));
  const schema: TableSchema = { version: 1, name: 'scd subset', columns: o.columns.map((n) => byName.get(n)!) };
  const schemaFile = path.join(dir, 'subset.schema.json');
  fs.writeFileSync(schemaFile, JSON.stringify(schema));
  const ledgers = path.join(dir, 'ledgers');
  fs.mkdirSync(ledgers);
  return { sim, cohort, byName, schema, schemaFile, ledgers, pooled: sim.patients.select([...o.columns]) };
}

/**
 * A temporary folder for a test file: made before its tests, removed after.
 * @example const tmp = temporaryDir('hemasynth-fedtvae-'); test('...', () => { const dir = tmp(); })
 */
export function temporaryDir(prefix: string): () => string {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/**
 * The model's ONNX graph samples what its native engine samples: the raw outputs agree within
 * 1e-5 (test/unit/models/onnx.test.ts), so categories are equal and values equal within float error.
 * @example expectOnnxMatchesNative(model, 'genotype', 'hb_g_dl')
 */
export function expectOnnxMatchesNative(model: HemasynthModel, categorical: string, numeric: string): void {
  const nativeRows = sampleModel(model, { rows: 200, seed: 5 });
  const onnxRows = sampleModel(model, { rows: 200, seed: 5, engine: 'onnx' });
  expect(Array.from(onnxRows.getChild(categorical)!.toArray() as string[])).toEqual(Array.from(nativeRows.getChild(categorical)!.toArray() as string[]));
  const a = onnxRows.getChild(numeric)!.toArray() as Float64Array, b = nativeRows.getChild(numeric)!.toArray() as Float64Array;
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(b[i])) expect(Number.isNaN(a[i])).toBe(true);
    else expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-3);
  }
}

/** One nullable column's missing rate in the training and synthetic tables. */
export interface MissingRateGap {
  column: string;
  training: number;
  synthetic: number;
  gap: number;
}

/**
 * Fraction of a column's values that are missing (null or NaN).
 * @example missingRate(table, 'hb_g_dl') // 0.02
 */
export function missingRate(table: Table, column: string): number {
  const v = table.getChild(column);
  if (!v) throw new Error(`column ${column} not in the table`);
  let missing = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v.get(i);
    if (x === null || x === undefined || (typeof x === 'number' && Number.isNaN(x))) missing++;
  }
  return missing / v.length;
}

/**
 * Missing rates of the nullable columns that have missing values in the training table, training
 * vs synthetic (null or NaN counts as missing), with the absolute gap.
 * @example const gaps = missingRateGaps(pooled, synthetic, schema); Math.max(...gaps.map((g) => g.gap))
 */
export function missingRateGaps(training: Table, synthetic: Table, schema: TableSchema): MissingRateGap[] {
  return schema.columns.filter((c) => c.nullable !== false).map((c) => c.name)
    .map((column) => ({ column, training: missingRate(training, column), synthetic: missingRate(synthetic, column) }))
    .filter((r) => r.training > 0)
    .map((r) => ({ ...r, gap: Math.abs(r.training - r.synthetic) }));
}
