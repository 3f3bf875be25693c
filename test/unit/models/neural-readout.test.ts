/**
 * The native read-out of a neural generator's raw output (native/neural/readout.cpp through
 * src/models/neural/native-readout.ts) against the TypeScript reference readRawOutput: the same
 * codes bit for bit (same PRNG streams and draw order, Math.exp's own algorithm), positions
 * within round-off (log, cos and tanh are the C library's), whatever the thread count; the
 * native decode of codes and positions against decodeWithPositions; the binding's argument checks.
 */
import type { HemasynthModel } from '../../../src/models/generator';
import { trainModel } from '../../../src/models/model-api';
import { resolveCondition } from '../../../src/models/conditions';
import { ctganSamplingPlan } from '../../../src/models/ctgan/ctgan-generator';
import { tvaeSamplingPlan } from '../../../src/models/tvae/tvae-generator';
import { nativeRunner } from '../../../src/models/neural/generator-network';
import type { NeuralSamplingPlan } from '../../../src/models/neural/neural-sampling';
import { decodeWithPositions, readRawOutput, type RawOutputLayout } from '../../../src/models/neural/row-layout';
import { decodeWithPositionsNative, readRawOutputNative } from '../../../src/models/neural/native-readout';
import { SAMPLING_BLOCK_ROWS } from '../../../src/models/sampling-random';
import { marginalNative, type MarginalBindings } from '../../../src/native/marginal';
import { neuralNative, type NeuralBindings } from '../../../src/native/neural';
import type { DiscreteColumnEncoder } from '../../../src/transform/discretiser';
import { neuralCohort } from './neural-fixture';

function native(): NeuralBindings {
  const n = neuralNative();
  if (!n) throw new Error('native addon not loaded: build it (npm run build:native) to run this test');
  return n;
}

function decoder(): MarginalBindings {
  const n = marginalNative();
  if (!n) throw new Error('native addon not loaded: build it (npm run build:native) to run this test');
  return n;
}

// Categories, booleans, continuous columns with α, integers whose first bins hold one value
// (voc_12m, acs_count), a mostly missing column (stroke_age_years).
const COLUMNS = ['genotype', 'sex', 'age_years', 'hb_g_dl', 'ldh_u_l', 'voc_12m', 'acs_count', 'alpha_thal_deletions', 'ferritin_ug_l', 'hydroxyurea', 'stroke_age_years'];
const { table, schema } = neuralCohort(400, 5, COLUMNS);
const models: Record<'tvae' | 'ctgan', HemasynthModel> = {} as never;

beforeAll(() => {
  models.tvae = trainModel({ table, schema, model: 'tvae', epsilon: Infinity, seed: 4, options: { epochs: 2, backend: 'cpu' } });
  models.ctgan = trainModel({ table, schema, model: 'ctgan', epsilon: Infinity, seed: 4, options: { epochs: 1, backend: 'cpu' } });
});

function planOf(kind: 'tvae' | 'ctgan', seed: number, evidence: ReadonlyMap<number, Float64Array> | null): NeuralSamplingPlan {
  return kind === 'tvae' ? tvaeSamplingPlan(models[kind], seed) : ctganSamplingPlan(models[kind], seed, evidence);
}

/** The network's raw output for rows [first, first + rows) of a sampling run. */
function rawOutput(plan: NeuralSamplingPlan, first: number, rows: number): Float32Array {
  return nativeRunner(plan.net, plan.parameters, { backend: 'cpu' }).run(plan.inputs(first, rows), rows);
}

interface Readout { codes: Int32Array[]; positions: Float64Array[] }

function readNative(raw: Float32Array, rows: number, encoders: readonly DiscreteColumnEncoder[], layout: RawOutputLayout, opts: Parameters<typeof readRawOutput>[4], threads: number): Readout {
  const out = { codes: encoders.map(() => new Int32Array(rows)), positions: encoders.map(() => new Float64Array(rows)) };
  readRawOutputNative(native(), raw, rows, encoders, layout, opts, { ...out, offset: 0 }, threads);
  return out;
}

function expectSameCodes(a: Readout, b: Readout): void {
  expect(a.codes.length).toBe(b.codes.length);
  a.codes.forEach((c, j) => {
    const mismatches = c.reduce((n, v, i) => n + (v === b.codes[j][i] ? 0 : 1), 0);
    expect({ column: j, mismatches }).toEqual({ column: j, mismatches: 0 });
  });
}

