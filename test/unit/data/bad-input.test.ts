import * as fs from 'node:fs';
import { readTable, convertFile, inferSchema, validateTable, loadSchema, type TableSchema } from '../../../src/data';
import { InputError, UsageError } from '../../../src/errors';
import { makeTempDir } from './tmp-files';

const tmp = makeTempDir('badinput');
afterAll(() => tmp.remove());

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, got none');
}

const intSchema = (extra: object = {}): TableSchema => ({
  version: 1,
  columns: [
    { name: 'id', kind: 'identifier', role: 'direct-identifier' },
    { name: 'age', kind: 'integer', role: 'feature', min: 1, max: 110, ...extra },
  ],
});

describe('bad input gives an InputError naming file, row, column, expected and found', () => {
  test('ragged row: row number, expected N fields, found M', async () => {
    const f = tmp.file('ragged.csv', 'a,b,c\n1,2,3\n4,5\n6,7,8\n');
    const e = await errorOf(readTable(f));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(`Expected 3 fields (as in the header) for file ${JSON.stringify(f)}, row 2 but received 2 fields`);
  });

  test('row too long is ragged too', async () => {
    const e = await errorOf(readTable(tmp.file('long.csv', 'a,b\n1,2\n3,4\n5,6,7\n')));
    expect(e.message).toMatch(/Expected 2 fields \(as in the header\) for file ".*long.csv", row 3 but received 3 fields/);
  });

  test('unparseable number under a schema: row, column, value', async () => {
    const f = tmp.file('nan.csv', 'id,age\nA,34\nB,thirty\n');
    const e = await errorOf(readTable(f, { schema: intSchema() }));
    expect(e.message).toBe(`Expected an integer for file ${JSON.stringify(f)}, row 2, column "age" but received "thirty"`);
    const g = tmp.file('dec.csv', 'x\n1.5\n0x10\n');
    const e2 = await errorOf(readTable(g, { schema: { version: 1, columns: [{ name: 'x', kind: 'continuous', role: 'feature' }] } }));
    expect(e2.message).toBe(`Expected a number for file ${JSON.stringify(g)}, row 2, column "x" but received "0x10"`);
  });

  test('unparseable date under a schema, and an impossible date', async () => {
    const schema: TableSchema = { version: 1, columns: [{ name: 'dob', kind: 'datetime', role: 'direct-identifier', format: 'date' }] };
    const f = tmp.file('date.csv', 'dob\n2001-02-03\n03/02/2001\n');
    expect((await errorOf(readTable(f, { schema }))).message).toBe(`Expected an ISO 8601 date (YYYY-MM-DD) for file ${JSON.stringify(f)}, row 2, column "dob" but received "03/02/2001"`);
    const g = tmp.file('date2.csv', 'dob\n2023-02-29\n');
    expect((await errorOf(readTable(g, { schema }))).message).toContain('row 1, column "dob" but received "2023-02-29"');
  });

  test('value outside declared bounds', async () => {
    const f = tmp.file('bounds.csv', 'id,age\nA,34\nB,140\n');
    expect((await errorOf(readTable(f, { schema: intSchema() }))).message).toBe(`Expected an integer in [1, 110] for file ${JSON.stringify(f)}, row 2, column "age" but received "140"`);
  });

  test('value outside declared categories', async () => {
    const schema: TableSchema = { version: 1, columns: [{ name: 'g', kind: 'categorical', role: 'feature', categories: ['SS', 'SC'] }] };
    const f = tmp.file('cats.csv', 'g\nSS\nSC\nAA\n');
    expect((await errorOf(readTable(f, { schema }))).message).toBe(`Expected one of the categories "SS", "SC" for file ${JSON.stringify(f)}, row 3, column "g" but received "AA"`);
  });

  test('null in a non-nullable column', async () => {
    const f = tmp.file('nonnull.csv', 'id,age\nA,34\nB,NA\n');
    expect((await errorOf(readTable(f, { schema: intSchema({ nullable: false }) }))).message).toBe(
      `Expected a value (the column is not nullable) for file ${JSON.stringify(f)}, row 2, column "age" but received a missing value "NA"`,
    );
  });

  test('integer beyond Int32 in a column chosen as Int32 from declared bounds is refused, not wrapped', async () => {
    const f = tmp.file('wrap.csv', 'x\n2147483648\n');
    const schema: TableSchema = { version: 1, columns: [{ name: 'x', kind: 'integer', role: 'feature', min: 0 , max: 10 }] };
    expect((await errorOf(readTable(f, { schema }))).message).toContain('Expected an integer in [0, 10]');
  });

  test('unknown column, missing column, duplicate header names', async () => {
    const f = tmp.file('unknown.csv', 'id,age,weight\nA,3,4\n');
    expect((await errorOf(readTable(f, { schema: intSchema() }))).message).toBe(
      `Expected a column declared in the schema ("id", "age") for file ${JSON.stringify(f)}, row 0, column "weight" but received a column the schema does not declare`,
    );
    const g = tmp.file('missing.csv', 'id\nA\n');
    expect((await errorOf(readTable(g, { schema: intSchema() }))).message).toBe(`Expected the column declared in the schema in the CSV header for file ${JSON.stringify(g)}, column "age" but received a header without it`);
    const h = tmp.file('dup.csv', 'id,age,id\n1,2,3\n');
    expect((await errorOf(readTable(h))).message).toBe(`Expected unique column names in the header for file ${JSON.stringify(h)}, row 0, column "id" but received a duplicate name (fields 1 and 3)`);
  });

  test('empty file, whitespace-only file, BOM-only file', async () => {
    for (const [name, content] of [['empty.csv', ''], ['ws.csv', '\n\n'], ['bom.csv', Buffer.from([0xef, 0xbb, 0xbf])]] as const) {
      const f = tmp.file(name, content);
      const e = await errorOf(readTable(f));
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toBe(`Expected a CSV header row with column names for file ${JSON.stringify(f)} but received an empty file`);
    }
  });

  test('binary garbage: NUL bytes and invalid UTF-8', async () => {
    const f = tmp.file('nul.csv', Buffer.concat([Buffer.from('a,b\n1,2\n'), Buffer.from([0x00, 0x01]), Buffer.from('\n')]));
    expect((await errorOf(readTable(f))).message).toBe(`Expected a UTF-8 text file (CSV) for file ${JSON.stringify(f)} but received binary data (a NUL byte at byte offset 8)`);
    const g = tmp.file('latin1.csv', Buffer.concat([Buffer.from('name\nJos'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect((await errorOf(readTable(g))).message).toMatch(/^Expected UTF-8 encoded text for file ".*latin1.csv" but received invalid UTF-8 bytes near byte offset \d+\. Re-save the file as UTF-8$/);
    const h = tmp.file('garbage.csv', Buffer.from([0x00, 0xff, 0xfe, 0x00, 0x12]));
    expect((await errorOf(readTable(h))).message).toBe(`Expected a UTF-8 text file (CSV) for file ${JSON.stringify(h)} but received binary data (a NUL byte at byte offset 0)`);
  });

  test('wrong file type: CSV named .arrow, PNG named .parquet, Parquet named .csv, truncated Parquet', async () => {
    const a = tmp.file('text.arrow', 'id,age\n1,2\n');
    expect((await errorOf(readTable(a))).message).toBe(`Expected an Arrow IPC file (starting with "ARROW1") or an Arrow IPC stream for file ${JSON.stringify(a)} but received text starting with "id,age"`);
    const p = tmp.file('image.parquet', PNG);
    expect((await errorOf(readTable(p))).message).toBe(`Expected a Parquet file (starting with "PAR1") for file ${JSON.stringify(p)} but received a PNG image`);
    const good = tmp.file('good.parquet');
    await convertFile(tmp.file('small.csv', 'a\n1\n2\n'), good);
    const c = tmp.file('parquet.csv', fs.readFileSync(good));
    expect((await errorOf(readTable(c))).message).toBe(`Expected a UTF-8 text file (CSV) for file ${JSON.stringify(c)} but received a Parquet file`);
    const t = tmp.file('trunc.parquet', fs.readFileSync(good).subarray(0, 40));
    expect((await errorOf(readTable(t))).message).toBe(`Expected a complete Parquet file (ending with "PAR1") for file ${JSON.stringify(t)} but received a truncated or corrupted file`);
    const arrowGood = tmp.file('good.arrow');
    await convertFile(tmp.file('small2.csv', 'a\n1\n2\n'), arrowGood);
    const ta = tmp.file('trunc.arrow', fs.readFileSync(arrowGood).subarray(0, 100));
    const e = await errorOf(readTable(ta));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toMatch(/^Expected a readable Arrow IPC file for file ".*trunc.arrow" but received a damaged or truncated file/);
  });

  test('missing file and directory', async () => {
    const f = tmp.file('nope.csv');
    expect((await errorOf(readTable(f))).message).toBe(`Expected an existing file for file ${JSON.stringify(f)} but received a path that does not exist`);
    expect((await errorOf(inferSchema(tmp.dir + '/x.arrow'))).message).toContain('but received a path that does not exist');
    fs.mkdirSync(tmp.file('dir.csv'));
    expect((await errorOf(readTable(tmp.file('dir.csv')))).message).toContain('Expected a regular file');
  });

  test('unknown extension is a usage error', async () => {
    const e = await errorOf(readTable(tmp.file('data.xlsx', 'x')));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toContain('but received extension ".xlsx"');
  });

  test('unclosed quote is reported with the row', async () => {
    const f = tmp.file('quote.csv', 'a,b\n1,2\n3,"oops\n4,5\n');
    const e = await errorOf(readTable(f));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toMatch(/^Expected well-formed CSV .* for file ".*quote.csv", row 2 but received CSV_QUOTE_NOT_CLOSED/);
  });

  test('a failed conversion leaves no output file behind', async () => {
    for (const ext of ['arrow', 'parquet', 'csv']) {
      const out = tmp.file(`never.${ext}`);
      const e = await errorOf(convertFile(tmp.file('bad.csv', 'id,age\nA,1\nB,200\n'), out, { schema: intSchema() }));
      expect(e.message).toContain('row 2, column "age"');
      expect(fs.existsSync(out)).toBe(false);
      expect(fs.readdirSync(tmp.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    }
  });

  test('validateTable: bounds, categories, nullability, types, columns', async () => {
    const t = await readTable(tmp.file('v.csv', 'id,age\nA,34\nB,99\n'));
    validateTable(t, intSchema());
    expect(() => validateTable(t, intSchema({ max: 50 }), 'v.arrow')).toThrow('Expected a value in [1, 50] for file "v.arrow", row 2, column "age" but received 99');
    expect(() => validateTable(t, { version: 1, columns: [{ name: 'id', kind: 'identifier', role: 'feature' }, { name: 'age', kind: 'boolean', role: 'feature' }] })).toThrow(
      'Expected the Arrow Bool type for kind "boolean" for column "age" but received Arrow type Int32',
    );
    expect(() => validateTable(t, { version: 1, columns: [{ name: 'id', kind: 'identifier', role: 'feature' }] })).toThrow('column "age" but received a column the schema does not declare');
    const g = await readTable(tmp.file('g.csv', 'g\nSS\nSS\nSC\nSC\n'));
    expect(() => validateTable(g, { version: 1, columns: [{ name: 'g', kind: 'categorical', role: 'feature', categories: ['SS'] }] })).toThrow('row 3, column "g" but received "SC"');
    const n = await readTable(tmp.file('n.csv', 'x,y\n1,\n2,3\n'));
    expect(() => validateTable(n, { version: 1, columns: [{ name: 'x', kind: 'integer', role: 'feature' }, { name: 'y', kind: 'integer', role: 'feature', nullable: false }] })).toThrow(
      'Expected a value (the column is not nullable) for row 1, column "y" but received null',
    );
  });

  test('Arrow input is checked against a declared schema on read and on convert', async () => {
    const a = tmp.file('ages.arrow');
    await convertFile(tmp.file('ages.csv', 'id,age\nA,34\nB,150\n'), a);
    const e = await errorOf(readTable(a, { schema: intSchema() }));
    expect(e.message).toBe(`Expected a value in [1, 110] for file ${JSON.stringify(a)}, row 2, column "age" but received 150`);
    const e2 = await errorOf(convertFile(a, tmp.file('ages-out.csv'), { schema: intSchema() }));
    expect(e2.message).toBe(e.message);
  });

  test('loadSchema: not JSON', () => {
    const f = tmp.file('s.json', '{ "version": 1, ');
    expect(() => loadSchema(f)).toThrow(/^Expected a schema in JSON for file ".*s.json" but received text that is not valid JSON/);
  });
});
