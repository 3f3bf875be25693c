/**
 * Exact discrete Laplace and discrete Gaussian samplers (Canonne, Kamath & Steinke 2020,
 * "The Discrete Gaussian for Differential Privacy", NeurIPS, Algorithms 1–3). They use only
 * integer and rational arithmetic (BigInt) over uniform integers from the cryptographic source,
 * so their output distribution is exactly the stated one: no floating-point leak (Mironov 2012).
 * Use them for integer releases: counts, histograms, marginals.
 */
import { UsageError, describeValue } from '../errors';
import { CryptoRandom } from './noise';
import { tryLoadAddon } from '../native/addon';

/** A positive rational number n/d. */
export interface Rational {
  n: bigint;
  d: bigint;
}

/**
 * Converts a finite positive double to an exact rational (every double is one).
 * @example toRational(0.5) // { n: 1n, d: 2n }
 */
export function toRational(x: number): Rational {
  if (!(Number.isFinite(x) && x >= 0)) throw new UsageError(`Expected a finite number >= 0 for a noise parameter but received ${describeValue(x)}`);
  let d = 1n;
  let v = x;
  while (!Number.isInteger(v)) {
    v *= 2;
    d *= 2n;
  }
  const n = BigInt(v);
  const g = gcd(n, d);
  return { n: n / g, d: d / g };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

/** Bernoulli(n/d), 0 <= n/d <= 1. */
function bernoulli(rng: CryptoRandom, n: bigint, d: bigint): boolean {
  return rng.bigIntegerBelow(d) < n;
}

/** Bernoulli(exp(-n/d)) for n/d >= 0 (CKS 2020, Algorithm 1). */
export function bernoulliExp(rng: CryptoRandom, n: bigint, d: bigint): boolean {
  if (n <= d) {
    let k = 1n;
    for (;;) {
      if (!bernoulli(rng, n, d * k)) break;
      k++;
    }
    return k % 2n === 1n;
  }
  for (let i = 0n; i < n / d; i++) if (!bernoulliExp(rng, 1n, 1n)) return false;
  return bernoulliExp(rng, n % d, d);
}

/**
 * An exact discrete Laplace sample: P(Y = y) ∝ exp(-|y|/scale), scale = t/s rational (CKS 2020, Algorithm 2).
 * @example discreteLaplace(new CryptoRandom(), 2)
 */
export function discreteLaplace(rng: CryptoRandom, scale: number | Rational): number {
  const r = typeof scale === 'number' ? toRational(scale) : scale;
  if (r.n <= 0n) throw new UsageError(`Expected a scale > 0 for discreteLaplace scale but received ${describeValue(scale)}`);
  // Algorithm 2 samples scale t/s.
  const t = r.n;
  const s = r.d;
  for (;;) {
    const u = rng.bigIntegerBelow(t);
    if (!bernoulliExp(rng, u, t)) continue;
    let v = 0n;
    while (bernoulliExp(rng, 1n, 1n)) v++;
    const x = u + t * v;
    const y = x / s;
    const negative = bernoulli(rng, 1n, 2n);
    if (negative && y === 0n) continue;
    return Number(negative ? -y : y);
  }
}

/**
 * An exact discrete Gaussian sample: P(Y = y) ∝ exp(-y²/(2σ²)) (CKS 2020, Algorithm 3).
 * @example discreteGaussian(new CryptoRandom(), 3)
 */
export function discreteGaussian(rng: CryptoRandom, sigma: number): number {
  if (!(Number.isFinite(sigma) && sigma > 0)) throw new UsageError(`Expected a finite sigma > 0 for discreteGaussian sigma but received ${describeValue(sigma)}`);
  const s2 = toRational(sigma * sigma); // σ² = a/b exactly (as the double σ² is)
  const a = s2.n;
  const b = s2.d;
  const t = BigInt(Math.floor(sigma)) + 1n;
  for (;;) {
    const y = discreteLaplace(rng, { n: t, d: 1n });
    const absY = BigInt(Math.abs(y));
    // γ = (|y| - σ²/t)² / (2σ²) = (|y|·b·t - a)² / (2·a·b·t²)
    const num = absY * b * t - a;
    if (bernoulliExp(rng, num * num, 2n * a * b * t * t)) return y;
  }
}

/**
 * n independent exact discrete Gaussian samples N_Z(0, σ²) (as doubles): natively
 * (native/dp/discrete_gaussian.cpp, the same algorithm in 128-bit integers over a ChaCha20
 * keystream keyed by the OS, ~30× faster) when the addon is loaded and σ ∈ [2^-20, 2^30], else with
 * {@link discreteGaussian} over node:crypto.
 * @example discreteGaussianVector(1000, 4).length // 1000
 */
export function discreteGaussianVector(n: number, sigma: number, threads = 0): Float64Array {
  if (!(Number.isFinite(sigma) && sigma > 0)) throw new UsageError(`Expected a finite sigma > 0 for discreteGaussianVector sigma but received ${describeValue(sigma)}`);
  const addon = tryLoadAddon().addon;
  if (addon && sigma >= 2 ** -20 && sigma <= 2 ** 30) return addon.dpDiscreteGaussianSamples(-1, sigma, n, threads);
  const rng = new CryptoRandom();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = discreteGaussian(rng, sigma);
  return out;
}
