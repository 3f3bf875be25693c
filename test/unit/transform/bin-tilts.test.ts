import { tableFromArrays } from 'apache-arrow';
import { binTilts, tiltedCdf, tiltedPosition } from '../../../src/transform/bin-tilts';
import { decodeColumn } from '../../../src/transform/decode';
import type { DiscreteColumnEncoder } from '../../../src/transform/discretiser';
import { modelFromBytes, modelToBytes, sampleModel, trainModel } from '../../../src/models';
import { readNumbers } from '../../../src/transform/column-values';
import { SamplingRandom } from '../../../src/models/sampling-random';

describe('bin tilts (linear density inside a bin)', () => {
  test('the frequency polygon\'s slope: exact tilts, 0 for empty and lone bins', () => {
    // densities 30, 20, 10 per unit: edges' densities 30|25|15|10 -> tilts (25−30)/55, (15−25)/40, (10−15)/25
    const t = binTilts([0, 1, 2, 3], Float64Array.of(30, 20, 10));
    expect(t[0]).toBeCloseTo(-5 / 55, 12);
    expect(t[1]).toBeCloseTo(-10 / 40, 12);
    expect(t[2]).toBeCloseTo(-5 / 25, 12);
    // a wider bin's density is its count over its width; a point bin [2, 2] is no neighbour; an empty bin stays 0
    expect(binTilts([0, 2, 2, 3], Float64Array.of(20, 5, 10))).toEqual([0, 0, 0]);
    expect(binTilts([0, 1, 2], Float64Array.of(0, 10))[0]).toBe(0);
    expect(binTilts([0, 1], Float64Array.of(10))).toEqual([0]);
    // the missing code's count (after the bins) is ignored
    expect(binTilts([0, 1, 2], Float64Array.of(10, 30, 1e9))).toEqual(binTilts([0, 1, 2], Float64Array.of(10, 30)));
  });

  test('tiltedPosition inverts tiltedCdf and its draws have mean 1/2 + t/6', () => {
    for (const t of [-0.999, -0.5, -1e-12, 0, 1e-12, 0.3, 0.999]) {
      for (const U of [0, 1e-9, 0.2, 0.5, 0.9, 1 - 1e-12]) expect(tiltedCdf(tiltedPosition(U, t), t)).toBeCloseTo(U, 12);
    }
    const rng = new SamplingRandom(3, 1);
    let s = 0;
    for (let i = 0; i < 200000; i++) s += tiltedPosition(rng.next(), 0.6);
    expect(s / 200000).toBeCloseTo(0.5 + 0.6 / 6, 2);
  });

  test('decodeColumn follows the tilt, restricted to a condition\'s range, integers included', () => {
    const cont: DiscreteColumnEncoder = { column: 'x', kind: 'continuous', output: 'float64', levels: 'bins', edges: [0, 10, 20, 30], integer: false, min: 0, max: 30, nullable: false, size: 3, source: 'schema', tilts: [0, -0.9, 0] };
    const codes = new Int32Array(50000).fill(1);
    const rng = new SamplingRandom(4, 1);
    const v = decodeColumn(cont, codes, () => rng.next()).values as Float64Array;
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean).toBeCloseTo(15 + 10 * (-0.9 / 6), 1); // 13.5, not 15
    const r = decodeColumn(cont, codes, () => rng.next(), { lo: 12, hi: 14 }).values as Float64Array;
    expect(r.every((x) => x >= 12 && x <= 14)).toBe(true);
    const int: DiscreteColumnEncoder = { column: 'k', kind: 'integer', output: 'int32', levels: 'bins', edges: [0, 10, 20, 30], integer: true, min: 0, max: 29, nullable: false, size: 3, source: 'schema', tilts: [0, 0.9, 0] };
    const k = decodeColumn(int, codes, () => rng.next()).values as Float64Array;
    expect(k.every((x) => Number.isInteger(x) && x >= 10 && x <= 19)).toBe(true);
    const counts = new Array(10).fill(0);
    for (const x of k) counts[x - 10]++;
    expect(counts[9]).toBeGreaterThan(3 * counts[0]); // density 0.1 → 1.9 across the bin: cell 19 ≈ 16× cell 10
  });

  test('marginal and copula decode a falling density inside wide bins, not a flat one; the tilts travel in the model file', () => {
    // An exponential column cut into 4 equal-frequency bins: the top bin is decoded as a tail, the
    // inner ones uniformly before; the fine histogram of sampled values is now closer to the data's.
    const rng = new SamplingRandom(9, 1);
    const n = 20000;
    const x = Float64Array.from({ length: n }, () => Math.min(99, -10 * Math.log(1 - rng.next())));
    const table = tableFromArrays({ x });
    const schema = { version: 1 as const, columns: [{ name: 'x', kind: 'continuous' as const, role: 'feature' as const, min: 0, max: 100 }] };
    const fine = (v: Float64Array) => { const h = new Float64Array(50); for (const y of v) if (y < 50) h[Math.floor(y)]++; return h.map((c) => c / v.length); };
    const tv = (a: Float64Array, b: Float64Array) => a.reduce((s, p, i) => s + Math.abs(p - b[i]), 0) / 2;
    for (const model of ['marginal', 'copula']) {
      const m = trainModel({ table, schema, model, epsilon: Infinity, seed: 1, options: { bins: 4 } });
      const e = m.manifest.encoders[0] as DiscreteColumnEncoder;
      // edges 0, 0, 0.10 (1% tail), 2.8, 6.9, 13.7, 45 (inner quartile bins), 100 (1% tail), 100: the inner bins lean left
      expect(e.tilts![3]).toBeLessThan(-0.15);
      expect(e.tilts![4]).toBeLessThan(-0.3);
      const flat = { ...m, manifest: { ...m.manifest, encoders: [{ ...e, tilts: undefined }] } };
      const tilted = tv(fine(readNumbers(sampleModel(m, { rows: n, seed: 2 }), 'x')), fine(x));
      const uniform = tv(fine(readNumbers(sampleModel(flat, { rows: n, seed: 2 }), 'x')), fine(x));
      expect(tilted).toBeLessThan(0.6 * uniform);
      const back = modelFromBytes(modelToBytes(m), 'm.hsm');
      expect((back.manifest.encoders[0] as DiscreteColumnEncoder).tilts).toEqual(e.tilts);
    }
  });

  test('a model file with bad tilts is refused naming the field', () => {
    const rng = new SamplingRandom(9, 2);
    const table = tableFromArrays({ x: Float64Array.from({ length: 500 }, () => rng.next() * 10) });
    const schema = { version: 1 as const, columns: [{ name: 'x', kind: 'continuous' as const, role: 'feature' as const, min: 0, max: 10 }] };
    const m = trainModel({ table, schema, model: 'marginal', epsilon: Infinity, seed: 1 });
    const bad = { ...m, manifest: { ...m.manifest, encoders: [{ ...(m.manifest.encoders[0] as DiscreteColumnEncoder), tilts: [2] }] } };
    expect(() => modelFromBytes(modelToBytes(bad), 'bad.hsm')).toThrow(/one tilt in \(-1, 1\) per bin \(16\) for file "bad.hsm", field "manifest.encoders\[0\].tilts" but received \[2\]/);
  });

  test('a model file whose encoders disagree with their own codes is refused naming the encoder', () => {
    const table = tableFromArrays({ x: Float64Array.from({ length: 200 }, (_, i) => i / 20), g: ['a', 'b', 'c', 'd'].flatMap((c) => new Array<string>(50).fill(c)) });
    const schema = { version: 1 as const, columns: [{ name: 'x', kind: 'continuous' as const, role: 'feature' as const, min: 0, max: 10 }, { name: 'g', kind: 'categorical' as const, role: 'feature' as const, categories: ['a', 'b', 'c', 'd'] }] };
    const m = trainModel({ table, schema, model: 'marginal', epsilon: Infinity, seed: 1 });
    const [x, g] = m.manifest.encoders as DiscreteColumnEncoder[];
    const withEncoders = (encoders: unknown[]) => modelToBytes({ ...m, manifest: { ...m.manifest, encoders: encoders as typeof m.manifest.encoders } });
    // Categories cut to one while the size still counts four (it used to sample into an internal error).
    expect(() => modelFromBytes(withEncoders([x, { ...g, categories: ['a'] }]), 'cats.hsm')).toThrow(/for file "cats.hsm", field "manifest.encoders\[1\]"/);
    expect(() => modelFromBytes(withEncoders([{ ...x, edges: [10, 0] }, g]), 'edges.hsm')).toThrow(/ascending finite edges.*field "manifest.encoders\[0\]"/);
    expect(() => modelFromBytes(withEncoders([{ ...x, size: x.size + 1 }, g]), 'size.hsm')).toThrow(/size = levels \+ 1 if nullable.*field "manifest.encoders\[0\]"/);
    expect(modelFromBytes(withEncoders([x, g]), 'ok.hsm').manifest.encoders).toHaveLength(2);
  });
});
