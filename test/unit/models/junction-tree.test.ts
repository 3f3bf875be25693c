import { fitFamilies, parentGroupsOf, penalisedGain, selectFamilies, shrunkTable } from '../../../src/models/marginal/family-selection';
import { familyParents, fitFromMeasurements, parentLevels, parentViolation, type TreeModel } from '../../../src/models/marginal/tree-estimation';
import { conditionTree, flattenTree, sampleTree } from '../../../src/models/marginal/tree-sampler';
import { countCliqueReference } from '../../../src/models/marginal/contingency';
import { marginalNative } from '../../../src/native/marginal';
import { decodeColumn, outerBinTails } from '../../../src/transform/decode';
import { binOf, type DiscreteColumnEncoder } from '../../../src/transform/discretiser';
import { SamplingRandom } from '../../../src/models/sampling-random';
import { codesOf, type SampledCodes } from '../../../src/models/generator';
import { sampleModel, trainModel } from '../../../src/models';
import { readNumbers } from '../../../src/transform/column-values';
import { tableFromArrays } from 'apache-arrow';

function requireNative() {
  const native = marginalNative();
  if (!native) throw new Error('native addon not loaded: build it (npm run build:native) to run this test');
  return native;
}

/** Joint probability of every cell of a network model, by enumeration (row-major over columns). */
function jointOf(model: TreeModel): Float64Array {
  const d = model.sizes.length;
  const cells = model.sizes.reduce((a, b) => a * b, 1);
  const out = new Float64Array(cells);
  const x = new Array<number>(d).fill(0);
  for (let c = 0; c < cells; c++) {
    let r = c;
    for (let j = d - 1; j >= 0; j--) { x[j] = r % model.sizes[j]; r = Math.floor(r / model.sizes[j]); }
    let p = 1;
    for (const j of model.order) {
      const row = familyParents(model, j).reduce((r, q) => r * parentLevels(model, q) + (model.parentGroups?.[q] ? (model.parentGroups[q] as number[])[x[q]] : x[q]), 0);
      p *= model.tables[j][row * model.sizes[j] + x[j]];
    }
    out[c] = p;
  }
  return out;
}

/**
 * A network over 5 columns (sizes 2, 3, 2, 3, 2): 0 -> 1; 2 <- {1, 0}; 3 <- {1, 2}; 4 <- {3, 0, 2},
 * whose parents are not a clique (0 and 3 are not adjacent), so conditioning must widen tables.
 */
function knownModel(grouped = false): TreeModel {
  const rnd = new SamplingRandom(3, 0);
  const cpt = (rows: number, s: number) => {
    const t = new Float64Array(rows * s);
    for (let r = 0; r < rows; r++) {
      let z = 0;
      for (let k = 0; k < s; k++) { t[r * s + k] = 0.05 + rnd.next(); z += t[r * s + k]; }
      for (let k = 0; k < s; k++) t[r * s + k] /= z;
    }
    return t;
  };
  // Grouped: columns 1 and 3 enter their children's tables at 2 levels ({0, 1} and {2}; {0} and {1, 2}).
  const l1 = grouped ? 2 : 3, l3 = grouped ? 2 : 3;
  return {
    sizes: [2, 3, 2, 3, 2],
    parent: [-1, 0, 1, 1, 3],
    extraParents: [[], [], [0], [2], [0, 2]],
    ...(grouped ? { parentGroups: [null, [0, 0, 1], null, [0, 1, 1], null] } : {}),
    order: [0, 1, 2, 3, 4],
    tables: [cpt(1, 2), cpt(2, 3), cpt(l1 * 2, 2), cpt(l1 * 2, 3), cpt(l3 * 2 * 2, 2)],
    total: 1,
  };
}

/** Column c of joint cell index `cell` (row-major over sizes). */
function codeOf(sizes: readonly number[], cell: number, c: number): number {
  return Math.floor(cell / sizes.slice(c + 1).reduce((a, b) => a * b, 1)) % sizes[c];
}

