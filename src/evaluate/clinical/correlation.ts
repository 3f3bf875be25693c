/**
 * Correlation coefficients for clinical-validity checks: Pearson's r and Spearman's rank
 * correlation (Pearson's r of mid-ranks, so ties are handled as in standard software).
 */

/**
 * Pearson correlation of two equally long samples (NaN when either has no variance or n < 3).
 * @example pearson([1, 2, 3], [2, 4, 7]) // 0.99...
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw new RangeError(`samples differ in length: ${n} vs ${y.length}`);
  if (n < 3) return NaN;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/**
 * Mid-ranks (1-based; tied values share the mean of their ranks).
 * @example ranks([10, 20, 20, 5]) // [2, 3.5, 3.5, 1]
 */
export function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[idx[j + 1]] === x[idx[i]]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = mid;
    i = j + 1;
  }
  return r;
}

/**
 * Spearman rank correlation.
 * @example spearman([1, 2, 3, 4], [10, 20, 25, 100]) // 1
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(ranks(x), ranks(y));
}
