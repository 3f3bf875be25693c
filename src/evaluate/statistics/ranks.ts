/** Ranks and rank correlation. */

/**
 * Mid-ranks (1-based, ties get the mean of their ranks) of the finite values; NaN keeps NaN.
 * @example midRanks(Float64Array.of(10, 20, 20)) // [1, 2.5, 2.5]
 */
export function midRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (!Number.isNaN(values[i])) idx.push(i);
  idx.sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(n).fill(NaN);
  for (let s = 0; s < idx.length;) {
    let e = s;
    while (e + 1 < idx.length && values[idx[e + 1]] === values[idx[s]]) e++;
    const r = (s + e) / 2 + 1;
    for (let k = s; k <= e; k++) out[idx[k]] = r;
    s = e + 1;
  }
  return out;
}

/**
 * Pearson correlation over rows where both values are present; null when either is constant
 * or fewer than 2 rows remain (a correlation that does not exist is not 0).
 * @example pearson([1, 2, 3], [2, 4, 7])
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  // Self-comparison finds NaN without a builtin call: builtins are slow inside vm contexts (jest).
  let n = 0, sx = 0, sy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i], b = y[i];
    if (a !== a || b !== b) continue;
    n++; sx += a; sy += b;
  }
  if (n < 2) return null;
  const mx = sx / n, my = sy / n;
  let sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== x[i] || y[i] !== y[i]) continue;
    const a = x[i] - mx, b = y[i] - my;
    sxx += a * a; syy += b * b; sxy += a * b;
  }
  if (sxx <= 0 || syy <= 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Spearman rank correlation (Pearson on mid-ranks).
 * @example spearman([1, 2, 3], [1, 4, 9]) // 1
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const keep: number[] = [];
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i]) && !Number.isNaN(y[i])) keep.push(i);
  return pearson(midRanks(keep.map((i) => x[i])), midRanks(keep.map((i) => y[i])));
}
