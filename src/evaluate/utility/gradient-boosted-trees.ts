/**
 * Histogram gradient-boosted trees (native/metrics/gbt.cpp). Native only: training trees in
 * TypeScript would be too slow to be useful at evaluation sizes, so without the addon the
 * utility section reports the GLMs alone and says why.
 */
import { callNative, loadAddon } from '../../native/addon';

export type GbtLoss = 'squared' | 'logistic' | 'poisson';
const LOSS_CODE: Record<GbtLoss, number> = { squared: 0, logistic: 1, poisson: 2 };

/** Options of {@link fitGbt}. */
export interface GbtOptions {
  trees?: number;
  depth?: number;
  learningRate?: number;
  lambda?: number;
  minChildWeight?: number;
  maxBins?: number;
  threads?: number;
}

/** A fitted ensemble. */
export interface GbtModel {
  loss: GbtLoss;
  features: number;
  model: Float64Array;
  /** Total split gain per feature. */
  importance: Float64Array;
}

/**
 * Fits an ensemble to column-major X (n x d, NaN = missing).
 * @example const m = fitGbt(treeMatrix(train, features), y, train.nRows, features.length, 'logistic')
 */
export function fitGbt(X: Float64Array, y: Float64Array, n: number, d: number, loss: GbtLoss, opts: GbtOptions = {}): GbtModel {
  const addon = loadAddon();
  const r = callNative(() => addon.gbtFit(X, y, n, d, LOSS_CODE[loss], opts.trees ?? 100, opts.depth ?? 4, opts.learningRate ?? 0.1, opts.lambda ?? 1, opts.minChildWeight ?? 1, opts.maxBins ?? 64, opts.threads ?? 0));
  return { loss, features: d, model: r.model, importance: r.importance };
}

/** Predicted means (probabilities for logistic, counts for poisson) for column-major X. */
export function predictGbt(m: GbtModel, X: Float64Array, n: number, threads = 0): Float64Array {
  const addon = loadAddon();
  const raw = callNative(() => addon.gbtPredict(m.model, X, n, m.features, threads));
  if (m.loss === 'logistic') return raw.map((s) => 1 / (1 + Math.exp(-s)));
  if (m.loss === 'poisson') return raw.map((s) => Math.exp(Math.min(s, 700)));
  return raw;
}
