/**
 * The assays' missing counts under DP (assay-missingness.ts) and the tree's missing-rate
 * calibration (missing-calibration.ts): issue 5's "missingness rates within 5 points of the real
 * data" for the copula and the marginal generator at ε = 3, and the copula at ε = 1, on every column.
 */
import { simulateCohort } from '../../../src/scd';
import { sampleModel, trainModel } from '../../../src/models';
import { CryptoRandom } from '../../../src/dp/noise';
import { combineGroupMissingCounts, MISSING_ROW_CLIP, releaseGroupMissing } from '../../../src/models/marginal/assay-missingness';
import { calibrateTreeMissing } from '../../../src/models/marginal/missing-calibration';
import { copulaMarginals } from '../../../src/models/copula/copula-fit';
import { COPULA_SHARES, copulaShares } from '../../../src/models/copula/copula-generator';
import type { TreeModel } from '../../../src/models/marginal/tree-estimation';
import type { DiscreteColumnEncoder } from '../../../src/transform/discretiser';
import type { TableSchema } from '../../../src/data/schema';

// Nullable 2-level columns: codes 0, 1 present, 2 missing.
const nullable = (column: string): DiscreteColumnEncoder => ({ column, kind: 'integer', levels: 'categories', categories: ['a', 'b'], size: 3, nullable: true } as unknown as DiscreteColumnEncoder);

describe('the assays\u2019 missing counts', () => {
  const encoders = Array.from({ length: 12 }, (_, j) => nullable(`c${j}`));
  // c0..c9 one assay (source "panel"), c10 and c11 each their own group
  const schema = { columns: encoders.map((e, j) => ({ name: e.column, kind: 'integer', ...(j < 10 ? { source: 'panel' } : {}) })) } as unknown as TableSchema;

  test('each row adds its share of a group in the rarer state, clipped to norm 3; mostly-missing groups count the present', () => {
    const rows = 4;
    // row 0: panel present, c10 missing, c11 present; rows 1-3: everything missing
    const codes = encoders.map((_, j) => Int32Array.from({ length: rows }, (_, i) => (i === 0 ? (j === 10 ? 2 : 0) : 2)));
    // noisy histogram rates: panel 75% missing (rarer state: present), c10 10%, c11 90%
    const rate = (j: number) => (j < 10 ? 0.75 : j === 10 ? 0.1 : 0.9);
    const r = releaseGroupMissing(codes, rows, encoders, schema, rate, 0, new CryptoRandom(new Uint8Array(32)), rows);
    expect(r.groups.map((g) => g.columns.length)).toEqual([10, 1, 1]);
    expect(r.sigma).toBe(0);
    // panel: 1 of 4 rows present -> 3 missing; c10: rows 0-3 missing -> 4; c11: 3 missing (total 4 - 1 present)
    expect(Array.from(r.missing)).toEqual([3, 4, 3]);
    // the clip: a row in the rarer state in 20 one-column groups adds 3/√20 to each
    const wide = Array.from({ length: 20 }, (_, j) => nullable(`w${j}`));
    const wideSchema = { columns: wide.map((e) => ({ name: e.column, kind: 'integer' })) } as unknown as TableSchema;
    const one = releaseGroupMissing(wide.map(() => Int32Array.of(2)), 1, wide, wideSchema, () => 0.1, 2, new CryptoRandom(new Uint8Array(32)), 1);
    expect(one.sigma).toBe(2 * MISSING_ROW_CLIP);
    const clipped = releaseGroupMissing(wide.map(() => Int32Array.of(2)), 1, wide, wideSchema, () => 0.1, 0, new CryptoRandom(new Uint8Array(32)), 1);
    for (const v of clipped.missing) expect(v).toBeCloseTo(MISSING_ROW_CLIP / Math.sqrt(20), 12);
  });

  test('the release and the histograms are combined by inverse variance; without a release a group takes its mean', () => {
    const counts = encoders.map((_, j) => Float64Array.of(10, 10, j < 10 ? 100 + j : 50));
    const release = { groups: [{ key: 'panel', columns: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }, { key: 'column:c10', columns: [10] }, { key: 'column:c11', columns: [11] }], missing: Float64Array.of(110, 60, 50), sigma: 10 };
    combineGroupMissingCounts(counts, encoders, schema, 10, release);
    // panel: mean 104.5 with variance 100/10 = 10, release 110 with variance 100 -> (104.5·10 + 110)/11
    for (let j = 0; j < 10; j++) expect(counts[j][2]).toBeCloseTo((104.5 * 10 + 110) / 11, 10);
    expect(counts[10][2]).toBeCloseTo(55, 10);
    const plain = encoders.map((_, j) => Float64Array.of(10, 10, j < 10 ? 100 + j : 50));
    combineGroupMissingCounts(plain, encoders, schema, 10, null);
    for (let j = 0; j < 10; j++) expect(plain[j][2]).toBeCloseTo(104.5, 10);
  });

  test('tree calibration: each nullable column reaches its target rate, through its parent\u2019s calibrated marginal', () => {
    // root c0 (codes a, b, missing), child c1 with P(c1 | c0) per parent code
    const tree: TreeModel = {
      sizes: [3, 3], parent: [-1, 0], order: [0, 1], total: 1000,
      tables: [Float64Array.of(0.5, 0.3, 0.2), Float64Array.of(0.6, 0.3, 0.1, 0.2, 0.2, 0.6, 0.1, 0.1, 0.8)],
    };
    calibrateTreeMissing(tree, [nullable('c0'), nullable('c1')], [0.3, 0.5]);
    const [root, child] = tree.tables;
    expect(root[2]).toBeCloseTo(0.3, 9);
    expect(root[0] / root[1]).toBeCloseTo(0.5 / 0.3, 9);
    const childMissing = [0, 1, 2].reduce((s, r) => s + root[r] * child[r * 3 + 2], 0);
    expect(childMissing).toBeCloseTo(0.5, 9);
    for (let r = 0; r < 3; r++) expect(child[r * 3] + child[r * 3 + 1] + child[r * 3 + 2]).toBeCloseTo(1, 12);
    // one odds factor for every parent row: the ordering of the rows' missing shares is kept
    expect(child[2]).toBeLessThan(child[5]);
    expect(child[5]).toBeLessThan(child[8]);
  });
});

