// Arrow IPC has no checksums (Parquet's are optional): a damaged file can still parse, with
// nonsense in its data buffers. Every Arrow and Parquet read checks the decoded values against the
// schema in use (declared, else carried in the file's metadata): non-finite numbers, numbers out
// of bounds, non-integers in integer columns, unknown categories, dictionary indices past the
// dictionary. The error names the file, the 1-based data row, the column and what was expected.
import * as fs from 'node:fs';
import {
  DateDay, Dictionary, Float64, Int32, makeData, makeVector, RecordBatch, Table, TimestampMillisecond, Utf8, vectorFromArray,
} from 'apache-arrow';
import {
  arrowRecordBatches, convertFile, readArrowFile, readParquetFile, readTable, validateTable, writeArrowFile, writeParquetFile, writeTable, type TableSchema,
} from '../../../src/data';
import { withEmbeddedSchema } from '../../../src/data/table-io';
import { InputError } from '../../../src/errors';
import { makeTempDir } from './tmp-files';

const tmp = makeTempDir('damaged-arrow');
afterAll(() => tmp.remove());

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, got none');
}

const schema: TableSchema = {
  version: 1,
  columns: [
    { name: 'id', kind: 'identifier', role: 'direct-identifier' },
    { name: 'age', kind: 'continuous', role: 'quasi-identifier', min: 0, max: 120 },
    { name: 'genotype', kind: 'categorical', role: 'feature', categories: ['SS', 'SC'] },
    { name: 'hb', kind: 'continuous', role: 'feature' },
    { name: 'crises', kind: 'integer', role: 'feature', min: 0, max: 50 },
  ],
};

interface Columns { age: (number | null)[]; genotype: (string | null)[]; hb: (number | null)[]; crises: (number | null)[] }
const good = (): Columns => ({
  age: [34, 8, null, 61, 17],
  genotype: ['SS', 'SC', 'SS', null, 'SC'],
  hb: [7.9, 10.1, null, 11.2, 8.4],
  crises: [0, 3, 1, null, 12],
});

/** The cohort as a table carrying `schema`; `crisesAsFloat` holds the integer column as Float64. */
function cohort(c: Columns, crisesAsFloat = false): Table {
  const t = new Table({
    id: vectorFromArray(['P1', 'P2', 'P3', 'P4', 'P5'], new Utf8()),
    age: vectorFromArray(c.age, new Float64()),
    genotype: vectorFromArray(c.genotype, new Utf8()),
    hb: vectorFromArray(c.hb, new Float64()),
    crises: vectorFromArray(c.crises, crisesAsFloat ? new Float64() : new Int32()),
  } as never);
  return withEmbeddedSchema(t, schema);
}

const bad: [string, Partial<Columns>, boolean, (f: string) => string][] = [
  ['a number above the maximum', { age: [34, 8, null, 150, 17] }, false, (f) => `Expected a value in [0, 120] for file ${JSON.stringify(f)}, row 4, column "age" but received 150`],
  ['a tiny number below the minimum (flipped exponent bits)', { age: [34, 3e-181 * -1, null, 61, 17] }, false, (f) => `Expected a value in [0, 120] for file ${JSON.stringify(f)}, row 2, column "age" but received -3e-181`],
  ['NaN in a bounded column', { age: [34, NaN, null, 61, 17] }, false, (f) => `Expected a finite number in [0, 120] for file ${JSON.stringify(f)}, row 2, column "age" but received NaN`],
  ['Infinity in an unbounded column', { hb: [7.9, 10.1, Infinity, 11.2, 8.4] }, false, (f) => `Expected a finite number for file ${JSON.stringify(f)}, row 3, column "hb" but received Infinity`],
  ['a category the schema does not list', { genotype: ['SS', 'SC', 'SS', null, 'AA'] }, false, (f) => `Expected one of the categories "SS", "SC" for file ${JSON.stringify(f)}, row 5, column "genotype" but received "AA"`],
  ['a non-integer in an integer column held as Float64', { crises: [2.5, 3, 1, null, 12] }, true, (f) => `Expected an integer in [0, 50] for file ${JSON.stringify(f)}, row 1, column "crises" but received 2.5`],
  ['an integer above the maximum', { crises: [0, 3, 1, null, 51] }, false, (f) => `Expected a value in [0, 50] for file ${JSON.stringify(f)}, row 5, column "crises" but received 51`],
];

