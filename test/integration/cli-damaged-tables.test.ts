/**
 * A simulated cohort's Arrow file damaged in its data buffers (bytes flipped where a column's
 * values lie) still parses: Arrow has no checksums. Every command that reads it must refuse it
 * with exit code 1, a message naming the file, the 1-based data row, the column and what the
 * schema expects, and must write nothing (no table, model, ledger, report or schema).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Table, tableFromIPC } from 'apache-arrow';
import { readTable } from '../../src/data';
import { writeParquetFile } from '../../src/data/parquet-file';
import { simulateCohort, writeSimulation } from '../../src/scd/simulate';
import { runCli } from '../support/run-cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-cli-damaged-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const p = (...names: string[]) => path.join(dir, ...names);
const policy = path.resolve(__dirname, '../../data/policies/scd.json');

/** Copies an Arrow file, letting `edit` rewrite bytes of `column`'s data buffer (which starts at byte `at`). */
function damage(src: string, dst: string, column: string, edit: (view: DataView, at: number, t: Table) => void): void {
  const bytes = Buffer.from(fs.readFileSync(src));
  const t = tableFromIPC(bytes);
  const d = t.getChild(column)!.data;
  expect(d).toHaveLength(1);
  const values = d[0].values as ArrayBufferView;
  // tableFromIPC reads without copying: the values lie inside `bytes`.
  expect(values.buffer).toBe(bytes.buffer);
  const at = values.byteOffset - bytes.byteOffset;
  edit(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), at, t);
  fs.writeFileSync(dst, bytes);
}

/** Files in the folder, to show that a refused command wrote nothing. */
const listing = () => fs.readdirSync(dir).sort();

let ageFile = '';
let ageMessage = '';
let hbFile = '';
let hbMessage = '';
let genotypeFile = '';
let genotypeMessage = '';
let parquetFile = '';
let parquetMessage = '';

beforeAll(async () => {
  writeSimulation(p('real'), simulateCohort({ patients: 240, sites: 2, seed: 7 }));
  writeSimulation(p('holdout'), simulateCohort({ patients: 240, sites: 2, seed: 8 }));
  fs.writeFileSync(p('site.key'), 'a-site-secret-of-enough-length-0123456789\n', { mode: 0o600 });
  const real = p('real', 'patients.arrow');
  const good = tableFromIPC(fs.readFileSync(real));
  const validRow = (column: string, from: number) => {
    for (let i = from; i < good.numRows; i++) if (good.getChild(column)!.isValid(i)) return i;
    throw new Error(`no value in ${column}`);
  };

  // age_years, row 17: the top byte of the double flipped (sign and exponent): a tiny number.
  ageFile = p('age-flipped.arrow');
  let age = 0;
  damage(real, ageFile, 'age_years', (v, at) => {
    v.setUint8(at + 16 * 8 + 7, v.getUint8(at + 16 * 8 + 7) ^ 0x40);
    age = v.getFloat64(at + 16 * 8, true);
  });
  expect(age).toBeGreaterThan(0);
  expect(age).toBeLessThan(1e-100);
  ageMessage = `Expected a value in [1, 80] for file ${JSON.stringify(ageFile)}, row 17, column "age_years" but received ${age}`;

  // hb_g_dl: a quiet NaN written over a present value.
  hbFile = p('hb-nan.arrow');
  const hbRow = validRow('hb_g_dl', 40);
  damage(real, hbFile, 'hb_g_dl', (v, at) => v.setFloat64(at + hbRow * 8, NaN, true));
  hbMessage = `Expected a finite number in [3, 17] for file ${JSON.stringify(hbFile)}, row ${hbRow + 1}, column "hb_g_dl" but received NaN`;

  // genotype (Utf8): one byte of a row's text flipped to lower case.
  genotypeFile = p('genotype-flipped.arrow');
  const gRow = 5;
  let received = '';
  damage(real, genotypeFile, 'genotype', (v, at, t) => {
    const offsets = t.getChild('genotype')!.data[0].valueOffsets as Int32Array;
    v.setUint8(at + offsets[gRow], v.getUint8(at + offsets[gRow]) ^ 0x20);
    received = String(good.getChild('genotype')!.get(gRow)).replace(/^./, (c) => String.fromCharCode(c.charCodeAt(0) ^ 0x20));
  });
  const schema = JSON.parse(fs.readFileSync(p('real', 'schema.json'), 'utf8'));
  const cats = schema.columns.find((c: { name: string }) => c.name === 'genotype').categories as string[];
  expect(cats).not.toContain(received);
  genotypeMessage = `Expected one of the categories ${cats.map((c) => JSON.stringify(c)).join(', ')} for file ${JSON.stringify(genotypeFile)}, row ${gRow + 1}, column "genotype" but received ${JSON.stringify(received)}`;

  // The same damaged ages in a Parquet file (written from the decoded, unchecked table).
  parquetFile = p('age-flipped.parquet');
  await writeParquetFile(parquetFile, tableFromIPC(fs.readFileSync(ageFile)));
  parquetMessage = ageMessage.replace(JSON.stringify(ageFile), JSON.stringify(parquetFile));
}, 120000);

