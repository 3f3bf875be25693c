/** Per-column distances between two samples of one variable. */

function present(v: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i])) out.push(v[i]);
  return Float64Array.from(out).sort();
}

/**
 * Two-sample Kolmogorov–Smirnov statistic sup|F_a − F_b| over present values (0 when either is empty).
 * @example ksStatistic([1, 2, 3], [1, 2, 3]) // 0
 */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = present(a), y = present(b);
  if (x.length === 0 || y.length === 0) return 0;
  let i = 0, j = 0, d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/**
 * Wasserstein-1 (earth mover's) distance ∫|F_a − F_b| dx between the empirical distributions.
 * @example wasserstein1([0, 1], [1, 2]) // 1
 */
export function wasserstein1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = present(a), y = present(b);
  if (x.length === 0 || y.length === 0) return 0;
  let i = 0, j = 0, w = 0, prev = Math.min(x[0], y[0]);
  while (i < x.length || j < y.length) {
    const v = j >= y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
    w += Math.abs(i / x.length - j / y.length) * (v - prev);
    prev = v;
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
  }
  return w;
}

/**
 * Total variation distance ½Σ|p − q| between two count vectors (each normalised to sum 1).
 * @example totalVariation([1, 1], [2, 0]) // 0.5
 */
export function totalVariation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) sa += a[i];
  for (let i = 0; i < b.length; i++) sb += b[i];
  if (sa === 0 || sb === 0) return sa === sb ? 0 : 1;
  let d = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) d += Math.abs((a[i] ?? 0) / sa - (b[i] ?? 0) / sb);
  return d / 2;
}

/** Share of missing values (NaN, or code -1 for categorical codes). */
export function missingRate(v: ArrayLike<number>, categorical: boolean): number {
  if (v.length === 0) return 0;
  let m = 0;
  for (let i = 0; i < v.length; i++) if (categorical ? v[i] < 0 : Number.isNaN(v[i])) m++;
  return m / v.length;
}