/** Every code drawn has a positive weight in the condition. */
function expectAllowed(r: Readout, evidence: ReadonlyMap<number, Float64Array>): void {
  for (const [j, w] of evidence) {
    const forbidden = r.codes[j].reduce((n, c) => n + (w[c] > 0 ? 0 : 1), 0);
    expect({ column: j, forbidden }).toEqual({ column: j, forbidden: 0 });
  }
}

function maxPositionGap(a: Readout, b: Readout): number {
  let gap = 0;
  a.positions.forEach((p, j) => p.forEach((v, i) => { gap = Math.max(gap, Math.abs(v - b.positions[j][i])); }));
  return gap;
}

function bitwiseEqual(a: Readout, b: Readout): boolean {
  const eq = (x: ArrayBufferView, y: ArrayBufferView) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  return a.codes.every((c, j) => eq(c, b.codes[j])) && a.positions.every((p, j) => eq(p, b.positions[j]));
}

describe('native neural read-out', () => {
  test.each(['tvae', 'ctgan'] as const)('%s: codes identical to the TypeScript reference on 20,000 rows (three sampling blocks and a part), positions within 1e-9; 1 and 2 threads give the same bits', (kind) => {
    const model = models[kind];
    const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
    const plan = planOf(kind, 7, null);
    const rows = 20_000, first = SAMPLING_BLOCK_ROWS;
    const raw = rawOutput(plan, first, rows);
    const opts = { seed: 7, firstRow: first };
    const ref = readRawOutput(raw, rows, encoders, plan.raw, opts);
    const one = readNative(raw, rows, encoders, plan.raw, opts, 1);
    const two = readNative(raw, rows, encoders, plan.raw, opts, 2);
    expectSameCodes(one, ref);
    expect(maxPositionGap(one, ref)).toBeLessThan(1e-9);
    expect(bitwiseEqual(one, two)).toBe(true);
    // A first row inside a block (the streams restart there, as the reference's do).
    const mid = readRawOutput(raw.subarray(0, 3000 * plan.raw.width), 3000, encoders, plan.raw, { seed: 7, firstRow: 1000 });
    expectSameCodes(readNative(raw.subarray(0, 3000 * plan.raw.width), 3000, encoders, plan.raw, { seed: 7, firstRow: 1000 }, 2), mid);
  });

  test.each(['tvae', 'ctgan'] as const)('%s: under a condition the codes are still identical and only allowed codes are drawn', (kind) => {
    const model = models[kind];
    const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
    const where = 'genotype=SS and hb_g_dl<8.5 and voc_12m>=2 and stroke_age_years is null';
    const condition = resolveCondition(where, encoders);
    const plan = planOf(kind, 3, condition.evidence);
    const rows = 9000;
    const raw = rawOutput(plan, 0, rows);
    const opts = { seed: 3, firstRow: 0, evidence: condition.evidence, conditionText: condition.text };
    const ref = readRawOutput(raw, rows, encoders, plan.raw, opts);
    const got = readNative(raw, rows, encoders, plan.raw, opts, 2);
    expectSameCodes(got, ref);
    expect(maxPositionGap(got, ref)).toBeLessThan(1e-9);
    expectAllowed(got, condition.evidence);
  });

  test('a condition that allows no value of a column fails with the reference message', () => {
    const model = models.tvae;
    const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
    const plan = planOf('tvae', 1, null);
    const raw = rawOutput(plan, 0, 50);
    const j = encoders.findIndex((e) => e.column === 'sex');
    const evidence = new Map([[j, new Float64Array(encoders[j].size)]]);
    const opts = { seed: 1, firstRow: 0, evidence, conditionText: 'sex=nobody' };
    const message = `Condition "sex=nobody" allows no value of column "sex"`;
    expect(() => readRawOutput(raw, 50, encoders, plan.raw, opts)).toThrow(message);
    expect(() => readNative(raw, 50, encoders, plan.raw, opts, 2)).toThrow(message);
  });

  test('synthetic logits (spreads beyond 700, ±Infinity, NaN, zero weights beside tiny ones): codes identical, forbidden codes never drawn', () => {
    // Four columns of 1, 3, 6 and 9 codes with α read both ways; logits from a wide mix of scales.
    const sizes = [1, 3, 6, 9];
    const encoders = sizes.map((size, j) => ({ column: `c${j}`, size })) as unknown as DiscreteColumnEncoder[];
    const width = sizes.reduce((s, n) => s + n + 1, 0);
    const logitOffsets: number[] = [], alphaOffsets: number[] = [];
    let at = 0;
    sizes.forEach((n) => { logitOffsets.push(at); alphaOffsets.push(at + n); at += n + 1; });
    const rows = 6000;
    const raw = new Float32Array(rows * width);
    let s = 12345;
    const rnd = () => { s = (Math.imul(s, 1103515245) + 12345) | 0; return (s >>> 0) / 4294967296; };
    const special = [Infinity, -Infinity, NaN, 1, 0, -0, 800, -800, 1e30, -1e30];
    for (let i = 0; i < raw.length; i++) {
      const r = rnd();
      raw[i] = r < 0.02 ? special[Math.floor(rnd() * special.length)] : r < 0.2 ? (rnd() - 0.5) * 2000 : r < 0.5 ? (rnd() - 0.5) * 1e-7 : (rnd() - 0.5) * 30;
    }
    const evidence = new Map([[1, Float64Array.of(0, 1, 0)], [2, Float64Array.of(1e-300, 0, 0.5, 0, 1, 0)], [3, Float64Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1)]]);
    for (const alpha of ['gaussian', 'tanh'] as const) {
      const layout: RawOutputLayout = { width, logitOffsets, alphaOffsets, alpha, alphaSigma: 0.3 };
      for (const ev of [undefined, evidence]) {
        const opts = { seed: -5, firstRow: 3 * SAMPLING_BLOCK_ROWS - 100, evidence: ev, conditionText: 'x' };
        const ref = readRawOutput(raw, rows, encoders, layout, opts);
        const got = readNative(raw, rows, encoders, layout, opts, 2);
        expectSameCodes(got, ref);
        expect(maxPositionGap(got, ref)).toBeLessThan(1e-9);
        if (ev) expectAllowed(got, ev);
      }
    }
  });

  test('native decode of codes and positions equals decodeWithPositions (values within round-off), with a restriction', () => {
    const model = models.tvae;
    const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
    const condition = resolveCondition('hb_g_dl>7.5 and hb_g_dl<9 and age_years<=30', encoders);
    const plan = planOf('tvae', 9, null);
    const rows = 5000;
    const { codes, positions } = readRawOutput(rawOutput(plan, 0, rows), rows, encoders, plan.raw, { seed: 9, firstRow: 0, evidence: condition.evidence });
    const ref = decodeWithPositions(encoders, codes, positions, condition.restrictions);
    const got = decodeWithPositionsNative(decoder(), encoders, codes, positions, condition.restrictions, 2);
    got.forEach((d, j) => {
      expect(d.values.constructor).toBe(ref[j].values.constructor);
      expect(Buffer.from(d.valid).equals(Buffer.from(ref[j].valid))).toBe(true);
      let worst = 0;
      d.values.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - ref[j].values[i]) / Math.max(1, Math.abs(v))); });
      expect(worst).toBeLessThanOrEqual(1e-9);
    });
  });

  test('a bin holding one integer takes no position: every row keeps its own (native and reference)', () => {
    // Bins [0, 1), [1, 5), [5, 10): the first holds only 0, so decoding it draws nothing.
    const e = { column: 'n', type: 'discrete', kind: 'integer', levels: 'bins', integer: true, nullable: false, size: 3, edges: [0, 1, 5, 10], min: 0, max: 9, output: 'int32' } as unknown as DiscreteColumnEncoder;
    const codes = [Int32Array.of(0, 1, 1, 2)];
    const positions = [Float64Array.of(0.99, 0.1, 0.9, 0.5)];
    const expected = [0, 1, 4, 7];
    expect(Array.from(decodeWithPositions([e], codes, positions, new Map())[0].values)).toEqual(expected);
    expect(Array.from(decodeWithPositionsNative(decoder(), [e], codes, positions, new Map(), 1)[0].values)).toEqual(expected);
  });

  describe('argument checks', () => {
    const sizes = Int32Array.of(2, 3);
    const width = 7; // [2 logits][α][3 logits][α]
    const logit = Int32Array.of(0, 3), alpha = Int32Array.of(2, 6);
    const rows = 4;
    const outs = () => ({ codes: [new Int32Array(rows), new Int32Array(rows)], positions: [new Float64Array(rows), new Float64Array(rows)] });
    const call = (over: Partial<{ raw: Float32Array; rows: number; width: number; sizes: Int32Array; logit: Int32Array; alpha: Int32Array; mode: number; sigma: number; weights: Array<Float64Array | null>; firstRow: number; codes: Int32Array[]; positions: Float64Array[]; offset: number }> = {}) => {
      const o = outs();
      const a = { raw: new Float32Array(rows * width), rows, width, sizes, logit, alpha, mode: 0, sigma: 0.5, weights: [null, null], firstRow: 0, codes: o.codes, positions: o.positions, offset: 0, ...over };
      return native().neuralReadRawOutput(a.raw, a.rows, a.width, a.sizes, a.logit, a.alpha, a.mode, a.sigma, a.weights, 1, a.firstRow, 1, a.codes, a.positions, a.offset);
    };

    test('a valid call reads every row', () => {
      expect(call()).toBe(-1);
    });

    test('refuses lengths that do not match', () => {
      expect(() => call({ raw: new Float32Array(rows * width - 1) })).toThrow(/raw \(rows x width\)/);
      expect(() => call({ logit: Int32Array.of(0) })).toThrow(/logitOffsets/);
      expect(() => call({ alpha: Int32Array.of(2, 6, 6) })).toThrow(/alphaOffsets/);
      expect(() => call({ weights: [null] })).toThrow(/weights \(one entry per column\)/);
      expect(() => call({ weights: [new Float64Array(3), null] })).toThrow(/weights\[0\] \(one per code\)/);
      expect(() => call({ codes: [new Int32Array(rows)] })).toThrow(/codes \(one array per column\)/);
      expect(() => call({ positions: [new Float64Array(rows), new Float64Array(rows - 1)] })).toThrow(/positions\[1\]/);
      expect(() => call({ offset: 1 })).toThrow(/outOffset \+ rows/);
    });

    test('refuses offsets outside the raw row and sizes below one', () => {
      expect(() => call({ logit: Int32Array.of(0, 5) })).toThrow(/logits of column 1 \(offset 5, 3 codes\) inside the raw row of width 7/);
      expect(() => call({ logit: Int32Array.of(-1, 3) })).toThrow(/logitOffsets/);
      expect(() => call({ alpha: Int32Array.of(2, 7) })).toThrow(/alphaOffsets.*-1 or an offset in \[0, 7\)/);
      expect(() => call({ alpha: Int32Array.of(-2, 6) })).toThrow(/alphaOffsets/);
      expect(() => call({ sizes: Int32Array.of(0, 3) })).toThrow(/at least one code of column 0/);
    });

    test('refuses bad values, types and shared outputs', () => {
      expect(() => call({ weights: [Float64Array.of(1, -1), null] })).toThrow(/finite weights >= 0 of column 0/);
      expect(() => call({ weights: [Float64Array.of(1, NaN), null] })).toThrow(/finite weights/);
      expect(() => call({ sigma: NaN })).toThrow(/alphaSigma/);
      expect(() => call({ mode: 2 })).toThrow(/alpha/);
      expect(() => call({ firstRow: -1 })).toThrow(/firstRow/);
      expect(() => call({ raw: new Float64Array(rows * width) as unknown as Float32Array })).toThrow(/Float32Array for raw/);
      const shared = new Int32Array(rows);
      expect(() => call({ codes: [shared, shared] })).toThrow(/share memory/);
      const block = new Float64Array(2 * rows);
      expect(() => call({ positions: [block.subarray(1, rows + 1), block.subarray(rows)] })).toThrow(/share memory/);
      expect(() => call({ positions: [block.subarray(0, rows), block.subarray(rows)] })).not.toThrow();
    });

    test('a column of zero weights is reported by index', () => {
      expect(call({ weights: [null, new Float64Array(3)] })).toBe(1);
    });
  });
});
