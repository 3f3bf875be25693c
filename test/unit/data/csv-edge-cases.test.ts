import { readTable, inferSchema, type TableSchema } from '../../../src/data';
import { sniffDelimiter } from '../../../src/data/file-format';
import { makeTempDir } from './tmp-files';

const tmp = makeTempDir('csvedge');
afterAll(() => tmp.remove());

const col = (t: Awaited<ReturnType<typeof readTable>>, name: string) => [...t.getChild(name)!];

describe('CSV reading edge cases', () => {
  test('quoted fields with delimiters, doubled quotes and embedded CRLF and LF newlines', async () => {
    const f = tmp.file('q.csv', 'id,text\r\n1,"a, b"\r\n2,"say ""hi"""\r\n3,"x\r\ny"\r\n4,"p\nq"\r\n');
    const t = await readTable(f);
    expect(t.numRows).toBe(4);
    expect(col(t, 'text')).toEqual(['a, b', 'say "hi"', 'x\r\ny', 'p\nq']);
  });

  test('UTF-8 with and without a byte-order mark read the same, accents and emoji intact', async () => {
    const body = 'name,n\nJosé,1\nZoë 😀,2\nnaïve,3\n';
    const a = await readTable(tmp.file('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)])));
    const b = await readTable(tmp.file('nobom.csv', body));
    expect(a.schema.fields[0].name).toBe('name');
    expect(col(a, 'name')).toEqual(['José', 'Zoë 😀', 'naïve']);
    expect(col(b, 'name')).toEqual(col(a, 'name'));
  });

  test('a multi-byte character split across the 1 MiB read chunks is not mistaken for bad UTF-8', async () => {
    const pad = 'x'.repeat((1 << 20) - 6);
    const f = tmp.file('split.csv', `a\n${pad}é\n😀\n`);
    const t = await readTable(f, { schema: { version: 1, columns: [{ name: 'a', kind: 'text', role: 'feature' }] } });
    expect(col(t, 'a')[1]).toBe('😀');
  });

  test('semicolon and tab delimiters (tab by default for .tsv)', async () => {
    const s = await readTable(tmp.file('semi.csv', 'a;b\n1,5;x\n2,5;y\n'), { delimiter: ';', schema: { version: 1, columns: [{ name: 'a', kind: 'text', role: 'feature' }, { name: 'b', kind: 'text', role: 'feature' }] } });
    expect(col(s, 'a')).toEqual(['1,5', '2,5']);
    const t = await readTable(tmp.file('tab.tsv', 'a\tb\n1\t2\n3\t4\n'));
    expect(col(t, 'b')).toEqual([2, 4]);
    const u = await readTable(tmp.file('tab.txt', 'a\tb\n1\t2\n'), { delimiter: '\t' });
    expect(col(u, 'a')).toEqual([1]);
  });

  test('without --delimiter the header says it: ";" and tab files read as their columns, quoted delimiters ignored', async () => {
    // The ARX Adult reference data and many European spreadsheet exports use ";" (decimal comma).
    const s = await readTable(tmp.file('guess-semi.csv', 'sex;age;"a,b,c"\nM;39;x\nF;50;y\n'));
    expect(s.schema.fields.map((f) => f.name)).toEqual(['sex', 'age', 'a,b,c']);
    expect(col(s, 'age')).toEqual([39, 50]);
    const t = await readTable(tmp.file('guess-tab.txt', 'a\tb\n1\t2\n'));
    expect(col(t, 'b')).toEqual([2]);
    const c = await readTable(tmp.file('guess-comma.csv', 'x,"y;z"\n1,2\n'));
    expect(c.schema.fields.map((f) => f.name)).toEqual(['x', 'y;z']);
    const one = await inferSchema(tmp.file('guess-one.csv', 'only\n1\n'));
    expect(one.columns.map((k) => k.name)).toEqual(['only']);
    expect(sniffDelimiter('a;b;c,d')).toBe(';');
    expect(sniffDelimiter('"a;b";c,d,e')).toBe(',');
    expect(sniffDelimiter('single')).toBe(',');
    expect(sniffDelimiter('single', '\t')).toBe('\t');
  });

  test('default missing tokens, custom missing tokens and a column\'s own tokens', async () => {
    const t = await readTable(tmp.file('miss.csv', 'a,b\n1,NA\nNULL,2\nN/A,null\n4,NaN\n,5\n'));
    expect(col(t, 'a')).toEqual([1, null, null, 4, null]);
    expect(col(t, 'b')).toEqual([null, 2, null, null, 5]);
    const c = await readTable(tmp.file('miss2.csv', 'a,b\n1,-99\n-99,2\n.,3\n'), { missing: ['-99', '.'] });
    expect(col(c, 'a')).toEqual([1, null, null]);
    const schema: TableSchema = { version: 1, columns: [{ name: 'a', kind: 'integer', role: 'feature', missing: ['?'] }, { name: 'b', kind: 'text', role: 'feature' }] };
    const d = await readTable(tmp.file('miss3.csv', 'a,b\n?,NA\n3,x\n'), { schema });
    expect(col(d, 'a')).toEqual([null, 3]);
    expect(col(d, 'b')).toEqual([null, 'x']);
  });

  test('blank lines are skipped in a multi-column file and are nulls in a one-column file', async () => {
    const t = await readTable(tmp.file('blank.csv', 'a,b\n\n1,2\n\n3,4\n\n'));
    expect(t.numRows).toBe(2);
    const one = await readTable(tmp.file('one.csv', 'a\n1\n\n3\n'));
    expect(col(one, 'a')).toEqual([1, null, 3]);
  });

  test('a schema reorders columns to its own order and bounds pick Int32', async () => {
    const schema: TableSchema = { version: 1, columns: [{ name: 'b', kind: 'integer', role: 'feature', min: 0, max: 10 }, { name: 'a', kind: 'continuous', role: 'feature' }] };
    const t = await readTable(tmp.file('order.csv', 'a,b\n1.5,2\n'), { schema });
    expect(t.schema.fields.map((f) => f.name)).toEqual(['b', 'a']);
    expect(String(t.getChild('b')!.type)).toBe('Int32');
  });

  test('a header-only file gives an empty table with the declared types', async () => {
    const schema: TableSchema = { version: 1, columns: [{ name: 'a', kind: 'continuous', role: 'feature' }, { name: 'g', kind: 'categorical', role: 'feature', categories: ['x'] }] };
    const t = await readTable(tmp.file('hdr.csv', 'a,g\n'), { schema });
    expect(t.numRows).toBe(0);
    expect(String(t.getChild('a')!.type)).toBe('Float64');
  });

  test('inference rules: integer vs continuous, boolean tokens, dates, categorical, identifier, text', async () => {
    const rows = ['i,f,b,d,dt,cat,id,txt,empty'];
    for (let k = 0; k < 40; k++) {
      rows.push([k, k + 0.5, k % 2 ? 'Yes' : 'no', `2020-01-${String((k % 28) + 1).padStart(2, '0')}`, `2020-01-01T00:00:${String(k % 60).padStart(2, '0')}Z`, ['SS', 'SC', 'Sb0'][k % 3], `ID${k}`, `free text ${k % 5}`, ''].join(','));
    }
    const s = await inferSchema(tmp.file('rules.csv', rows.join('\n') + '\n'));
    const kinds = Object.fromEntries(s.columns.map((c) => [c.name, c.kind]));
    expect(kinds).toEqual({ i: 'integer', f: 'continuous', b: 'boolean', d: 'datetime', dt: 'datetime', cat: 'categorical', id: 'identifier', txt: 'categorical', empty: 'text' });
    const by = Object.fromEntries(s.columns.map((c) => [c.name, c]));
    expect(by.i).toMatchObject({ min: 0, max: 39, nullable: false, role: 'feature', inferred: true });
    expect(by.d).toMatchObject({ format: 'date', min: '2020-01-01', max: '2020-01-28' });
    expect(by.dt).toMatchObject({ format: 'date-time', min: '2020-01-01T00:00:00.000Z', max: '2020-01-01T00:00:39.000Z' });
    expect(by.cat.categories).toEqual(['SC', 'SS', 'Sb0']);
    expect(by.empty.nullable).toBeUndefined();
  });

  test('unique strings with spaces are text, repeated ones with many levels are text', async () => {
    const rows = ['t,u'];
    for (let k = 0; k < 300; k++) rows.push(`note ${k},v${k % 150}`);
    const s = await inferSchema(tmp.file('text.csv', rows.join('\n')));
    expect(s.columns.map((c) => c.kind)).toEqual(['text', 'text']);
  });

  test('a column of codes that look numeric at first stays categorical within the numeric window', async () => {
    const early = ['g', ...Array.from({ length: 40 }, (_, k) => (k < 6 ? String(k % 3) : ['A', 'B', '1'][k % 3]))];
    const s = await inferSchema(tmp.file('codes.csv', early.join('\n') + '\n'));
    expect(s.columns[0]).toMatchObject({ kind: 'categorical', categories: ['0', '1', '2', 'A', 'B'] });
    const late = ['g', ...Array.from({ length: 10_050 }, (_, k) => (k <= 10_001 ? String(k % 3) : 'A'))];
    const t = await inferSchema(tmp.file('codes-late.csv', late.join('\n') + '\n'));
    expect(t.columns[0].kind).toBe('text');
  });

  test('values with leading zeros are codes, not numbers: postcodes and ids keep their zeros', async () => {
    const csv = 'postcode,id,dose,n\n00875,007,0.5,0\n10115,012,1.25,10\n75001,100,0,7\n00875,013,2,3\n';
    const s = await inferSchema(tmp.file('zeros.csv', csv));
    expect(s.columns.map((c) => [c.name, c.kind])).toEqual([['postcode', 'text'], ['id', 'identifier'], ['dose', 'continuous'], ['n', 'integer']]);
    const t = await readTable(tmp.file('zeros.csv', csv));
    expect(col(t, 'postcode')).toEqual(['00875', '10115', '75001', '00875']);
    expect(col(t, 'id')).toEqual(['007', '012', '100', '013']);
  });
});
