/**
 * Privacy-loss distributions (the "privacy loss random variables" of Gopi, Lee & Wutschitz 2021,
 * "Numerical Composition of Differential Privacy", arXiv:2106.02848) of the mechanisms the
 * accountants support. For a dominating pair (P, Q) the privacy loss is L = log(P(X)/Q(X)) with
 * X ~ P, and δ(ε) = E[(1 - e^{ε - L})₊] + P(L = ∞).
 *
 * Add/remove adjacency is covered by both directions, as in Google's dp_accounting
 * (Doroshenko et al. 2022, "Connect the Dots"): "remove" (P = (1-q)N(0,σ²) + qN(1,σ²),
 * Q = N(0,σ²)) and "add" (P = N(0,σ²), Q = the mixture); the accountant takes the larger δ.
 * Pure functions, no state.
 */
import { normalCdf, normalSf } from './special-functions';
import { integrate } from './quadrature';

// Math functions bound once: global lookups are slow inside vm contexts (e.g. jest), and these run millions of times.
const { ceil, exp, expm1, log, log1p, max, min, sqrt } = Math;
const INF = Number.POSITIVE_INFINITY;
const { isNaN: isNaNumber, isFinite: isFiniteNumber, isInteger: isIntegerNumber, EPSILON: DOUBLE_EPSILON } = Number;
const M_PI = Math.PI;

/** One privacy-loss distribution: its survival function and partial expectations. */
export interface PrivacyLossDistribution {
  /** P(L > t). */
  sf(t: number): number;
  /** E[L · 1{a < L <= b}] for a < b (a may be -INF, b may be +INF). */
  partialExpectation(a: number, b: number): number;
  /** Upper end of the support of the finite part of L (INF when unbounded). */
  readonly supportMax: number;
  /** Lower end of the support of L. */
  readonly supportMin: number;
}

export type LossDirection = 'remove' | 'add';

/**
 * Privacy loss of one step of the Poisson-subsampled Gaussian mechanism (q = 1: the plain
 * Gaussian mechanism). With z = (2x - 1)/(2σ²) the Gaussian loss, the remove-direction loss is
 * g(x) = log(1 - q + q e^z) (Gopi et al. 2021, Prop. B.1/B.4; Mironov et al. 2019).
 * @example subsampledGaussianLoss(0.2, 0.5, 'remove').sf(1)
 */
export function subsampledGaussianLoss(q: number, sigma: number, direction: LossDirection): PrivacyLossDistribution {
  if (!(q > 0 && q <= 1 && sigma > 0 && isFiniteNumber(sigma))) throw new RangeError(`Expected q in (0, 1] and a finite sigma > 0 but received q=${q}, sigma=${sigma}`);
  const s2 = sigma * sigma;
  const logQ = log(q);
  const log1mQ = q === 1 ? -INF : log1p(-q);
  // g(x) = log(1 - q + q e^z), written to avoid overflow and cancellation.
  const g = (x: number): number => {
    const z = (2 * x - 1) / (2 * s2);
    if (q === 1) return z;
    return z > 0 ? z + logQ + log1p(((1 - q) / q) * exp(-z)) : log1p(q * expm1(z));
  };
  // g⁻¹(t): the x with g(x) = t; -INF at or below the lower end log(1 - q).
  const gInverse = (t: number): number => {
    if (t === INF) return INF;
    if (q === 1) return t === -INF ? -INF : s2 * t + 0.5;
    if (t <= log1mQ) return -INF;
    return s2 * (t + log1p(-(1 - q) * exp(-t)) - logQ) + 0.5;
  };
  // The x range outside which the densities are below e^-800 (nothing there matters in double).
  const xLo = -40 * sigma - 1;
  const xHi = 40 * sigma + 2;
  const panelWidth = max(min(sigma, s2) / 4, (xHi - xLo) / 200000);
  const phi = (u: number) => exp(-0.5 * u * u) / sqrt(2 * M_PI);
  const integrateX = (f: (x: number) => number, a: number, b: number) => {
    const lo = max(a, xLo);
    const hi = min(b, xHi);
    if (!(hi > lo)) return 0;
    return integrate(f, lo, hi, max(4, ceil((hi - lo) / panelWidth)));
  };
  if (direction === 'remove') {
    const density = (x: number) => ((1 - q) * phi(x / sigma) + q * phi((x - 1) / sigma)) / sigma;
    return {
      supportMin: log1mQ,
      supportMax: INF,
      sf(t) {
        if (t < log1mQ || t === -INF) return 1;
        const x = gInverse(t);
        return (1 - q) * normalSf(x / sigma) + q * normalSf((x - 1) / sigma);
      },
      partialExpectation(a, b) {
        return integrateX((x) => g(x) * density(x), gInverse(a), gInverse(b));
      },
    };
  }
  // add: L = -g(X), X ~ N(0, σ²); L <= t  <=>  X >= g⁻¹(-t).
  return {
    supportMin: -INF,
    supportMax: -log1mQ,
    sf(t) {
      if (t >= -log1mQ) return 0;
      return normalCdf(gInverse(-t) / sigma);
    },
    partialExpectation(a, b) {
      return integrateX((x) => -g(x) * (phi(x / sigma) / sigma), gInverse(-b), gInverse(-a));
    },
  };
}

/**
 * Privacy loss of the Laplace mechanism with scale b (normalised by the L1 sensitivity),
 * ε₀ = 1/b: L = ε₀ with probability 1/2, -ε₀ with probability e^{-ε₀}/2, and density
 * e^{(t-ε₀)/2}/4 on (-ε₀, ε₀). Symmetric, so both directions are equal.
 * @example laplaceLoss(1).sf(0)
 */
export function laplaceLoss(scale: number): PrivacyLossDistribution {
  const e0 = 1 / scale;
  // Antiderivative of t · e^{(t-ε₀)/2}/4.
  const antiderivative = (t: number) => 0.5 * exp((t - e0) / 2) * (t - 2);
  return {
    supportMin: -e0,
    supportMax: e0,
    sf(t) {
      if (t < -e0) return 1;
      if (t >= e0) return 0;
      return 1 - 0.5 * exp(-(e0 - t) / 2);
    },
    partialExpectation(a, b) {
      let s = 0;
      if (a < -e0 && -e0 <= b) s += -e0 * 0.5 * exp(-e0);
      if (a < e0 && e0 <= b) s += e0 * 0.5;
      const lo = max(a, -e0);
      const hi = min(b, e0);
      if (hi > lo) s += antiderivative(hi) - antiderivative(lo);
      return s;
    },
  };
}

/**
 * Privacy loss of the randomised-response pair with parameter ε, which dominates every pure
 * ε-DP mechanism (Kairouz, Oh & Viswanath 2015): L = ε with probability e^ε/(1+e^ε), else -ε.
 * @example pureDpLoss(1).sf(0) // 0.7310585786300049
 */
export function pureDpLoss(epsilon: number): PrivacyLossDistribution {
  const p = 1 / (1 + exp(-epsilon));
  return {
    supportMin: -epsilon,
    supportMax: epsilon,
    sf(t) {
      if (t < -epsilon) return 1;
      if (t < epsilon) return p;
      return 0;
    },
    partialExpectation(a, b) {
      let s = 0;
      if (a < -epsilon && -epsilon <= b) s += -epsilon * (1 - p);
      if (a < epsilon && epsilon <= b) s += epsilon * p;
      return s;
    },
  };
}
