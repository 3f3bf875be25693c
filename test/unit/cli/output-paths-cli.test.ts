/**
 * Outputs never destroy inputs or each other, and bad output paths fail before any work: every
 * writing command, run in-process through the CLI entry point. Each refusal exits 1 with a message
 * naming the option and the path, and leaves the inputs byte for byte as they were.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../support/run-cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-cli-paths-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const p = (...names: string[]) => path.join(dir, ...names);
const run = (...args: string[]) => runCli(args);

/** A small cohort: 60 rows, 5 columns. */
function cohortCsv(): string {
  const lines = ['id,age,sex,genotype,hb'];
  for (let i = 0; i < 60; i++) lines.push(`P${i},${18 + ((i * 7) % 50)},${i % 2 ? 'F' : 'M'},${['SS', 'SC', 'SB'][i % 3]},${(7 + (i % 9) * 0.5).toFixed(1)}`);
  return lines.join('\n') + '\n';
}

const POLICY = JSON.stringify({
  columns: {
    id: { role: 'direct', action: 'drop' },
    age: { role: 'quasi', hierarchy: { type: 'interval', widths: [10, 20], origin: 0 } },
    sex: { role: 'quasi', hierarchy: { type: 'table', rows: [['M', '*'], ['F', '*']] } },
    genotype: { role: 'sensitive' },
    hb: { role: 'insensitive' },
  },
  models: [{ type: 'k-anonymity', k: 2 }],
  suppressionLimit: 0.5,
});

/** Every file of the fixture, as bytes, to compare after each refused command. */
let before: Map<string, Buffer>;
const snapshot = () => new Map(fs.readdirSync(dir).filter((f) => fs.lstatSync(p(f)).isFile()).map((f) => [f, fs.readFileSync(p(f))]));

beforeAll(async () => {
  fs.writeFileSync(p('data.csv'), cohortCsv());
  fs.writeFileSync(p('policy.json'), POLICY);
  fs.mkdirSync(p('outdir'));
  fs.writeFileSync(p('plain.txt'), 'not a directory\n');
  fs.symlinkSync(p('data.csv'), p('link.csv'));
  // Controls: the commands work on these files, so a refusal below is the path check, not bad data.
  const schema = await run('schema', 'infer', p('data.csv'), '--out', p('schema.json'));
  expect(schema.code).toBe(0);
  const train = await run('train', '--data', p('data.csv'), '--schema', p('schema.json'), '--model', 'marginal', '--epsilon', 'inf', '--seed', '1', '--out', p('model.hsm'), '--json');
  expect(train.stderr).toBe('');
  expect(train.code).toBe(0);
  const sample = await run('sample', '--model', p('model.hsm'), '--rows', '60', '--seed', '2', '--out', p('syn.csv'), '--json');
  expect(sample.code).toBe(0);
  const anon = await run('anonymise', '--data', p('data.csv'), '--policy', p('policy.json'), '--out', p('outdir', 'released.csv'), '--report', p('outdir', 'report.json'), '--json');
  expect(anon.stderr).toBe('');
  expect(anon.code).toBe(0);
  fs.rmSync(p('outdir'), { recursive: true });
  fs.mkdirSync(p('outdir'));
  before = snapshot();
});

/** Runs a command that must be refused: exit 1, the message naming each of `names`, nothing changed or added. */
async function refused(args: string[], ...names: string[]): Promise<string> {
  const r = await run(...args);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^hemasynth: Expected /);
  expect(r.stderr).not.toMatch(/internal error|\.tmp/);
  for (const n of names) expect(r.stderr).toContain(n);
  expect(r.code).toBe(1);
  const after = snapshot();
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [f, bytes] of before) expect(after.get(f)!.equals(bytes)).toBe(true);
  expect(fs.readdirSync(p('outdir'))).toEqual([]);
  for (const d of ['nodir', 'nodir2', 'nodir3']) expect(fs.existsSync(p(d))).toBe(false);
  return r.stderr;
}

const same = (out: string, input: string, file: string) => `Expected a path different from ${input} for ${out}, file ${JSON.stringify(file)}`;