describe('tree and network (several parents) models', () => {
  test('fitFromMeasurements recovers a tree-factorised distribution exactly from its exact marginals', () => {
    const truth: TreeModel = { sizes: [2, 3, 2, 3], parent: [-1, 0, 1, 1], order: [0, 1, 2, 3], tables: [], total: 1 };
    truth.tables = [Float64Array.of(0.3, 0.7), Float64Array.of(0.2, 0.5, 0.3, 0.6, 0.1, 0.3), Float64Array.of(0.9, 0.1, 0.4, 0.6, 0.25, 0.75), Float64Array.of(0.1, 0.2, 0.7, 0.5, 0.25, 0.25, 0.3, 0.3, 0.4)];
    const joint = jointOf(truth);
    const n = 10000;
    const marginal = (cols: number[]) => {
      const out = new Float64Array(cols.reduce((a, j) => a * truth.sizes[j], 1));
      joint.forEach((p, c) => {
        const x = [Math.floor(c / 18), Math.floor(c / 6) % 3, Math.floor(c / 3) % 2, c % 3];
        out[cols.reduce((k, j) => k * truth.sizes[j] + x[j], 0)] += p * n;
      });
      return out;
    };
    const measurements = [[0], [1], [2], [3], [0, 1], [1, 2], [1, 3]].map((clique) => ({ clique, counts: marginal(clique), sigma: 0 }));
    const fitted = fitFromMeasurements(truth.sizes, measurements);
    expect(fitted.total).toBeCloseTo(n, 6);
    const got = jointOf(fitted);
    // exact up to the 1e-6 relative floor fitFromMeasurements puts under every 2-way cell
    got.forEach((p, c) => expect(Math.abs(p - joint[c])).toBeLessThan(1e-6));
  });

  test.each([['plain', false], ['with parent groups', true]])('conditioning a network (%s) is exact: every cell equals the joint times the evidence, renormalised', (_, grouped) => {
    const model = knownModel(grouped as boolean);
    const joint = jointOf(model);
    // Evidence below non-adjacent parents (column 4) and at a root: tables must widen.
    for (const evidence of [new Map([[4, Float64Array.of(1, 0.25)], [0, Float64Array.of(0.2, 1)]]), new Map([[3, Float64Array.of(1, 0, 0.5)]]), new Map([[1, Float64Array.of(0, 1, 0)], [4, Float64Array.of(0, 1)]])]) {
      const { tree, probability } = conditionTree(model, evidence);
      expect(parentViolation(tree)).toBeNull();
      let z = 0;
      const post = joint.map((p, c) => {
        let v = p;
        for (const [col, w] of evidence) v *= w[codeOf(model.sizes, c, col)];
        z += v;
        return v;
      });
      expect(probability).toBeCloseTo(z, 12);
      const got = jointOf(tree);
      got.forEach((p, c) => expect(p).toBeCloseTo(post[c] / z, 12));
    }
    // Column 4's evidence reaches 3, whose conditioned table gains parent 0 (from 4's parents).
    expect(familyParents(conditionTree(model, new Map([[4, Float64Array.of(1, 0)]])).tree, 3).sort()).toEqual([0, 1, 2]);
    // With groups, the conditioned table of 3 is over the parents' levels: 1 (2 levels), 2 and 0.
    if (grouped) expect(conditionTree(model, new Map([[4, Float64Array.of(1, 0)]])).tree.tables[3]).toHaveLength(2 * 2 * 2 * 3);
  });

  test.each([['plain', false], ['with parent groups', true]])('sampling a network (%s): native equals the TypeScript reference; frequencies match the model', (_, grouped) => {
    requireNative();
    const model = knownModel(grouped as boolean);
    // 220,000 rows: blocks of 4,096 rows split over threads, the kernel writing the returned array.
    const rows = 220000;
    const native = sampleTree(model, rows, 17);
    const js = sampleTree(model, rows, 17, { engine: 'js' });
    js.forEach((col, j) => expect(Buffer.from(native[j].buffer, native[j].byteOffset, native[j].byteLength).equals(Buffer.from(col.buffer))).toBe(true));
    const joint = jointOf(model);
    const counts = countCliqueReference({ codes: native, sizes: model.sizes, rows }, [0, 1, 2, 3, 4]);
    counts.forEach((k, c) => {
      const sd = Math.sqrt(rows * joint[c] * (1 - joint[c]));
      expect(Math.abs(k - rows * joint[c])).toBeLessThan(4.5 * sd + 1);
    });
  });

  test('a table with a negative entry (thresholds not increasing) is drawn by the reference scan: native equals TypeScript', () => {
    requireNative();
    const model = knownModel();
    const t1 = Float64Array.from(model.tables[1]);
    t1.set([0.6, -0.3, 0.7], 0);  // cumulative 0.6, 0.3, 1.0: the count of thresholds <= x would differ
    const odd = { ...model, tables: model.tables.map((t, j) => (j === 1 ? t1 : t)) };
    const native = sampleTree(odd, 5000, 9);
    const js = sampleTree(odd, 5000, 9, { engine: 'js' });
    js.forEach((col, j) => expect(Array.from(native[j])).toEqual(Array.from(col)));
    expect(native[1].some((k, i) => native[0][i] === 0 && k === 1)).toBe(false);  // x ≥ 0.6 stops at 1 only if x < 0.3: never
  });

  test('the native sampler rejects a parent after its node and a table outside cpt', () => {
    const native = requireNative();
    const model = knownModel();
    const { cpt, offsets } = flattenTree(model);
    const start = Int32Array.of(0, 0, 1, 3, 5, 8);
    const list = Int32Array.of(0, 1, 0, 1, 2, 3, 0, 2);
    const identity = Int32Array.of(0, 1, 0, 1, 2, 0, 1, 0, 1, 2, 0, 1);
    const call = (order: Int32Array, l: Int32Array, c: Float64Array, map = identity) => native.marginalSampleTree(order, start, l, Int32Array.from(model.sizes), map, Int32Array.from(model.sizes), c, offsets, 10, 1, 1);
    const columns = call(Int32Array.of(0, 1, 2, 3, 4), list, cpt);
    expect(columns).toHaveLength(5);
    columns.forEach((c, j) => { expect(Object.prototype.toString.call(c)).toBe('[object Int32Array]'); expect(c).toHaveLength(10); c.forEach((k) => expect(k >= 0 && k < model.sizes[j]).toBe(true)); });
    expect(() => call(Int32Array.of(0, 1, 2, 3, 4), list, cpt, Int32Array.of(0, 1, 0, 1, 3, 0, 1, 0, 1, 2, 0, 1))).toThrow(/levels of column 1 in \[0, 3\)/);
    expect(() => call(Int32Array.of(0, 1, 2, 3, 4), list, cpt, identity.subarray(1))).toThrow(/one level per code/);
    expect(() => call(Int32Array.of(0, 1, 3, 2, 4), list, cpt)).toThrow(/precedes its child/);
    expect(() => call(Int32Array.of(0, 1, 2, 3, 4), Int32Array.of(0, 1, 0, 1, 2, 3, 0, 0), cpt)).toThrow(/distinct parents/);
    expect(() => call(Int32Array.of(0, 1, 2, 3, 4), list, cpt.subarray(0, cpt.length - 1))).toThrow(/inside cpt/);
  });

  test('penalisedGain: about 0 for an independent parent, n·I less the bias for a dependent one', () => {
    // x independent of a: counts proportional to the margins.
    expect(penalisedGain(Float64Array.of(20, 30, 40, 60), [2], 2)).toBeCloseTo(-0.5, 12);
    // x = a: n·I = 100·ln 2, less (2 − 1)(2 − 1)/2.
    expect(penalisedGain(Float64Array.of(50, 0, 0, 50), [2], 2)).toBeCloseTo(100 * Math.log(2) - 0.5, 10);
  });

  test('shrunkTable: exact conditionals for well-filled configurations, the lower level for empty ones', () => {
    // Parents a (2 levels) then b (2 levels), x (2 codes); configuration (1, 1) is empty.
    const counts = Float64Array.of(90, 10, 10, 90, 50, 50, 0, 0);
    const t = shrunkTable(counts, [2, 2], 2, 0.5);
    expect(t[0]).toBeCloseTo((90 + 0.5 * ((100 + 0.5 * 0.5) / 200.5)) / 100.5, 12);
    // Empty configuration (1, 1): P(x | a = 1), itself P(x | a = 1) = 50/50 shrunk to the marginal (150/300).
    expect(t[6]).toBeCloseTo(0.5, 12);
    expect(t[6] + t[7]).toBeCloseTo(1, 12);
  });

  test('parentGroupsOf: ordered levels in runs of equal mass, missing its own group, categories and small columns untouched', () => {
    const c = Float64Array.of(10, 10, 10, 10, 10, 10, 10, 10, 5);
    expect(Array.from(parentGroupsOf([c], [true], [true], 4)[0] as Int32Array)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4]);
    expect(parentGroupsOf([c], [false], [true], 4)[0]).toBeNull();
    expect(parentGroupsOf([Float64Array.of(5, 5, 5, 5)], [true], [false], 4)[0]).toBeNull();
  });

  test('family selection: a column caused by two independent columns keeps both dependencies, and the joint is recovered', () => {
    // P(c = 1) = 0.1, 0.5, 0.9 for a + b = 0, 1, 2: a tree keeps one of a and b, and a
    // clique-constrained (decomposable) model cannot give c both, a and b being independent.
    const rnd = new SamplingRandom(11, 2);
    const n = 6000;
    const codes = [0, 1, 2, 3].map(() => new Int32Array(n));
    for (let r = 0; r < n; r++) {
      codes[0][r] = rnd.next() < 0.5 ? 1 : 0;
      codes[1][r] = rnd.next() < 0.5 ? 1 : 0;
      codes[2][r] = rnd.next() < [0.1, 0.5, 0.9][codes[0][r] + codes[1][r]] ? 1 : 0;
      codes[3][r] = rnd.next() < 0.3 ? 1 : 0; // independent of everything
    }
    const enc = { codes, sizes: [2, 2, 2, 2], rows: n };
    const structure = selectFamilies(enc);
    // The three dependent columns form one family of three (in whichever direction); column 3
    // may take a spurious parent (the Miller–Madow score corrects the bias, not the variance).
    expect(structure.parents.filter((ps, j) => j !== 3 && ps.length === 2 && !ps.includes(3))).toHaveLength(1);
    const model = fitFamilies(enc, structure);
    expect(parentViolation(model)).toBeNull();
    const joint = jointOf(model);
    // P(c = 1 | a, b) within sampling error (sd about 0.013 for 1,500 rows a cell); a ⟂ b.
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) {
      let pc1 = 0, pab = 0;
      for (let cell = 0; cell < joint.length; cell++) {
        if (codeOf(model.sizes, cell, 0) !== a || codeOf(model.sizes, cell, 1) !== b) continue;
        pab += joint[cell];
        if (codeOf(model.sizes, cell, 2) === 1) pc1 += joint[cell];
      }
      expect(Math.abs(pc1 / pab - [0.1, 0.5, 0.9][a + b])).toBeLessThan(0.045);
      expect(Math.abs(pab - 0.25)).toBeLessThan(0.02);
    }
    // Column 3 stays (nearly) independent of the others in the model.
    for (let cell = 0; cell < joint.length; cell += 2) {
      const pair = joint[cell] + joint[cell + 1];
      expect(Math.abs(joint[cell + 1] / pair - 0.3)).toBeLessThan(0.04);
    }
  });
});

