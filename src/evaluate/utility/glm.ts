/**
 * Generalised linear models (gaussian, binomial/logit, poisson/log) fitted by IRLS: natively
 * (native/metrics/glm.cpp, multi-threaded normal equations) when the addon loads, else by the
 * TypeScript IRLS of the clinical suite (an independent implementation the tests compare with).
 */
import { callNative, loadAddon, tryLoadAddon } from '../../native/addon';
import { NativeError } from '../../errors';
import { linearRegression, logisticRegression, poissonRegression } from '../clinical/glm';

export type GlmFamily = 'gaussian' | 'binomial' | 'poisson';
const FAMILY_CODE: Record<GlmFamily, number> = { gaussian: 0, binomial: 1, poisson: 2 };

/** A fitted GLM. */
export interface GlmFit {
  family: GlmFamily;
  coef: Float64Array;
  /** Standard errors (sqrt of the covariance diagonal). */
  se: Float64Array;
  /** Covariance of the estimates (the TypeScript path fills the diagonal only). */
  covariance: Float64Array;
  deviance: number;
  nullDeviance: number;
  dispersion: number;
  iterations: number;
  converged: boolean;
}

/** Options of {@link fitGlm}. */
export interface GlmOptions {
  maxIter?: number;
  tol?: number;
  /** L2 penalty on X'WX (default 0: maximum likelihood). */
  ridge?: number;
  threads?: number;
  backend?: 'native' | 'js';
}

/**
 * Fits a GLM to a row-major design X (n x p, intercept column included by the caller).
 * @example const fit = fitGlm(X, y, n, p, 'binomial')
 */
export function fitGlm(X: Float64Array, y: Float64Array, n: number, p: number, family: GlmFamily, opts: GlmOptions = {}): GlmFit {
  const maxIter = opts.maxIter ?? 50, tol = opts.tol ?? 1e-10, ridge = opts.ridge ?? 0;
  const useNative = opts.backend === 'native' || (opts.backend !== 'js' && tryLoadAddon().addon !== undefined);
  let r: Omit<GlmFit, 'se' | 'family'>;
  if (useNative) {
    const addon = loadAddon();
    r = callNative(() => addon.glmFit(X, y, n, p, FAMILY_CODE[family], maxIter, tol, ridge, opts.threads ?? 0));
  } else {
    r = fitGlmReference(X, y, n, p, family);
  }
  const se = new Float64Array(p);
  for (let j = 0; j < p; j++) se[j] = Math.sqrt(Math.max(0, r.covariance[j * p + j]));
  return { family, ...r, se };
}

/** Mean response of each row of X (n x p) under a fit. */
export function predictGlm(fit: GlmFit, X: Float64Array, n: number): Float64Array {
  const p = fit.coef.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let eta = 0;
    for (let j = 0; j < p; j++) eta += X[i * p + j] * fit.coef[j];
    out[i] = fit.family === 'binomial' ? 1 / (1 + Math.exp(-eta)) : fit.family === 'poisson' ? Math.exp(Math.min(eta, 700)) : eta;
  }
  return out;
}

/** Unit deviance (McCullagh & Nelder 1989, table 2.1). */
export function unitDeviance(y: number, mu: number, family: GlmFamily): number {
  if (family === 'binomial') {
    const m = Math.min(Math.max(mu, 1e-15), 1 - 1e-15);
    return 2 * ((y > 0 ? y * Math.log(y / m) : 0) + (y < 1 ? (1 - y) * Math.log((1 - y) / (1 - m)) : 0));
  }
  if (family === 'poisson') return 2 * ((y > 0 ? y * Math.log(y / Math.max(mu, 1e-300)) : 0) - (y - mu));
  return (y - mu) ** 2;
}

/**
 * The TypeScript path: the clinical suite's IRLS (src/evaluate/clinical/glm.ts) on the columns
 * of X after the intercept, so that the project has one JavaScript GLM. It has no ridge term:
 * fits that need one (separation) fail there with an error instead of a silent answer.
 */
export function fitGlmReference(X: Float64Array, y: Float64Array, n: number, p: number, family: GlmFamily): Omit<GlmFit, 'se' | 'family'> {
  if (X.length !== n * p || y.length !== n) throw new NativeError(`Expected X of length ${n * p} and y of length ${n} but received ${X.length} and ${y.length}`, 'X');
  for (let i = 0; i < n; i++) if (X[i * p] !== 1) throw new NativeError(`X: expected the first column to be the intercept (1) but row ${i} holds ${X[i * p]}`, 'X');
  if (family === 'gaussian' && n <= p) throw new NativeError('y: expected more rows than coefficients for a gaussian fit', 'y');
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (!Number.isFinite(v) || (family === 'binomial' && (v < 0 || v > 1)) || (family === 'poisson' && v < 0)) throw new NativeError(`y: expected ${family} responses but row ${i} is ${v}`, 'y');
  }
  const covariates: Record<string, Float64Array> = {};
  for (let j = 1; j < p; j++) covariates[`x${j}`] = Float64Array.from({ length: n }, (_, i) => X[i * p + j]);
  let fit;
  try {
    const d = { covariates, y };
    fit = family === 'binomial' ? logisticRegression(d) : family === 'poisson' ? poissonRegression(d) : linearRegression(d);
  } catch (e) {
    throw new NativeError(`X: ${(e as Error).message}`, 'X');
  }
  const coef = Float64Array.from(fit.coefficients);
  const covariance = new Float64Array(p * p);
  fit.standardErrors.forEach((se, j) => { covariance[j * p + j] = se * se; });
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i] / n;
  let deviance = 0, nullDeviance = 0;
  const mu = predictGlm({ family, coef, se: new Float64Array(p), covariance, deviance: 0, nullDeviance: 0, dispersion: 1, iterations: 0, converged: true }, X, n);
  for (let i = 0; i < n; i++) { deviance += unitDeviance(y[i], mu[i], family); nullDeviance += unitDeviance(y[i], mean, family); }
  return { coef, covariance, deviance, nullDeviance, dispersion: family === 'gaussian' ? deviance / (n - p) : 1, iterations: fit.iterations, converged: fit.converged };
}
