/**
 * Tied missingness of the neural generators (src/models/neural/tied-missingness.ts): the columns
 * of an assay panel are sampled missing together.
 */
import { tableFromArrays, type Table } from 'apache-arrow';
import type { TableSchema } from '../../../src/data/schema';
import { fitDiscretisation, encodeTable, missingCode } from '../../../src/transform/discretiser';
import { rowLayout } from '../../../src/models/neural/row-layout';
import { TVAE_DEFAULTS, tvaeModelSpec, tvaeRawLayout } from '../../../src/models/tvae/tvae-generator';
import { PANEL_MIN_COLUMNS, TIE_MIN_JACCARD, checkTiedGroups, panelColumns, tieMissingCodes, tiedColumnGroups } from '../../../src/models/neural/tied-missingness';
import { loadModel, modelFromBytes, modelToBytes, sampleModel, saveModel, trainModel } from '../../../src/models';
import { readLabels } from '../../../src/transform/column-values';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const n = 200;
// A 10-column panel missing together in rows i % 4 === 0, except p9 (its own pattern); a 3-column
// sub-study missing together in rows i % 5 === 0; a column with no source.
const panel = Array.from({ length: 10 }, (_, k) => `p${k}`);
const cols: Record<string, Array<string | null>> = {};
for (const name of panel) cols[name] = Array.from({ length: n }, (_, i) => ((name === 'p9' ? i % 3 === 0 : i % 4 === 0) ? null : ['A', 'B', 'C'][(i * (name.length + 7)) % 3]));
for (const name of ['s0', 's1', 's2']) cols[name] = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : ['x', 'y'][i % 2]));
cols.free = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : ['u', 'v'][i % 2]));
const table = tableFromArrays(cols) as unknown as Table;
const schema: TableSchema = {
  version: 1, name: 'tied',
  columns: [
    ...panel.map((name) => ({ name, kind: 'categorical' as const, role: 'feature' as const, categories: ['A', 'B', 'C'], source: 'assay panel' })),
    ...['s0', 's1', 's2'].map((name) => ({ name, kind: 'categorical' as const, role: 'feature' as const, categories: ['x', 'y'], source: 'sub-study' })),
    { name: 'free', kind: 'categorical' as const, role: 'feature' as const, categories: ['u', 'v'] },
  ],
};
const encoders = fitDiscretisation(table, schema, { histogramSigma: null });
const idx = (name: string) => encoders.findIndex((e) => e.column === name);

describe('which columns are tied', () => {
  test('without DP: each source whose columns are missing together (Jaccard >= TIE_MIN_JACCARD with the leader); under DP: the panels only', () => {
    expect(PANEL_MIN_COLUMNS).toBe(8);
    expect(TIE_MIN_JACCARD).toBe(0.9);
    const codes = encodeTable(table, encoders);
    const exact = tiedColumnGroups(encoders, schema, codes);
    // p9 misses on another pattern (Jaccard 1/3 with p0): left out; the sub-study is tied; "free" is alone.
    expect(exact).toEqual([panel.slice(0, 9).map(idx), ['s0', 's1', 's2'].map(idx)]);
    // Under DP the overlap is not read: the whole panel, and no sub-study of fewer than 8 columns.
    expect(tiedColumnGroups(encoders, schema, null)).toEqual([panel.map(idx)]);
    expect([...panelColumns(encoders, schema)].sort((a, b) => a - b)).toEqual(panel.map(idx));
  });

  test('a model file\'s groups are checked: disjoint lists of at least two nullable column indices', () => {
    expect(checkTiedGroups(undefined, encoders, 'm.hsm')).toBeUndefined();
    expect(checkTiedGroups([[0, 1], [2, 3]], encoders, 'm.hsm')).toEqual([[0, 1], [2, 3]]);
    for (const bad of [{}, [[0]], [[0, 0]], [[0, 1], [1, 2]], [[0, encoders.length]], [[0, 1.5]], [['0', 1]]]) {
      expect(() => checkTiedGroups(bad, encoders, 'm.hsm')).toThrow(/m\.hsm.*generator\.tiedMissing/);
    }
  });
});

