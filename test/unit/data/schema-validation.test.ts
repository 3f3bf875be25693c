import { validateSchema, loadSchema, saveSchema, inferSchemaFromTable, type TableSchema } from '../../../src/data';
import { InputError } from '../../../src/errors';
import { Table, vectorFromArray, Float64, Int64, Utf8, Dictionary, Int32, List, Field, Float32 } from 'apache-arrow';
import { makeTempDir } from './tmp-files';

const tmp = makeTempDir('schema');
afterAll(() => tmp.remove());

const ok = {
  version: 1,
  columns: [
    { name: 'age', kind: 'integer', min: 1, max: 110, unit: 'a' },
    { name: 'dob', kind: 'datetime', role: 'direct-identifier', format: 'date', min: '1900-01-01' },
    { name: 'sev', kind: 'ordinal', categories: ['mild', 'severe'] },
    { name: 'big', kind: 'integer', min: '-9223372036854775808', max: '9223372036854775807' },
  ],
};

function messageOf(obj: unknown): string {
  try {
    validateSchema(obj, 's.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected a schema error');
}

describe('validateSchema', () => {
  test('accepts a valid schema and defaults the role to feature', () => {
    const s = validateSchema(ok);
    expect(s.columns[0].role).toBe('feature');
    expect(s.columns[1].role).toBe('direct-identifier');
  });

  test.each([
    [{ ...ok, version: 2 }, 'Expected schema format version 1 for file "s.json", field "version" but received number 2'],
    [{ version: 1, columns: [] }, 'Expected a non-empty array of columns for file "s.json", field "columns" but received array of length 0'],
    [{ version: 1, columns: [{ name: 'a', kind: 'contnuous' }] }, 'field "columns[0].kind" but received string "contnuous"'],
    [{ version: 1, columns: [{ name: 'a', kind: 'integer' }, { name: 'b', kind: 'text' }, { name: 'c', kind: 'text' }, { name: 'd', kind: 'real' }] }, 'field "columns[3].kind"'],
    [{ version: 1, columns: [{ name: 'a', kind: 'text', role: 'secret' }] }, 'field "columns[0].role" but received string "secret"'],
    [{ version: 1, columns: [{ name: 'a', kind: 'text' }, { name: 'a', kind: 'text' }] }, 'Expected a name not used by another column (columns[0] has it) for file "s.json", field "columns[1].name" but received string "a"'],
    [{ version: 1, columns: [{ name: 'a', kind: 'categorical', catgories: ['x'] }] }, 'field "columns[0].catgories"'],
    [{ version: 1, columns: [{ name: 'a', kind: 'integer', min: 5, max: 1 }] }, 'Expected a maximum >= the minimum 5 for file "s.json", field "columns[0].max" but received number 1'],
    [{ version: 1, columns: [{ name: 'a', kind: 'integer', min: 1.5 }] }, 'field "columns[0].min" but received number 1.5'],
    [{ version: 1, columns: [{ name: 'a', kind: 'text', min: 1 }] }, 'Expected no bound (bounds apply to continuous, integer and datetime columns, not text) for file "s.json", field "columns[0].min"'],
    [{ version: 1, columns: [{ name: 'a', kind: 'datetime', max: '31/12/2020' }] }, 'Expected an ISO 8601 date or date-time string for file "s.json", field "columns[0].max" but received string "31/12/2020"'],
    [{ version: 1, columns: [{ name: 'a', kind: 'ordinal' }] }, 'Expected the categories of an ordinal column, in order for file "s.json", field "columns[0].categories" but received undefined'],
    [{ version: 1, columns: [{ name: 'a', kind: 'categorical', categories: ['x', 'x'] }] }, 'field "columns[0].categories[1]" but received string "x"'],
    [{ version: 1, columns: [{ name: 'a', kind: 'boolean', categories: ['no', 'yes', 'maybe'] }] }, 'field "columns[0].categories"'],
    [{ version: 1, columns: [{ name: 'a', kind: 'text', format: 'date' }] }, 'field "columns[0].format"'],
    [{ version: 1, columns: [{ name: 'a', kind: 'text', missing: [1] }] }, 'field "columns[0].missing[0]" but received number 1'],
    [[1, 2], 'field "(root)" but received array of length 2'],
  ])('refuses %j', (obj, msg) => {
    expect(messageOf(obj)).toContain(msg);
  });

  test('loadSchema and saveSchema round trip', () => {
    const f = tmp.file('ok.json');
    saveSchema(f, validateSchema(ok));
    expect(loadSchema(f)).toEqual(validateSchema(ok));
  });
});

describe('inferSchemaFromTable on tables not written by hemasynth', () => {
  test('kinds follow Arrow types; bounds, categories and nullability come from the data', () => {
    const t = new Table({
      x: vectorFromArray([1.5, null, -2], new Float64()),
      n: vectorFromArray([5n, 2n ** 60n, 7n], new Int64()),
      g: vectorFromArray(['b', 'a', 'b'], new Dictionary(new Utf8(), new Int32(), 1, true)),
      s: vectorFromArray(['p1', 'p2', 'p3'], new Utf8()),
    } as never);
    const s: TableSchema = inferSchemaFromTable(t);
    expect(s.columns).toEqual([
      { name: 'x', role: 'feature', inferred: true, kind: 'continuous', min: -2, max: 1.5 },
      { name: 'n', role: 'feature', nullable: false, inferred: true, kind: 'integer', min: 5, max: String(2n ** 60n) },
      { name: 'g', role: 'feature', nullable: false, inferred: true, kind: 'ordinal', categories: ['b', 'a'] },
      { name: 's', kind: 'identifier', role: 'feature', nullable: false, inferred: true },
    ]);
  });

  test('a float column holding NaN is nullable (NaN reads as missing), one holding Infinity gets no bounds', () => {
    const t = new Table({ a: vectorFromArray([1, NaN, 3], new Float64()), b: vectorFromArray([1, Infinity, 3], new Float64()) } as never);
    expect(inferSchemaFromTable(t).columns).toEqual([
      { name: 'a', role: 'feature', inferred: true, kind: 'continuous', min: 1, max: 3 },
      { name: 'b', role: 'feature', nullable: false, inferred: true, kind: 'continuous' },
    ]);
  });

  test('an empty string in a dictionary column is a missing value, not a category (readCategoryCodes reads it as missing)', () => {
    const t = new Table({ g: vectorFromArray(['0', '', '2', '0'], new Dictionary(new Utf8(), new Int32())) } as never);
    expect(inferSchemaFromTable(t).columns).toEqual([{ name: 'g', role: 'feature', inferred: true, kind: 'categorical', categories: ['0', '2'] }]);
  });

  test('a nested column is refused with its type', () => {
    const t = new Table({ l: vectorFromArray([[1], [2]], new List(new Field('item', new Float32()))) } as never);
    expect(() => inferSchemaFromTable(t)).toThrow('for column "l" but received Arrow type List<Float32>');
  });
});
