/**
 * In-place iterative radix-2 complex FFT over Float64 arrays (Cooley & Tukey 1965), used by the
 * PRV accountant to compose privacy-loss distributions. Twiddle factors are computed directly
 * with cos/sin for each index (not by recurrence) so the rounding error stays at
 * O(ε_machine · log N) relative to the largest coefficient.
 */

// Math functions bound once: global lookups are slow inside vm contexts (e.g. jest), and these run millions of times.
const { cos: mathCos, sin: mathSin } = Math;
const M_PI = Math.PI;

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();

function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleCache.get(n);
  if (!t) {
    const half = n >> 1;
    const cos = new Float64Array(half);
    const sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      const a = (-2 * M_PI * k) / n;
      cos[k] = mathCos(a);
      sin[k] = mathSin(a);
    }
    t = { cos, sin };
    // Keep only a few sizes alive: calibration reuses one size many times.
    if (twiddleCache.size > 4) twiddleCache.clear();
    twiddleCache.set(n, t);
  }
  return t;
}

/** Whether n is a power of two (>= 1). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/**
 * Forward (e^{-2πi jk/N}) or inverse (with 1/N) discrete Fourier transform, in place.
 * @example const re = new Float64Array([1, 0, 0, 0]), im = new Float64Array(4); fft(re, im); // all ones
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (im.length !== n || !isPowerOfTwo(n)) throw new RangeError(`Expected two arrays of one power-of-two length but received ${re.length} and ${im.length}`);
  if (n === 1) return;
  // Bit-reversal permutation.
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i]; re[i] = re[j]; re[j] = t;
      t = im[i]; im[i] = im[j]; im[j] = t;
    }
  }
  const { cos, sin } = twiddles(n);
  const sign = inverse ? -1 : 1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0, t = 0; k < half; k++, t += step) {
        const wr = cos[t];
        const wi = sign * sin[t];
        const a = start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
  if (inverse) {
    const s = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] *= s;
      im[i] *= s;
    }
  }
}
