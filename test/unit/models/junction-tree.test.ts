import { addSecondParents, secondParentCandidates } from '../../../src/models/marginal/second-parents';
import { fitFromMeasurements, type TreeModel } from '../../../src/models/marginal/tree-estimation';
import { conditionTree, sampleTree } from '../../../src/models/marginal/tree-sampler';
import { countCliqueReference } from '../../../src/models/marginal/contingency';
import { marginalNative } from '../../../src/native/marginal';
import { decodeColumn, outerBinTails } from '../../../src/transform/decode';
import { binOf, type DiscreteColumnEncoder } from '../../../src/transform/discretiser';
import { SamplingRandom } from '../../../src/models/sampling-random';

function requireNative() {
  const native = marginalNative();
  if (!native) throw new Error('native addon not loaded: build it (npm run build:native) to run this test');
  return native;
}

/** Joint probability of every cell of a (tree or 2-parent) model, by enumeration (row-major over columns). */
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
      const pa = model.parent[j], q = model.parent2 ? model.parent2[j] : -1;
      const sq = q >= 0 ? model.sizes[q] : 1;
      const row = pa >= 0 ? x[pa] * sq + (q >= 0 ? x[q] : 0) : 0;
      p *= model.tables[j][row * model.sizes[j] + x[j]];
    }
    out[c] = p;
  }
  return out;
}

/** A model over 4 columns (sizes 2, 3, 2, 3): 0 -> 1, 1 -> 2 with second parent 0, 1 -> 3 with second parent 2. */
function knownModel(): TreeModel {
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
  return {
    sizes: [2, 3, 2, 3],
    parent: [-1, 0, 1, 1],
    parent2: [-1, -1, 0, 2],
    order: [0, 1, 2, 3],
    tables: [cpt(1, 2), cpt(2, 3), cpt(3 * 2, 2), cpt(3 * 2, 3)],
    total: 1,
  };
}