describe('missing rates read off noisy histograms', () => {
  test('the copula\u2019s missing latent takes the missing cell over the total; the noise of the present cells does not shift it', () => {
    // one nullable 3-bin column: present cells -200, 900, 100 (noisy), missing cell 300, of 1,000 rows
    const e = { column: 'x', kind: 'continuous', levels: 'bins', edges: [0, 1, 2, 3], integer: false, nullable: true, size: 4, source: 'schema' } as unknown as DiscreteColumnEncoder;
    const m = copulaMarginals([e], [Float64Array.of(-200, 900, 100, 300)]);
    expect(m.total).toBe(1100);
    expect(m.missingLatents).toEqual([0]);
    // projecting all four cells onto 1,100 rows shifts each by 66.7: the missing rate would be 233/1100
    expect(1 - m.cdfs[m.cdfOffsets[1]]).toBeCloseTo(300 / 1100, 12);
    // the present cells projected onto the remaining 800 rows: 0, 800 - τ, 100 - τ with τ = 100
    expect(Array.from(m.cdfs.slice(0, 3))).toEqual([0, 1, 1]);
  });

  test('tree calibration moves a column missing under every parent level (q = 1), its present mass spread evenly', () => {
    const tree: TreeModel = { sizes: [3, 3], parent: [-1, 0], order: [0, 1], total: 1000, tables: [Float64Array.of(0.5, 0.5, 0), Float64Array.of(0, 0, 1, 0, 0, 1, 0, 0, 1)] };
    calibrateTreeMissing(tree, [nullable('c0'), nullable('c1')], [undefined, 0.9]);
    const child = tree.tables[1];
    for (let r = 0; r < 2; r++) {
      expect(child[r * 3 + 2]).toBeCloseTo(0.9, 6);
      expect(child[r * 3]).toBeCloseTo(0.05, 6);
      expect(child[r * 3 + 1]).toBeCloseTo(0.05, 6);
    }
  });

  test('tree calibration moves a column never missing (q = 0) up to its released rate, keeping its present shares', () => {
    const tree: TreeModel = { sizes: [3, 3], parent: [-1, 0], order: [0, 1], total: 1000, tables: [Float64Array.of(0.5, 0.5, 0), Float64Array.of(0.2, 0.8, 0, 0.6, 0.4, 0, 0, 0, 1)] };
    calibrateTreeMissing(tree, [nullable('c0'), nullable('c1')], [undefined, 0.13]);
    const child = tree.tables[1];
    for (let r = 0; r < 2; r++) expect(child[r * 3 + 2]).toBeCloseTo(0.13, 6);
    expect(child[0] / child[1]).toBeCloseTo(0.25, 9);
    expect(child[3] / child[4]).toBeCloseTo(1.5, 9);
  });
});

