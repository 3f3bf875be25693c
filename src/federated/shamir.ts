/**
 * Shamir t-of-n sharing of mask secrets over GF(2^61 − 1) (native/smpc/shamir.h).
 */
import { randomBytes } from 'node:crypto';
import { callNative, loadAddon } from '../native/addon';
import { UsageError, describeValue } from '../errors';
import { shamirLimbs } from './ring-codec';

/** One share: its evaluation point x (1..n) and the limb values. */
export interface ShamirShare {
  x: number;
  y: BigUint64Array;
}

/**
 * Splits a secret into n shares, any t of which recover it; coefficients from node:crypto.
 * @example const shares = splitSecret(randomBytes(32), 2, 3);
 */
export function splitSecret(secret: Uint8Array, threshold: number, shares: number): ShamirShare[] {
  const limbs = shamirLimbs(secret.length);
  const rnd = randomBytes(limbs * Math.max(0, threshold - 1) * 8);
  const ys = callNative(() => loadAddon().smpcShamirSplit(secret, threshold, shares, rnd));
  const out: ShamirShare[] = [];
  for (let i = 0; i < shares; i++) out.push({ x: i + 1, y: ys.slice(i * limbs, (i + 1) * limbs) });
  return out;
}

/**
 * Recovers a secret of `secretLength` bytes from at least `threshold` distinct shares.
 * @example combineShares(shares.slice(0, 2), 32)
 */
export function combineShares(shares: readonly ShamirShare[], secretLength: number): Uint8Array {
  const limbs = shamirLimbs(secretLength);
  const xs = new Int32Array(shares.length);
  const ys = new BigUint64Array(shares.length * limbs);
  shares.forEach((s, i) => {
    if (s.y.length !== limbs) throw new UsageError(`Expected ${limbs} field elements for share ${s.x} but received ${describeValue(s.y.length)}`);
    xs[i] = s.x;
    ys.set(s.y, i * limbs);
  });
  return callNative(() => loadAddon().smpcShamirCombine(xs, ys, secretLength));
}
