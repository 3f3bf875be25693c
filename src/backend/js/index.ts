/** The js backend: the TypeScript reference every other backend is checked against. */
import type { ActivationKind, Backend, MatmulShape } from '../backend';
import { encodeModel, type LossTermSpec, type ModelSpec } from '../../nn/spec';
import type { TrainerOptions } from '../../nn/options';
import { UsageError } from '../../errors';
import { JsKeystream } from './keystream';
import { activationBackwardInto, activationInto, gumbelSoftmaxInto, layerNormInto, lossPerSample, matmulInto, softmaxInto } from './ops';
import { JsTrainer, type JsTrainerPrecision } from './trainer';

export { JsTrainer } from './trainer';
export { JsKeystream } from './keystream';

function expectLength(name: string, got: number, want: number): void {
  if (got !== want) throw new UsageError(`Expected ${want} values for ${name} but received ${got}`);
}

/**
 * Encodes loss terms against given output/target widths (shared with the cpu backend).
 * @example encodeLossTerms([{kind: 'mse', outputOffset: 0, width: 2}], 2, 2)
 */
export function encodeLossTerms(terms: LossTermSpec[], outputColumns: number, targetColumns: number) {
  const e = encodeModel({ inputSize: outputColumns, layers: [{ type: 'relu' }], loss: { targetSize: targetColumns, terms } });
  return { codes: e.lossCodes, weights: e.lossWeights };
}

/** The reference backend (single-threaded TypeScript). */
export class JsBackend implements Backend {
  readonly name = 'js' as const;
  readonly threads = 1;

  matmul(a: Float32Array, b: Float32Array, s: MatmulShape, bias?: Float32Array, out?: Float32Array): Float32Array {
    expectLength('a', a.length, s.m * s.k);
    expectLength('b', b.length, s.k * s.n);
    if (bias) expectLength('bias', bias.length, s.n);
    if (out) expectLength('out', out.length, s.m * s.n);
    const c = out ?? new Float32Array(s.m * s.n);
    matmulInto(a, b, c, s.m, s.k, s.n, !!s.transA, !!s.transB, bias ?? null, false);
    return c;
  }

  activation(kind: ActivationKind, x: Float32Array, slope = 0.2): Float32Array {
    const y = new Float32Array(x.length);
    activationInto(kind, x, y, slope);
    return y;
  }

  activationBackward(kind: ActivationKind, x: Float32Array, y: Float32Array, dy: Float32Array, slope = 0.2): Float32Array {
    const dx = new Float32Array(x.length);
    activationBackwardInto(kind, x, y, dy, dx, slope);
    return dx;
  }

  softmax(x: Float32Array, rows: number, cols: number): Float32Array {
    expectLength('x', x.length, rows * cols);
    const y = new Float32Array(x.length);
    softmaxInto(x, y, rows, cols);
    return y;
  }

  gumbelSoftmax(x: Float32Array, rows: number, cols: number, tau: number, seed: number): Float32Array {
    expectLength('x', x.length, rows * cols);
    if (!(tau > 0)) throw new UsageError(`Expected a temperature > 0 for tau but received ${tau}`);
    const u = new JsKeystream(seed).uniforms(x.length);
    const y = new Float32Array(x.length);
    gumbelSoftmaxInto(x, u, y, rows, cols, tau);
    return y;
  }

  layerNorm(x: Float32Array, rows: number, cols: number, gain: Float32Array, bias: Float32Array, eps = 1e-5): Float32Array {
    expectLength('x', x.length, rows * cols);
    expectLength('gain', gain.length, cols);
    expectLength('bias', bias.length, cols);
    const y = new Float32Array(x.length);
    layerNormInto(x, gain, bias, y, new Float32Array(x.length), new Float32Array(rows), rows, cols, eps);
    return y;
  }

  loss(terms: LossTermSpec[], output: Float32Array, outputColumns: number, target: Float32Array, targetColumns: number) {
    const { codes, weights } = encodeLossTerms(terms, outputColumns, targetColumns);
    const rows = output.length / outputColumns;
    if (!Number.isInteger(rows)) throw new UsageError(`Expected a whole number of rows of ${outputColumns} for output but received ${output.length} values`);
    expectLength('target', target.length, rows * targetColumns);
    const list = Array.from(weights, (w, i) => ({ kind: codes[4 * i], outOffset: codes[4 * i + 1], tgtOffset: codes[4 * i + 2], width: codes[4 * i + 3], weight: w }));
    const loss = new Float64Array(rows);
    const gradient = new Float32Array(output.length);
    lossPerSample(list, output, outputColumns, target, targetColumns, rows, loss, gradient);
    return { loss, gradient };
  }

  linearGhostNorms(a: Float32Array, inputs: number, g: Float32Array, outputs: number): Float64Array {
    const rows = a.length / inputs;
    if (!Number.isInteger(rows)) throw new UsageError(`Expected a whole number of rows of ${inputs} for a but received ${a.length} values`);
    expectLength('g', g.length, rows * outputs);
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let na = 0, ng = 0;
      for (let j = 0; j < inputs; j++) na += a[i * inputs + j] ** 2;
      for (let j = 0; j < outputs; j++) ng += g[i * outputs + j] ** 2;
      out[i] = na * ng + ng;
    }
    return out;
  }

  gaussianNoise(count: number, seed?: number): Float64Array {
    return new JsKeystream(seed).gaussians(count);
  }

  createTrainer(model: ModelSpec, options: TrainerOptions & JsTrainerPrecision = {}): JsTrainer {
    return new JsTrainer(model, options);
  }
}
