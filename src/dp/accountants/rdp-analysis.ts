/**
 * Rényi differential privacy (RDP) analysis: pure functions, no state.
 *
 * - Poisson-subsampled Gaussian: Mironov, Talwar & Zhang 2019, "Rényi Differential Privacy of the
 *   Sampled Gaussian Mechanism" (arXiv:1908.10530), §3.3: the binomial expansion at integer
 *   orders and the two convergent series at fractional orders, both summed in log space (the
 *   same computation as Opacus / TF Privacy `_compute_log_a_frac`).
 * - Laplace: Mironov 2017, "Rényi Differential Privacy", Table II.
 * - Pure ε-DP: the RDP of the randomised-response pair, which dominates every ε-DP mechanism.
 * - Conversion to (ε, δ): Balle, Barthe, Gaboardi, Hsu & Sato 2020, "Hypothesis testing
 *   interpretations and Rényi differential privacy", Thm 21 (default) or the classic
 *   ε = RDP(α) + log(1/δ)/(α-1) of Mironov 2017, Prop. 3.
 */
import { logAdd, logErfc, logSub } from './special-functions';
import { Mechanism, compositions, isFree, isNoiseless } from './mechanisms';

// Math functions bound once: global lookups are slow inside vm contexts (e.g. jest), and these run millions of times.
const { abs, exp, expm1, log, log1p, max, min } = Math;
const INF = Number.POSITIVE_INFINITY;
const { isNaN: isNaNumber, isFinite: isFiniteNumber, isInteger: isIntegerNumber, EPSILON: DOUBLE_EPSILON } = Number;
const M_SQRT2 = Math.SQRT2;

/** Opacus' default orders: 1 + x/10 for x in 1..99, then the integers 12..63. */
export const OPACUS_DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
]);

/** TF Privacy's default orders. */
export const TFP_DEFAULT_ORDERS: readonly number[] = Object.freeze([
  1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5,
  ...Array.from({ length: 59 }, (_, i) => 5 + i),
  128, 256, 512,
]);

/** Which RDP → (ε, δ) conversion to use. */
export type RdpConversion = 'balle2020' | 'classic';

/** log A_α for integer α: log Σ_i C(α,i) q^i (1-q)^{α-i} exp((i²-i)/(2σ²)) (Mironov et al. 2019, §3.3). */
function logAIntegerOrder(q: number, sigma: number, alpha: number): number {
  let logA = -INF;
  let logBinom = 0; // log C(alpha, 0)
  const logQ = log(q);
  const log1mQ = log1p(-q);
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += log((alpha - i + 1) / i);
    const s = logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, s);
  }
  return logA;
}

/**
 * log A_α for fractional α: the two series of Mironov et al. 2019, §3.3, split at
 * z0 = σ² log(1/q - 1) + 1/2, each term carrying a Gaussian tail (as erfc) and a generalised
 * binomial coefficient whose sign alternates; summed until both terms are below e^-30.
 */
