/**
 * Special functions the accountants need to full double precision: erfc and log erfc (for the
 * tails of the Gaussian privacy loss, where 1 - Φ underflows or cancels), log-space addition
 * and subtraction, and the standard normal distribution. Pure functions, no state.
 */

// Math functions bound once: global lookups are slow inside vm contexts (e.g. jest), and these run millions of times.
const { abs, exp, expm1, log, log1p, max, min, sqrt } = Math;
const INF = Number.POSITIVE_INFINITY;
const { isNaN: isNaNumber, isFinite: isFiniteNumber, isInteger: isIntegerNumber, EPSILON: DOUBLE_EPSILON } = Number;
const M_LN2 = Math.LN2;
const M_PI = Math.PI;
const M_SQRT2 = Math.SQRT2;

const SQRT_PI = sqrt(M_PI);
const LOG_SQRT_PI = 0.5 * log(M_PI);
const TWO_OVER_SQRT_PI = 2 / SQRT_PI;

/** Above this the continued fraction converges in few terms and keeps full relative precision. */
const CF_SWITCH = 2.5;

/**
 * erf(x) for 0 <= x < 2.5 by the positive-term series
 * erf(x) = 2/√π · e^{-x²} · Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1))  (Abramowitz & Stegun 7.1.6),
 * which has no cancellation.
 */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * exp(-x2) * sum;
}

/**
 * The continued fraction K(x) with erfc(x) = e^{-x²}/√π · K(x) for x >= 2.5
 * (A&S 7.1.14: 1/(x+ (1/2)/(x+ 1/(x+ (3/2)/(x+ …))))), by the modified Lentz method.
 */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (abs(delta - 1) < 1e-16) break;
  }
  return 1 / f;
}

/**
 * Complementary error function with full relative precision in the right tail.
 * @example erfc(1) // 0.15729920705028513
 */
export function erfc(x: number): number {
  if (isNaNumber(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < CF_SWITCH) return 1 - erfSeries(x);
  if (x > 27.3) return 0;
  return (exp(-x * x) / SQRT_PI) * erfcContinuedFraction(x);
}

/**
 * log(erfc(x)), finite for every finite x (no underflow for large x).
 * @example logErfc(40) // about -1604.3
 */
export function logErfc(x: number): number {
  if (x < CF_SWITCH) return log(erfc(x));
  if (x === INF) return -INF;
  return -x * x - LOG_SQRT_PI + log(erfcContinuedFraction(x));
}

/**
 * Standard normal CDF Φ(u).
 * @example normalCdf(0) // 0.5
 */
export function normalCdf(u: number): number {
  return 0.5 * erfc(-u / M_SQRT2);
}

/**
 * Standard normal survival function 1 - Φ(u), accurate in the right tail.
 * @example normalSf(5) // 2.866515718791939e-7
 */
export function normalSf(u: number): number {
  return 0.5 * erfc(u / M_SQRT2);
}

/**
 * Quantile of the standard normal: the u with normalSf(u) = p, for p in (0, 1), by bisection on
 * the accurate survival function (slow but exact to double precision; used rarely).
 * @example normalSfInverse(0.025) // 1.959963984540054
 */
export function normalSfInverse(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`Expected a probability in (0, 1) but received ${p}`);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * max(1, abs(lo)); i++) {
    const mid = 0.5 * (lo + hi);
    if (normalSf(mid) > p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * log(e^a + e^b) without overflow.
 * @example logAdd(0, 0) // M_LN2
 */
export function logAdd(a: number, b: number): number {
  const hi = max(a, b);
  const lo = min(a, b);
  if (lo === -INF) return hi;
  return hi + log1p(exp(lo - hi));
}

/**
 * log(e^a - e^b) for a >= b; -INF when a == b.
 * @example logSub(M_LN2, 0) // 0
 */
export function logSub(a: number, b: number): number {
  if (a < b) throw new RangeError(`logSub needs a >= b but received a=${a}, b=${b}`);
  if (b === -INF) return a;
  if (a === b) return -INF;
  const d = a - b;
  // log(expm1(d)) + b, with expm1 overflowing only when d > 709, where log(expm1(d)) = d.
  return d > 700 ? a : log(expm1(d)) + b;
}
