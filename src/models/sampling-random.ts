/**
 * The pseudo-random generator for sampling from a trained model: xoshiro128** (Blackman & Vigna
 * 2018, "Scrambled linear pseudorandom number generators"), seeded by SplitMix32. Sampling is
 * post-processing of a differentially private model, so it needs no cryptographic source; it
 * needs speed and reproducibility. The native sampler (native/marginal/rng.h) implements the same
 * generator bit for bit, so native and TypeScript sampling give the same rows for the same seed.
 *
 * Rows are sampled in blocks of {@link SAMPLING_BLOCK_ROWS}; block b uses the stream seeded by
 * (seed, b), so results do not depend on the number of threads.
 */

/** Rows per independently seeded block. */
export const SAMPLING_BLOCK_ROWS = 4096;

import { Xoshiro128 } from '../random/xoshiro128';

/**
 * xoshiro128** seeded from a 32-bit seed and a stream number.
 * @example const r = new SamplingRandom(42, 0); r.next() // uniform in [0, 1)
 */
export class SamplingRandom extends Xoshiro128 {
  constructor(seed: number, stream = 0) {
    super((seed ^ Math.imul(stream + 1, 0x632be5ab)) | 0);
  }

  /** A uniform in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * A standard normal by the ziggurat method (Marsaglia & Tsang 2000), step for step as
   * native/marginal/ziggurat.h (the copula sampler's normals).
   */
  zigguratNormal(): number {
    const t = zigguratTables();
    const r = 3.442619855899;
    for (;;) {
      const hz = this.nextUint32() | 0;
      const iz = hz & 127;
      const x = hz * t.wn[iz];
      if ((hz < 0 ? -hz : hz) < t.kn[iz]) return x;
      if (iz === 0) {
        let xt: number, y: number;
        do { xt = -Math.log((this.nextUint32() + 0.5) / 4294967296) / r; y = -Math.log((this.nextUint32() + 0.5) / 4294967296); } while (y + y < xt * xt);
        return hz > 0 ? r + xt : -r - xt;
      }
      if (t.fn[iz] + ((this.nextUint32() + 0.5) / 4294967296) * (t.fn[iz - 1] - t.fn[iz]) < Math.exp(-0.5 * x * x)) return x;
    }
  }

  /** A standard normal (Box–Muller on two 32-bit uniforms; the sine half is discarded for simplicity). */
  normal(): number {
    const u1 = (this.nextUint32() + 1) / 4294967297;
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

let zigguratCache: { kn: Float64Array; wn: Float64Array; fn: Float64Array } | null = null;

/** The 128-layer ziggurat tables (Marsaglia & Tsang 2000, zigset); kn truncated as the native side does. */
function zigguratTables(): { kn: Float64Array; wn: Float64Array; fn: Float64Array } {
  if (zigguratCache) return zigguratCache;
  const kn = new Float64Array(128), wn = new Float64Array(128), fn = new Float64Array(128);
  const m1 = 2147483648, vn = 9.91256303526217e-3;
  let dn = 3.442619855899, tn = dn;
  const q = vn / Math.exp(-0.5 * dn * dn);
  kn[0] = Math.trunc((dn / q) * m1); kn[1] = 0;
  wn[0] = q / m1; wn[127] = dn / m1;
  fn[0] = 1; fn[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = Math.trunc((dn / tn) * m1);
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / m1;
  }
  zigguratCache = { kn, wn, fn };
  return zigguratCache;
}


/**
 * A 32-bit seed for sampling from a user seed (any integer) or, without one, from the OS CSPRNG.
 * @example samplingSeed(7) // 7
 */
export function samplingSeed(seed?: number): number {
  if (seed === undefined) return require('node:crypto').randomBytes(4).readUInt32LE(0) | 0;
  return Number(BigInt.asIntN(32, BigInt(Math.trunc(seed))));
}
