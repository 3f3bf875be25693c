/**
 * A schema's fixed combinations, end to end: `schema validate` lists the data rows outside the
 * list, and every generator's synthetic rows keep to it, non-private and under DP (issue 5:
 * "constraints declared in the schema are always satisfied by output rows: ... fixed
 * combinations").
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../support/run-cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-combinations-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => path.join(dir, name);

const COMBINATIONS = "(country, city, coastal) in ((FR, Paris, false), (FR, Marseille, true), (IT, Rome, false), (IT, 'Bari Vecchia', true))";
const allowed = new Set(['FR|Paris|false', 'FR|Marseille|true', 'IT|Rome|false', 'IT|Bari Vecchia|true']);

beforeAll(() => {
  // 400 people in the four listed places; age depends on the place so the models have something to learn.
  const places = [['FR', 'Paris', 'false', 30], ['FR', 'Marseille', 'true', 45], ['IT', 'Rome', 'false', 55], ['IT', 'Bari Vecchia', 'true', 70]] as const;
  const rows = Array.from({ length: 400 }, (_, i) => { const [c, city, coastal, age] = places[(i * 7) % 4]; return `${c},${city},${coastal},${age + (i % 13)}`; });
  fs.writeFileSync(p('people.csv'), ['country,city,coastal,age', ...rows].join('\n') + '\n');
  fs.writeFileSync(p('people.json'), JSON.stringify({
    version: 1,
    columns: [
      { name: 'country', kind: 'categorical', categories: ['FR', 'IT'], nullable: false },
      { name: 'city', kind: 'categorical', categories: ['Paris', 'Marseille', 'Rome', 'Bari Vecchia'], nullable: false },
      { name: 'coastal', kind: 'boolean', nullable: false },
      { name: 'age', kind: 'integer', min: 18, max: 99, nullable: false },
    ],
    constraints: [COMBINATIONS],
  }));
});

/** country|city|coastal of each row of a CSV file the CLI wrote (quoted fields allowed). */
function combinations(file: string): string[] {
  const [, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  return lines.map((l) => l.replace(/"/g, '').split(',').slice(0, 3).join('|'));
}

test('schema validate lists the data rows outside the list', async () => {
  fs.writeFileSync(p('bad.csv'), 'country,city,coastal,age\nFR,Paris,false,40\nIT,Paris,false,41\nFR,Marseille,true,42\n');
  const r = await runCli(['schema', 'validate', p('bad.csv'), '--schema', p('people.json')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`row 2: ${JSON.stringify(COMBINATIONS)} with country=IT, city=Paris, coastal=0`);
  const ok = await runCli(['schema', 'validate', p('people.csv'), '--schema', p('people.json')]);
  expect(ok.code).toBe(0);
});

test('schema validate names a value its column cannot take', async () => {
  const schema = JSON.parse(fs.readFileSync(p('people.json'), 'utf8'));
  schema.constraints = ['(country, city) in ((FR, Lyon))'];
  fs.writeFileSync(p('wrong.json'), JSON.stringify(schema));
  const r = await runCli(['schema', 'validate', p('wrong.json')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('constraints[0] "(country, city) in ((FR, Lyon))": expected values of the columns in each combination; received combination 1 gives "city" the value "Lyon", not one of its categories');
});

describe.each([
  ['marginal', 'inf'], ['copula', 'inf'], ['marginal', '1'], ['copula', '1'], ['tvae', '3'], ['ctgan', 'inf'],
])('%s at epsilon %s', (model, epsilon) => {
  test('every synthetic row is a listed combination, with and without a condition', async () => {
    const out = p(`${model}-${epsilon}.hsm`);
    const options = model === 'tvae' || model === 'ctgan' ? ['--options', JSON.stringify({ epochs: 3 })] : [];
    const train = await runCli(['train', '--data', p('people.csv'), '--schema', p('people.json'), '--model', model, '--epsilon', epsilon, '--delta', '1e-6', '--seed', '3', '--out', out, '--ledger', p(`${model}-${epsilon}.ledger.json`), '--json', ...options]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const sample = await runCli(['sample', '--model', out, '--rows', '3000', '--seed', '1', '--out', p(`${model}-${epsilon}.csv`), '--json']);
    expect(sample.code).toBe(0);
    const rows = combinations(p(`${model}-${epsilon}.csv`));
    expect(rows).toHaveLength(3000);
    expect(rows.filter((r) => !allowed.has(r))).toEqual([]);
    const italy = await runCli(['sample', '--model', out, '--rows', '500', '--seed', '2', '--out', p(`${model}-${epsilon}-it.csv`), '--where', 'country = IT', '--json']);
    expect(italy.code).toBe(0);
    const it = combinations(p(`${model}-${epsilon}-it.csv`));
    expect(it).toHaveLength(500);
    expect(it.filter((r) => !allowed.has(r) || !r.startsWith('IT|'))).toEqual([]);
  }, 120000);
});
