/**
 * Conformance: every op on every backend against the js reference, with per-op tolerances
 * (relative to the largest reference value). Backends that cannot run here are reported
 * with the reason ("skipped: no GPU" for cuda on a machine without one); scripts/gpu-check.sh
 * runs this suite on a GPU machine with HEMASYNTH_CONFORMANCE_BACKENDS=cuda.
 */
import { JsBackend, backendStatuses, type Backend, type BackendName } from '../../src/backend';
import { CpuBackend } from '../../src/backend/cpu';
import { CudaBackend } from '../../src/backend/cuda';
import type { LossTermSpec, ModelSpec } from '../../src/nn';

const reference = new JsBackend();
const wanted = (process.env.HEMASYNTH_CONFORMANCE_BACKENDS ?? 'cpu,cuda').split(',') as BackendName[];
const statuses = backendStatuses();

/** Ops a backend does not offer, with the reason. */
const SKIP: Partial<Record<BackendName, Record<string, string>>> = {
  cuda: { 'createTrainer:gradientPenalty': 'the cuda trainer does not compute gradient penalties or multi-row samples (the cpu trainer does)' },
};

interface OpCase { name: string; op: string; tol: number; run: (b: Backend) => ArrayLike<number> }

function data(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; out[i] = ((s / 2 ** 32) * 2 - 1) * scale; }
  return out;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return num / Math.max(den, 1e-30);
}

const mlp: ModelSpec = {
  inputSize: 6,
  layers: [
    { type: 'linear', outputs: 16 }, { type: 'layerNorm' }, { type: 'leakyRelu' }, { type: 'dropout', rate: 0.2 },
    { type: 'residual', layers: [{ type: 'linear', outputs: 16 }, { type: 'tanh' }] },
    { type: 'linear', outputs: 5 },
  ],
  loss: { targetSize: 5, terms: [{ kind: 'mse', outputOffset: 0, width: 5 }] },
};
const losses: LossTermSpec[] = [
  { kind: 'mse', outputOffset: 0, targetOffset: 0, width: 2 },
  { kind: 'crossEntropy', outputOffset: 2, targetOffset: 2, width: 3, weight: 0.5 },
  { kind: 'gaussianNll', outputOffset: 3, targetOffset: 0, width: 2 },
  { kind: 'linear', outputOffset: 0, targetOffset: 4, width: 1 },
];

