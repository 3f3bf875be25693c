/**
 * `anonymise` writing Arrow and Parquet: kept columns keep their input types, missing values are
 * nulls, generalised quasi-identifiers are text, and the release trains (`train` on it worked
 * only from CSV before: "" was read as a category of a non-nullable column).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataType, type Table, tableFromIPC } from 'apache-arrow';
import { readTable } from '../../src/data';
import { inferSchemaFromTable } from '../../src/data/schema-inference';
import { simulateCohort, writeSimulation } from '../../src/scd/simulate';
import { runCli } from '../support/run-cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-anon-arrow-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const p = (...names: string[]) => path.join(dir, ...names);
const policy = path.resolve(__dirname, '../../data/policies/scd.json');

let input: Table;
const released: Record<string, Table> = {};

beforeAll(async () => {
  writeSimulation(p('real'), simulateCohort({ patients: 300, sites: 2, seed: 7 }));
  fs.writeFileSync(p('site.key'), 'a-site-secret-of-enough-length-0123456789\n', { mode: 0o600 });
  input = tableFromIPC(fs.readFileSync(p('real', 'patients.arrow')));
  for (const ext of ['arrow', 'parquet']) {
    const r = await runCli(['anonymise', '--data', p('real', 'patients.arrow'), '--policy', policy, '--secret-file', p('site.key'), '--out', p(`released.${ext}`), '--report', p(`report-${ext}.json`)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    released[ext] = await readTable(p(`released.${ext}`));
  }
}, 120000);

describe.each(['arrow', 'parquet'])('anonymise --out released.%s', (ext) => {
  test('kept measurements keep their type and values, missing values are nulls', () => {
    const t = released[ext];
    // The cohort has missing LDH and α-thalassaemia values (they are what "" used to stand for).
    expect(input.getChild('ldh_u_l')!.nullCount).toBeGreaterThan(0);
    expect(input.getChild('alpha_thal_deletions')!.nullCount).toBeGreaterThan(0);
    expect(t.numRows).toBe(input.numRows);
    for (const name of ['ldh_u_l', 'alpha_thal_deletions', 'hydroxyurea']) {
      const out = t.getChild(name)!, inp = input.getChild(name)!;
      expect(out.type.typeId).toBe(inp.type.typeId);
      expect(out.nullCount).toBe(inp.nullCount);
      for (let i = 0; i < t.numRows; i++) expect(out.get(i)).toEqual(inp.get(i));
    }
  });

  test('generalised quasi-identifiers and pseudonyms are text', () => {
    const t = released[ext];
    const age = t.getChild('age_years')!;
    expect(DataType.isUtf8(age.type)).toBe(true);
    // Every age is an interval label or suppressed, not the input's number.
    for (let i = 0; i < t.numRows; i++) expect(String(age.get(i))).not.toMatch(/^\d+(\.\d+)?$/);
    const id = t.getChild('patient_id')!;
    expect(DataType.isUtf8(id.type)).toBe(true);
    expect(id.get(0)).not.toBe(input.getChild('patient_id')!.get(0));
  });

  test('the inferred schema reads missing values as missing, and the release trains', async () => {
    const schema = inferSchemaFromTable(released[ext]);
    const alpha = schema.columns.find((c) => c.name === 'alpha_thal_deletions')!;
    expect(alpha.nullable).not.toBe(false);
    const r = await runCli(['train', '--data', p(`released.${ext}`), '--model', 'marginal', '--epsilon', 'inf', '--seed', '1', '--out', p(`model-${ext}.hsm`)]);
    expect(r.stderr).not.toMatch(/^hemasynth:/m);
    expect(r.code).toBe(0);
    expect(fs.existsSync(p(`model-${ext}.hsm`))).toBe(true);
  }, 120000);
});

test('a shifted date column stays a date column (visits policy), the intervals of every patient kept', async () => {
  const r = await runCli(['anonymise', '--data', p('real', 'visits.arrow'), '--policy', path.resolve(__dirname, '../../data/policies/scd-visits.json'), '--secret-file', p('site.key'), '--out', p('visits-released.arrow'), '--report', p('visits-report.json')]);
  expect(r.code).toBe(0);
  const inp = tableFromIPC(fs.readFileSync(p('real', 'visits.arrow')));
  const out = await readTable(p('visits-released.arrow'));
  expect(out.getChild('visit_date')!.type.typeId).toBe(inp.getChild('visit_date')!.type.typeId);
  // Rows keep their order: consecutive visits of one patient are the same number of days apart.
  let compared = 0;
  for (let i = 1; i < out.numRows; i++) {
    if (out.getChild('patient_id')!.get(i) !== out.getChild('patient_id')!.get(i - 1)) continue;
    const gap = (t: Table) => Number(t.getChild('visit_date')!.get(i)) - Number(t.getChild('visit_date')!.get(i - 1));
    expect(gap(out)).toBe(gap(inp));
    compared++;
  }
  expect(compared).toBeGreaterThan(100);
  expect(Number(out.getChild('visit_date')!.get(0))).not.toBe(Number(inp.getChild('visit_date')!.get(0)));
}, 120000);
