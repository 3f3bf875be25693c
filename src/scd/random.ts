/**
 * Seeded statistical random numbers for the SCD cohort simulator.
 *
 * Simulated patients are not privacy noise, so a fast statistical generator is the right tool
 * here (differential-privacy noise elsewhere in hemasynth comes from a CSPRNG keystream, never
 * from this file). The generator is xoshiro128** 1.1 (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", ACM TOMS 2021): 128-bit state, 32-bit output, passes BigCrush,
 * and runs on 32-bit integer arithmetic, which JavaScript does fast. Seeds are expanded with
 * SplitMix32 so that nearby seeds give unrelated streams.
 */

import { Xoshiro128 } from '../random/xoshiro128';

/** FNV-1a hash of a label: derives independent named sub-streams from one seed. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A seeded xoshiro128** generator with the distributions the simulator needs.
 * @example
 * const rng = new SeededRandom(7, 'labs');
 * const hb = 8.1 + 1.2 * rng.normal();
 */
export class SeededRandom extends Xoshiro128 {
  private spareNormal = NaN;

  /** @param seed integer seed; @param stream optional label for an independent sub-stream. */
  constructor(seed: number, stream = '') {
    // Mix the high part of seeds above 2^32 as well, so 2^32 + 1 and 1 differ.
    super((((Math.trunc(seed) ^ hashLabel(stream)) | 0) + Math.floor(Math.trunc(seed) / 4294967296)) | 0);
  }


  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform on (0, 1): never exactly 0, for logarithms. */
  uniformOpen(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    return u;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Bernoulli(p) as 0/1. */
  bernoulli(p: number): number {
    return this.uniform() < p ? 1 : 0;
  }

  /** Standard normal (Marsaglia polar method, keeps the spare deviate). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = NaN;
      return v;
    }
    let u: number, v: number, s: number;
    // 32-bit uniforms on (-1, 1) are ample for the polar method and halve the generator calls.
    do {
      u = this.nextUint32() * 4.656612873077393e-10 - 1;
      v = this.nextUint32() * 4.656612873077393e-10 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /**
   * Gamma(shape, scale) by Marsaglia & Tsang (ACM TOMS 2000); shapes below 1 use the
   * boost Gamma(a) = Gamma(a + 1) · U^(1/a).
   */
  gamma(shape: number, scale = 1): number {
    if (shape < 1) return this.gamma(shape + 1, scale) * Math.pow(this.uniformOpen(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniformOpen();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /**
   * Poisson(lambda): inversion by sequential search for small means, and the normal
   * approximation with continuity correction above 500 (event counts here never get there
   * except in stress tests, where the approximation error is far below sampling noise).
   */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda > 500) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    if (lambda > 30) {
      // Split large means into sums of smaller Poisson draws: exact and still quick.
      const half = lambda / 2;
      return this.poisson(half) + this.poisson(lambda - half);
    }
    const l = Math.exp(-lambda);
    let k = 0;
    let p = this.uniform();
    while (p > l) {
      k++;
      p *= this.uniform();
    }
    return k;
  }

  /**
   * Negative binomial count with mean `mean` and shape `k` (variance mean + mean²/k), drawn as
   * a gamma–Poisson mixture: the standard model of over-dispersed event counts.
   */
  negativeBinomial(mean: number, k: number): number {
    if (!(mean > 0)) return 0;
    return this.poisson(this.gamma(k, mean / k));
  }

  /** Binomial(n, p) for small n by summing Bernoulli draws (allele counts: n = 2). */
  binomialSmall(n: number, p: number): number {
    let k = 0;
    for (let i = 0; i < n; i++) if (this.uniform() < p) k++;
    return k;
  }

  /** Index drawn from cumulative probabilities (last entry ~1). */
  categorical(cumulative: ArrayLike<number>): number {
    const u = this.uniform() * cumulative[cumulative.length - 1];
    for (let i = 0; i < cumulative.length; i++) if (u < cumulative[i]) return i;
    return cumulative.length - 1;
  }

  /** Dirichlet draw around `mean` with total concentration `concentration`. */
  dirichlet(mean: ArrayLike<number>, concentration: number): number[] {
    const g = Array.from(mean, (m) => (m > 0 ? this.gamma(m * concentration) : 0));
    const s = g.reduce((a, b) => a + b, 0);
    return g.map((x) => x / s);
  }
}

/** Cumulative sums of probabilities (for {@link SeededRandom.categorical}). */
export function cumulative(probs: ArrayLike<number>): Float64Array {
  const out = new Float64Array(probs.length);
  let s = 0;
  for (let i = 0; i < probs.length; i++) {
    s += probs[i];
    out[i] = s;
  }
  return out;
}
