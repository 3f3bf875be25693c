/**
 * Arrow Decimal columns (as pandas or Spark write them to Parquet) read at their scale: apache-arrow
 * returns the unscaled integer from String() and valueOf(), so 12.34 at scale 2 used to be
 * converted to CSV as 1234, inferred with bounds 100 times too wide, refused by the encoders, and
 * never checked against declared bounds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Decimal, Float64, Table, makeData, makeVector, tableToIPC, vectorFromArray } from 'apache-arrow';
import { readTable, inferSchemaFromTable, type TableSchema } from '../../../src/data';
import { decimalToString } from '../../../src/data/decimal-values';
import { readNumbers } from '../../../src/transform/column-values';
import { alignTables } from '../../../src/evaluate/table-columns';
import { numericColumn } from '../../../src/evaluate/clinical/table-columns';
import { runCli } from '../../support/run-cli';
import { makeTempDir } from './tmp-files';

const tmp = makeTempDir('decimal');
afterAll(() => tmp.remove());

/** A Decimal(precision 10, scale 2) vector of unscaled 128-bit integers, null where null. */
function decimals(unscaled: Array<bigint | null>): ReturnType<typeof makeVector> {
  const words = new Uint32Array(4 * unscaled.length);
  const valid = new Uint8Array(Math.ceil(unscaled.length / 8));
  unscaled.forEach((u, i) => {
    if (u === null) return;
    valid[i >> 3] |= 1 << (i & 7);
    let x = BigInt.asUintN(128, u);
    for (let w = 0; w < 4; w++, x >>= 32n) words[4 * i + w] = Number(x & 0xffffffffn);
  });
  const nulls = unscaled.filter((u) => u === null).length;
  return makeVector(makeData({ type: new Decimal(2, 10, 128), length: unscaled.length, nullCount: nulls, nullBitmap: valid, data: words }));
}

const file = tmp.file('decimal.arrow');
beforeAll(() => {
  const t = new Table({ d: decimals([1234n, -5n, null, 700n]), x: vectorFromArray([1, 2, 3, 4], new Float64()) } as never);
  fs.writeFileSync(file, tableToIPC(t, 'file'));
});

test('decimal text is exact at the scale', () => {
  const t = new Table({ d: decimals([1234n, -5n, 0n, 100000000000000000000001n]) } as never);
  expect([0, 1, 2, 3].map((i) => decimalToString(t.getChild('d')!.get(i), 2))).toEqual(['12.34', '-0.05', '0.00', '1000000000000000000000.01']);
});

test('read as numbers at the scale; the inferred schema has the true bounds', async () => {
  const t = await readTable(file);
  expect(Array.from(readNumbers(t, 'd'))).toEqual([12.34, -0.05, NaN, 7]);
  expect(inferSchemaFromTable(t).columns[0]).toEqual({ name: 'd', role: 'feature', inferred: true, kind: 'continuous', min: -0.05, max: 12.34 });
});

test('evaluate and the clinical checks read decimals at their scale', async () => {
  const t = await readTable(file);
  const [aligned] = alignTables([{ label: 'real', table: t }]);
  const d = aligned.columns.find((c) => c.name === 'd')!;
  expect(d.kind).toBe('numeric');
  expect(Array.from((d as { values: Float64Array }).values)).toEqual([12.34, -0.05, NaN, 7]);
  expect(Array.from(numericColumn(t, 'd')!)).toEqual([12.34, -0.05, NaN, 7]);
});

test('declared bounds are checked on decimals, naming row and column; an integer column refuses the type', async () => {
  const bounded: TableSchema = { version: 1, columns: [{ name: 'd', role: 'feature', kind: 'continuous', min: -1, max: 10 }, { name: 'x', role: 'feature', kind: 'continuous' }] };
  await expect(readTable(file, { schema: bounded })).rejects.toThrow(`Expected a value in [-1, 10] for file ${JSON.stringify(file)}, row 1, column "d" but received 12.34`);
  const integer: TableSchema = { version: 1, columns: [{ name: 'd', role: 'feature', kind: 'integer' }, { name: 'x', role: 'feature', kind: 'continuous' }] };
  await expect(readTable(file, { schema: integer })).rejects.toThrow(`Expected an integer Arrow type (Int32 or Int64) for kind "integer" for file ${JSON.stringify(file)}, column "d" but received Arrow type Decimal[10e+2]`);
});

test('convert writes the decimal values, not their unscaled integers', async () => {
  const out = path.join(path.dirname(file), 'decimal.csv');
  const r = await runCli(['convert', file, out]);
  expect(r.code).toBe(0);
  expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toEqual(['d,x', '12.34,1', '-0.05,2', ',3', '7.00,4']);
});