describe('tree and junction-tree (3-way clique) models', () => {
  test('fitFromMeasurements recovers a tree-factorised distribution exactly from its exact marginals', () => {
    const truth: TreeModel = { ...knownModel(), parent2: undefined, parent: [-1, 0, 1, 1] };
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

  test('conditioning a 3-way-clique model is exact: every cell equals the joint times the evidence, renormalised', () => {
    const model = knownModel();
    const joint = jointOf(model);
    const evidence = new Map([[3, Float64Array.of(1, 0, 0.5)], [0, Float64Array.of(0.2, 1)]]);
    const { tree, probability } = conditionTree(model, evidence);
    let z = 0;
    const post = joint.map((p, c) => {
      const v = p * (evidence.get(0) as Float64Array)[Math.floor(c / 18)] * (evidence.get(3) as Float64Array)[c % 3];
      z += v;
      return v;
    });
    expect(probability).toBeCloseTo(z, 12);
    const got = jointOf(tree);
    got.forEach((p, c) => expect(p).toBeCloseTo(post[c] / z, 12));
  });

  test('sampling a 3-way-clique model: native equals the TypeScript reference; frequencies match the model', () => {
    requireNative();
    const model = knownModel();
    const rows = 120000;
    const native = sampleTree(model, rows, 17);
    const js = sampleTree(model, rows, 17, { engine: 'js' });
    js.forEach((col, j) => expect(Buffer.from(native[j].buffer, native[j].byteOffset, native[j].byteLength).equals(Buffer.from(col.buffer))).toBe(true));
    const joint = jointOf(model);
    const counts = countCliqueReference({ codes: native, sizes: model.sizes, rows }, [0, 1, 2, 3]);
    counts.forEach((k, c) => {
      const sd = Math.sqrt(rows * joint[c] * (1 - joint[c]));
      expect(Math.abs(k - rows * joint[c])).toBeLessThan(4.5 * sd + 1);
    });
  });

  test('second parents: the candidate adjacent to the first parent that explains the data is chosen and its table recovered', () => {
    const model = knownModel();
    // Rows of the known distribution, in proportion (24,000 rows): exact counts up to rounding.
    const joint = jointOf(model);
    const rowsPerCell = Array.from(joint, (p) => Math.round(p * 24000));
    const n = rowsPerCell.reduce((a, b) => a + b, 0);
    const codes = model.sizes.map(() => new Int32Array(n));
    let i = 0;
    rowsPerCell.forEach((k, c) => {
      const x = [Math.floor(c / 18), Math.floor(c / 6) % 3, Math.floor(c / 3) % 2, c % 3];
      // the cross-validation folds are every other row, so both see every cell
      for (let r = 0; r < k; r++, i++) x.forEach((v, j) => { codes[j][i] = v; });
    });
    const enc = { codes, sizes: model.sizes, rows: n };
    const measurements = [[0], [1], [2], [3], [0, 1], [1, 2], [1, 3]].map((clique) => ({ clique, counts: countCliqueReference(enc, clique), sigma: 0 }));
    const tree = fitFromMeasurements(model.sizes, measurements);
    expect(secondParentCandidates(tree)[2]).toContain(0);
    const fitted = addSecondParents(tree, enc);
    expect(fitted.parent2?.[2]).toBe(0);
    expect(fitted.parent2?.[3]).toBe(2);
    const got = jointOf(fitted);
    got.forEach((p, c) => expect(Math.abs(p - joint[c])).toBeLessThan(0.004));
  });

  test('an independent candidate is not added (held-out likelihood does not improve)', () => {
    const rnd = new SamplingRandom(9, 1);
    const n = 4000;
    const codes = [0, 1, 2].map(() => new Int32Array(n));
    for (let r = 0; r < n; r++) {
      codes[0][r] = rnd.next() < 0.4 ? 1 : 0;
      codes[1][r] = rnd.next() < (codes[0][r] ? 0.8 : 0.2) ? 1 : 0;
      codes[2][r] = rnd.next() < (codes[1][r] ? 0.7 : 0.3) ? 1 : 0; // depends on 1 only
    }
    const enc = { codes, sizes: [2, 2, 2], rows: n };
    const m = [[0], [1], [2], [0, 1], [1, 2]].map((clique) => ({ clique, counts: countCliqueReference(enc, clique), sigma: 0 }));
    const fitted = addSecondParents(fitFromMeasurements([2, 2, 2], m), enc);
    expect(fitted.parent2?.[2]).toBe(-1);
  });
});

describe('native decoding and validity packing', () => {
  test('marginalDecodeColumns gives the values of the TypeScript decoder, point bins, exponential tails and restrictions included', () => {
    const native = requireNative();
    // x: its last interval [4, 10) is 2.4 times as wide as [1.5, 4), so it decodes as a tail of
    // scale 2.5; k: both outer intervals are tails (scale 2).
    const cont: DiscreteColumnEncoder = { column: 'x', kind: 'continuous', output: 'float64', levels: 'bins', edges: [0, 0, 1.5, 4, 10, 10], integer: false, min: 0, max: 10, nullable: true, size: 6, source: 'exact-quantiles' };
    const int: DiscreteColumnEncoder = { column: 'k', kind: 'integer', output: 'int32', levels: 'bins', edges: [0, 20, 22, 24, 40], integer: true, min: 0, max: 39, nullable: false, size: 4, source: 'schema' };
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
    const offsets = Int32Array.of(0, 6, 11, 14);
    const values = [new Float64Array(rows), new Int32Array(rows), new Int32Array(rows)];
    const valid = [new Uint8Array(rows), new Uint8Array(rows), new Uint8Array(rows)];
    native.marginalDecodeColumns(codes, rows, specs, edges, offsets, Int32Array.of(11, 12, 13), 99, 2, values, valid);
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
    expect(() => native.marginalDecodeColumns([Int32Array.of(7)], 1, specs.subarray(0, 14), edges.subarray(0, 6), Int32Array.of(0, 6), Int32Array.of(1), 1, 1, [new Float64Array(1)], [new Uint8Array(1)])).toThrow(/Expected bin codes in \[0, 5\) but received 7/);
    expect(() => native.marginalDecodeColumns([Int32Array.of(1)], 1, specs.subarray(0, 14), edges.subarray(0, 6), Int32Array.of(0, 6), Int32Array.of(1), 1, 1, [new Int32Array(1)], [new Uint8Array(1)])).toThrow(/Expected a Float64Array \(float64 output\) for values\[0\]/);
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
  test('native (float32 GEMM, ziggurat normals) agrees with the TypeScript reference and keeps the marginals', () => {
    requireNative();
    const { copulaGenerator } = require('../../../src/models/copula/copula-generator');
    const enc = (column: string): DiscreteColumnEncoder => ({ column, kind: 'categorical', output: 'dictionary', levels: 'categories', categories: ['a', 'b', 'c'], integer: false, nullable: false, size: 3, source: 'schema' });
    const r = 0.6;
    const L = Float32Array.of(1, 0, 0, r, Math.sqrt(1 - r * r), 0, 0, 0, 1);
    const cdf = Float32Array.of(0.2, 0.7, 1, 0.5, 0.9, 1, 0.1, 0.2, 1);
    const model = { manifest: { encoders: [enc('x'), enc('y'), enc('z')], generator: { sizes: [3, 3, 3], cdfOffsets: [0, 3, 6, 9] } }, weights: { cholesky: L, cdf } };
    const rows = 20000;
    const req = { rows, seed: 4, condition: null, engine: 'native', threads: 2 };
    const native: Int32Array[] = copulaGenerator.sampleCodes(model, req);
    process.env.HEMASYNTH_MARGINAL_ENGINE = 'js';
    let js: Int32Array[];
    try { js = copulaGenerator.sampleCodes(model, req); } finally { delete process.env.HEMASYNTH_MARGINAL_ENGINE; }
    let same = 0;
    for (let j = 0; j < 3; j++) for (let i = 0; i < rows; i++) if (native[j][i] === js[j][i]) same++;
    expect(same / (3 * rows)).toBeGreaterThan(0.999);
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
    expect(joint(syn)).toBeGreaterThan(real - 0.08);
    // conditioning on missingness is honoured
    const cond = sampleModel(model, { rows: 300, seed: 3, where: 'snp_001 is null' });
    expect(readNumbers(cond, 'snp_001').every((v: number) => Number.isNaN(v))).toBe(true);
  });
});