describe('native decoding and validity packing', () => {
  test('marginalDecodeColumns gives the values of the TypeScript decoder, point bins, exponential tails, tilted bins and restrictions included', () => {
    const native = requireNative();
    // x: its last interval [4, 10) is 2.4 times as wide as [1.5, 4), so it decodes as a tail of
    // scale 2.5; k: both outer intervals are tails (scale 2).
    const cont: DiscreteColumnEncoder = { column: 'x', kind: 'continuous', output: 'float64', levels: 'bins', edges: [0, 0, 1.5, 4, 10, 10], integer: false, min: 0, max: 10, nullable: true, size: 6, source: 'exact-quantiles' };
    const int: DiscreteColumnEncoder = { column: 'k', kind: 'integer', output: 'int32', levels: 'bins', edges: [0, 20, 22, 24, 40], integer: true, min: 0, max: 39, nullable: false, size: 4, source: 'schema', tilts: [0.9, -0.6, 0.3, -0.9] };
    // x's [1.5, 4) and k's [20, 22) and [22, 24) are tilted (the outer bins keep their tails).
    cont.tilts = [0, 0, 0.7, -0.5, 0];
    expect(outerBinTails(cont.edges as number[])).toEqual([{ bin: 1, scale: -1 }, { bin: 3, scale: 2.5 }]);
    expect(outerBinTails(int.edges as number[])).toEqual([{ bin: 0, scale: 2 }, { bin: 3, scale: 2 }]);
    const tails = (e: DiscreteColumnEncoder) => outerBinTails(e.edges as number[]).flatMap((t) => [t.bin, t.scale]);
    const cat: DiscreteColumnEncoder = { column: 'c', kind: 'categorical', output: 'dictionary', levels: 'categories', categories: ['a', 'b', 'c'], integer: false, nullable: true, size: 4, source: 'schema' };
    const rows = 3000;
    const rnd = new SamplingRandom(5, 2);
    const codesOf = (e: DiscreteColumnEncoder) => Int32Array.from({ length: rows }, () => Math.floor(rnd.next() * e.size));
    const codes = [codesOf(cont), codesOf(int), codesOf(cat)];
    const restriction = { lo: 0.5, hi: 6, hiOpen: true };
    const specs = Float64Array.from([
      1, 0, 0, 10, restriction.lo, restriction.hi, 0, 1, 5, 0, ...tails(cont),
      1, 1, 0, 39, -Infinity, Infinity, 0, 0, -1, 1, ...tails(int),
      0, 0, -Infinity, Infinity, -Infinity, Infinity, 0, 0, 3, 1, -1, -1, -1, -1,
    ]);
    const edges = Float64Array.from([...(cont.edges as number[]), ...(int.edges as number[]), 0, 1, 2]);
    const tilts = Float64Array.from([...(cont.tilts as number[]), 0, ...(int.tilts as number[]), 0, 0, 0, 0]);
    const offsets = Int32Array.of(0, 6, 11, 14);
    const values = [new Float64Array(rows), new Int32Array(rows), new Int32Array(rows)];
    const valid = [new Uint8Array(rows), new Uint8Array(rows), new Uint8Array(rows)];
    native.marginalDecodeColumns(codes, rows, specs, edges, tilts, offsets, Int32Array.of(11, 12, 13), 99, 2, values, valid);
    [cont, int, cat].forEach((e, j) => {
      const rng = new SamplingRandom(99, 11 + j);
      const ref = decodeColumn(e, codes[j], () => rng.next(), j === 0 ? restriction : undefined);
      expect(Array.from(valid[j])).toEqual(Array.from(ref.valid));
      for (let i = 0; i < rows; i++) if (ref.valid[i]) expect(values[j][i]).toBe(ref.values[i]);
    });
    // point bins decode to their value exactly
    for (let i = 0; i < rows; i++) if (codes[0][i] === 0) expect(values[0][i]).toBe(0); // the point bin [0, 0] keeps its value
    // k's tails decay away from the inner edges: most values near 20 and 24, not spread over 0..19 and 24..39
    const low = Array.from(values[1]).filter((_, i) => codes[1][i] === 0), high = Array.from(values[1]).filter((_, i) => codes[1][i] === 3);
    expect(low.length).toBeGreaterThan(500);
    expect(low.every((v) => v >= 0 && v <= 19 && Number.isInteger(v))).toBe(true);
    expect(high.every((v) => v >= 24 && v <= 39 && Number.isInteger(v))).toBe(true);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(low)).toBeGreaterThan(16); // 19 - E[floor(Exp(2))] ≈ 17.5 (uniform would give 9.5)
    expect(mean(high)).toBeLessThan(26); // 24 + E[floor(Exp(2))] ≈ 25.5 (uniform would give 31.5)
    // x's [1.5, 4) with tilt 0.7 (restricted to [1.5, 4) by the condition too): mean position 1/2 + t/6 ≈ 0.617, not 0.5
    const tilted = Array.from(values[0]).filter((_, i) => codes[0][i] === 2 && valid[0][i]).map((v) => (v - 1.5) / 2.5);
    expect(mean(tilted)).toBeGreaterThan(0.58);
    expect(mean(tilted)).toBeLessThan(0.66);
    const badTilts = Float64Array.from(tilts.subarray(0, 6));
    badTilts[2] = 1;
    expect(() => native.marginalDecodeColumns([Int32Array.of(2)], 1, specs.subarray(0, 14), edges.subarray(0, 6), badTilts, Int32Array.of(0, 6), Int32Array.of(1), 1, 1, [new Float64Array(1)], [new Uint8Array(1)])).toThrow(/Expected bin tilts in \(-1, 1\) for column 0 but received 1\.0+ at bin 2/);
    expect(() => native.marginalDecodeColumns([Int32Array.of(2)], 1, specs.subarray(0, 14), edges.subarray(0, 6), tilts.subarray(0, 5), Int32Array.of(0, 6), Int32Array.of(1), 1, 1, [new Float64Array(1)], [new Uint8Array(1)])).toThrow(/tilts/);
    expect(() => native.marginalDecodeColumns([Int32Array.of(7)], 1, specs.subarray(0, 14), edges.subarray(0, 6), tilts.subarray(0, 6), Int32Array.of(0, 6), Int32Array.of(1), 1, 1, [new Float64Array(1)], [new Uint8Array(1)])).toThrow(/Expected bin codes in \[0, 5\) but received 7/);
    expect(() => native.marginalDecodeColumns([Int32Array.of(1)], 1, specs.subarray(0, 14), edges.subarray(0, 6), tilts.subarray(0, 6), Int32Array.of(0, 6), Int32Array.of(1), 1, 1, [new Int32Array(1)], [new Uint8Array(1)])).toThrow(/Expected a Float64Array \(float64 output\) for values\[0\]/);
  });

  test('marginalDecodeColumns with positions: the TypeScript decoder\'s values; each value inside its 256th of the bin, rising with it (tails and tilts included); bad positions refused', () => {
    const native = requireNative();
    const cont: DiscreteColumnEncoder = { column: 'x', kind: 'continuous', output: 'float64', levels: 'bins', edges: [0, 1.5, 4, 10], integer: false, min: 0, max: 10, nullable: true, size: 4, source: 'exact-quantiles', tilts: [0, 0.7, 0] };
    const int: DiscreteColumnEncoder = { column: 'k', kind: 'integer', output: 'int32', levels: 'bins', edges: [0, 20, 22, 24, 40], integer: true, min: 0, max: 39, nullable: false, size: 4, source: 'schema', tilts: [0, -0.6, 0, 0] };
    // x: [4, 10) decodes as a tail (4 times [1.5, 4)); k: both outer bins are tails.
    expect(outerBinTails(cont.edges as number[])).toEqual([{ bin: 0, scale: -1 }, { bin: 2, scale: 2.5 }]);
    expect(outerBinTails(int.edges as number[])).toEqual([{ bin: 0, scale: 2 }, { bin: 3, scale: 2 }]);
    const tails = (e: DiscreteColumnEncoder) => outerBinTails(e.edges as number[]).flatMap((t) => [t.bin, t.scale]);
    const rows = 4000;
    const rnd = new SamplingRandom(8, 3);
    const codes = [cont, int].map((e) => Int32Array.from({ length: rows }, () => Math.floor(rnd.next() * e.size)));
    const positions = [0, 1].map(() => Uint8Array.from({ length: rows }, () => Math.floor(rnd.next() * 256)));
    const specs = Float64Array.from([1, 0, 0, 10, -Infinity, Infinity, 0, 0, 3, 0, ...tails(cont), 1, 1, 0, 39, -Infinity, Infinity, 0, 0, -1, 1, ...tails(int)]);
    const edges = Float64Array.from([...(cont.edges as number[]), ...(int.edges as number[])]);
    const tilts = Float64Array.from([...(cont.tilts as number[]), 0, ...(int.tilts as number[]), 0]);
    const offsets = Int32Array.of(0, 4, 9);
    const values = [new Float64Array(rows), new Int32Array(rows)];
    const valid = [new Uint8Array(rows), new Uint8Array(rows)];
    native.marginalDecodeColumns(codes, rows, specs, edges, tilts, offsets, Int32Array.of(21, 22), 7, 2, values, valid, positions);
    [cont, int].forEach((e, j) => {
      const rng = new SamplingRandom(7, 21 + j);
      const ref = decodeColumn(e, codes[j], () => rng.next(), undefined, positions[j]);
      expect(Array.from(valid[j])).toEqual(Array.from(ref.valid));
      for (let i = 0; i < rows; i++) if (ref.valid[i]) expect(values[j][i]).toBe(ref.values[i]);
    });
    // x's uniform bin [0, 1.5): inside its 256th exactly.
    for (let i = 0; i < rows; i++) {
      if (codes[0][i] !== 0) continue;
      expect(values[0][i]).toBeGreaterThanOrEqual((1.5 * positions[0][i]) / 256);
      expect(values[0][i]).toBeLessThan((1.5 * (positions[0][i] + 1)) / 256);
    }
    // Every bin (uniform, tilted, upper and lower tails, integers): values never fall as the position rises.
    [0, 1].forEach((j) => {
      for (let k = 0; k < (j === 0 ? 3 : 4); k++) { // x's code 3 is its missing code
        const byPos = Array.from({ length: 256 }, () => [Infinity, -Infinity]);
        for (let i = 0; i < rows; i++) if (valid[j][i] && codes[j][i] === k) { const b = byPos[positions[j][i]]; b[0] = Math.min(b[0], values[j][i]); b[1] = Math.max(b[1], values[j][i]); }
        const seen = byPos.filter((b) => b[0] <= b[1]);
        expect(seen.length).toBeGreaterThan(100);
        for (let q = 1; q < seen.length; q++) expect(seen[q][0]).toBeGreaterThanOrEqual(seen[q - 1][1]);
      }
    });
    const one = (p: unknown[]) => () => native.marginalDecodeColumns([Int32Array.of(1)], 1, specs.subarray(0, 14), edges.subarray(0, 4), tilts.subarray(0, 4), Int32Array.of(0, 4), Int32Array.of(1), 1, 1, [new Float64Array(1)], [new Uint8Array(1)], p as Uint8Array[]);
    expect(one([null])).not.toThrow();
    expect(one([new Uint8Array(2)])).toThrow(/positions\[0\]/);
    expect(one([new Float32Array(1)])).toThrow(/Expected a Uint8Array or null for positions\[0\]/);
    expect(one([])).toThrow(/one entry per column/);
  });

  test('marginalPackValidity packs LSB-first and counts nulls', () => {
    const native = requireNative();
    const bytes = Uint8Array.of(1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1);
    const bitmap = new Uint8Array(2);
    expect(native.marginalPackValidity(bytes, bitmap)).toBe(5);
    expect(Array.from(bitmap)).toEqual([0b10001101, 0b101]);
    expect(() => native.marginalPackValidity(bytes, new Uint8Array(1))).toThrow(/Expected length 2 for bitmap/);
  });

  test('binOf puts a point bin [v, v] at exactly v', () => {
    const e = [0, 0, 1.5, 4, 10, 10];
    expect([binOf(e, 0), binOf(e, 1e-9), binOf(e, 1.5), binOf(e, 9.99), binOf(e, 10)]).toEqual([0, 1, 2, 3, 4]);
    const mid = [0, 2, 2, 5];
    expect([binOf(mid, 1.9), binOf(mid, 2), binOf(mid, 2.1), binOf(mid, 5)]).toEqual([0, 1, 2, 2]);
  });
});