describe('an output on an input is refused', () => {
  test('train --out on --data, on --schema, on --data through a symbolic link', async () => {
    const base = ['train', '--model', 'marginal', '--epsilon', 'inf', '--seed', '1'];
    await refused([...base, '--data', p('data.csv'), '--out', p('data.csv')], same('--out', '--data', p('data.csv')));
    await refused([...base, '--data', p('data.csv'), '--schema', p('schema.json'), '--out', p('schema.json')], same('--out', '--schema', p('schema.json')));
    await refused([...base, '--data', p('link.csv'), '--out', p('data.csv')], same('--out', '--data', p('data.csv')), JSON.stringify(p('link.csv')));
  });

  test('train under DP: refused before anything is charged to a ledger', async () => {
    const base = ['train', '--data', p('data.csv'), '--model', 'marginal', '--epsilon', '1', '--seed', '1'];
    await refused([...base, '--out', p('data.csv')], same('--out', '--data', p('data.csv')));
    await refused([...base, '--out', p('data.csv.ledger.json')], same('--out', 'the default ledger', p('data.csv.ledger.json')));
    await refused([...base, '--ledger', p('data.csv'), '--out', p('m.hsm')], same('--ledger', '--data', p('data.csv')));
    await refused([...base, '--ledger', p('l.json'), '--out', p('l.json')], same('--out', '--ledger', p('l.json')));
    expect(fs.existsSync(p('data.csv.ledger.json'))).toBe(false);
  });

  test('schema infer X --out X', async () => {
    await refused(['schema', 'infer', p('data.csv'), '--out', p('data.csv')], same('--out', '<file>', p('data.csv')));
  });

  test('evaluate --json / --out on any input', async () => {
    const base = ['evaluate', '--real', p('data.csv'), '--holdout', p('data.csv'), '--synthetic', p('syn.csv'), '--schema', p('schema.json'), '--attacks', '10', '--no-progress'];
    await refused([...base, '--json', p('syn.csv')], same('--json', '--synthetic', p('syn.csv')));
    await refused([...base, '--out', p('data.csv')], same('--out', '--real', p('data.csv')));
    await refused([...base, '--json', p('schema.json'), '--out', p('outdir', 'r.html')], same('--json', '--schema', p('schema.json')));
    await refused([...base, '--ledger', p('policy.json'), '--json', p('policy.json'), '--out', p('outdir', 'r.html')], same('--json', '--ledger', p('policy.json')));
  });

  test('anonymise --out / --report / --html on --data or --policy', async () => {
    const base = ['anonymise', '--data', p('data.csv'), '--policy', p('policy.json')];
    await refused([...base, '--out', p('data.csv'), '--report', p('outdir', 'r.json')], same('--out', '--data', p('data.csv')));
    await refused([...base, '--out', p('outdir', 'o.csv'), '--report', p('policy.json')], same('--report', '--policy', p('policy.json')));
    await refused([...base, '--out', p('outdir', 'o.csv'), '--report', p('outdir', 'r.json'), '--html', p('data.csv')], same('--html', '--data', p('data.csv')));
  });

  test('sample --out on --model', async () => {
    await refused(['sample', '--model', p('model.hsm'), '--rows', '5', '--out', p('model.hsm')], same('--out', '--model', p('model.hsm')));
  });

  test('convert IN IN through a symbolic link', async () => {
    await refused(['convert', p('link.csv'), p('data.csv')], same('<output>', '<input>', p('data.csv')));
  });
});

describe('two outputs on one file are refused', () => {
  test('anonymise --out a --report a, evaluate --out r --json r, sample --out x --visits-out x', async () => {
    await refused(['anonymise', '--data', p('data.csv'), '--policy', p('policy.json'), '--out', p('outdir', 'a.csv'), '--report', p('outdir', 'a.csv')], same('--report', '--out', p('outdir', 'a.csv')), 'One output would overwrite the other');
    await refused(['evaluate', '--real', p('data.csv'), '--holdout', p('data.csv'), '--synthetic', p('syn.csv'), '--out', p('outdir', 'r.json'), '--json', p('outdir', 'r.json'), '--no-progress'], same('--out', '--json', p('outdir', 'r.json')));
    await refused(['sample', '--model', p('model.hsm'), '--rows', '5', '--out', p('outdir', 'x.csv'), '--visits-out', p('outdir', 'x.csv')], same('--visits-out', '--out', p('outdir', 'x.csv')));
  });
});

