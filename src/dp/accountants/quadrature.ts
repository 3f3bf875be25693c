/**
 * Composite Gauss–Legendre quadrature, used to integrate the privacy loss against its density
 * (the mean of a truncated privacy loss). Nodes are computed once by Newton's method on the
 * Legendre polynomial (Golub & Welsch give the same nodes; Newton is shorter here).
 */

// Math functions bound once: global lookups are slow inside vm contexts (e.g. jest), and these run millions of times.
const { abs, cos } = Math;
const INF = Number.POSITIVE_INFINITY;
const { isNaN: isNaNumber, isFinite: isFiniteNumber, isInteger: isIntegerNumber, EPSILON: DOUBLE_EPSILON } = Number;
const M_PI = Math.PI;

const ORDER = 20;

function legendreNodes(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = cos((M_PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (abs(dz) < 1e-16) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}

const NODES = legendreNodes(ORDER);

/**
 * ∫_a^b f(x) dx by composite Gauss–Legendre with `panels` equal panels (20 nodes each).
 * @example integrate((x) => x * x, 0, 1, 1) // 1/3
 */
export function integrate(f: (x: number) => number, a: number, b: number, panels: number): number {
  if (!(b > a)) return 0;
  const width = (b - a) / panels;
  let total = 0;
  for (let p = 0; p < panels; p++) {
    const mid = a + (p + 0.5) * width;
    const half = width / 2;
    let s = 0;
    for (let i = 0; i < ORDER; i++) s += NODES.w[i] * f(mid + half * NODES.x[i]);
    total += s * half;
  }
  return total;
}