describe('tieMissingCodes', () => {
  const group = panel.slice(0, 3).map(idx);
  const layout = rowLayout(encoders);
  const raw = tvaeRawLayout(layout);
  const rows = 5000;
  // Logits favour code B (index 1) for every column, the missing code equally likely.
  const out = new Float32Array(rows * raw.width);
  for (let i = 0; i < rows; i++) encoders.forEach((e, j) => { for (let k = 0; k < e.size; k++) out[i * raw.width + raw.logitOffsets[j] + k] = k === 1 ? 2 : 0; });
  const drawn = () => encoders.map((e, j) => Int32Array.from({ length: rows }, (_, i) => ((i * 7 + j * 3) % 5 === 0 ? missingCode(e) : (i + j) % 3)));

  test('the leader decides: missing sets every member missing, present redraws the members drawn missing from their present codes', () => {
    const codes = drawn();
    const before = codes.map((c) => Int32Array.from(c));
    tieMissingCodes(codes, out, rows, encoders, raw, [group], { seed: 3, firstRow: 0 });
    const miss = missingCode(encoders[group[0]]);
    let redrawn = 0, b = 0, wrong = 0;
    for (let i = 0; i < rows; i++) {
      const leaderMissing = before[group[0]][i] === miss;
      for (const j of group) {
        if (leaderMissing) wrong += codes[j][i] === miss ? 0 : 1;
        else if (before[j][i] !== miss) wrong += codes[j][i] === before[j][i] ? 0 : 1;
        else { wrong += codes[j][i] === miss ? 1 : 0; redrawn++; if (codes[j][i] === 1) b++; }
      }
    }
    expect(wrong).toBe(0);
    expect(redrawn).toBeGreaterThan(300);
    // Redraws follow softmax over the present codes (A, B, C) with logits (0, 2, 0): P(B) = e²/(e² + 2) = 0.787.
    expect(b / redrawn).toBeGreaterThan(0.787 - 0.05);
    expect(b / redrawn).toBeLessThan(0.787 + 0.05);
    // Columns outside the group are untouched.
    expect(codes[idx('free')]).toEqual(before[idx('free')]);
  });

  test('rows come out the same whatever the chunking (streams per 4,096-row block)', () => {
    const whole = drawn();
    tieMissingCodes(whole, out, rows, encoders, raw, [group], { seed: 9, firstRow: 0 });
    const parts = drawn();
    const cut = 4096;
    tieMissingCodes(parts.map((c) => c.subarray(0, cut)), out.subarray(0, cut * raw.width), cut, encoders, raw, [group], { seed: 9, firstRow: 0 });
    tieMissingCodes(parts.map((c) => c.subarray(cut)), out.subarray(cut * raw.width), rows - cut, encoders, raw, [group], { seed: 9, firstRow: cut });
    expect(parts).toEqual(whole);
  });

  test('a condition on a member holds exactly: forbidding its missing code makes the group present, allowing only missing makes it missing', () => {
    const member = group[2], size = encoders[member].size, miss = missingCode(encoders[member]);
    const present = drawn();
    // The member's own draw honours its condition (as the read-out does); the tie must keep it so.
    for (let i = 0; i < rows; i++) if (present[member][i] === miss) present[member][i] = 0;
    const onlyPresent = new Float64Array(size).fill(1); onlyPresent[miss] = 0;
    tieMissingCodes(present, out, rows, encoders, raw, [group], { seed: 1, firstRow: 0, evidence: new Map([[member, onlyPresent]]) });
    for (const j of group) expect(present[j].filter((c) => c === missingCode(encoders[j])).length).toBe(0);
    const absent = drawn();
    for (let i = 0; i < rows; i++) absent[member][i] = miss;
    const onlyMissing = new Float64Array(size); onlyMissing[miss] = 1;
    tieMissingCodes(absent, out, rows, encoders, raw, [group], { seed: 1, firstRow: 0, evidence: new Map([[member, onlyMissing]]) });
    for (const j of group) expect(absent[j].filter((c) => c !== missingCode(encoders[j])).length).toBe(0);
  });
});

