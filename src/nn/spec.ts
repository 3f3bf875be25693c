/**
 * Model descriptions: an ordered layer list (with residual blocks and a VAE reparameterisation
 * layer) plus a loss over column spans of the model's output. A description is plain data
 * (JSON-serialisable), validated here once, then encoded into the flat form every backend
 * runs (see docs/nn.md).
 */
import { InputError } from '../errors';

/** One layer of a model. */
export type LayerSpec =
  | { type: 'linear'; outputs: number }
  | { type: 'relu' }
  | { type: 'leakyRelu'; slope?: number }
  | { type: 'tanh' }
  | { type: 'sigmoid' }
  | { type: 'layerNorm'; eps?: number }
  | { type: 'dropout'; rate: number }
  | { type: 'residual'; layers: LayerSpec[] }
  | { type: 'gaussianSample'; size: number; klWeight?: number };

/** Loss kinds over a span of output columns (see docs/nn.md for the formulas). */
export type LossKind = 'mse' | 'crossEntropy' | 'gaussianNll' | 'linear' | 'gradientPenalty';

/**
 * One loss term: compares output columns [outputOffset, outputOffset + width) (2·width for
 * `gaussianNll`: means then log-variances) with target columns [targetOffset, targetOffset + width).
 * `gradientPenalty` (WGAN-GP, Gulrajani et al. 2017; width 1): each row adds
 * weight·λ_row·(‖∂o/∂x_row‖ − 1)², where o is output column outputOffset and λ_row is the target
 * column targetOffset (0 for rows without penalty, e.g. the real and fake rows of a sample).
 */
export interface LossTermSpec {
  kind: LossKind;
  outputOffset: number;
  /** Defaults to outputOffset. */
  targetOffset?: number;
  width: number;
  /** Defaults to 1. */
  weight?: number;
}

/** The loss of a model: per-sample sum of its terms (plus the KL of any gaussianSample layer). */
export interface LossSpec {
  /** Columns of a target row. */
  targetSize: number;
  terms: LossTermSpec[];
  /**
   * Rows per sample (default 1): consecutive groups of this many rows of x/y form one sample,
   * the unit of Poisson sampling, of per-sample clipping and of the mean loss. A WGAN-GP critic
   * under DP uses 3: a real row (target −1), a generated row (+1) and their interpolate (λ).
   */
  rowsPerSample?: number;
}

/**
 * A model: input width, ordered layers, loss.
 * @example
 * const mlp: ModelSpec = {
 *   inputSize: 100,
 *   layers: [{ type: 'linear', outputs: 256 }, { type: 'relu' }, { type: 'linear', outputs: 100 }],
 *   loss: { targetSize: 100, terms: [{ kind: 'mse', outputOffset: 0, width: 100 }] },
 * };
 */
export interface ModelSpec {
  inputSize: number;
  layers: LayerSpec[];
  loss: LossSpec;
}

/** Native layer codes (native/nn/trainer.h LayerKind). */
export const LAYER_CODES = {
  linear: 1, relu: 2, leakyRelu: 3, tanh: 4, sigmoid: 5, layerNorm: 6, dropout: 7,
  residualBegin: 8, residualEnd: 9, gaussianSample: 10,
} as const;

/** Native loss codes (native/nn/loss.h LossKind). */
export const LOSS_CODES: Record<LossKind, number> = { mse: 1, crossEntropy: 2, gaussianNll: 3, linear: 4, gradientPenalty: 5 };

/** The flat form every backend runs: residual blocks become begin/end markers. */
export interface EncodedModel {
  inputSize: number;
  /** [kind, size] per flat layer. */
  layerCodes: Int32Array;
  /** One parameter per flat layer (slope, eps, rate, KL weight; 0 otherwise). */
  layerParams: Float64Array;
  /** Flat index of each top-level layer of the description. */
  topLevelIndex: number[];
  /** Input width of each flat layer, then the output width. */
  widths: number[];
  lossCodes: Int32Array;
  lossWeights: Float64Array;
  targetSize: number;
  parameterCount: number;
  rowsPerSample: number;
}

