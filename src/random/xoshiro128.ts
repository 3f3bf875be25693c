/**
 * xoshiro128** 1.1 (Blackman & Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS
 * 2021) seeded through SplitMix32 (Steele, Lea & Flood 2014, 32-bit variant): 128-bit state,
 * 32-bit outputs on 32-bit integer arithmetic, which JavaScript does fast. A statistical
 * generator for simulation and for sampling from an already-private model; differential-privacy
 * noise never comes from here (it comes from the ChaCha20 keystream in src/dp and native/dp).
 */

/** SplitMix32 step: expands one 32-bit seed into well-mixed state words. */
export function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * The generator core; subclasses add seeding conventions and distributions.
 * @example new Xoshiro128(42).nextUint32()
 */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed32 a 32-bit seed, expanded by SplitMix32 into the 128-bit state. */
  constructor(seed32: number) {
    const st = { s: seed32 | 0 };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }
}
