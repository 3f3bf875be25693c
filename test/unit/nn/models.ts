/** Small model descriptions shared by the nn tests: one per layer kind and loss kind. */
import type { ModelSpec } from '../../../src/nn';

/** Deterministic pseudo-random data for tests (not for privacy: test inputs only). */
export function testData(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** One-hot rows of `width` columns. */
export function oneHot(rows: number, width: number, seed: number): Float32Array {
  const u = testData(rows, seed);
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out[r * width + Math.min(width - 1, Math.floor(((u[r] + 1) / 2) * width))] = 1;
  return out;
}

export const mse = (width: number, offset = 0) => ({ targetSize: width, terms: [{ kind: 'mse' as const, outputOffset: offset, width }] });

/** name → model, covering every layer and loss. */
export const MODELS: Record<string, ModelSpec> = {
  'linear+mse': { inputSize: 3, layers: [{ type: 'linear', outputs: 4 }], loss: mse(4) },
  relu: { inputSize: 3, layers: [{ type: 'linear', outputs: 5 }, { type: 'relu' }, { type: 'linear', outputs: 2 }], loss: mse(2) },
  leakyRelu: { inputSize: 3, layers: [{ type: 'linear', outputs: 5 }, { type: 'leakyRelu', slope: 0.2 }, { type: 'linear', outputs: 2 }], loss: mse(2) },
  tanh: { inputSize: 3, layers: [{ type: 'linear', outputs: 5 }, { type: 'tanh' }, { type: 'linear', outputs: 2 }], loss: mse(2) },
  sigmoid: { inputSize: 3, layers: [{ type: 'linear', outputs: 5 }, { type: 'sigmoid' }, { type: 'linear', outputs: 2 }], loss: mse(2) },
  layerNorm: { inputSize: 3, layers: [{ type: 'linear', outputs: 5 }, { type: 'layerNorm' }, { type: 'tanh' }, { type: 'linear', outputs: 2 }], loss: mse(2) },
  residual: {
    inputSize: 4,
    layers: [{ type: 'linear', outputs: 6 }, { type: 'residual', layers: [{ type: 'linear', outputs: 6 }, { type: 'leakyRelu' }, { type: 'layerNorm' }] }, { type: 'linear', outputs: 3 }],
    loss: mse(3),
  },
  dropout: { inputSize: 3, layers: [{ type: 'linear', outputs: 6 }, { type: 'dropout', rate: 0.3 }, { type: 'linear', outputs: 2 }], loss: mse(2) },
  crossEntropy: {
    inputSize: 3,
    layers: [{ type: 'linear', outputs: 6 }, { type: 'tanh' }, { type: 'linear', outputs: 4 }],
    loss: { targetSize: 4, terms: [{ kind: 'crossEntropy', outputOffset: 0, width: 4 }] },
  },
  gaussianNll: {
    inputSize: 3,
    layers: [{ type: 'linear', outputs: 6 }, { type: 'tanh' }, { type: 'linear', outputs: 4 }],
    loss: { targetSize: 2, terms: [{ kind: 'gaussianNll', outputOffset: 0, targetOffset: 0, width: 2 }] },
  },
  wasserstein: {
    inputSize: 3,
    layers: [{ type: 'linear', outputs: 5 }, { type: 'leakyRelu' }, { type: 'linear', outputs: 1 }],
    loss: { targetSize: 1, terms: [{ kind: 'linear', outputOffset: 0, width: 1 }] },
  },
  // A WGAN-GP critic: samples are (real, generated, interpolate) row triples.
  wganGp: {
    inputSize: 3,
    layers: [
      { type: 'linear', outputs: 5 }, { type: 'tanh' },
      { type: 'residual', layers: [{ type: 'linear', outputs: 5 }, { type: 'sigmoid' }] },
      { type: 'linear', outputs: 4 }, { type: 'leakyRelu', slope: 0.2 }, { type: 'linear', outputs: 1 },
    ],
    loss: {
      targetSize: 2, rowsPerSample: 3,
      terms: [{ kind: 'linear', outputOffset: 0, targetOffset: 0, width: 1 }, { kind: 'gradientPenalty', outputOffset: 0, targetOffset: 1, width: 1, weight: 10 }],
    },
  },
  wganGpDropout: {
    inputSize: 3,
    layers: [{ type: 'linear', outputs: 6 }, { type: 'leakyRelu', slope: 0.2 }, { type: 'dropout', rate: 0.3 }, { type: 'linear', outputs: 1 }],
    loss: {
      targetSize: 2, rowsPerSample: 3,
      terms: [{ kind: 'linear', outputOffset: 0, targetOffset: 0, width: 1 }, { kind: 'gradientPenalty', outputOffset: 0, targetOffset: 1, width: 1, weight: 10 }],
    },
  },
  // A miniature TVAE: encoder → [μ, log σ²] → z → decoder with mixed reconstruction losses.
  vae: {
    inputSize: 5,
    layers: [
      { type: 'linear', outputs: 6 }, { type: 'relu' }, { type: 'linear', outputs: 4 },
      { type: 'gaussianSample', size: 2, klWeight: 0.5 },
      { type: 'linear', outputs: 6 }, { type: 'relu' }, { type: 'linear', outputs: 7 },
    ],
    loss: {
      targetSize: 5,
      terms: [
        { kind: 'mse', outputOffset: 0, targetOffset: 0, width: 2 },
        { kind: 'crossEntropy', outputOffset: 2, targetOffset: 2, width: 3, weight: 2 },
        { kind: 'gaussianNll', outputOffset: 5, targetOffset: 0, width: 1 },
      ],
    },
  },
};

/** Rows per sample of a model. */
export const groupOf = (model: ModelSpec) => model.loss.rowsPerSample ?? 1;

/** Targets suited to a model's loss (one-hot spans for cross-entropy, ±1 for the critic). */
export function targetsFor(name: string, model: ModelSpec, rows: number, seed: number): Float32Array {
  const t = model.loss.targetSize;
  if (name === 'crossEntropy') return oneHot(rows, t, seed);
  if (name === 'wasserstein') return Float32Array.from(testData(rows, seed), (v) => (v > 0 ? 1 : -1));
  if (name.startsWith('wganGp')) {
    // Row triples: real (label −1), generated (+1), interpolate (penalty weight 1).
    const y = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      if (r % 3 === 0) y[r * 2] = -1;
      else if (r % 3 === 1) y[r * 2] = 1;
      else y[r * 2 + 1] = 1;
    }
    return y;
  }
  if (name === 'vae') {
    const y = testData(rows * t, seed);
    const oh = oneHot(rows, 3, seed + 1);
    for (let r = 0; r < rows; r++) for (let j = 0; j < 3; j++) y[r * t + 2 + j] = oh[r * 3 + j];
    return y;
  }
  return testData(rows * t, seed);
}
