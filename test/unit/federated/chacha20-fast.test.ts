// The vectorised ChaCha20 paths (16 blocks per batch; AVX-512 intrinsics when the build has
// them, else compiler-vectorised loops) against the one-block-at-a-time scalar path
// (smpcChacha20Keystream, dpChacha20Block) and against OpenSSL's RFC 8439 ChaCha20 (node:crypto),
// on random keys, nonces, counters, positions and odd lengths that hit every head/tail branch.
import { createCipheriv, randomBytes, randomInt } from 'node:crypto';
import { loadAddon } from '../../../src/native/addon';
import { seededKey } from '../../../src/backend/js/keystream';

/** OpenSSL's RFC 8439 keystream: the 16-byte IV is the 32-bit block counter (LE) then the 12-byte nonce. */
function opensslKeystream(key: Uint8Array, nonce: Uint8Array, counter: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(counter, 0);
  Buffer.from(nonce).copy(iv, 4);
  return createCipheriv('chacha20', key, iv).update(Buffer.alloc(length));
}

const LENGTHS = [1, 7, 8, 9, 127, 128, 129, 1000, 2047, 2048, 2049, 4097, 33_335];

describe('vectorised ChaCha20 is bit-identical to the scalar RFC 8439 block function', () => {
  test('scalar keystream equals OpenSSL on random keys, nonces and counters', () => {
    for (let trial = 0; trial < 12; trial++) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const counter = randomInt(0, 2 ** 32 - 2000);
      const len = randomInt(1, 3000);
      const ours = Buffer.from(loadAddon().smpcChacha20Keystream(key, nonce, counter, len));
      expect(ours.equals(opensslKeystream(key, nonce, counter, len))).toBe(true);
      const block = Buffer.from(loadAddon().dpChacha20Block(key, nonce, counter));
      expect(block.equals(opensslKeystream(key, nonce, counter, 64))).toBe(true);
    }
  });

  test('the DP keystream read at odd byte positions and lengths equals OpenSSL', () => {
    for (let trial = 0; trial < 16; trial++) {
      const seed = randomInt(0, 2 ** 47);
      const pos = trial < 4 ? trial * 1024 : randomInt(0, 2 ** 40);
      const len = trial < 4 ? LENGTHS[trial + 5] * 8 : randomInt(1, 5000);
      const ours = Buffer.from(loadAddon().dpKeystreamBytes(seed, pos, len));
      const { key } = seededKey(seed);
      // 64-bit block counter: low half in the RFC counter, high half in the first nonce word.
      const block = Math.floor(pos / 64);
      const nonce = Buffer.alloc(12);
      nonce.writeUInt32LE(Math.floor(block / 2 ** 32), 0);
      const ref = opensslKeystream(key, nonce, block % 2 ** 32, (pos % 64) + len).subarray(pos % 64);
      expect(ours.equals(ref)).toBe(true);
    }
  });
});
