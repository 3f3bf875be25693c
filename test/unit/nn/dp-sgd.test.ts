/**
 * DP-SGD: per-sample norms (ghost norms for linear layers, exact for LayerNorm), flat clipping,
 * noise placement and normalisation by the expected batch size, against a naive computation
 * that takes one sample at a time; Poisson sampling and empty batches; seeded reproducibility.
 */
import { JsBackend, backendStatuses } from '../../../src/backend';
import { CpuBackend } from '../../../src/backend/cpu';
import type { Backend } from '../../../src/backend';
import type { ModelSpec } from '../../../src/nn';
import { MODELS, groupOf, targetsFor, testData } from './models';

const backends: Backend[] = [new JsBackend()];
if (backendStatuses().find((b) => b.name === 'cpu')?.usable) backends.push(new CpuBackend({ threads: 2 }));

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/** Naive reference: one sample at a time, explicit per-sample gradient, norm, clip, sum (float64). */
function naiveClipped(backend: Backend, model: ModelSpec, name: string, x: Float32Array, y: Float32Array, samples: number, C: number, params: Float32Array) {
  const t = backend.createTrainer(model, { seed: 1 });
  t.setParameters(params);
  const sum = new Float64Array(t.parameterCount);
  const norms: number[] = [];
  const G = groupOf(model);
  for (let i = 0; i < samples; i++) {
    const g = t.gradient(x.subarray(i * G * model.inputSize, (i + 1) * G * model.inputSize), y.subarray(i * G * model.loss.targetSize, (i + 1) * G * model.loss.targetSize)).gradient;
    let sq = 0;
    for (const v of g) sq += v * v;
    const norm = Math.sqrt(sq);
    norms.push(norm);
    const f = norm > C ? C / norm : 1;
    for (let j = 0; j < g.length; j++) sum[j] += f * g[j];
  }
  return { norms, sum };
}

// Deterministic layers only: a per-sample naive pass draws dropout/reparameterisation noise
// differently from a batched pass.
const DETERMINISTIC = ['relu', 'tanh', 'layerNorm', 'residual', 'crossEntropy', 'gaussianNll', 'wasserstein', 'wganGp'];