describe('copula sampler', () => {
  /**
   * A model's codes sampled natively, checked against the TypeScript reference (float32 against
   * double: at most 0.1% of cells apart; within-cell positions at most one 256th apart where the
   * cells agree, in 99.9% of rows).
   */
  function nativeAgreesWithReference(model: unknown, rows: number, seed: number): Int32Array[] {
    return sampledAgreesWithReference(model, rows, seed).codes;
  }
  function sampledAgreesWithReference(model: unknown, rows: number, seed: number): SampledCodes {
    const { copulaGenerator } = require('../../../src/models/copula/copula-generator');
    const req = { rows, seed, condition: null, engine: 'native', threads: 2 };
    const native: SampledCodes = copulaGenerator.sampleCodes(model, req);
    process.env.HEMASYNTH_MARGINAL_ENGINE = 'js';
    let js: SampledCodes;
    try { js = copulaGenerator.sampleCodes(model, req); } finally { delete process.env.HEMASYNTH_MARGINAL_ENGINE; }
    const [nc, jc] = [codesOf(native), codesOf(js)];
    let same = 0, near = 0, compared = 0;
    for (let j = 0; j < nc.length; j++) {
      expect(native.positions[j] === null).toBe(js.positions[j] === null);
      const [np, jp] = [native.positions[j], js.positions[j]];
      for (let i = 0; i < rows; i++) {
        if (nc[j][i] !== jc[j][i]) continue;
        same++;
        if (np && jp) { compared++; if (Math.abs(np[i] - jp[i]) <= 1) near++; }
      }
    }
    expect(same / (nc.length * rows)).toBeGreaterThan(0.999);
    if (compared > 0) expect(near / compared).toBeGreaterThan(0.999);
    return native;
  }

  test('native (float32 GEMM, ziggurat normals) agrees with the TypeScript reference and keeps the marginals', () => {
    requireNative();
    const enc = (column: string): DiscreteColumnEncoder => ({ column, kind: 'categorical', output: 'dictionary', levels: 'categories', categories: ['a', 'b', 'c'], integer: false, nullable: false, size: 3, source: 'schema' });
    const r = 0.6;
    const L = Float32Array.of(1, 0, 0, r, Math.sqrt(1 - r * r), 0, 0, 0, 1);
    const cdf = Float32Array.of(0.2, 0.7, 1, 0.5, 0.9, 1, 0.1, 0.2, 1);
    const model = { manifest: { encoders: [enc('x'), enc('y'), enc('z')], generator: { sizes: [3, 3, 3], cdfOffsets: [0, 3, 6, 9] } }, weights: { cholesky: L, cdf } };
    const rows = 20000;
    const native = nativeAgreesWithReference(model, rows, 4);
    const probs = [[0.2, 0.5, 0.3], [0.5, 0.4, 0.1], [0.1, 0.1, 0.8]];
    probs.forEach((p, j) => p.forEach((pk, k) => {
      const got = native[j].filter((c) => c === k).length / rows;
      expect(Math.abs(got - pk)).toBeLessThan(4.5 * Math.sqrt(pk * (1 - pk) / rows));
    }));
    // x and y are dependent (latent correlation 0.6), x and z are not
    const agree = (a: Int32Array, b: Int32Array) => a.reduce((s, v, i) => s + (v === 0 && b[i] === 0 ? 1 : 0), 0) / rows;
    expect(agree(native[0], native[1])).toBeGreaterThan(0.2 * 0.5 + 0.03);
    expect(Math.abs(agree(native[0], native[2]) - 0.2 * 0.1)).toBeLessThan(0.006);
  });

  test('within-cell positions: uniform in each cell, dependent as the latents are, native as the reference; only binned columns whose bins hold several values get them', () => {
    requireNative();
    const bins = (column: string, integer: boolean): DiscreteColumnEncoder => ({ column, kind: integer ? 'integer' : 'continuous', output: integer ? 'int32' : 'float64', levels: 'bins', edges: integer ? [0, 1, 2, 3] : [0, 1, 2, 3], integer, min: 0, max: integer ? 2 : 3, nullable: false, size: 3, source: 'schema' });
    // x, y continuous (latent correlation 0.9); k an integer column whose bins hold one value each.
    const r = 0.9;
    const L = Float32Array.of(1, 0, 0, r, Math.sqrt(1 - r * r), 0, 0, 0, 1);
    const cdf = Float32Array.of(0.3, 0.7, 1, 0.3, 0.7, 1, 0.3, 0.7, 1);
    const model = { manifest: { encoders: [bins('x', false), bins('y', false), bins('k', true)], generator: { sizes: [3, 3, 3], cdfOffsets: [0, 3, 6, 9], missingLatents: [] } }, weights: { cholesky: L, cdf } };
    const rows = 40000;
    const sampled = sampledAgreesWithReference(model, rows, 6);
    const [px, py] = sampled.positions as Uint8Array[];
    expect(sampled.positions[2]).toBeNull();
    // Marginally uniform in every cell: each quarter of the 256ths holds a quarter of the cell's rows.
    for (let c = 0; c < 3; c++) {
      const inCell = Array.from(px).filter((_, i) => sampled.codes[0][i] === c);
      for (let q = 0; q < 4; q++) {
        const share = inCell.filter((p) => p >> 6 === q).length / inCell.length;
        expect(Math.abs(share - 0.25)).toBeLessThan(4.5 * Math.sqrt(0.25 * 0.75 / inCell.length));
      }
    }
    // Inside the middle cell of both, the positions follow the latents' correlation (a draw per column would give about 0).
    const both = Array.from({ length: rows }, (_, i) => i).filter((i) => sampled.codes[0][i] === 1 && sampled.codes[1][i] === 1);
    expect(both.length).toBeGreaterThan(5000);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const xs = both.map((i) => px[i]), ys = both.map((i) => py[i]);
    const mx = mean(xs), my = mean(ys);
    const rxy = mean(xs.map((v, k) => (v - mx) * (ys[k] - my))) / Math.sqrt(mean(xs.map((v) => (v - mx) ** 2)) * mean(ys.map((v) => (v - my) ** 2)));
    expect(rxy).toBeGreaterThan(0.2); // 0.35 measured (range-restricted); independent draws: 0 ± 0.014
  });

  test('copula end to end: values of two correlated columns stay correlated inside their bins', () => {
    requireNative();
    const n = 3000, rnd = new SamplingRandom(2, 1);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());
    const x = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) { const a = gauss(), b = gauss(); x[i] = 50 + 10 * a; y[i] = 20 + 4 * (0.95 * a + Math.sqrt(1 - 0.95 ** 2) * b); }
    const model = trainModel({ table: tableFromArrays({ x, y }), model: 'copula', epsilon: Infinity, seed: 1, options: { bins: 2 } });
    const syn = sampleModel(model, { rows: 20000, seed: 3 });
    const sx = readNumbers(syn, 'x'), sy = readNumbers(syn, 'y');
    // Rows in the bin just above the median of both columns (x's median 50, y's 20).
    const [bx, by] = [['x', 51], ['y', 21]].map(([c, v]) => {
      const e = model.manifest.encoders.find((enc) => enc.column === c)!.edges as number[];
      const k = e.findIndex((edge, i) => i > 0 && edge > (v as number)) - 1;
      return [e[k], e[k + 1]];
    });
    const idx = Array.from({ length: syn.numRows }, (_, i) => i).filter((i) => sx[i] >= bx[0] && sx[i] < bx[1] && sy[i] >= by[0] && sy[i] < by[1]);
    expect(idx.length).toBeGreaterThan(2000);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const a = idx.map((i) => sx[i]), b = idx.map((i) => sy[i]);
    const ma = mean(a), mb = mean(b);
    const r = mean(a.map((v, k) => (v - ma) * (b[k] - mb))) / Math.sqrt(mean(a.map((v) => (v - ma) ** 2)) * mean(b.map((v) => (v - mb) ** 2)));
    expect(r).toBeGreaterThan(0.3); // about 0.5 measured; each value drawn anywhere in its bin: -0.01
  });

  test('native, one GEMM per component of L (a tied group using one column, a dense block), agrees with the reference', () => {
    requireNative();
    const enc = (column: string): DiscreteColumnEncoder => ({ column, kind: 'categorical', output: 'dictionary', levels: 'categories', categories: ['a', 'b', 'c'], integer: false, nullable: false, size: 3, source: 'schema' });
    // latents 0, 2, 4: a tied group (rows of L equal to latent 0's: one entry, in column 0);
    // 1 and 3: a dense pair; 5: independent.
    const d = 6, r = 0.5;
    const L = new Float32Array(d * d);
    for (const t of [0, 2, 4]) L[t * d] = 1;
    L[1 * d + 1] = 1; L[3 * d + 1] = r; L[3 * d + 3] = Math.sqrt(1 - r * r);
    L[5 * d + 5] = 1;
    const cdf = Float32Array.from({ length: 3 * d }, (_, k) => [0.3, 0.6, 1][k % 3]);
    const encoders = Array.from({ length: d }, (_, j) => enc(`c${j}`));
    const model = { manifest: { encoders, generator: { sizes: encoders.map(() => 3), cdfOffsets: Array.from({ length: d + 1 }, (_, j) => 3 * j) } }, weights: { cholesky: L, cdf } };
    const rows = 20000;
    const native = nativeAgreesWithReference(model, rows, 9);
    // the tied latents are one: their codes are equal in every row
    let apart = 0;
    for (let i = 0; i < rows; i++) if (native[2][i] !== native[0][i] || native[4][i] !== native[0][i]) apart++;
    expect(apart).toBe(0);
  });
});

