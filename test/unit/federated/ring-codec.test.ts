import { createCipheriv, randomBytes } from 'node:crypto';
import { loadAddon } from '../../../src/native/addon';
import { applyMasks, decodeFixedPoint, encodeFixedPoint, maskPrgPath, ringAdd, assertCapacity, type MaskEngine } from '../../../src/federated/ring-codec';
import { combineShares, splitSecret } from '../../../src/federated/shamir';

describe('native SMPC primitives', () => {
  test('ChaCha20 keystream matches RFC 8439 §2.4.2 (first 16 bytes of the keystream at counter 1)', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const nonce = Buffer.from('000000000000004a00000000', 'hex');
    const ks = loadAddon().smpcChacha20Keystream(key, nonce, 1, 114);
    // RFC 8439 §2.4.2: plaintext "Ladies and Gentlemen of the class of '99..." XOR keystream = ciphertext 6e 2e 35 9a 25 68 f9 80 ...
    const plain = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const cipher = Buffer.from(plain.map((b, i) => b ^ ks[i]));
    expect(cipher.subarray(0, 16).toString('hex')).toBe('6e2e359a2568f98041ba0728dd0d6981');
    expect(cipher.subarray(96).toString('hex')).toBe('5af90bbf74a35be6b40b8eedf2785e42874d');
  });

  // Which engines this CPU runs: the OpenSSL path always; the native paths where the CPU has them.
  const hostPath = maskPrgPath();
  const engines: MaskEngine[] = ['openssl', ...(hostPath === 'none' ? [] : (['native', 'aesni'] as MaskEngine[])), ...(hostPath === 'vaes512' ? (['vaes512'] as MaskEngine[]) : [])];

  test('the mask PRG is AES-256 (FIPS-197 appendix C.3 vector: one block of keystream is E_K(counter block 0))', () => {
    // FIPS-197 C.3: key 00..1f, plaintext 00112233..eeff → 8ea2b7ca516745bfeafc49904b496089. CTR with
    // a zero IV encrypts counter block 0, so check the key schedule through node:crypto's ECB of
    // block 0 and our first two words, then the appendix vector through ECB alone.
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const ecb = (block: Buffer) => createCipheriv('aes-256-ecb', key, null).setAutoPadding(false).update(block);
    expect(ecb(Buffer.from('00112233445566778899aabbccddeeff', 'hex')).toString('hex')).toBe('8ea2b7ca516745bfeafc49904b496089');
    for (const engine of engines) {
      const v = new BigUint64Array(2);
      applyMasks(v, [{ seed: key, sign: 1 }], 1, engine);
      expect(Buffer.from(v.buffer).equals(ecb(Buffer.alloc(16)))).toBe(true);
    }
  });

  test('mask expansion is the AES-256-CTR keystream (node:crypto, zero IV) as little-endian words, for every engine and thread count', () => {
    expect(['vaes512', 'aesni', 'none']).toContain(hostPath);
    const seed = randomBytes(32);
    const n = 100_003; // odd: the last word is the first half of a block
    const ref = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16)).update(Buffer.alloc(n * 8));
    for (const engine of engines) {
      for (const threads of [1, 2, 3]) {
        const v = new BigUint64Array(n);
        applyMasks(v, [{ seed, sign: 1 }], threads, engine);
        expect({ engine, threads, equal: Buffer.from(v.buffer).equals(ref) }).toEqual({ engine, threads, equal: true });
      }
      const v = new BigUint64Array(n);
      applyMasks(v, [{ seed, sign: 1 }, { seed, sign: -1 }], 2, engine);
      expect(v.every((w) => w === 0n)).toBe(true);
    }
  });

  test('the native keystream agrees with OpenSSL at every batch boundary and for many seeds of both signs', () => {
    const n = 2048 * 3 + 37; // crosses the native 2048-word batches and the 32-block VAES groups mid-way
    const masks = Array.from({ length: 7 }, (_, i) => ({ seed: randomBytes(32), sign: (i % 3 === 0 ? -1 : 1) as 1 | -1 }));
    const start = new BigUint64Array(n).map((_, i) => BigInt(i) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn);
    const want = start.slice();
    applyMasks(want, masks, 1, 'openssl');
    for (const engine of engines.filter((e) => e !== 'openssl')) {
      const v = start.slice();
      applyMasks(v, masks, 2, engine);
      expect({ engine, equal: Buffer.from(v.buffer).equals(Buffer.from(want.buffer)) }).toEqual({ engine, equal: true });
    }
  });

  test('fixed-point encode, ring sum and decode are exact, with clipping and noise', () => {
    const a = new Float64Array([1.5, -2.25, 100, -1e6]);
    const b = new Float64Array([-1.5, 0.25, 0.5, 3]);
    const fmt = { scale: 1024, clip: 1000 };
    const ea = encodeFixedPoint(a, fmt);
    expect(ea.clipped).toBe(1);
    const eb = encodeFixedPoint(b, fmt, new Float64Array([1, -2, 0, 5]));
    ringAdd(ea.encoded, eb.encoded);
    expect(Array.from(decodeFixedPoint(ea.encoded, fmt, 2 * 1000 * 1024 + 10))).toEqual([1 / 1024, -2 - 2 / 1024, 100.5, -997 + 5 / 1024]);
  });

  test('a wrapped or out-of-range sum is refused, never decoded silently', () => {
    const s = new BigUint64Array([1n << 62n]);
    expect(() => decodeFixedPoint(s, { scale: 1, clip: 10 }, 20)).toThrow(/wrapped modulo 2\^64/);
    expect(() => assertCapacity({ scale: 2 ** 40, clip: 2 ** 11 }, 5000, 0)).toThrow(/below 2\^62/);
    expect(() => encodeFixedPoint(new Float64Array([NaN]), { scale: 1, clip: 1 })).toThrow(/NaN at index 0/);
    expect(() => encodeFixedPoint(new Float64Array([1]), { scale: 1, clip: 1 }, new Float64Array([0.5]))).toThrow(/integers/);
  });

  test('Shamir: any t of n shares recover the secret; t−1 do not', () => {
    const secret = randomBytes(32);
    const shares = splitSecret(secret, 3, 5);
    expect(Buffer.from(combineShares([shares[4], shares[0], shares[2]], 32)).equals(secret)).toBe(true);
    expect(Buffer.from(combineShares([shares[1], shares[3], shares[4]], 32)).equals(secret)).toBe(true);
    let recovered = false;
    try {
      recovered = Buffer.from(combineShares([shares[1], shares[3]], 32)).equals(secret);
    } catch {
      recovered = false;
    }
    expect(recovered).toBe(false);
    expect(() => combineShares([shares[1], shares[1], shares[2]], 32)).toThrow(/distinct/);
  });

  test('20 masks over 10^6 words run natively in well under a second', () => {
    const v = new BigUint64Array(1_000_000);
    const masks = Array.from({ length: 20 }, () => ({ seed: randomBytes(32), sign: 1 as const }));
    const t0 = process.hrtime.bigint();
    applyMasks(v, masks);
    expect(Number(process.hrtime.bigint() - t0) / 1e9).toBeLessThan(1.5);
  });
});
