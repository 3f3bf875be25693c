/**
 * The data commands run in-process through the CLI entry point (`main`), with stdout and stderr
 * captured: exit codes 0 (success), 1 (bad input, message on stderr) and 2 (usage error).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../support/run-cli';
import { readTable } from '../../src/data';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-cli-data-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content?: string | Buffer) => {
  const p = path.join(dir, name);
  if (content !== undefined) fs.writeFileSync(p, content);
  return p;
};

const run = (...args: string[]) => runCli(args);

const CSV = 'id,age,genotype,hb\nP1,34,SS,7.9\nP2,8,SC,10.1\nP3,,SS,NA\nP4,61,SC,11.2\n';

describe('hemasynth convert', () => {
  test('CSV -> Arrow -> Parquet -> CSV exits 0 and keeps the values', async () => {
    const csv = file('in.csv', CSV);
    const r1 = await run('convert', csv, file('a.arrow'), '--json');
    expect(r1.code).toBe(0);
    const j = JSON.parse(r1.stdout);
    expect(j).toMatchObject({ rows: 4, columns: 4 });
    expect(j.schema.columns.map((c: { kind: string }) => c.kind)).toEqual(['identifier', 'integer', 'categorical', 'continuous']);
    expect((await run('convert', file('a.arrow'), file('b.parquet'))).code).toBe(0);
    const r3 = await run('convert', file('b.parquet'), file('c.csv'));
    expect(r3.code).toBe(0);
    expect(r3.stdout).toMatch(/converted .*b\.parquet -> .*c\.csv: 4 rows x 4 columns/);
    expect(fs.readFileSync(file('c.csv'), 'utf8')).toBe('id,age,genotype,hb\nP1,34,SS,7.9\nP2,8,SC,10.1\nP3,,SS,\nP4,61,SC,11.2\n');
  });

  test('--schema, --delimiter and --missing', async () => {
    const csv = file('semi.csv', 'id;age\nP1;-1\nP2;40\n');
    const schema = file('s.json', JSON.stringify({ version: 1, columns: [{ name: 'id', kind: 'identifier' }, { name: 'age', kind: 'integer', min: 0, max: 120 }] }));
    const r = await run('convert', csv, file('semi.arrow'), '--schema', schema, '--delimiter', ';', '--missing', '-1');
    expect(r.code).toBe(0);
    const t = await readTable(file('semi.arrow'));
    expect([...t.getChild('age')!]).toEqual([null, 40]);
    expect(String(t.getChild('age')!.type)).toBe('Int32');
  });

  test('a ";" file converts without --delimiter (guessed from the header, as `train --data` reads it)', async () => {
    const r = await run('convert', file('semi-guess.csv', 'id;age;genotype\nP1;34;SS\nP2;8;SC\n'), file('semi-guess.arrow'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 2, columns: 3 });
    expect([...(await readTable(file('semi-guess.arrow'))).getChild('genotype')!]).toEqual(['SS', 'SC']);
  });

  test('bad input exits 1 with the message on stderr and no output file', async () => {
    const csv = file('ragged.csv', 'a,b\n1,2\n3\n');
    const out = file('ragged.arrow');
    const r = await run('convert', csv, out);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`hemasynth: Expected 2 fields (as in the header) for file ${JSON.stringify(csv)}, row 2 but received 1 field\n`);
    expect(fs.existsSync(out)).toBe(false);
    const png = file('img.parquet', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const r2 = await run('convert', png, file('img.csv'));
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('Expected a Parquet file (starting with "PAR1")');
    expect(r2.stderr).toContain('but received a PNG image');
    const r3 = await run('convert', file('absent.csv'), file('x.arrow'));
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain('but received a path that does not exist');
    const badSchema = file('bad.json', JSON.stringify({ version: 1, columns: [{ name: 'a', kind: 'number' }] }));
    const r4 = await run('convert', csv, out, '--schema', badSchema);
    expect(r4.code).toBe(1);
    expect(r4.stderr).toContain('field "columns[0].kind" but received string "number"');
  });

  test('usage errors exit 2', async () => {
    expect((await run('convert', file('in.csv'))).code).toBe(2);
    const r = await run('convert', file('in.csv'), file('out.xlsx'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('but received extension ".xlsx"');
    expect((await run('convert', file('in.csv'), file('o.arrow'), '--delimiter', ';;')).code).toBe(2);
  });

  test('--help exits 0', async () => {
    const r = await run('convert', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--schema <file>');
  });
});

describe('hemasynth schema', () => {
  test('infer prints the schema, or writes it with --out', async () => {
    const csv = file('inf.csv', CSV);
    const r = await run('schema', 'infer', csv);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.version).toBe(1);
    expect(s.columns[1]).toEqual({ name: 'age', kind: 'integer', role: 'feature', min: 8, max: 61, inferred: true });
    const out = file('inf.json');
    expect((await run('schema', 'infer', csv, '--out', out)).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(s);
  });

  test('validate: valid data exits 0, out-of-bounds data exits 1, a schema file alone is checked', async () => {
    const csv = file('v.csv', CSV);
    const schema = file('v.json', JSON.stringify({ version: 1, columns: [{ name: 'id', kind: 'identifier' }, { name: 'age', kind: 'integer', min: 18 }, { name: 'genotype', kind: 'categorical', categories: ['SS', 'SC'] }, { name: 'hb', kind: 'continuous' }] }));
    const bad = await run('schema', 'validate', csv, '--schema', schema);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`hemasynth: Expected an integer in [18, 2147483647] for file ${JSON.stringify(csv)}, row 2, column "age" but received "8"\n`);
    const good = file('good.json', JSON.stringify({ version: 1, columns: [{ name: 'id', kind: 'identifier' }, { name: 'age', kind: 'integer', min: 0 }, { name: 'genotype', kind: 'categorical', categories: ['SS', 'SC'] }, { name: 'hb', kind: 'continuous' }] }));
    const ok = await run('schema', 'validate', csv, '--schema', good, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, rows: 4, columns: 4 });
    expect((await run('schema', 'validate', good)).code).toBe(0);
    expect((await run('schema', 'validate', file('bad-kind.json', '{"version":1,"columns":[{"name":"a","kind":"x"}]}'))).code).toBe(1);
    expect((await run('schema', 'validate', csv)).code).toBe(2);
  });

  test('infer on binary garbage exits 1', async () => {
    const r = await run('schema', 'infer', file('g.csv', Buffer.from([1, 2, 0, 3])));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('but received binary data (a NUL byte at byte offset 2)');
  });
});
