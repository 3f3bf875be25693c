/**
 * `hemasynth train` never charges a ledger for a training it then refuses or fails for a reason it
 * could have given first, never creates a ledger for a refused training, and never records a
 * mechanism the ledger could not read back. Each refusal below exits with the expected code, names
 * the option or file, and leaves no ledger file (or the existing one byte for byte as it was).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../support/run-cli';
import { backendStatuses } from '../../src/backend/availability';
import { MAX_TRAINING_EPSILON, MIN_TRAINING_EPSILON } from '../../src/models/privacy-plan';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-cli-train-privacy-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const p = (...names: string[]) => path.join(dir, ...names);
const run = (...args: string[]) => runCli(args);

const SCHEMA = {
  version: 1,
  columns: [
    { name: 'sex', kind: 'categorical', categories: ['F', 'M'], nullable: false },
    { name: 'age_years', kind: 'integer', min: 0, max: 90, nullable: false },
    { name: 'genotype', kind: 'categorical', categories: ['SS', 'SC', 'SB'], nullable: false },
    { name: 'hb_g_dl', kind: 'continuous', min: 3, max: 18 },
  ],
};
const HEADER = 'sex,age_years,genotype,hb_g_dl';
function csv(rows = 80): string {
  const lines = [HEADER];
  for (let i = 0; i < rows; i++) lines.push(`${i % 2 ? 'F' : 'M'},${(i * 7) % 80},${['SS', 'SC', 'SB'][i % 3]},${(7 + (i % 11) * 0.5).toFixed(1)}`);
  return lines.join('\n') + '\n';
}

/** A fresh data file (its default ledger, <data>.ledger.json, absent) and the schema. */
function fixture(name: string, content = csv()): { data: string; ledger: string; schema: string } {
  const data = p(`${name}.csv`);
  fs.writeFileSync(data, content);
  const schema = p('schema.json');
  if (!fs.existsSync(schema)) fs.writeFileSync(schema, JSON.stringify(SCHEMA));
  return { data, ledger: `${data}.ledger.json`, schema };
}

const train = (data: string, schema: string, ...extra: string[]) => run('train', '--data', data, '--schema', schema, '--seed', '1', '--out', p('model.hsm'), ...extra);