describe('Arrow and Parquet values are checked against the schema the file carries', () => {
  test('good tables of both formats read back unchanged (nulls are not values)', async () => {
    for (const ext of ['arrow', 'parquet']) {
      const f = tmp.file(`good.${ext}`);
      if (ext === 'arrow') writeArrowFile(f, cohort(good()));
      else await writeParquetFile(f, cohort(good()));
      const t = await readTable(f);
      expect(t.numRows).toBe(5);
      expect([...t.getChild('age')!]).toEqual([34, 8, null, 61, 17]);
      const out = tmp.file(`good-from-${ext}.csv`);
      await convertFile(f, out);
      expect(fs.readFileSync(out, 'utf8').split('\n')[1]).toBe('P1,34,SS,7.9,0');
    }
  });

  test.each(bad)('%s: readTable, readArrowFile, readParquetFile and convertFile refuse it, naming file, row, column and expectation', async (_, over, asFloat, message) => {
    for (const ext of ['arrow', 'parquet']) {
      const f = tmp.file(`bad.${ext}`);
      const t = cohort({ ...good(), ...over }, asFloat);
      if (ext === 'arrow') writeArrowFile(f, t);
      else await writeParquetFile(f, t);
      const e = await errorOf(readTable(f));
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toBe(message(f));
      expect((await errorOf(() => (ext === 'arrow' ? readArrowFile(f) : readParquetFile(f)))).message).toBe(message(f));
      for (const outExt of ['csv', 'arrow', 'parquet']) {
        const out = tmp.file(`never-${ext}.${outExt}`);
        expect((await errorOf(convertFile(f, out))).message).toBe(message(f));
        expect(fs.existsSync(out)).toBe(false);
      }
    }
    expect(fs.readdirSync(tmp.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  test('rows are counted from the start of the file across record batches (read whole and streamed)', async () => {
    const first = cohort(good());
    const second = cohort({ ...good(), hb: [7.9, 10.1, NaN, 11.2, 8.4] });
    const f = tmp.file('two-batches.arrow');
    writeArrowFile(f, new Table([...first.batches, ...second.batches.map((b) => new RecordBatch(first.schema, b.data))]));
    const message = `Expected a finite number for file ${JSON.stringify(f)}, row 8, column "hb" but received NaN`;
    expect((await errorOf(readTable(f))).message).toBe(message);
    expect((await errorOf(convertFile(f, tmp.file('two.parquet')))).message).toBe(message);
    const streamed = async () => {
      for await (const b of arrowRecordBatches(f)) expect(b.numRows).toBe(5);
    };
    expect((await errorOf(streamed())).message).toBe(message);
    expect(fs.existsSync(tmp.file('two.parquet'))).toBe(false);
  });

  test('a dictionary index past the end of the dictionary is a damaged file, with or without a schema', async () => {
    const dictionary = vectorFromArray(['SS', 'SC'], new Utf8());
    const genotype = makeVector(makeData({ type: new Dictionary(new Utf8(), new Int32()), length: 4, nullCount: 0, data: Int32Array.of(0, 1, 7, 0), dictionary }));
    const plain = new Table({ genotype } as never);
    const f = tmp.file('dict.arrow');
    writeArrowFile(f, plain);
    const message = `Expected a dictionary index in [0, 1] (the column's dictionary has 2 entries) for file ${JSON.stringify(f)}, row 3, column "genotype" but received index 7: a damaged file`;
    expect((await errorOf(readTable(f))).message).toBe(message);
    const declared: TableSchema = { version: 1, columns: [{ name: 'genotype', kind: 'categorical', role: 'feature', categories: ['SS', 'SC'] }] };
    expect((await errorOf(readTable(f, { schema: declared }))).message).toBe(message);
    // A used dictionary entry outside the categories is named by its value.
    const f2 = tmp.file('dict-cat.arrow');
    writeArrowFile(f2, new Table({ genotype: makeVector(makeData({ type: new Dictionary(new Utf8(), new Int32()), length: 3, nullCount: 0, data: Int32Array.of(0, 0, 1), dictionary })) } as never));
    const narrow: TableSchema = { version: 1, columns: [{ name: 'genotype', kind: 'categorical', role: 'feature', categories: ['SS'] }] };
    expect((await errorOf(readTable(f2, { schema: narrow }))).message).toBe(`Expected one of the categories "SS" for file ${JSON.stringify(f2)}, row 3, column "genotype" but received "SC"`);
  });

  test('dates and date-times out of their bounds', async () => {
    const s: TableSchema = {
      version: 1,
      columns: [
        { name: 'dob', kind: 'datetime', role: 'direct-identifier', format: 'date', min: '1944-01-01', max: '2024-12-31' },
        { name: 'seen', kind: 'datetime', role: 'feature', format: 'date-time', min: '2020-01-01', max: '2020-12-31' },
      ],
    };
    const day = (iso: string) => Date.parse(iso) / 86_400_000;
    const make = (dob: string, seen: string) => withEmbeddedSchema(new Table({
      dob: makeVector(makeData({ type: new DateDay(), length: 2, nullCount: 0, data: Int32Array.of(day('1980-05-01'), day(dob)) })),
      seen: vectorFromArray([new Date('2020-03-01T10:00:00Z'), new Date(seen)], new TimestampMillisecond('UTC')),
    } as never), s);
    const ok = tmp.file('dates-ok.arrow');
    writeArrowFile(ok, make('2024-12-31', '2020-12-31T23:59:59Z'));
    expect((await readTable(ok)).numRows).toBe(2);
    const f = tmp.file('dates.arrow');
    writeArrowFile(f, make('2030-01-01', '2020-06-01T00:00:00Z'));
    expect((await errorOf(readTable(f))).message).toBe(`Expected a value in [1944-01-01, 2024-12-31] for file ${JSON.stringify(f)}, row 2, column "dob" but received "2030-01-01"`);
    writeArrowFile(f, make('2000-01-01', '2021-01-01T00:00:00Z'));
    expect((await errorOf(readTable(f))).message).toBe(`Expected a value in [2020-01-01, 2020-12-31] for file ${JSON.stringify(f)}, row 2, column "seen" but received "2021-01-01T00:00:00.000Z"`);
  });

  test('a table whose columns were selected keeps the whole schema in its metadata: its columns are still checked', async () => {
    const f = tmp.file('selected.arrow');
    writeArrowFile(f, cohort(good()).select(['age', 'genotype']));
    expect((await readTable(f)).numCols).toBe(2);
    writeArrowFile(f, cohort({ ...good(), genotype: ['SS', 'XX', 'SS', null, 'SC'] }).select(['age', 'genotype']));
    expect((await errorOf(readTable(f))).message).toBe(`Expected one of the categories "SS", "SC" for file ${JSON.stringify(f)}, row 2, column "genotype" but received "XX"`);
  });

  test('a declared schema is the one in use: it replaces the carried one', async () => {
    const f = tmp.file('declared.arrow');
    writeArrowFile(f, cohort({ ...good(), age: [34, 8, null, 150, 17] }));
    const wider: TableSchema = { ...schema, columns: schema.columns.map((c) => (c.name === 'age' ? { ...c, max: 200 } : c)) };
    expect((await readTable(f, { schema: wider })).numRows).toBe(5);
    const narrower: TableSchema = { ...schema, columns: schema.columns.map((c) => (c.name === 'hb' ? { ...c, min: 8 } : c)) };
    writeArrowFile(f, cohort(good()));
    expect((await errorOf(readTable(f, { schema: narrower }))).message).toBe(`Expected a value in [8, inf] for file ${JSON.stringify(f)}, row 1, column "hb" but received 7.9`);
  });

  test('validateTable: an integer column held as Float64 names the first non-integer row before the type', () => {
    const t = cohort({ ...good(), crises: [0, 3, 1.5, null, 12] }, true);
    expect(() => validateTable(t, schema, 'x.arrow')).toThrow('Expected an integer in [0, 50] for file "x.arrow", row 3, column "crises" but received 1.5');
    expect(() => validateTable(cohort(good(), true), schema, 'x.arrow')).toThrow('Expected an integer Arrow type (Int32 or Int64) for kind "integer" for file "x.arrow", column "crises" but received Arrow type Float64');
  });

  test('the slot of a null may hold anything: only valid values are checked', async () => {
    const s: TableSchema = { version: 1, columns: [{ name: 'hb', kind: 'continuous', role: 'feature', min: 3, max: 17 }, { name: 'g', kind: 'categorical', role: 'feature', categories: ['SS'] }] };
    const hb = makeVector(makeData({ type: new Float64(), length: 3, nullCount: 1, nullBitmap: Uint8Array.of(0b101), data: Float64Array.of(7.5, NaN, 9) }));
    const dictionary = vectorFromArray(['SS'], new Utf8());
    const g = makeVector(makeData({ type: new Dictionary(new Utf8(), new Int32()), length: 3, nullCount: 1, nullBitmap: Uint8Array.of(0b011), data: Int32Array.of(0, 0, 99), dictionary }));
    const f = tmp.file('null-slots.arrow');
    writeArrowFile(f, withEmbeddedSchema(new Table({ hb, g } as never), s));
    const t = await readTable(f);
    expect([...t.getChild('hb')!]).toEqual([7.5, null, 9]);
    expect([...t.getChild('g')!]).toEqual(['SS', 'SS', null]);
  });

  test('a file without a schema is not second-guessed (NaN in a float column reads as missing downstream)', async () => {
    const f = tmp.file('plain.arrow');
    writeArrowFile(f, new Table({ x: vectorFromArray([1, NaN, 3], new Float64()) } as never));
    expect((await readTable(f)).numRows).toBe(3);
  });
});

describe('CSV refuses what Arrow refuses', () => {
  test('Infinity in a continuous column', async () => {
    const f = tmp.file('inf.csv', 'id,hb\nP1,7.9\nP2,Infinity\n');
    expect((await errorOf(readTable(f))).message).toBe(`Expected a finite number for file ${JSON.stringify(f)}, row 2, column "hb" but received "Infinity"`);
    const s: TableSchema = { version: 1, columns: [{ name: 'id', kind: 'identifier', role: 'feature' }, { name: 'hb', kind: 'continuous', role: 'feature', min: 3, max: 17 }] };
    const g = tmp.file('neg-inf.csv', 'id,hb\nP1,-Infinity\n');
    expect((await errorOf(readTable(g, { schema: s }))).message).toBe(`Expected a number in [3, 17] for file ${JSON.stringify(g)}, row 1, column "hb" but received "-Infinity"`);
    const out = tmp.file('inf.arrow');
    expect((await errorOf(convertFile(f, out))).message).toContain('row 2, column "hb"');
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('CSV output delimiters', () => {
  test('convertFile and writeTable refuse one that would write unreadable CSV, naming the option, and write nothing', async () => {
    const src = tmp.file('d.csv', 'a,b\n1,2\n');
    const out = tmp.file('d-out.csv');
    expect((await errorOf(convertFile(src, out, { outputDelimiter: '"' }))).message).toBe('Expected a non-empty delimiter other than a quote or a line break for field "outputDelimiter" but received "\\""');
    expect(fs.existsSync(out)).toBe(false);
    const t = await readTable(src);
    expect((await errorOf(writeTable(out, t, { delimiter: '\n' }))).message).toBe('Expected a non-empty delimiter other than a quote or a line break for field "delimiter" but received "\\n"');
    expect(fs.existsSync(out)).toBe(false);
    await convertFile(src, out, { outputDelimiter: ';' });
    expect(fs.readFileSync(out, 'utf8')).toBe('a;b\n1;2\n');
  });
});
