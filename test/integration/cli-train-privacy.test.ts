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
import { fingerprintFile, PrivacyLedger } from '../../src/dp/ledger';
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

/**
 * `train --visits`: the visits model's share used to be charged before the patient generator's
 * own checks (options, backend, constraints, the ledger's budget for the whole training), so a
 * refused run still spent it. Every refusal below leaves the ledger absent, or byte for byte as it was.
 */
describe('train --visits: refused before any charge, the visits share included', () => {
  const PATIENTS_SCHEMA = {
    version: 1,
    columns: [
      { name: 'patient_id', kind: 'identifier', role: 'direct-identifier', nullable: false },
      { name: 'sex', kind: 'categorical', categories: ['F', 'M'], nullable: false },
      { name: 'genotype', kind: 'categorical', categories: ['SS', 'SC', 'SB'], nullable: false },
      { name: 'followup_years', kind: 'continuous', min: 0, max: 10, nullable: false },
      { name: 'hb_g_dl', kind: 'continuous', min: 3, max: 18 },
    ],
  };
  const VISITS_SCHEMA = {
    version: 1,
    columns: [
      { name: 'patient_id', kind: 'identifier', nullable: false },
      { name: 'visit_number', kind: 'integer', min: 1, max: 1000, nullable: false },
      { name: 'hb_g_dl', kind: 'continuous', min: 3, max: 18 },
    ],
  };
  const patientsCsv = (): string => {
    const lines = ['patient_id,sex,genotype,followup_years,hb_g_dl'];
    for (let i = 0; i < 120; i++) lines.push(`P${String(i).padStart(4, '0')},${i % 2 ? 'M' : 'F'},${['SS', 'SC', 'SB'][i % 3]},${1 + (i % 9)},${(7 + (i % 11) * 0.5).toFixed(1)}`);
    return lines.join('\n') + '\n';
  };
  const visitsCsv = (): string => {
    const lines = ['patient_id,visit_number,hb_g_dl'];
    for (let i = 0; i < 120; i++) for (let k = 1; k <= 1 + (i % 4); k++) lines.push(`P${String(i).padStart(4, '0')},${k},${(7 + (i % 11) * 0.5 + (((k * 3 + i) % 5) - 2) * 0.3).toFixed(1)}`);
    return lines.join('\n') + '\n';
  };
  const vdir = p('visits');
  const v = (n: string) => path.join(vdir, n);
  beforeAll(() => {
    fs.mkdirSync(vdir, { recursive: true });
    fs.writeFileSync(v('patients.schema.json'), JSON.stringify(PATIENTS_SCHEMA));
    fs.writeFileSync(v('visits.schema.json'), JSON.stringify(VISITS_SCHEMA));
    fs.writeFileSync(v('visits.csv'), visitsCsv());
  });
  /** A fresh patients file (its default ledger absent). */
  const patients = (name: string, content = patientsCsv()): { data: string; ledger: string } => {
    const data = v(`${name}.csv`);
    fs.writeFileSync(data, content);
    return { data, ledger: `${data}.ledger.json` };
  };
  const trainVisits = (data: string, ...extra: string[]) => run('train', '--data', data, '--schema', v('patients.schema.json'),
    '--visits', v('visits.csv'), '--visits-schema', v('visits.schema.json'), '--seed', '1', '--out', v('model.hsm'), ...extra);

  test('a ledger that affords the visits share but not the whole training is left byte for byte as it was (was: the visits charged)', async () => {
    const f = patients('budget');
    // Budget 3, about 2.89 spent: the visits' 10% of epsilon 1 would fit, the whole training not.
    const ledger = PrivacyLedger.openOrCreate(f.ledger, { datasetFingerprint: fingerprintFile(f.data), budget: { epsilon: 3, delta: 1e-6 } });
    ledger.charge({ mechanism: { kind: 'gaussian', noiseMultiplier: 1.6, count: 1 }, note: 'an earlier release' });
    const bytes = fs.readFileSync(f.ledger);
    const models: string[][] = [['--model', 'marginal'], ['--model', 'copula'], ['--model', 'tvae', '--epochs', '1'], ['--model', 'ctgan', '--epochs', '1']];
    for (const model of models) {
      const r = await trainVisits(f.data, ...model, '--epsilon', '1');
      expect(r.stderr).toMatch(/Privacy budget exceeded for dataset [0-9a-f]+: budget epsilon=3, .*spent so far epsilon=2\.89\d*; .*Refused before reading any data/);
      expect(r.code).toBe(1);
      expect(fs.readFileSync(f.ledger).equals(bytes)).toBe(true);
    }
    expect(fs.existsSync(v('model.hsm'))).toBe(false);
    expect(fs.readdirSync(vdir).filter((n) => n.endsWith('.lock') || n.endsWith('.tmp'))).toEqual([]);
  }, 120000);

  test('a check inside the generator (marginal shares.quantiles 0 with an unbounded column) creates no ledger (was: the visits charged)', async () => {
    const schema = v('unbounded.schema.json');
    fs.writeFileSync(schema, JSON.stringify({ ...PATIENTS_SCHEMA, columns: [...PATIENTS_SCHEMA.columns, { name: 'ldh_u_l', kind: 'continuous' }] }));
    const lines = patientsCsv().trim().split('\n');
    const f = patients('unbounded', [`${lines[0]},ldh_u_l`, ...lines.slice(1).map((l, i) => `${l},${300 + 3 * i}`)].join('\n') + '\n');
    const r = await run('train', '--data', f.data, '--schema', schema, '--visits', v('visits.csv'), '--visits-schema', v('visits.schema.json'),
      '--seed', '1', '--out', v('model.hsm'), '--model', 'marginal', '--epsilon', '1', '--options', '{"shares":{"quantiles":0}}');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Expected a budget share for the DP quantile edges \(option shares\.quantiles > 0\)/);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  test('a visit of no patient in the patients table creates no ledger (was: the visits charged, then refused)', async () => {
    const f = patients('orphan');
    const orphans = v('visits-orphan.csv');
    fs.writeFileSync(orphans, visitsCsv() + 'P9999,1,8.0\n');
    const r = await run('train', '--data', f.data, '--schema', v('patients.schema.json'), '--visits', orphans, '--visits-schema', v('visits.schema.json'),
      '--seed', '1', '--out', v('model.hsm'), '--model', 'marginal', '--epsilon', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Expected the key of a patient in the patients table for row \d+, column "patient_id" but received "P9999"/);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  test.each([
    ['checkOptions: copula stratifyBy naming no column', ['--model', 'copula', '--options', '{"stratifyBy":"nosuch"}'], 2, /option stratifyBy .* but received "nosuch"/],
    ['the backend check: marginal --backend cuda', ['--model', 'marginal', '--backend', 'cuda'], 1, /Expected backend js, cpu or auto for the marginal generator but received "cuda"/],
    ['an option of another generator', ['--model', 'copula', '--epochs', '3'], 2, /Expected an option of the copula generator .* but received "epochs"/],
  ] as const)('%s: no ledger', async (_, args, code, message) => {
    const f = patients(`opt-${args[1]}-${code}`);
    const r = await trainVisits(f.data, ...args, '--epsilon', '1');
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  test('a schema constraint on a column the schema lacks: no ledger', async () => {
    const f = patients('visits-typo');
    const schema = v('typo.schema.json');
    fs.writeFileSync(schema, JSON.stringify({ ...PATIENTS_SCHEMA, constraints: ['hb_g_dll <= 17'] }));
    const r = await run('train', '--data', f.data, '--schema', schema, '--visits', v('visits.csv'), '--visits-schema', v('visits.schema.json'),
      '--seed', '1', '--out', v('model.hsm'), '--model', 'marginal', '--epsilon', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/field "constraints\[0\]" but received "hb_g_dll <= 17"/);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  const cudaUsable = backendStatuses().find((b) => b.name === 'cuda')?.usable === true;
  (cudaUsable ? test.skip : test)('tvae --backend cuda without a usable GPU: no ledger', async () => {
    const f = patients('visits-cuda');
    const r = await trainVisits(f.data, '--model', 'tvae', '--epsilon', '1', '--backend', 'cuda', '--epochs', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/backend cuda is unusable for tvae option backend/);
    expect(fs.existsSync(f.ledger)).toBe(false);
  });

  test('a training that runs records the visits first, then the generator, within the budget', async () => {
    const f = patients('ok');
    const r = await trainVisits(f.data, '--model', 'marginal', '--epsilon', '1', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ledger = JSON.parse(fs.readFileSync(f.ledger, 'utf8'));
    expect(ledger.budget).toEqual({ epsilon: 1, delta: 1e-6 });
    expect(ledger.entries[0].note).toMatch(/^visits: /);
    expect(ledger.entries.slice(1).every((e: { note: string }) => e.note.startsWith('marginal'))).toBe(true);
    expect(ledger.entries.length).toBeGreaterThan(1);
    expect(ledger.spent.epsilon).toBeLessThanOrEqual(1);
    expect(JSON.parse(r.stdout).ledger.spent).toBeCloseTo(ledger.spent.epsilon, 10);
  });
});