const cases: OpCase[] = [];
for (const [m, k, n] of [[1, 1, 1], [17, 33, 65], [64, 300, 40]] as const) {
  for (const transA of [false, true]) for (const transB of [false, true]) {
    cases.push({
      name: `matmul ${m}x${k}x${n} transA=${transA} transB=${transB} +bias`, op: 'matmul', tol: 1e-5,
      run: (b) => b.matmul(data(m * k, 1), data(k * n, 2), { m, k, n, transA, transB }, data(n, 3)),
    });
  }
}
for (const kind of ['relu', 'leakyRelu', 'tanh', 'sigmoid'] as const) {
  const x = data(999, 4, 6);
  cases.push({ name: `activation ${kind}`, op: 'activation', tol: 1e-6, run: (b) => b.activation(kind, x, 0.1) });
  cases.push({ name: `activation ${kind} backward`, op: 'activationBackward', tol: 1e-6, run: (b) => b.activationBackward(kind, x, b.activation(kind, x, 0.1), data(999, 5), 0.1) });
}
cases.push({
  name: 'matmul into a given output buffer', op: 'matmul', tol: 1e-5,
  run: (b) => { const out = new Float32Array(20 * 9).fill(7); const r = b.matmul(data(20 * 30, 40), data(30 * 9, 41), { m: 20, k: 30, n: 9 }, undefined, out); expect(r).toBe(out); return out; },
});
cases.push({ name: 'softmax', op: 'softmax', tol: 1e-6, run: (b) => b.softmax(data(7 * 13, 6, 20), 7, 13) });
cases.push({ name: 'gumbelSoftmax (same seed)', op: 'gumbelSoftmax', tol: 1e-5, run: (b) => b.gumbelSoftmax(data(9 * 4, 7, 3), 9, 4, 0.5, 77) });
cases.push({ name: 'layerNorm', op: 'layerNorm', tol: 1e-5, run: (b) => b.layerNorm(data(6 * 10, 8, 5), 6, 10, data(10, 9), data(10, 10), 1e-5) });
for (const t of losses) {
  cases.push({ name: `loss ${t.kind} (per-sample values)`, op: 'loss', tol: 1e-5, run: (b) => b.loss([t], data(8 * 7, 11, 2), 7, data(8 * 5, 12), 5).loss });
  cases.push({ name: `loss ${t.kind} (gradient)`, op: 'loss', tol: 1e-5, run: (b) => b.loss([t], data(8 * 7, 11, 2), 7, data(8 * 5, 12), 5).gradient });
}
cases.push({ name: 'linear ghost norms (per-sample)', op: 'linearGhostNorms', tol: 1e-6, run: (b) => b.linearGhostNorms(data(11 * 9, 30), 9, data(11 * 4, 31), 4) });
cases.push({ name: 'seeded Gaussian noise', op: 'gaussianNoise', tol: 1e-12, run: (b) => b.gaussianNoise(1001, 5) });
for (const kind of ['sgd', 'adam', 'adamw'] as const) {
  cases.push({
    name: `trainer ${kind}: 3 plain steps (dropout, layerNorm, residual)`, op: 'createTrainer', tol: 1e-5,
    run: (b) => {
      const t = b.createTrainer(mlp, { seed: 21, optimizer: { kind, learningRate: 0.01 } });
      for (let i = 0; i < 3; i++) t.step(data(20 * 6, 13 + i), data(20 * 5, 14 + i));
      return t.getParameters();
    },
  });
}
cases.push({
  name: 'trainer DP: 3 Poisson steps with noise (same seed)', op: 'createTrainer', tol: 1e-5,
  run: (b) => {
    const t = b.createTrainer(mlp, { seed: 22, optimizer: { kind: 'adam', learningRate: 0.01 }, dp: { noiseMultiplier: 1, maxGradNorm: 0.5, sampleRate: 0.3, expectedBatchSize: 12 } });
    for (let i = 0; i < 3; i++) t.poissonStep(data(40 * 6, 15), data(40 * 5, 16));
    return t.getParameters();
  },
});
cases.push({
  name: 'trainer WGAN-GP critic: 2 DP steps on (real, fake, interpolate) samples', op: 'createTrainer:gradientPenalty', tol: 1e-5,
  run: (b) => {
    const critic: ModelSpec = {
      inputSize: 4,
      layers: [{ type: 'linear', outputs: 12 }, { type: 'leakyRelu', slope: 0.2 }, { type: 'dropout', rate: 0.5 }, { type: 'linear', outputs: 12 }, { type: 'tanh' }, { type: 'linear', outputs: 1 }],
      loss: { targetSize: 2, rowsPerSample: 3, terms: [{ kind: 'linear', outputOffset: 0, width: 1 }, { kind: 'gradientPenalty', outputOffset: 0, targetOffset: 1, width: 1, weight: 10 }] },
    };
    const y = new Float32Array(30 * 3 * 2);
    for (let r = 0; r < 90; r++) { if (r % 3 === 0) y[2 * r] = -1; else if (r % 3 === 1) y[2 * r] = 1; else y[2 * r + 1] = 1; }
    const t = b.createTrainer(critic, { seed: 24, optimizer: { kind: 'adam', learningRate: 0.01 }, dp: { noiseMultiplier: 1, maxGradNorm: 1, sampleRate: 0.5, expectedBatchSize: 15 } });
    for (let i = 0; i < 2; i++) t.poissonStep(data(90 * 4, 18 + i), y);
    return t.getParameters();
  },
});
cases.push({
  name: 'trainer forward (evaluation)', op: 'createTrainer', tol: 1e-5,
  run: (b) => b.createTrainer(mlp, { seed: 23 }).forward(data(10 * 6, 17)),
});

const expected = new Map(cases.map((c) => [c.name, c.run(reference)]));

for (const name of wanted) {
  const status = statuses.find((s) => s.name === name);
  if (!status?.usable) {
    const why = status?.reason ?? 'not built';
    const reason = name === 'cuda' && !why.startsWith('no GPU') ? `skipped: no GPU (${why})` : `skipped: ${why}`;
    // Reported, not silently dropped: one skipped test per unusable backend names the reason.
    describe(`conformance ${name}`, () => { it.skip(reason, () => undefined); });
    console.warn(`conformance ${name}: ${reason}`);
    continue;
  }
  const backend: Backend = name === 'cpu' ? new CpuBackend({ threads: 2 }) : name === 'cuda' ? new CudaBackend() : new JsBackend();
  describe(`conformance ${name} vs js`, () => {
    for (const c of cases) {
      const why = SKIP[name]?.[c.op];
      (why ? it.skip : it)(why ? `${c.name} (skipped: ${why})` : `${c.name} within ${c.tol}`, () => {
        expect(relErr(c.run(backend), expected.get(c.name) as ArrayLike<number>)).toBeLessThanOrEqual(c.tol);
      });
    }
  });
}
