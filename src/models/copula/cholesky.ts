/** Cholesky factorisation of the copula's correlation matrices. */

/**
 * Cholesky factor (row-major lower) of a symmetric d × d matrix, or null when not positive
 * definite (a pivot at or below 1e-10).
 * @example cholesky(Float64Array.of(4, 2, 2, 3), 2) // [2, 0, 1, √2]
 */
export function cholesky(a: Float64Array, d: number): Float64Array | null {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= L[i * d + k] * L[j * d + k];
      if (i === j) {
        if (!(s > 1e-10)) return null;
        L[i * d + i] = Math.sqrt(s);
      } else L[i * d + j] = s / L[j * d + j];
    }
  }
  return L;
}