async function refused(args: string[], message: string): Promise<void> {
  const before = listing();
  const r = await runCli(args);
  expect(r.stderr).toBe(`hemasynth: ${message}\n`);
  expect(r.code).toBe(1);
  expect(listing()).toEqual(before);
}

describe('a damaged Arrow file is refused by every command that reads it, which writes nothing', () => {
  test('the library reader names file, row, column and the bounds', async () => {
    await expect(readTable(ageFile)).rejects.toThrow(ageMessage);
    await expect(readTable(hbFile)).rejects.toThrow(hbMessage);
    await expect(readTable(genotypeFile)).rejects.toThrow(genotypeMessage);
    await expect(readTable(parquetFile)).rejects.toThrow(parquetMessage);
  });

  test('convert (streamed; with --schema; to every format)', async () => {
    for (const out of ['out.csv', 'out.arrow', 'out.parquet']) await refused(['convert', ageFile, p(out), '--no-progress'], ageMessage);
    await refused(['convert', ageFile, p('out.parquet'), '--schema', p('real', 'schema.json'), '--no-progress'], ageMessage);
    await refused(['convert', hbFile, p('out.csv'), '--no-progress'], hbMessage);
    await refused(['convert', genotypeFile, p('out.arrow'), '--no-progress'], genotypeMessage);
    await refused(['convert', parquetFile, p('out.arrow'), '--no-progress'], parquetMessage);
  });

  test('schema validate and schema infer', async () => {
    await refused(['schema', 'validate', ageFile, '--schema', p('real', 'schema.json')], ageMessage);
    await refused(['schema', 'validate', genotypeFile, '--schema', p('real', 'schema.json')], genotypeMessage);
    await refused(['schema', 'infer', hbFile, '--out', p('inferred.json')], hbMessage);
  });

  test('train: no model and no privacy ledger', async () => {
    await refused(['train', '--data', ageFile, '--model', 'marginal', '--epsilon', '1', '--out', p('m.hsm'), '--json'], ageMessage);
    await refused(['train', '--data', hbFile, '--model', 'marginal', '--epsilon', 'inf', '--out', p('m.hsm'), '--json'], hbMessage);
    await refused(['train', '--data', parquetFile, '--model', 'marginal', '--epsilon', 'inf', '--out', p('m.hsm'), '--json'], parquetMessage);
  });

  test('evaluate: a damaged real or synthetic table, no report', async () => {
    const ev = (real: string, synthetic: string) => ['evaluate', '--real', real, '--holdout', p('holdout', 'patients.arrow'), '--synthetic', synthetic, '--json', p('r.json'), '--out', p('r.html'), '--attacks', '20', '--no-progress'];
    await refused(ev(ageFile, p('holdout', 'patients.arrow')), ageMessage);
    await refused(ev(p('real', 'patients.arrow'), genotypeFile), genotypeMessage);
  });

  test('anonymise: no released table, no report', async () => {
    await refused(['anonymise', '--data', ageFile, '--policy', policy, '--secret-file', p('site.key'), '--out', p('released.arrow'), '--report', p('report.json')], ageMessage);
  });

  test('the undamaged files pass through the same commands', async () => {
    const r = await runCli(['schema', 'validate', p('real', 'patients.arrow'), '--schema', p('real', 'schema.json'), '--json']);
    expect(r.code).toBe(0);
    for (const [src, out] of [[p('real', 'patients.arrow'), p('good.parquet')], [p('good.parquet'), p('good.arrow')], [p('real', 'site-IT1.arrow'), p('site.csv')]]) {
      const c = await runCli(['convert', src, out, '--no-progress']);
      expect(c.stderr).toBe('');
      expect(c.code).toBe(0);
    }
    expect((await readTable(p('good.arrow'))).numRows).toBe(240);
  });
});

describe('convert names the option a bad value came from', () => {
  test('--output-delimiter (not --delimiter), and nothing is written', async () => {
    fs.writeFileSync(p('small.csv'), 'a,b\n1,2\n');
    const before = listing();
    const r = await runCli(['convert', p('small.csv'), p('small-out.csv'), '--output-delimiter', '"']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('hemasynth: Expected one character other than a quote or a line break (or "tab") for --output-delimiter but received "\\""\n');
    expect(listing()).toEqual(before);
    const d = await runCli(['convert', p('small.csv'), p('small-out.csv'), '--delimiter', ';;']);
    expect(d.code).toBe(2);
    expect(d.stderr).toBe('hemasynth: Expected one character other than a quote or a line break (or "tab") for --delimiter but received ";;"\n');
    const ok = await runCli(['convert', p('small.csv'), p('small-out.csv'), '--output-delimiter', 'tab']);
    expect(ok.code).toBe(0);
    expect(fs.readFileSync(p('small-out.csv'), 'utf8')).toBe('a\tb\n1\t2\n');
  });
});