describe('unusable output paths are refused before any work, naming the option and the path', () => {
  const noDir = (option: string, file: string) => `Expected a path in an existing directory for ${option}, file ${JSON.stringify(file)} but received a directory ${JSON.stringify(path.dirname(file))} that does not exist. Create the directory first`;
  const underFile = (option: string, file: string) => `Expected a path in an existing directory for ${option}, file ${JSON.stringify(file)} but received a path under ${JSON.stringify(p('plain.txt'))}, which is not a directory`;
  const isDir = (option: string, file: string) => `Expected a file path to write for ${option}, file ${JSON.stringify(file)} but received an existing directory`;

  test('sample --out in a missing directory, under a file, or a directory', async () => {
    const base = ['sample', '--model', p('model.hsm'), '--rows', '5'];
    await refused([...base, '--out', p('nodir', 'x.csv')], noDir('--out', p('nodir', 'x.csv')));
    await refused([...base, '--out', p('plain.txt', 'x.csv')], underFile('--out', p('plain.txt', 'x.csv')));
    await refused([...base, '--out', p('outdir') + '/'], isDir('--out', p('outdir') + '/'));
    await refused([...base, '--out', p('outdir')], isDir('--out', p('outdir')));
    await refused([...base, '--out', p('outdir', 'x.csv'), '--visits-out', p('nodir', 'v.csv')], noDir('--visits-out', p('nodir', 'v.csv')));
  });

  test('convert, schema infer --out and train --out (no temporary file left behind)', async () => {
    await refused(['convert', p('data.csv'), p('nodir', 'o.arrow')], noDir('<output>', p('nodir', 'o.arrow')));
    await refused(['convert', p('data.csv'), p('outdir')], isDir('<output>', p('outdir')));
    await refused(['schema', 'infer', p('data.csv'), '--out', p('plain.txt', 's.json')], underFile('--out', p('plain.txt', 's.json')));
    await refused(['schema', 'infer', p('data.csv'), '--out', p('outdir')], isDir('--out', p('outdir')));
    const train = ['train', '--data', p('data.csv'), '--model', 'marginal', '--epsilon', 'inf'];
    await refused([...train, '--out', p('outdir')], isDir('--out', p('outdir')));
    await refused([...train, '--out', p('nodir', 'm.hsm')], noDir('--out', p('nodir', 'm.hsm')));
  });

  test('evaluate --json in a missing directory fails at once', async () => {
    await refused(['evaluate', '--real', p('data.csv'), '--holdout', p('data.csv'), '--synthetic', p('syn.csv'), '--out', p('outdir', 'r.html'), '--json', p('nodir2', 'r.json'), '--no-progress'], noDir('--json', p('nodir2', 'r.json')));
  });

  test('anonymise refuses a missing directory for every output (never creates one) and writes nothing', async () => {
    const base = ['anonymise', '--data', p('data.csv'), '--policy', p('policy.json')];
    await refused([...base, '--out', p('outdir', 'h.csv'), '--report', p('outdir', 'h.json'), '--html', p('nodir3', 'x.html')], noDir('--html', p('nodir3', 'x.html')));
    await refused([...base, '--out', p('nodir', 'o.csv'), '--report', p('outdir', 'r.json')], noDir('--out', p('nodir', 'o.csv')));
    await refused([...base, '--out', p('outdir', 'o.csv'), '--report', p('nodir', 'r.json')], noDir('--report', p('nodir', 'r.json')));
  });
});

describe('missing inputs are bad input (exit 1) naming the option and the path', () => {
  test('train --data, sample --model, evaluate --synthetic, anonymise --policy and --secret-file', async () => {
    const missing = (option: string, file: string) => `Expected an existing file for ${option}, file ${JSON.stringify(file)} but received a path that does not exist`;
    await refused(['train', '--data', p('absent.csv'), '--model', 'marginal', '--epsilon', 'inf', '--out', p('outdir', 'm.hsm')], missing('--data', p('absent.csv')));
    await refused(['sample', '--model', p('absent.hsm'), '--rows', '5', '--out', p('outdir', 'x.csv')], missing('--model', p('absent.hsm')));
    await refused(['evaluate', '--real', p('data.csv'), '--holdout', p('data.csv'), '--synthetic', p('absent.csv'), '--json', p('outdir', 'r.json'), '--no-progress'], missing('--synthetic', p('absent.csv')));
    await refused(['anonymise', '--data', p('data.csv'), '--policy', p('absent.json'), '--out', p('outdir', 'o.csv'), '--report', p('outdir', 'r.json')], missing('--policy', p('absent.json')));
    await refused(['anonymise', '--data', p('data.csv'), '--policy', p('policy.json'), '--secret-file', p('absent.txt'), '--out', p('outdir', 'o.csv'), '--report', p('outdir', 'r.json')], missing('--secret-file', p('absent.txt')));
  });

  test('a short --secret-file is named as the file, not as the policy\'s environment variable', async () => {
    const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-secret-'));
    const secret = path.join(secretDir, 'short-secret.txt');
    fs.writeFileSync(secret, 'abc\n');
    try {
      const msg = await refused(['anonymise', '--data', p('data.csv'), '--policy', p('policy.json'), '--secret-file', secret, '--out', p('outdir', 'o.csv'), '--report', p('outdir', 'r.json')],
        `Expected a site secret of at least 16 characters for --secret-file for file ${JSON.stringify(secret)} but received 3 characters`);
      expect(msg).not.toMatch(/environment variable/);
    } finally {
      fs.rmSync(secretDir, { recursive: true, force: true });
    }
  });
});

test('an unknown table extension is a usage error (exit 2) that offers no format option', async () => {
  const r = await run('sample', '--model', p('model.hsm'), '--rows', '5', '--out', p('outdir', 'x.xlsx'));
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('but received extension ".xlsx"; the format is chosen by the extension');
  expect(r.stderr).not.toContain('pass the format');
  expect(fs.readdirSync(p('outdir'))).toEqual([]);
});
