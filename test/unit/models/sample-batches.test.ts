/**
 * Sampling in batches (model-api.ts sampleModelBatches, `hemasynth sample`): many rows are drawn
 * batch by batch from derived seeds, so that they can be streamed to a file with bounded memory,
 * and the rows are the same whether streamed or returned as one table.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tableFromArrays, type Table } from 'apache-arrow';
import { SAMPLE_BATCH_ROWS, sampleModel, sampleModelBatches, saveModel, trainModel } from '../../../src/models';
import { readTable, writeTableStream } from '../../../src/data/table-io';
import { readLabels, readNumbers } from '../../../src/transform/column-values';
import type { TableSchema } from '../../../src/data/schema';
import { runCli } from '../../support/run-cli';

const n = 600;
const schema: TableSchema = {
  version: 1, name: 'batches',
  columns: [
    { name: 'genotype', kind: 'categorical', role: 'feature', categories: ['SS', 'SC', 'Sb0'], nullable: false },
    { name: 'age', kind: 'continuous', role: 'feature', min: 0, max: 90, nullable: false },
    { name: 'hb', kind: 'continuous', role: 'feature', min: 3, max: 16, nullable: true },
  ],
};
const table = tableFromArrays({
  genotype: Array.from({ length: n }, (_, i) => ['SS', 'SC', 'Sb0'][i % 3]),
  age: Float64Array.from({ length: n }, (_, i) => (i * 37) % 90),
  hb: Float64Array.from({ length: n }, (_, i) => (i % 11 === 0 ? NaN : 6 + (i % 3) * 2 + ((i * 7) % 10) / 10)),
});
const model = trainModel({ table: table as unknown as Table, schema, model: 'marginal', epsilon: Infinity, seed: 1 });

/** Column values as plain arrays (labels for categories, numbers otherwise; null/NaN for missing). */
function columns(t: Table): unknown[][] {
  return [Array.from(readLabels(t, 'genotype')), Array.from(readNumbers(t, 'age')), Array.from(readNumbers(t, 'hb'))];
}

describe('sampling in batches', () => {
  test('batches of batchRows rows, one schema; joined they are sampleModel\'s rows; batch 0 is the seed\'s own sample, later ones differ', () => {
    const batches = [...sampleModelBatches(model, { rows: 1000, seed: 4, batchRows: 400 })];
    expect(batches.map((t) => t.numRows)).toEqual([400, 400, 200]);
    for (const t of batches) expect(t.schema).toBe(batches[0].schema);
    const whole = sampleModel(model, { rows: 1000, seed: 4, batchRows: 400 });
    expect(whole.numRows).toBe(1000);
    const joined = columns(whole);
    const parts = batches.map(columns);
    joined.forEach((col, c) => expect(col).toEqual(parts.flatMap((p) => p[c])));
    // Batch 0 is what one draw of 400 rows with the seed gives; batch 1 is not a repeat of it.
    expect(columns(sampleModel(model, { rows: 400, seed: 4 }))).toEqual(parts[0]);
    expect(parts[1][1]).not.toEqual(parts[0][1]);
    // No rows: one empty table with the schema.
    const none = [...sampleModelBatches(model, { rows: 0, seed: 4 })];
    expect(none.map((t) => t.numRows)).toEqual([0]);
    expect(none[0].schema.fields.map((f) => f.name)).toEqual(['genotype', 'age', 'hb']);
    expect(() => sampleModelBatches(model, { rows: 10, seed: 1, batchRows: 0 })).toThrow(/batchRows/);
    expect(SAMPLE_BATCH_ROWS).toBe(131072);
  });

  test('writeTableStream writes the batches into one Arrow, CSV or Parquet file (a dictionary column included) and refuses an empty stream', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-batches-'));
    try {
      const want = columns(sampleModel(model, { rows: 700, seed: 9, batchRows: 300 }));
      for (const ext of ['arrow', 'csv', 'parquet']) {
        const file = path.join(dir, `s.${ext}`);
        expect(await writeTableStream(file, sampleModelBatches(model, { rows: 700, seed: 9, batchRows: 300 }))).toBe(700);
        const back = await readTable(file, ext === 'csv' ? { schema } : {});
        const got = columns(back);
        expect(got[0]).toEqual(want[0]);
        got.slice(1).forEach((col, c) => col.forEach((v, i) => {
          const w = want[c + 1][i] as number;
          if (Number.isNaN(w)) expect(Number.isNaN(v as number)).toBe(true);
          else expect(v as number).toBeCloseTo(w, ext === 'csv' ? 9 : 12);
        }));
      }
      await expect(writeTableStream(path.join(dir, 'none.arrow'), [])).rejects.toThrow(/at least one table/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('hemasynth sample streams more rows than one batch: the file holds the library\'s rows for the seed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-batches-cli-'));
    try {
      const hsm = path.join(dir, 'm.hsm');
      saveModel(hsm, model);
      const out = path.join(dir, 'big.arrow');
      const rows = SAMPLE_BATCH_ROWS + 5;
      const r = await runCli(['sample', '--model', hsm, '--rows', String(rows), '--seed', '3', '--out', out, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ rows, columns: 3 });
      const back = await readTable(out);
      expect(back.numRows).toBe(rows);
      const want = sampleModel(model, { rows, seed: 3 });
      expect(columns(back)).toEqual(columns(want));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
