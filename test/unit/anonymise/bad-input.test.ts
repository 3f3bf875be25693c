import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { anonymiseTable, fromColumns, loadPolicy, validatePolicy } from '../../../src/anonymise';
import { InputError } from '../../../src/errors';

const table = fromColumns({ id: ['1', '2', '3', '4'], sex: ['F', 'M', 'F', 'M'], age: ['30', '31', '32', '33'], dx: ['a', 'b', 'a', 'b'], extra: ['x', 'y', 'z', 'w'] });
const base = { columns: { sex: { role: 'quasi', hierarchy: { type: 'mask' } }, age: { role: 'quasi', hierarchy: { type: 'interval', widths: [5] } } }, models: [{ type: 'k-anonymity', k: 2 }] };

test('a column the data lacks is named', () => {
  const p = validatePolicy({ ...base, columns: { ...base.columns, weight: { role: 'insensitive' } } }, 'p.json');
  expect(() => anonymiseTable(table, p)).toThrow(/column "weight" but received a column the data lacks/);
});

test('a missing hierarchy file is named', () => {
  const p = validatePolicy({ ...base, columns: { ...base.columns, sex: { role: 'quasi', hierarchy: 'no_such_hierarchy.csv' } } }, 'p.json');
  expect(() => anonymiseTable(table, p, { dataFile: '/tmp/data.csv' })).toThrow(/no_such_hierarchy\.csv.*does not exist/);
});

test('a value the hierarchy does not cover names the value and the column', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anon-'));
  fs.writeFileSync(path.join(dir, 'h_sex.csv'), 'F;*\n');
  const p = validatePolicy({ ...base, columns: { ...base.columns, sex: { role: 'quasi', hierarchy: 'h_sex.csv' } } });
  expect(() => anonymiseTable(table, p, { dataFile: path.join(dir, 'data.csv') })).toThrow(/row 2, column "sex" but received "M", which the hierarchy does not list/);
});

test('invalid thresholds and models are refused with the field', () => {
  expect(() => validatePolicy({ ...base, suppressionLimit: 1.5 })).toThrow(/field "suppressionLimit"/);
  expect(() => validatePolicy({ ...base, models: [{ type: 'k-anonymity', k: 0 }] })).toThrow(/models\[0\]\.k/);
  expect(() => validatePolicy({ ...base, models: [{ type: 'average-risk', threshold: -1 }] })).toThrow(/models\[0\]\.threshold/);
  expect(() => validatePolicy({ ...base, thresholds: { averageProsecutor: 2 } })).toThrow(/thresholds\.averageProsecutor/);
  expect(() => validatePolicy({ ...base, models: [{ type: 'entropy-l-diversity', column: 'sex', l: 2 }] })).toThrow(/role is "sensitive"/);
  expect(() => validatePolicy({ ...base, models: [{ type: 'magic' }] })).toThrow(/models\[0\]\.type/);
  expect(() => validatePolicy({ ...base, columns: { sex: { role: 'quasi' } } })).toThrow(/a hierarchy for a quasi-identifier/);
  expect(() => validatePolicy({ ...base, columns: { id: { role: 'direct', action: 'shift-dates' } } })).toThrow(/patient column/);
  expect(() => loadPolicy('/no/such/policy.json')).toThrow(InputError);
});

test('a pseudonym without a site secret is refused', () => {
  const p = validatePolicy({ ...base, columns: { ...base.columns, id: { role: 'direct', action: 'pseudonym' } }, secretEnv: 'HEMASYNTH_TEST_UNSET_SECRET' });
  expect(() => anonymiseTable(table, p)).toThrow(/HEMASYNTH_TEST_UNSET_SECRET/);
});

test('minimisation drops and lists columns the policy does not name', () => {
  const { table: out, report } = anonymiseTable(table, validatePolicy(base));
  expect(report.minimisation.dropped).toEqual(['id', 'dx', 'extra']);
  expect(out.columns).toEqual(['sex', 'age']);
});

test('more than 64 quasi-identifiers are refused clearly', () => {
  const cols: Record<string, string[]> = {};
  const policyCols: Record<string, unknown> = {};
  for (let j = 0; j < 65; j++) { cols[`q${j}`] = ['a', 'b']; policyCols[`q${j}`] = { role: 'quasi', hierarchy: { type: 'mask' } }; }
  const p = validatePolicy({ columns: policyCols, models: [{ type: 'k-anonymity', k: 1 }] });
  expect(() => anonymiseTable(fromColumns(cols), p)).toThrow(/at most 64 quasi-identifiers/);
});

test('a lattice too large is refused by the native search, not attempted', () => {
  const cols: Record<string, string[]> = {};
  const policyCols: Record<string, unknown> = {};
  for (let j = 0; j < 30; j++) { cols[`q${j}`] = ['ab', 'cd']; policyCols[`q${j}`] = { role: 'quasi', hierarchy: { type: 'mask' } }; }
  const p = validatePolicy({ columns: policyCols, models: [{ type: 'k-anonymity', k: 1 }] });
  expect(() => anonymiseTable(fromColumns(cols), p)).toThrow(/lattice has .* nodes, more than the limit/);
});