describe('missing rates at ε = 3 (every column within 5 points, 15,000 rows)', () => {
  const sim = simulateCohort({ patients: 1500, sites: 4, seed: 21 });
  const gaps = (model: 'copula' | 'marginal') => {
    const m = trainModel({ table: sim.patients, schema: sim.schema, model, epsilon: 3, delta: 1e-6, seed: 2 });
    const notes = (m.manifest.privacy.ledger as { entries: Array<{ note: string }> }).entries.map((e) => e.note);
    expect(notes.some((n) => /missing counts by assay/.test(n))).toBe(true);
    const syn = sampleModel(m, { rows: 15000, seed: 1 });
    return sim.schema.columns.filter((c) => syn.getChild(c.name)).map((c) => ({ column: c.name, gap: Math.abs(syn.getChild(c.name)!.nullCount / syn.numRows - sim.patients.getChild(c.name)!.nullCount / sim.patients.numRows) }));
  };
  // Measured on cohorts 21, 7, 5, 11, 3: worst 4.1 points (copula) and 3.3 (marginal); without
  // the release 2 or 3 columns of each were beyond 5 on cohorts 21 and 7 (up to 8.5).
  test.each(['copula', 'marginal'] as const)('%s', (model) => {
    const g = gaps(model);
    expect(g.length).toBeGreaterThan(270);
    expect(g.filter((x) => x.gap > 0.05)).toEqual([]);
  }, 60000);
});

describe('the copula\u2019s missing counts below ε = 3', () => {
  test('take a larger share of ρ from the correlation on wide tables, linearly up to ε = 1 (ε and the columns are public)', () => {
    expect([Infinity, 10, 3, 2, 1, 0.5].map((e) => copulaShares(e, 280).missing)).toEqual([0.1, 0.1, 0.1, 0.2, 0.3, 0.3]);
    // Only on wide tables: a narrow table's histograms measure their missing cells as well.
    [12, 40, 101.25, 162, 600].forEach((d, i) => expect(copulaShares(1, d).missing).toBeCloseTo([0.1, 0.1, 0.2, 0.3, 0.3][i], 12));
    for (const e of [10, 2, 1]) {
      const s = copulaShares(e, 280);
      expect(s.quantiles).toBe(COPULA_SHARES.quantiles);
      expect(s.oneWay).toBe(COPULA_SHARES.oneWay);
      expect(s.quantiles + s.oneWay + s.missing + s.correlation).toBeCloseTo(1, 12);
    }
  });
  // Cohort 7, training seed 3: with the 10% share the reticulocytes' missing rate came out 18.4%
  // against 13.1% (the same with cohorts 21, 5 and 11 and this seed).
  test('at ε = 1 every column is within 5 points of its missing rate (15,000 rows)', () => {
    const sim = simulateCohort({ patients: 1500, sites: 4, seed: 7 });
    const m = trainModel({ table: sim.patients, schema: sim.schema, model: 'copula', epsilon: 1, delta: 1e-6, seed: 3 });
    const syn = sampleModel(m, { rows: 15000, seed: 1 });
    const rate = (t: typeof syn, c: string) => t.getChild(c)!.nullCount / t.numRows;
    const columns = m.manifest.encoders.map((e) => String(e.column));
    expect(columns.length).toBeGreaterThan(270);
    expect(columns.filter((c) => Math.abs(rate(syn, c) - rate(sim.patients, c)) > 0.05)).toEqual([]);
  }, 60000);
});