function logAFractionalOrder(q: number, sigma: number, alpha: number): number {
  let logA0 = -INF;
  let logA1 = -INF;
  const z0 = sigma * sigma * log(1 / q - 1) + 0.5;
  const logQ = log(q);
  const log1mQ = log1p(-q);
  let logAbsCoef = 0;
  let coefSign = 1;
  for (let i = 0; i < 100000; i++) {
    if (i > 0) {
      const factor = (alpha - i + 1) / i;
      if (factor === 0) break;
      logAbsCoef += log(abs(factor));
      if (factor < 0) coefSign = -coefSign;
    }
    const j = alpha - i;
    const logT0 = logAbsCoef + i * logQ + j * log1mQ;
    const logT1 = logAbsCoef + j * logQ + i * log1mQ;
    const logE0 = log(0.5) + logErfc((i - z0) / (M_SQRT2 * sigma));
    const logE1 = log(0.5) + logErfc((z0 - j) / (M_SQRT2 * sigma));
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (coefSign > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (max(logS0, logS1) < -30) break;
  }
  return logAdd(logA0, logA1);
}

/**
 * RDP at order α of one step of the Poisson-subsampled Gaussian mechanism with sampling rate q
 * and noise multiplier σ. q = 0 gives 0, σ = 0 gives INF, q = 1 gives α/(2σ²).
 * @example subsampledGaussianRdp(0.01, 2.5, 5) * 50 // 2.18075656e-03
 */
export function subsampledGaussianRdp(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (sigma === 0) return INF;
  if (sigma === INF) return 0;
  if (q === 1) return alpha / (2 * sigma * sigma);
  if (alpha === INF) return INF;
  const logA = isIntegerNumber(alpha) ? logAIntegerOrder(q, sigma, alpha) : logAFractionalOrder(q, sigma, alpha);
  return max(0, logA / (alpha - 1));
}

/**
 * RDP at order α of the Laplace mechanism with scale b (normalised by the L1 sensitivity):
 * 1/(α-1) log(α/(2α-1) e^{(α-1)/b} + (α-1)/(2α-1) e^{-α/b})  (Mironov 2017, Table II).
 * @example laplaceRdp(1, 2) // about 0.5663
 */
export function laplaceRdp(scale: number, alpha: number): number {
  if (scale === 0) return INF;
  if (scale === INF) return 0;
  const e = 1 / scale;
  const a = log(alpha / (2 * alpha - 1)) + (alpha - 1) * e;
  const b = log((alpha - 1) / (2 * alpha - 1)) - alpha * e;
  return min(e, logAdd(a, b) / (alpha - 1));
}

/**
 * RDP at order α of the randomised-response pair with parameter ε, which upper-bounds the RDP of
 * any pure ε-DP mechanism: 1/(α-1) log(p^α (1-p)^{1-α} + (1-p)^α p^{1-α}), p = e^ε/(1+e^ε).
 * @example pureDpRdp(1, 2) // about 0.3799
 */
export function pureDpRdp(epsilon: number, alpha: number): number {
  if (epsilon === 0) return 0;
  if (epsilon === INF) return INF;
  const logP = -log1p(exp(-epsilon));
  const log1mP = -log1p(exp(epsilon));
  const v = logAdd(alpha * logP + (1 - alpha) * log1mP, alpha * log1mP + (1 - alpha) * logP) / (alpha - 1);
  return min(epsilon, max(0, v));
}

/**
 * RDP at order α of one mechanism over all its applications (RDP composes additively).
 * @example mechanismRdp({ kind: 'subsampled-gaussian', noiseMultiplier: 2.5, sampleRate: 0.01, steps: 50 }, 5)
 */
export function mechanismRdp(m: Mechanism, alpha: number): number {
  if (isFree(m)) return 0;
  if (isNoiseless(m)) return INF;
  const k = compositions(m);
  switch (m.kind) {
    case 'subsampled-gaussian':
      return k * subsampledGaussianRdp(m.sampleRate, m.noiseMultiplier, alpha);
    case 'gaussian':
      return k * subsampledGaussianRdp(1, m.noiseMultiplier, alpha);
    case 'laplace':
      return k * laplaceRdp(m.scale, alpha);
    case 'pure-dp':
      return k * pureDpRdp(m.epsilon, alpha);
  }
}

/** The (ε, δ) guarantee read from an RDP curve, and the order that gave it. */
export interface RdpPrivacySpent {
  epsilon: number;
  order: number;
}

/**
 * Converts an RDP curve to ε at the given δ, minimising over the orders.
 * Balle et al. 2020 (Thm 21): ε = RDP(α) + log1p(-1/α) - log(δα)/(α-1); classic (Mironov 2017):
 * ε = RDP(α) - log(δ)/(α-1). With the Balle conversion it also uses, as Google's dp_accounting
 * does, that when 1 - e^{-RDP(α)} <= δ² the KL bound δ <= sqrt(1 - e^{-KL}) already gives ε = 0.
 * @example rdpToEpsilon([2, 3], [0.1, 0.2], 1e-5) // { epsilon: ..., order: 3 }
 */
export function rdpToEpsilon(orders: readonly number[], rdp: readonly number[], delta: number, conversion: RdpConversion = 'balle2020'): RdpPrivacySpent {
  if (orders.length !== rdp.length) throw new RangeError(`Expected as many RDP values as orders (${orders.length}) but received ${rdp.length}`);
  let best = INF;
  let bestOrder = orders[0] ?? NaN;
  if (!(delta > 0)) return { epsilon: INF, order: bestOrder };
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i];
    const r = rdp[i];
    if (!(a > 1) || isNaNumber(r)) continue;
    let eps: number;
    if (r === INF) eps = INF;
    else if (conversion === 'classic') eps = r - log(delta) / (a - 1);
    else if (delta * delta + expm1(-r) > 0) eps = 0;
    else eps = r + log1p(-1 / a) - (log(delta) + log(a)) / (a - 1);
    if (eps < best) {
      best = eps;
      bestOrder = a;
    }
  }
  return { epsilon: max(0, best), order: bestOrder };
}

/**
 * Converts an RDP curve to δ at a given ε (the inverse reading; Balle et al. 2020 Thm 21 / classic):
 * classic log δ = (α-1)(RDP(α) - ε); Balle log δ = (α-1)(RDP(α) - ε + log1p(-1/α)) - log α;
 * minimised over the orders.
 * @example rdpToDelta([2, 3], [0.1, 0.2], 1)
 */
export function rdpToDelta(orders: readonly number[], rdp: readonly number[], epsilon: number, conversion: RdpConversion = 'balle2020'): { delta: number; order: number } {
  let best = INF;
  let bestOrder = orders[0] ?? NaN;
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i];
    const r = rdp[i];
    if (!(a > 1) || isNaNumber(r)) continue;
    // Solving the ε formula for δ.
    const logDelta = conversion === 'classic'
      ? (a - 1) * (r - epsilon)
      : (a - 1) * (r - epsilon + log1p(-1 / a)) - log(a);
    if (logDelta < best) {
      best = logDelta;
      bestOrder = a;
    }
  }
  return { delta: min(1, exp(best)), order: bestOrder };
}

/**
 * ε of a list of mechanisms composed, by RDP.
 * @example rdpEpsilon([{ kind: 'subsampled-gaussian', noiseMultiplier: 1.5, sampleRate: 0.04, steps: 2250 }], 1e-5)
 */
export function rdpEpsilon(mechanisms: readonly Mechanism[], delta: number, opts: { orders?: readonly number[]; conversion?: RdpConversion } = {}): RdpPrivacySpent {
  const orders = opts.orders ?? OPACUS_DEFAULT_ORDERS;
  const rdp = orders.map((a) => mechanisms.reduce((s, m) => s + mechanismRdp(m, a), 0));
  return rdpToEpsilon(orders, rdp, delta, opts.conversion);
}
