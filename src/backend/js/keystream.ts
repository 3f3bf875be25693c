/**
 * The ChaCha20 keystream of the js backend, read through node:crypto (OpenSSL's ChaCha20, RFC
 * 8439) with the same key, nonce and 64-bit block-counter layout as native/dp/chacha20.h, so
 * a seeded js trainer draws the same uniforms (bit for bit) and the same Gaussians (up to the
 * last bits of Math.log/cos/sin) as the native one. See native/dp/keystream.h for the
 * argument behind Box–Muller on 53-bit uniforms and its floating-point caveats (Mironov 2012;
 * Holohan & Braghin 2021).
 */
import { createCipheriv, randomBytes } from 'node:crypto';

const TWO_POW_M53 = 2 ** -53;
const TWO_PI = 2 * Math.PI;

/** 32-byte key + 8-byte nonce for a seed (mirrors chacha_key_from_seed). */
export function seededKey(seed: number): { key: Buffer; nonce: Buffer } {
  const key = Buffer.alloc(32);
  key.writeUInt32LE(seed % 2 ** 32, 0);
  key.writeUInt32LE(Math.floor(seed / 2 ** 32), 4);
  Buffer.from('hemasynth-seeded-ks', 'latin1').copy(key, 8);
  return { key, nonce: Buffer.alloc(8) };
}

/** A seekable ChaCha20 keystream reader. */
export class JsKeystream {
  readonly seeded: boolean;
  position = 0;
  private readonly key: Buffer;
  private readonly nonce: Buffer;

  /** seed: reproducible stream; undefined: key and nonce from the OS (crypto.randomBytes). */
  constructor(seed?: number) {
    if (seed === undefined) {
      const b = randomBytes(40);
      this.key = b.subarray(0, 32);
      this.nonce = b.subarray(32, 40);
      this.seeded = false;
    } else {
      ({ key: this.key, nonce: this.nonce } = seededKey(seed));
      this.seeded = true;
    }
  }

  /** Keystream bytes [pos, pos+len). */
  bytesAt(pos: number, len: number): Buffer {
    const block = Math.floor(pos / 64);
    const skip = pos - block * 64;
    const iv = Buffer.alloc(16);
    iv.writeUInt32LE(block % 2 ** 32, 0);
    iv.writeUInt32LE(Math.floor(block / 2 ** 32), 4);
    this.nonce.copy(iv, 8);
    const c = createCipheriv('chacha20', this.key, iv);
    return c.update(Buffer.alloc(skip + len)).subarray(skip);
  }

  /** n uniforms in [0,1) (8 bytes each). */
  uniforms(n: number): Float64Array {
    const b = this.bytesAt(this.position, 8 * n);
    this.position += 8 * n;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const lo = b.readUInt32LE(8 * i);
      const hi = b.readUInt32LE(8 * i + 4);
      out[i] = (hi * 2 ** 21 + (lo >>> 11)) * TWO_POW_M53;
    }
    return out;
  }

  /** n standard normals by Box–Muller, 16 bytes per pair. */
  gaussians(n: number): Float64Array {
    const pairs = Math.ceil(n / 2);
    const b = this.bytesAt(this.position, 16 * pairs);
    this.position += 16 * pairs;
    const out = new Float64Array(n);
    for (let p = 0; p < pairs; p++) {
      const o = 16 * p;
      const k1 = b.readUInt32LE(o + 4) * 2 ** 21 + (b.readUInt32LE(o) >>> 11);
      const k2 = b.readUInt32LE(o + 12) * 2 ** 21 + (b.readUInt32LE(o + 8) >>> 11);
      const u1 = (k1 + 1) * TWO_POW_M53;
      const u2 = k2 * TWO_POW_M53;
      const r = Math.sqrt(-2 * Math.log(u1));
      out[2 * p] = r * Math.cos(TWO_PI * u2);
      if (2 * p + 1 < n) out[2 * p + 1] = r * Math.sin(TWO_PI * u2);
    }
    return out;
  }
}
