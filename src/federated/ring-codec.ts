/**
 * Fixed-point encoding into Z_2^64, ring sums, mask expansion and Shamir sharing, run by the
 * native core (native/smpc) on whole vectors, multi-threaded. See native/smpc/*.h for the
 * arithmetic and its citations.
 */
import { createCipheriv } from 'node:crypto';
import { loadAddon, callNative } from '../native/addon';
import type { NativeAddon } from '../native/addon';
import { UsageError, describeValue } from '../errors';

/** Bytes of a mask seed (an AES-256 key). */
export const SEED_BYTES = 32;

function addon(): NativeAddon {
  return loadAddon();
}

/** How real values map to ring elements. */
export interface FixedPointFormat {
  /** Multiplier before rounding (2^16 keeps ~5 decimal digits). */
  scale: number;
  /** Values are clipped to [-clip, clip] before encoding. */
  clip: number;
}

/**
 * Encodes values as round(clamp(v)·scale) (+ integer noise) mod 2^64.
 * @example encodeFixedPoint(new Float64Array([1.5]), { scale: 1024, clip: 10 }).encoded // BigUint64Array [1536n]
 */
export function encodeFixedPoint(values: Float64Array, format: FixedPointFormat, noise?: Float64Array, threads = 0): { encoded: BigUint64Array; clipped: number } {
  return callNative(() => addon().smpcEncodeFixedPoint(values, format.scale, format.clip, noise ?? null, threads));
}

/**
 * Decodes a ring sum to reals, refusing any value beyond `bound` (in encoded units): a sum of
 * in-range encodings never exceeds it, so a larger value means it wrapped.
 * @example decodeFixedPoint(sum, { scale: 1024, clip: 10 }, 3 * 10 * 1024)
 */
export function decodeFixedPoint(sum: BigUint64Array, format: FixedPointFormat, bound: number, threads = 0): Float64Array {
  return callNative(() => addon().smpcDecodeFixedPoint(sum, format.scale, bound, threads));
}

/**
 * Refuses a format whose sum over `parties` (plus noise) could come near 2^63.
 * @example assertCapacity({ scale: 1024, clip: 10 }, 20, 0)
 */
export function assertCapacity(format: FixedPointFormat, parties: number, noiseBound: number): number {
  const perParty = format.clip * format.scale + noiseBound;
  if (!callNative(() => addon().smpcCapacityOk(perParty, parties))) {
    throw new UsageError(`Expected ${parties} parties × (clip·scale + noise bound) = ${parties * perParty} below 2^62 for the fixed-point format but received clip ${format.clip}, scale ${format.scale}: lower the scale or the clip bound`);
  }
  return perParty * parties;
}

/**
 * acc[offset + i] += x[i] mod 2^64 (−= when `subtract`).
 * @example ringAdd(acc, chunk, 0)
 */
export function ringAdd(acc: BigUint64Array, x: BigUint64Array, offset = 0, threads = 0, subtract = false): void {
  callNative(() => addon().smpcRingAdd(acc, x, offset, threads, subtract));
}

/**
 * Who expands mask keystreams: `native` (AES-NI or VAES, the default wherever the CPU has them),
 * `openssl` (node:crypto's AES-256-CTR, the same stream: used on CPUs without AES instructions,
 * where a software AES in our code would leak seeds through cache timing), or a forced native
 * path (tests compare them).
 */
export type MaskEngine = 'native' | 'openssl' | 'vaes512' | 'aesni';

/** Words of keystream the OpenSSL path expands at a time (bounded memory for 10^7-word vectors). */
const OPENSSL_PIECE_WORDS = 1 << 17;

/**
 * The native AES-256-CTR path of this CPU, or `none` when masks go through OpenSSL.
 * @example maskPrgPath() // 'vaes512'
 */
export function maskPrgPath(): 'vaes512' | 'aesni' | 'none' {
  return callNative(() => addon().smpcMaskPrgPath());
}

/**
 * v += Σ sign_j · PRG(seed_j) mod 2^64, PRG(seed) = the AES-256-CTR keystream with key = seed and
 * initial counter block 0 (OpenSSL's `aes-256-ctr` with a zero IV), read as little-endian words.
 * Why AES-256-CTR: see native/smpc/aes_ctr.h (it runs at several times ChaCha20's speed where
 * the CPU has VAES, and every CPU's OpenSSL can expand the same stream).
 * @example applyMasks(v, [{ seed, sign: 1 }])
 */
export function applyMasks(v: BigUint64Array, masks: ReadonlyArray<{ seed: Uint8Array; sign: 1 | -1 }>, threads = 0, engine: MaskEngine = 'native'): void {
  if (masks.length === 0) return;
  const seeds = new Uint8Array(masks.length * SEED_BYTES);
  const signs = new Int32Array(masks.length);
  masks.forEach((m, i) => {
    if (m.seed.length !== SEED_BYTES) throw new UsageError(`Expected a ${SEED_BYTES}-byte seed for masks[${i}].seed but received ${describeValue(m.seed)}`);
    seeds.set(m.seed, i * SEED_BYTES);
    signs[i] = m.sign;
  });
  if (engine === 'openssl' || (engine === 'native' && maskPrgPath() === 'none')) {
    applyMasksOpenssl(v, masks, threads);
    return;
  }
  const path = engine === 'native' ? 'auto' : engine;
  callNative(() => addon().smpcApplyMasks(v, seeds, signs, threads, path));
}

/** The OpenSSL path of {@link applyMasks}: each seed's stream in pieces, added or subtracted natively. */
function applyMasksOpenssl(v: BigUint64Array, masks: ReadonlyArray<{ seed: Uint8Array; sign: 1 | -1 }>, threads: number): void {
  const zeros = Buffer.alloc(Math.min(v.length, OPENSSL_PIECE_WORDS) * 8);
  for (const m of masks) {
    const cipher = createCipheriv('aes-256-ctr', m.seed, Buffer.alloc(16));
    for (let start = 0; start < v.length; start += OPENSSL_PIECE_WORDS) {
      const words = Math.min(OPENSSL_PIECE_WORDS, v.length - start);
      const stream = cipher.update(zeros.subarray(0, words * 8));
      const piece = new BigUint64Array(stream.buffer, stream.byteOffset, words);
      ringAdd(v, piece, start, threads, m.sign < 0);
    }
  }
}

/** Field elements per share of a secret of `secretLength` bytes (7-byte limbs). */
export function shamirLimbs(secretLength: number): number {
  return Math.ceil(secretLength / 7);
}