describe.each(backends.map((b) => [b.name, b] as const))('DP-SGD on %s', (_n, backend) => {
  for (const name of DETERMINISTIC) {
    const model = MODELS[name];
    it.each([0, 1, 2, 7])(`${name}: norms and clipped sum equal the one-sample-at-a-time computation (batch %i)`, (samples) => {
      const rows = samples * groupOf(model);
      const x = testData(rows * model.inputSize, 100 + rows);
      const y = targetsFor(name, model, rows, 200 + rows);
      const C = 0.05; // small enough that most samples are clipped
      const t = backend.createTrainer(model, { seed: 9, dp: { noiseMultiplier: 0, maxGradNorm: C, sampleRate: 0.5, expectedBatchSize: 4 } });
      const p = t.getParameters();
      const got = t.inspectClipping(x, y);
      const want = naiveClipped(backend, model, name, x, y, samples, C, p);
      expect(got.norms.length).toBe(samples);
      for (let i = 0; i < samples; i++) expect(Math.abs(got.norms[i] - want.norms[i])).toBeLessThan(1e-5 * Math.max(1, want.norms[i]));
      if (samples === 0) expect(Array.from(got.clippedSum).every((v) => v === 0)).toBe(true);
      else expect(relErr(got.clippedSum, want.sum)).toBeLessThan(1e-5);
    });
  }

  it('the update with sigma = 0 and SGD is -lr * clippedSum / expectedBatchSize (not / realised batch)', () => {
    const model = MODELS.layerNorm;
    const rows = 5, E = 8, lr = 0.1, C = 0.1;
    const x = testData(rows * model.inputSize, 1), y = targetsFor('layerNorm', model, rows, 2);
    const t = backend.createTrainer(model, { seed: 3, optimizer: { kind: 'sgd', learningRate: lr }, dp: { noiseMultiplier: 0, maxGradNorm: C, sampleRate: 0.5, expectedBatchSize: E } });
    const p0 = t.getParameters();
    const { clippedSum } = t.inspectClipping(x, y);
    const r = t.step(x, y);
    expect(r.batchSize).toBe(rows);
    const p1 = t.getParameters();
    const delta = Float64Array.from(p1, (v, i) => (p0[i] - v) / lr);
    expect(relErr(delta, Float64Array.from(clippedSum, (v) => v / E))).toBeLessThan(1e-4);
  });

  it('an empty batch is a normal step: the update is pure noise of sd sigma*C/E', () => {
    const model = MODELS.relu;
    const sigma = 2, C = 0.5, E = 10, lr = 1;
    const t = backend.createTrainer(model, { seed: 8, optimizer: { kind: 'sgd', learningRate: lr }, dp: { noiseMultiplier: sigma, maxGradNorm: C, sampleRate: 0.1, expectedBatchSize: E } });
    const p0 = t.getParameters();
    const r = t.step(new Float32Array(0), new Float32Array(0));
    expect(r).toEqual({ loss: 0, batchSize: 0 });
    const p1 = t.getParameters();
    const d = Array.from(p1, (v, i) => (p0[i] - v) / lr);
    expect(d.every((v) => Number.isFinite(v))).toBe(true);
    expect(d.some((v) => v !== 0)).toBe(true);
    const sd = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    // 37 parameters: the sample sd lies within ±40% of sigma*C/E = 0.1 with overwhelming probability.
    expect(sd).toBeGreaterThan(0.06);
    expect(sd).toBeLessThan(0.14);
  });

  it('Poisson sampling gives batch sizes that vary around q*N, including 0 for tiny q', () => {
    const model = MODELS.relu;
    const N = 400, q = 0.05;
    const x = testData(N * model.inputSize, 5), y = testData(N * 2, 6);
    const t = backend.createTrainer(model, { seed: 12, dp: { noiseMultiplier: 1, maxGradNorm: 1, sampleRate: q, expectedBatchSize: q * N } });
    const sizes = Array.from({ length: 30 }, () => t.poissonStep(x, y).batchSize);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(new Set(sizes).size).toBeGreaterThan(3);
    expect(mean).toBeGreaterThan(14);
    expect(mean).toBeLessThan(26);
    const tiny = backend.createTrainer(model, { seed: 12, dp: { noiseMultiplier: 1, maxGradNorm: 1, sampleRate: 1e-9, expectedBatchSize: 1 } });
    expect(tiny.poissonStep(x, y).batchSize).toBe(0);
  });

  it('the same seed gives the same update; different seeds give different noise', () => {
    const model = MODELS.dropout;
    const x = testData(30 * 3, 1), y = testData(30 * 2, 2);
    const dp = { noiseMultiplier: 1, maxGradNorm: 1, sampleRate: 0.3, expectedBatchSize: 9 };
    const run = (seed: number) => {
      const t = backend.createTrainer(model, { seed, dp });
      for (let i = 0; i < 3; i++) t.poissonStep(x, y);
      return t.getParameters();
    };
    expect(Array.from(run(77))).toEqual(Array.from(run(77)));
    expect(relErr(run(78), run(77))).toBeGreaterThan(1e-3);
  });

  it('refuses batch normalisation with the reason', () => {
    expect(() => backend.createTrainer({ inputSize: 2, layers: [{ type: 'batchNorm' } as never], loss: { targetSize: 2, terms: [{ kind: 'mse', outputOffset: 0, width: 2 }] } }))
      .toThrow(/layers\[0\]\.type.*batchNorm.*layerNorm/s);
  });

  it('rejects bad input with field names', () => {
    const t = backend.createTrainer(MODELS.relu, { seed: 1 });
    expect(() => t.step(new Float32Array(5), new Float32Array(4))).toThrow(/x|rows/);
    expect(() => t.step(new Float32Array(6), new Float32Array(4), Int32Array.from([0, 2]))).toThrow(/rows.*\[0, 2\)/);
    expect(() => backend.createTrainer(MODELS.relu, { dp: { noiseMultiplier: -1, maxGradNorm: 1, sampleRate: 0.1, expectedBatchSize: 1 } })).toThrow(/dp\.noiseMultiplier/);
    expect(() => backend.createTrainer({ ...MODELS.relu, layers: [{ type: 'linear', outputs: 0 }] })).toThrow(/layers\[0\]\.outputs/);
    const x = new Float32Array(6);
    x[4] = NaN;
    expect(() => t.step(x, new Float32Array(4))).toThrow(/x: expected finite values but row 1, column 1 is NaN/);
    expect(() => t.gradient(new Float32Array(3), Float32Array.of(0, Infinity))).toThrow(/y: .*row 0, column 1 is infinite/);
    // The check scans blocks of 4096 values: cells in a later block, at a block's first and
    // last value, and -Infinity are found and named exactly.
    const big = new Float32Array(3 * 5000), bigY = new Float32Array(2 * 5000);
    for (const [i, v, cell] of [[4096, NaN, 'row 1365, column 1 is NaN'], [8191, -Infinity, 'row 2730, column 1 is infinite'], [14999, Infinity, 'row 4999, column 2 is infinite']] as const) {
      big.fill(0.5);
      big[i] = v;
      expect(() => t.step(big, bigY)).toThrow(new RegExp(`x: expected finite values but ${cell}`));
    }
    big.fill(0.5);
    expect(t.step(big, bigY).batchSize).toBe(5000);
    expect(() => backend.createTrainer({ ...MODELS.wganGp, layers: [{ type: 'linear', outputs: 2 }, { type: 'layerNorm' }, { type: 'linear', outputs: 1 }] }))
      .toThrow(/gradientPenalty|second derivatives/);
  });
});

describe('js and cpu take the same DP step from the same seed', () => {
  const cpu = backends.find((b) => b.name === 'cpu');
  (cpu ? it : it.skip)('parameters after 3 Poisson DP steps agree to float32 rounding', () => {
    const model = MODELS.vae;
    const N = 60;
    const x = testData(N * model.inputSize, 31), y = targetsFor('vae', model, N, 32);
    const opts = { seed: 2024, optimizer: { kind: 'adamw' as const, learningRate: 0.01 }, dp: { noiseMultiplier: 0.8, maxGradNorm: 0.7, sampleRate: 0.2, expectedBatchSize: 12 } };
    const a = new JsBackend().createTrainer(model, opts);
    const b = (cpu as Backend).createTrainer(model, opts);
    for (let i = 0; i < 3; i++) {
      const ra = a.poissonStep(x, y), rb = b.poissonStep(x, y);
      expect(rb.batchSize).toBe(ra.batchSize);
      expect(Math.abs(rb.loss - ra.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ra.loss)));
    }
    expect(relErr(b.getParameters(), a.getParameters())).toBeLessThan(1e-5);
  });
});