describe('refused before any charge: no ledger file is created', () => {
  test('copula stratifyBy naming no column (was: charged, then exit 2)', async () => {
    const f = fixture('stratify');
    const r = await train(f.data, f.schema, '--model', 'copula', '--epsilon', '2', '--options', '{"stratifyBy":"nosuch"}');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option stratifyBy .* but received "nosuch"/);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  test('a schema constraint of no known form names the schema file and the constraint', async () => {
    const f = fixture('badcons');
    const schema = p('badcons.schema.json');
    fs.writeFileSync(schema, JSON.stringify({ ...SCHEMA, constraints: ['age_years >= 0', 'age_years +* 3'] }));
    const r = await train(f.data, schema, '--model', 'marginal', '--epsilon', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/for file ".*badcons\.schema\.json", field "constraints\[1\]" but received "age_years \+\* 3"/);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  test('a schema constraint on a column the schema lacks (a typo) is refused, not dropped', async () => {
    const f = fixture('typo');
    const schema = p('typo.schema.json');
    fs.writeFileSync(schema, JSON.stringify({ ...SCHEMA, constraints: ['hb_g_dl <= 17', 'hb_g_dll + age_years <= 100'] }));
    const r = await train(f.data, schema, '--model', 'marginal', '--epsilon', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/for file ".*typo\.schema\.json", field "constraints\[1\]" but received "hb_g_dll \+ age_years <= 100".*hb_g_dll/);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  const cudaUsable = backendStatuses().find((b) => b.name === 'cuda')?.usable === true;
  (cudaUsable ? test.skip : test)('tvae --backend cuda without a usable GPU (was: charged, then exit 1)', async () => {
    const f = fixture('cuda');
    const r = await train(f.data, f.schema, '--model', 'tvae', '--epsilon', '2', '--backend', 'cuda', '--epochs', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/backend cuda is unusable for tvae option backend/);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  test.each([['1e-300'], ['1e-17'], ['0.005']])('--epsilon %s names --epsilon and the smallest epsilon that works', async (eps) => {
    const f = fixture(`tiny-${eps}`);
    const r = await train(f.data, f.schema, '--model', 'marginal', '--epsilon', eps);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/for --epsilon/);
    expect(r.stderr).toContain(`${MIN_TRAINING_EPSILON} is the smallest that works`);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  test(`--epsilon above ${MAX_TRAINING_EPSILON} is refused at once, suggesting --epsilon inf (was: hours of calibration)`, async () => {
    const f = fixture('huge');
    for (const eps of ['1000', '1e12', '1e308']) {
      const t0 = Date.now();
      const r = await train(f.data, f.schema, '--model', 'marginal', '--epsilon', eps);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`Expected an epsilon in \\[${MIN_TRAINING_EPSILON}, ${MAX_TRAINING_EPSILON}\\] for --epsilon .* use --epsilon inf`));
      expect(Date.now() - t0).toBeLessThan(5000);
    }
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  test('a numeric overflow of --epsilon is an error, not a non-private training; --delta likewise', async () => {
    const f = fixture('overflow');
    const r = await train(f.data, f.schema, '--model', 'marginal', '--epsilon', '1e400');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/for --epsilon but received "1e400", which is too large for a number \(only "inf" means infinity\)/);
    expect(r.stdout).not.toMatch(/NON-PRIVATE/);
    expect(fs.existsSync(p('model.hsm'))).toBe(false);
    for (const d of ['1e400', '1e-400', '0', '1']) {
      const rd = await train(f.data, f.schema, '--model', 'marginal', '--epsilon', '2', '--delta', d);
      expect(rd.code).toBe(2);
      expect(rd.stderr).toMatch(new RegExp(`Expected a number in \\(0, 1\\) for --delta but received "${d}"`));
    }
    // A subnormal δ: no ε can be certified at it (it used to end in a NaN noise multiplier, then a hang).
    const sub = await train(f.data, f.schema, '--model', 'marginal', '--epsilon', '2', '--delta', '5e-324');
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/Expected a delta in \[7\.1e-15, 1\) for --delta of a DP training but received 5e-324/);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  test('marginal options are checked the same way under DP and with --epsilon inf', async () => {
    const f = fixture('options');
    for (const eps of ['2', 'inf']) {
      const bins = await train(f.data, f.schema, '--model', 'marginal', '--epsilon', eps, '--options', '{"bins":-4,"maxParents":"x"}');
      expect(bins.code).toBe(2);
      expect(bins.stderr).toMatch(/Expected option bins to be a whole number in \[2, 64\] but received -4/);
      const parents = await train(f.data, f.schema, '--model', 'marginal', '--epsilon', eps, '--options', '{"maxParents":"x"}');
      expect(parents.code).toBe(2);
      expect(parents.stderr).toMatch(/Expected option maxParents to be a whole number >= 0 but received "x"/);
      const share = await train(f.data, f.schema, '--model', 'marginal', '--epsilon', eps, '--options', '{"shares":{"oneway":1}}');
      expect(share.code).toBe(2);
      expect(share.stderr).toMatch(/option shares\.oneway/);
    }
    const pac = await train(f.data, f.schema, '--model', 'ctgan', '--epsilon', '2', '--options', '{"pac":4}');
    expect(pac.code).toBe(2);
    expect(pac.stderr).toMatch(/Expected pac 1 for a DP ctgan/);
    const loss = await train(f.data, f.schema, '--model', 'tvae', '--epsilon', '2', '--options', '{"lossFactor":-1}');
    expect(loss.code).toBe(2);
    expect(loss.stderr).toMatch(/tvae option lossFactor/);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  test('a header-only CSV is refused naming the file (was: epsilon spent on a model of noise)', async () => {
    const f = fixture('header-only', `${HEADER}\n`);
    const r = await train(f.data, f.schema, '--model', 'marginal', '--epsilon', '3');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Expected a training table with at least one row for file ".*header-only\.csv" but received a table with 0 rows/);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });
});

describe('the default ledger is created by the first charge, with that training\'s budget', () => {
  test('a failed attempt neither fixes the budget nor binds the ledger to the data it failed on', async () => {
    const bad = csv().replace('\nM,0,SS,7.0\n', '\nM,0,SS,99.5\n'); // hb_g_dl above the schema's max 18
    expect(bad).not.toBe(csv());
    const f = fixture('fixme', bad);
    const failed = await train(f.data, f.schema, '--model', 'marginal', '--epsilon', '0.05');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/fixme\.csv/);
    expect(fs.existsSync(f.ledger)).toBe(false);
    fs.writeFileSync(f.data, csv()); // the row fixed: other bytes, another fingerprint
    const ok = await train(f.data, f.schema, '--model', 'copula', '--epsilon', '0.5', '--json');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const ledger = JSON.parse(fs.readFileSync(f.ledger, 'utf8'));
    expect(ledger.budget).toEqual({ epsilon: 0.5, delta: 1e-6 });
    expect(ledger.entries.length).toBeGreaterThan(0);
    for (const e of ledger.entries) for (const v of Object.values(e.parameters)) if (typeof v !== 'string') expect(Number.isFinite(v)).toBe(true);

    // Refused runs against an existing ledger leave it byte for byte as it was.
    const bytes = fs.readFileSync(f.ledger);
    const refusals: string[][] = [
      ['--model', 'copula', '--epsilon', '1e-300'],
      ['--model', 'copula', '--epsilon', '2', '--options', '{"stratifyBy":"nosuch"}'],
      ['--model', 'marginal', '--epsilon', '2', '--options', '{"bins":-4}'],
      ['--model', 'marginal', '--epsilon', '1e6'],
    ];
    for (const args of refusals) {
      const r = await train(f.data, f.schema, ...args);
      expect(r.code).toBe(2);
      expect(fs.readFileSync(f.ledger).equals(bytes)).toBe(true);
    }
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.lock') || n.endsWith('.tmp'))).toEqual([]);
  });
});