function isInt(v: unknown, min: number, max = 2 ** 24): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function bad(field: string, expected: string, received: unknown, hint?: string): never {
  const r = received === undefined ? 'undefined' : typeof received === 'object' ? JSON.stringify(received)?.slice(0, 80) ?? 'object' : `${typeof received} ${String(received)}`;
  throw new InputError({ field }, expected, r, hint);
}

/**
 * Validates a model description and encodes it for the backends. Every problem names the
 * field (`layers[2].outputs`, `loss.terms[0].width`), what was expected and what was found.
 * @example encodeModel(mlp).parameterCount // 51300 for 100→256→100
 */
export function encodeModel(model: ModelSpec): EncodedModel {
  if (!model || typeof model !== 'object') bad('model', 'a model description object', model);
  if (!isInt(model.inputSize, 1)) bad('inputSize', 'an integer in [1, 16777216]', model.inputSize);
  if (!Array.isArray(model.layers) || model.layers.length === 0) bad('layers', 'a non-empty array of layers', model.layers);
  const codes: number[] = [];
  const params: number[] = [];
  const widths: number[] = [model.inputSize];
  const top: number[] = [];
  let width = model.inputSize;
  let parameterCount = 0;
  const push = (code: number, size: number, param: number, out: number) => {
    codes.push(code, size);
    params.push(param);
    width = out;
    widths.push(out);
  };
  const walk = (layers: LayerSpec[], path: string) => {
    layers.forEach((layer, i) => {
      const f = `${path}[${i}]`;
      if (path === 'layers') top.push(params.length);
      if (!layer || typeof layer !== 'object') bad(f, 'a layer object', layer);
      const type = (layer as { type?: unknown }).type;
      switch (type) {
        case 'linear': {
          const l = layer as { outputs?: unknown };
          if (!isInt(l.outputs, 1)) bad(`${f}.outputs`, 'an integer in [1, 16777216]', l.outputs);
          parameterCount += width * l.outputs + l.outputs;
          push(LAYER_CODES.linear, l.outputs, 0, l.outputs);
          break;
        }
        case 'relu': case 'tanh': case 'sigmoid':
          push(LAYER_CODES[type], 0, 0, width);
          break;
        case 'leakyRelu': {
          const slope = (layer as { slope?: number }).slope ?? 0.2;
          if (!(typeof slope === 'number' && slope >= 0 && slope < 1)) bad(`${f}.slope`, 'a number in [0, 1)', slope);
          push(LAYER_CODES.leakyRelu, 0, slope, width);
          break;
        }
        case 'layerNorm': {
          const eps = (layer as { eps?: number }).eps ?? 1e-5;
          if (!(typeof eps === 'number' && eps > 0 && Number.isFinite(eps))) bad(`${f}.eps`, 'a number > 0', eps);
          parameterCount += 2 * width;
          push(LAYER_CODES.layerNorm, 0, eps, width);
          break;
        }
        case 'dropout': {
          const rate = (layer as { rate?: unknown }).rate;
          if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) bad(`${f}.rate`, 'a number in [0, 1)', rate);
          push(LAYER_CODES.dropout, 0, rate, width);
          break;
        }
        case 'residual': {
          const inner = (layer as { layers?: unknown }).layers;
          if (!Array.isArray(inner) || inner.length === 0) bad(`${f}.layers`, 'a non-empty array of layers', inner);
          const before = width;
          push(LAYER_CODES.residualBegin, 0, 0, width);
          walk(inner as LayerSpec[], `${f}.layers`);
          if (width !== before) bad(`${f}.layers`, `a block that keeps the width ${before}`, `a block of output width ${width}`);
          push(LAYER_CODES.residualEnd, 0, 0, width);
          break;
        }
        case 'gaussianSample': {
          const l = layer as { size?: unknown; klWeight?: unknown };
          if (!isInt(l.size, 1)) bad(`${f}.size`, 'an integer >= 1', l.size);
          if (width !== 2 * l.size) bad(`${f}.size`, `half of the previous width ${width} (input is [mean, log-variance])`, l.size);
          const kl = l.klWeight ?? 1;
          if (!(typeof kl === 'number' && kl >= 0 && Number.isFinite(kl))) bad(`${f}.klWeight`, 'a number >= 0', kl);
          push(LAYER_CODES.gaussianSample, l.size, kl, l.size);
          break;
        }
        case 'batchNorm':
          bad(`${f}.type`, 'a per-sample layer', 'batchNorm',
            'Batch normalisation mixes the samples of a batch, so one record influences every other record\'s gradient and per-sample clipping no longer bounds its contribution (DP-SGD cannot account for it). Use {type: "layerNorm"} instead');
        // eslint-disable-next-line no-fallthrough
        default:
          bad(`${f}.type`, 'one of linear, relu, leakyRelu, tanh, sigmoid, layerNorm, dropout, residual, gaussianSample', type);
      }
    });
  };
  walk(model.layers, 'layers');
  const loss = model.loss;
  if (!loss || typeof loss !== 'object') bad('loss', 'a loss description {targetSize, terms}', loss);
  if (!isInt(loss.targetSize, 1)) bad('loss.targetSize', 'an integer >= 1', loss.targetSize);
  if (!Array.isArray(loss.terms) || loss.terms.length === 0) bad('loss.terms', 'a non-empty array of loss terms', loss.terms);
  const lossCodes: number[] = [];
  const lossWeights: number[] = [];
  const rowsPerSample = loss.rowsPerSample ?? 1;
  if (!isInt(rowsPerSample, 1, 1024)) bad('loss.rowsPerSample', 'an integer in [1, 1024]', rowsPerSample);
  let penalties = 0;
  loss.terms.forEach((t, i) => {
    const f = `loss.terms[${i}]`;
    if (!t || !(t.kind in LOSS_CODES)) bad(`${f}.kind`, 'one of mse, crossEntropy, gaussianNll, linear, gradientPenalty', t?.kind);
    if (!isInt(t.width, 1)) bad(`${f}.width`, 'an integer >= 1', t.width);
    if (t.kind === 'gradientPenalty') {
      if (t.width !== 1) bad(`${f}.width`, '1 (the penalty differentiates one output column)', t.width);
      if (++penalties > 1) bad(`${f}.kind`, 'at most one gradientPenalty term', t.kind);
      const code = codes.findIndex((c, j) => j % 2 === 0 && (c === LAYER_CODES.layerNorm || c === LAYER_CODES.gaussianSample));
      if (code >= 0) {
        bad(`${f}.kind`, 'a model of linear, activation, dropout and residual layers for a gradient penalty',
          `a model with ${codes[code] === LAYER_CODES.layerNorm ? 'layerNorm' : 'gaussianSample'}`,
          'The penalty needs second derivatives, which this trainer computes for those layers only');
      }
    }
    const outW = t.kind === 'gaussianNll' ? 2 * t.width : t.width;
    if (!isInt(t.outputOffset, 0) || t.outputOffset + outW > width) {
      bad(`${f}.outputOffset`, `an offset with ${outW} output columns inside the model's ${width}`, t.outputOffset);
    }
    const to = t.targetOffset ?? t.outputOffset;
    if (!isInt(to, 0) || to + t.width > loss.targetSize) bad(`${f}.targetOffset`, `an offset with ${t.width} columns inside the ${loss.targetSize} target columns`, to);
    const w = t.weight ?? 1;
    if (!(typeof w === 'number' && Number.isFinite(w))) bad(`${f}.weight`, 'a finite number', w);
    lossCodes.push(LOSS_CODES[t.kind], t.outputOffset, to, t.width);
    lossWeights.push(w);
  });
  return {
    inputSize: model.inputSize,
    layerCodes: Int32Array.from(codes),
    layerParams: Float64Array.from(params),
    topLevelIndex: top,
    widths,
    lossCodes: Int32Array.from(lossCodes),
    lossWeights: Float64Array.from(lossWeights),
    targetSize: loss.targetSize,
    parameterCount,
    rowsPerSample,
  };
}