describe('neural generators sample panels missing together', () => {
  test.each(['tvae', 'ctgan'])('%s: every synthetic row has all or none of the tied columns; the groups survive the model file', (model) => {
    const m = trainModel({ table, schema, model, epsilon: Infinity, seed: 2, options: { epochs: 2, batchSize: 50 } });
    const groups = (m.manifest.generator as { tiedMissing?: number[][] }).tiedMissing;
    expect(groups).toEqual([panel.slice(0, 9).map(idx), ['s0', 's1', 's2'].map(idx)]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-tied-'));
    try {
      const file = path.join(dir, 'm.hsm');
      saveModel(file, m);
      const back = loadModel(file);
      expect((back.manifest.generator as { tiedMissing?: number[][] }).tiedMissing).toEqual(groups);
      const syn = sampleModel(back, { rows: 3000, seed: 5 });
      for (const g of groups as number[][]) {
        const labels = g.map((j) => readLabels(syn, encoders[j].column));
        let missingRows = 0, mixed = 0;
        for (let i = 0; i < syn.numRows; i++) {
          const missing = labels.map((l) => l[i] === null);
          if (new Set(missing).size !== 1) mixed++;
          if (missing[0]) missingRows++;
        }
        expect(mixed).toBe(0);
        // The leader's missing rate (1/4 of the panel rows, 1/5 of the sub-study's) is kept.
        const want = g.includes(idx('p0')) ? 0.25 : 0.2;
        expect(missingRows / syn.numRows).toBeGreaterThan(want - 0.06);
        expect(missingRows / syn.numRows).toBeLessThan(want + 0.06);
      }
      // p9 (not tied) keeps its own rate, about 1/3.
      const p9 = readLabels(syn, 'p9');
      const p9Missing = p9.filter((v) => v === null).length / syn.numRows;
      expect(p9Missing).toBeGreaterThan(0.33 - 0.06);
      expect(p9Missing).toBeLessThan(0.33 + 0.06);
      // A version-4 model (written before the ties) loads and samples untied: panel rows come out mixed.
      const { tiedMissing: _dropped, ...untiedGenerator } = m.manifest.generator as Record<string, unknown>;
      const v4 = modelFromBytes(modelToBytes({ ...m, manifest: { ...m.manifest, formatVersion: 4, generator: untiedGenerator } }), 'v4.hsm');
      const old = sampleModel(v4, { rows: 3000, seed: 5 });
      const leader = readLabels(old, 'p0'), member = readLabels(old, 'p1');
      expect(leader.filter((v, i) => (v === null) !== (member[i] === null)).length).toBeGreaterThan(100);
      // A model file whose groups are malformed is refused by name when loaded.
      const bad = path.join(dir, 'bad.hsm');
      saveModel(bad, { ...m, manifest: { ...m.manifest, generator: { ...m.manifest.generator, tiedMissing: [[idx('p0'), idx('p0')]] } } });
      expect(() => loadModel(bad)).toThrow(/bad\.hsm.*generator\.tiedMissing/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('under DP only the schema\'s panels are tied (the overlap of missing rows is not read)', () => {
    const m = trainModel({ table, schema, model: 'tvae', epsilon: 8, delta: 1e-6, seed: 2, options: { epochs: 2, batchSize: 50 } });
    expect((m.manifest.generator as { tiedMissing?: number[][] }).tiedMissing).toEqual([panel.map(idx)]);
  });
});

describe('TVAE defaults for assay panels', () => {
  test('panel columns\' loss terms are weighted panelLossWeight (default 0.1), the others 1', () => {
    const layout = rowLayout(encoders);
    const panels = panelColumns(encoders, schema);
    const { spec } = tvaeModelSpec(layout, 8, undefined, 2, 1, 1, encoders.map((_, j) => (panels.has(j) ? 0.1 : 1)));
    const ce = spec.loss.terms.filter((t) => t.kind === 'crossEntropy');
    expect(ce.map((t) => t.weight)).toEqual(encoders.map((_, j) => (panels.has(j) ? 0.2 : 2)));
    expect(TVAE_DEFAULTS.panelLossWeight).toBe(0.1);
  });

  test('without epochs TVAE trains at least minDefaultSteps steps; an explicit epochs is kept; both recorded', () => {
    const dflt = trainModel({ table, schema, model: 'tvae', epsilon: Infinity, seed: 2, options: { batchSize: 50, maxSteps: 3 } });
    const t = dflt.manifest.generator.training as Record<string, unknown>;
    // 200 rows at batch 50: 4 steps an epoch, so 750 epochs reach 3,000 steps (maxSteps caps this run).
    expect(TVAE_DEFAULTS.minDefaultSteps).toBe(3000);
    expect(t.epochs).toBe(750);
    expect(t.steps).toBe(3);
    expect(t.panelLossWeight).toBe(0.1);
    expect(t.panelColumns).toBe(10);
    const given = trainModel({ table, schema, model: 'tvae', epsilon: Infinity, seed: 2, options: { epochs: 2, batchSize: 50, panelLossWeight: 1 } });
    expect((given.manifest.generator.training as Record<string, unknown>).epochs).toBe(2);
    expect((given.manifest.generator.training as Record<string, unknown>).steps).toBe(8);
    expect((given.manifest.generator.training as Record<string, unknown>).panelLossWeight).toBe(1);
    expect(() => trainModel({ table, schema, model: 'tvae', epsilon: Infinity, options: { panelLossWeight: 0 } })).toThrow(/panelLossWeight/);
  });
});
