import { Table, Type } from 'apache-arrow';
import { readTable, writeTable, convertFile, tableFingerprint, inferSchemaFromTable, type TableSchema } from '../../../src/data';
import { makeTempDir } from './tmp-files';

const tmp = makeTempDir('roundtrip');
afterAll(() => tmp.remove());

const schema: TableSchema = {
  version: 1,
  name: 'every kind',
  columns: [
    { name: 'hb', kind: 'continuous', role: 'feature', unit: 'g/dL', min: -1e301, max: 1e301 },
    { name: 'age', kind: 'integer', role: 'quasi-identifier', min: 0, max: 120 },
    { name: 'big', kind: 'integer', role: 'feature' },
    { name: 'hu', kind: 'boolean', role: 'feature' },
    { name: 'genotype', kind: 'categorical', role: 'sensitive', categories: ['SS', 'SC', 'Sβ0', 'Sβ+', 'other'] },
    { name: 'severity', kind: 'ordinal', role: 'target', categories: ['mild', 'moderate', 'severe'] },
    { name: 'visit', kind: 'datetime', role: 'direct-identifier', format: 'date' },
    { name: 'sampled', kind: 'datetime', role: 'feature', format: 'date-time' },
    { name: 'mrn', kind: 'identifier', role: 'direct-identifier' },
    { name: 'note', kind: 'text', role: 'feature' },
  ],
};

// Values chosen to break careless code: nulls everywhere, -0, shortest-repr doubles, integers
// beyond 2^53, emoji and accents, a quote, a comma and a newline inside text, dates before 1970.
const CSV = [
  'hb,age,big,hu,genotype,severity,visit,sampled,mrn,note',
  '9.7,34,9007199254740993,true,SS,severe,2021-03-04,2021-03-04T05:06:07.123Z,H-001,"Crise vaso-occlusive, hospitalisée"',
  '0.1,0,-9223372036854775808,false,Sβ0,mild,1969-12-31,1969-12-31T23:59:59.999Z,H-002,"émoji 😀 and ""quotes"""',
  ',,,,,,,,,',
  '-0.000123456789,120,9223372036854775807,false,Sβ+,moderate,2000-02-29,2000-02-29T12:00:00.000Z,H-004,"line one\nline two"',
  '1e+300,5,42,true,other,mild,1900-01-01,2038-01-19T03:14:08.000Z,H-005,ü',
].join('\n') + '\n';

function columnValues(t: Table, name: string): unknown[] {
  return [...t.getChild(name)!].map((v) => (v instanceof Date ? v.getTime() : v));
}

function expectSameValues(a: Table, b: Table): void {
  expect(b.numRows).toBe(a.numRows);
  expect(b.schema.fields.map((f) => f.name)).toEqual(a.schema.fields.map((f) => f.name));
  for (const f of a.schema.fields) {
    expect(String(b.getChild(f.name)!.type)).toBe(String(f.type));
    expect(columnValues(b, f.name)).toEqual(columnValues(a, f.name));
  }
}

