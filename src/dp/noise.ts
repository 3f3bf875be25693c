/**
 * Noise for differential privacy from a cryptographic keystream.
 *
 * Source: ChaCha20 (RFC 8439) run over zero bytes through node:crypto, keyed by 32 bytes from
 * `crypto.randomBytes` (production) or by SHA-256 of an explicit seed (reproducible runs, NOT
 * for production: anyone who knows the seed can subtract the noise). A statistical PRNG such as
 * Math.random is predictable from its outputs and must never drive DP noise.
 *
 * Continuous samplers and their floating-point caveat: Mironov 2012 ("On significance of the
 * least significant bits for differential privacy", CCS) showed that textbook floating-point
 * Laplace sampling leaks through the pattern of representable outputs. The Gaussian here uses
 * the Box–Muller transform on 53-bit uniforms in (0, 1]; it inherits the same kind of caveat
 * (its outputs are not a perfectly smooth distribution over the doubles), which is accepted for
 * DP-SGD noise on float32 gradients where the noise is much larger than the rounding grid (the
 * practice of Opacus and TF Privacy). For integer-valued releases (counts, histograms,
 * marginals) prefer the exact discrete samplers of Canonne, Kamath & Steinke 2020 in
 * `discrete-noise.ts`, which have no floating-point leak.
 */
import { createCipheriv, createHash, randomBytes, Cipher } from 'node:crypto';
import { UsageError, describeValue } from '../errors';

/** Bytes generated per keystream refill. */
const BLOCK = 64 * 1024;

/** How a CryptoRandom was keyed. */
export type NoiseSourceMode = 'system' | 'seeded';

/** Warning attached to every seeded source and printed by commands that use one. */
export const SEEDED_NOISE_WARNING = 'seeded noise mode: the DP noise is reproducible from the seed and offers no privacy against anyone who knows it; not for production';

/**
 * Cryptographically secure random numbers from a ChaCha20 keystream.
 * @example
 * const rng = new CryptoRandom();            // key from crypto.randomBytes
 * const x = rng.gaussian(0, 1.5);
 * const rep = CryptoRandom.fromSeed('run-42'); // reproducible, not for production
 */
export class CryptoRandom {
  readonly mode: NoiseSourceMode;
  private readonly cipher: Cipher;
  private buffer = Buffer.alloc(0);
  private offset = 0;
  private readonly zeros = Buffer.alloc(BLOCK);
  private spareGaussian: number | null = null;

  /**
   * @param key 32-byte ChaCha20 key; omitted: 32 bytes from the operating system's CSPRNG.
   * @param nonce 12-byte nonce (default zeros; the key is never reused across instances).
   */
  constructor(key?: Uint8Array, nonce?: Uint8Array, mode: NoiseSourceMode = key ? 'seeded' : 'system') {
    const k = key ? Buffer.from(key) : randomBytes(32);
    if (k.length !== 32) throw new UsageError(`Expected a 32-byte key for CryptoRandom key but received ${describeValue(key)}`);
    const n = nonce ? Buffer.from(nonce) : Buffer.alloc(12);
    if (n.length !== 12) throw new UsageError(`Expected a 12-byte nonce for CryptoRandom nonce but received ${describeValue(nonce)}`);
    // OpenSSL's chacha20 IV is the 32-bit little-endian block counter followed by the 96-bit nonce (RFC 8439 §2.3).
    const iv = Buffer.concat([Buffer.alloc(4), n]);
    this.cipher = createCipheriv('chacha20', k, iv);
    this.mode = mode;
  }

  /**
   * A reproducible source keyed by SHA-256 of the seed. Not for production (see {@link SEEDED_NOISE_WARNING}).
   * @example CryptoRandom.fromSeed(42).uniform()
   */
  static fromSeed(seed: string | number | Uint8Array): CryptoRandom {
    const bytes = typeof seed === 'string' || typeof seed === 'number' ? Buffer.from(String(seed), 'utf8') : Buffer.from(seed);
    return new CryptoRandom(createHash('sha256').update(bytes).digest(), undefined, 'seeded');
  }

  /** The warning to show for this source, or null for the system-keyed one. */
  get warning(): string | null {
    return this.mode === 'seeded' ? SEEDED_NOISE_WARNING : null;
  }

  /** The next n keystream bytes. */
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    let filled = 0;
    while (filled < n) {
      if (this.offset >= this.buffer.length) {
        this.buffer = this.cipher.update(this.zeros);
        this.offset = 0;
      }
      const take = Math.min(n - filled, this.buffer.length - this.offset);
      this.buffer.copy(out, filled, this.offset, this.offset + take);
      this.offset += take;
      filled += take;
    }
    return out;
  }

  private uint32(): number {
    if (this.offset + 4 > this.buffer.length) return this.bytes(4).readUInt32LE(0);
    const v = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  /**
   * A uniform double in [0, 1) with 53 random bits (k / 2^53).
   * @example new CryptoRandom().uniform()
   */
  uniform(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform double in (0, 1]: never 0, so its logarithm is finite. */
  uniformOpenZero(): number {
    return 1 - this.uniform();
  }

  /**
   * A uniform integer in [0, n) without modulo bias (rejection sampling), n <= 2^32.
   * @example new CryptoRandom().integerBelow(6)
   */
  integerBelow(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= 4294967296)) throw new UsageError(`Expected an integer in [1, 2^32] for n but received ${describeValue(n)}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const v = this.uint32();
      if (v < limit) return v % n;
    }
  }

  /** A uniform BigInt in [0, n), by rejection on whole bytes. */
  bigIntegerBelow(n: bigint): bigint {
    if (n <= 0n) throw new UsageError(`Expected a positive bound for n but received ${n}`);
    const bits = n.toString(2).length;
    const nBytes = Math.ceil(bits / 8);
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      const v = BigInt('0x' + (this.bytes(nBytes).toString('hex') || '0')) & mask;
      if (v < n) return v;
    }
  }

  /**
   * A Gaussian sample N(mean, sd²) by the Box–Muller transform (Box & Muller 1958) on 53-bit
   * uniforms; see the module comment for the floating-point caveat.
   * @example new CryptoRandom().gaussian(0, 1)
   */
  gaussian(mean = 0, sd = 1): number {
    if (this.spareGaussian !== null) {
      const z = this.spareGaussian;
      this.spareGaussian = null;
      return mean + sd * z;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniformOpenZero()));
    const theta = 2 * Math.PI * this.uniform();
    this.spareGaussian = r * Math.sin(theta);
    return mean + sd * r * Math.cos(theta);
  }

  /** Fills an array with N(0, sd²) samples. */
  fillGaussian(out: Float64Array | Float32Array, sd = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = this.gaussian(0, sd);
  }

  /**
   * A Laplace sample with the given scale (inverse CDF). Floating point: see Mironov 2012; use
   * {@link discreteLaplace} from discrete-noise.ts for counts.
   * @example new CryptoRandom().laplace(0, 1)
   */
  laplace(mean = 0, scale = 1): number {
    const u = this.uniform() - 0.5;
    return mean - scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u) || Number.MIN_VALUE);
  }

  /** A Gumbel(0, 1) sample, for the exponential mechanism by the Gumbel-max trick. */
  gumbel(): number {
    return -Math.log(-Math.log(this.uniformOpenZero()) || Number.MIN_VALUE);
  }
}
