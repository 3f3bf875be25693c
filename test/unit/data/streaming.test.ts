import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { convertFile, readTable, fileFingerprint, tableFingerprint } from '../../../src/data';
import { makeTempDir } from './tmp-files';

const tmp = makeTempDir('stream');
afterAll(() => tmp.remove());
const ROOT = path.resolve(__dirname, '../../..');

describe('streaming conversion of a large CSV', () => {
  const rows = 200_000;
  let csv: string;
  beforeAll(() => {
    csv = tmp.file('big.csv');
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/make-wide-csv.js'), '--rows', String(rows), '--cols', '6', '--kind', 'mixed', '--seed', '3', '--out', csv], { stdio: 'ignore' });
  });

  test('CSV -> Arrow in several batches with the right row count, types and values', async () => {
    const out = tmp.file('big.arrow');
    const bytesSeen: number[] = [];
    const r = await convertFile(csv, out, { onProgress: (b) => bytesSeen.push(b) });
    expect(r.rows).toBe(rows);
    expect(r.columns).toBe(6);
    expect(r.schema.columns.map((c) => c.kind)).toEqual(['continuous', 'integer', 'categorical', 'boolean', 'datetime', 'identifier']);
    expect(bytesSeen[bytesSeen.length - 1]).toBe(fs.statSync(csv).size);
    const t = await readTable(out);
    expect(t.numRows).toBe(rows);
    expect(t.batches.length).toBe(Math.ceil(rows / 65_536));
    // Spot-check values against the text: first, a middle and the last row.
    const lines = fs.readFileSync(csv, 'utf8').trimEnd().split('\n');
    for (const i of [0, 123_456, rows - 1]) {
      const cells = lines[i + 1].split(',');
      const row = t.get(i)!.toJSON() as Record<string, unknown>;
      expect(row.boolean_3).toBe(cells[3] === '' ? null : cells[3] === 'true');
      expect(row.date_4).toBe(cells[4] === '' ? null : Date.parse(cells[4]));
      expect(row.identifier_5).toBe(cells[5] === '' ? null : cells[5]);
      expect(row.continuous_0).toBe(cells[0] === '' ? null : Number(cells[0]));
      expect(row.integer_1).toBe(cells[1] === '' ? null : Number(cells[1]));
      expect(row.categorical_2).toBe(cells[2] === '' ? null : cells[2]);
    }
    expect(await fileFingerprint(out)).toMatch(/^[0-9a-f]{64}$/);
    expect(tableFingerprint(t)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a NUL byte deep in a large file is found by the streaming check', async () => {
    const bytes = fs.readFileSync(csv);
    const at = 3_000_000;
    bytes[at] = 0;
    const f = tmp.file('nul-deep.csv', bytes);
    await expect(readTable(f)).rejects.toThrow(`Expected a UTF-8 text file (CSV) for file ${JSON.stringify(f)} but received binary data (a NUL byte at byte offset ${at})`);
  });
});