describe('round trips CSV <-> Arrow <-> Parquet for every kind', () => {
  let fromCsv: Table;
  beforeAll(async () => {
    fromCsv = await readTable(tmp.file('all.csv', CSV), { schema });
  });

  test('CSV is read with the documented Arrow types and exact values', () => {
    const types = Object.fromEntries(fromCsv.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({
      hb: 'Float64',
      age: 'Int32',
      big: 'Int64',
      hu: 'Bool',
      genotype: 'Dictionary<Int32, Utf8>',
      severity: 'Dictionary<Int32, Utf8>',
      visit: 'Date32<DAY>',
      sampled: 'Timestamp<MILLISECOND, UTC>',
      mrn: 'Utf8',
      note: 'Utf8',
    });
    expect((fromCsv.getChild('severity')!.type as { isOrdered: boolean }).isOrdered).toBe(true);
    expect((fromCsv.getChild('genotype')!.type as { isOrdered: boolean }).isOrdered).toBe(false);
    expect(columnValues(fromCsv, 'hb')).toEqual([9.7, 0.1, null, -0.000123456789, 1e300]);
    expect(columnValues(fromCsv, 'big')).toEqual([9007199254740993n, -(2n ** 63n), null, 2n ** 63n - 1n, 42n]);
    expect(columnValues(fromCsv, 'hu')).toEqual([true, false, null, false, true]);
    expect(columnValues(fromCsv, 'genotype')).toEqual(['SS', 'Sβ0', null, 'Sβ+', 'other']);
    expect(columnValues(fromCsv, 'visit')).toEqual([Date.UTC(2021, 2, 4), Date.UTC(1969, 11, 31), null, Date.UTC(2000, 1, 29), Date.UTC(1900, 0, 1)]);
    expect(columnValues(fromCsv, 'sampled')).toEqual([Date.UTC(2021, 2, 4, 5, 6, 7, 123), -1, null, Date.UTC(2000, 1, 29, 12), Date.UTC(2038, 0, 19, 3, 14, 8)]);
    expect(columnValues(fromCsv, 'note')).toEqual(['Crise vaso-occlusive, hospitalisée', 'émoji 😀 and "quotes"', null, 'line one\nline two', 'ü']);
    expect(fromCsv.getChild('age')!.nullCount).toBe(1);
    // The declared schema travels in the metadata.
    expect(inferSchemaFromTable(fromCsv)).toEqual(schema);
  });

  test.each(['arrow', 'parquet', 'csv', 'tsv'])('table -> %s -> table keeps every value and type', async (ext) => {
    const file = tmp.file(`out.${ext}`);
    await writeTable(file, fromCsv);
    const back = await readTable(file, ext === 'csv' || ext === 'tsv' ? { schema } : {});
    expectSameValues(fromCsv, back);
    expect(inferSchemaFromTable(back)).toEqual(schema);
  });

  test('Arrow and Parquet round trips are byte-identical in Arrow terms (same fingerprint)', async () => {
    const a = tmp.file('fp.arrow');
    await writeTable(a, fromCsv);
    expect(tableFingerprint(await readTable(a))).toBe(tableFingerprint(fromCsv));
    const p = tmp.file('fp.parquet');
    await writeTable(p, fromCsv);
    expectSameValues(fromCsv, await readTable(p));
  });

  test('convertFile chains CSV -> Arrow -> Parquet -> CSV and returns to the same table', async () => {
    const c1 = tmp.file('c1.csv', CSV);
    const r1 = await convertFile(c1, tmp.file('c2.arrow'), { schema });
    expect(r1).toEqual({ rows: 5, columns: 10, schema });
    const r2 = await convertFile(tmp.file('c2.arrow'), tmp.file('c3.parquet'));
    expect(r2.rows).toBe(5);
    expect(r2.schema).toEqual(schema);
    await convertFile(tmp.file('c3.parquet'), tmp.file('c4.csv'));
    const back = await readTable(tmp.file('c4.csv'), { schema });
    expectSameValues(fromCsv, back);
  });

  test('without a schema, inference gives the same kinds and Int64 for integers beyond int32', async () => {
    const t = await readTable(tmp.file('inf.csv', CSV));
    const kinds = inferSchemaFromTable(t).columns.map((c) => [c.name, c.kind]);
    expect(Object.fromEntries(kinds)).toMatchObject({ hb: 'continuous', age: 'integer', big: 'integer', hu: 'boolean', visit: 'datetime', sampled: 'datetime', mrn: 'identifier', note: 'text' });
    expect(t.getChild('big')!.type.typeId).toBe(Type.Int);
    expect(String(t.getChild('big')!.type)).toBe('Int64');
    expect(String(t.getChild('age')!.type)).toBe('Int32');
    expect(columnValues(t, 'big')).toEqual(columnValues(fromCsv, 'big'));
  });
});

describe('edge shapes', () => {
  test('a header-only CSV converts to empty Arrow, Parquet and CSV files with the declared types', async () => {
    const s: TableSchema = { version: 1, columns: [{ name: 'x', kind: 'integer', role: 'feature', min: 0, max: 9 }, { name: 'g', kind: 'ordinal', role: 'feature', categories: ['lo', 'hi'] }] };
    const csv = tmp.file('empty-rows.csv', 'x,g\n');
    for (const ext of ['arrow', 'parquet', 'csv']) {
      const out = tmp.file(`empty-rows-out.${ext}`);
      const r = await convertFile(csv, out, { schema: s });
      expect(r.rows).toBe(0);
      const back = await readTable(out, ext === 'csv' ? { schema: s } : {});
      expect(back.numRows).toBe(0);
      expect(back.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['x:Int32', 'g:Dictionary<Int32, Utf8>']);
    }
  });

  test('the Arrow IPC stream format is read too', async () => {
    const { tableToIPC } = await import('apache-arrow');
    const t = await readTable(tmp.file('s.csv', 'a,b\n1,x\n2,y\n'));
    const f = tmp.file('stream.ipc', Buffer.from(tableToIPC(t, 'stream')));
    const back = await readTable(f);
    expect([...back.getChild('a')!]).toEqual([1, 2]);
    const out = tmp.file('stream-out.csv');
    await convertFile(f, out);
    expect(require('node:fs').readFileSync(out, 'utf8')).toBe('a,b\n1,x\n2,y\n');
  });
});