describe('copula missingness latents', () => {
  test('columns missing together in the training data stay missing together (SNP panels)', () => {
    requireNative();
    const { simulateCohort } = require('../../../src/scd');
    const { trainModel, sampleModel } = require('../../../src/models');
    const { readNumbers } = require('../../../src/transform/column-values');
    const sim = simulateCohort({ patients: 800, sites: 2, seed: 5 });
    const cols = ['snp_001', 'snp_002', 'snp_003', 'hb_g_dl', 'genotype', 'met_01'];
    const schema = { ...sim.schema, columns: sim.schema.columns.filter((c: { name: string }) => cols.includes(c.name)) };
    const model = trainModel({ table: sim.patients, schema, model: 'copula', epsilon: Infinity, seed: 1 });
    expect((model.manifest.generator as { missingLatents: number[] }).missingLatents.length).toBeGreaterThanOrEqual(3);
    const syn = sampleModel(model, { rows: 4000, seed: 2 });
    const joint = (t: unknown) => {
      const a = readNumbers(t, 'snp_001'), b = readNumbers(t, 'snp_002');
      let both = 0, any = 0;
      for (let i = 0; i < a.length; i++) { if (Number.isNaN(a[i]) && Number.isNaN(b[i])) both++; if (Number.isNaN(a[i]) || Number.isNaN(b[i])) any++; }
      return both / Math.max(1, any);
    };
    // share of rows missing one of the two that miss both: near 1 in the simulator's panels
    const real = joint(sim.patients);
    expect(real).toBeGreaterThan(0.9);
    // the panel's missingness latents are tied (one row of the correlation, copulaCorrelation):
    // pairwise correlations of binary latents gave 0.90
    expect(Math.abs(joint(syn) - real)).toBeLessThan(0.03);
    // conditioning on missingness is honoured
    const cond = sampleModel(model, { rows: 300, seed: 3, where: 'snp_001 is null' });
    expect(readNumbers(cond, 'snp_001').every((v: number) => Number.isNaN(v))).toBe(true);
  });
});
