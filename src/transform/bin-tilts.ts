/**
 * Within-bin shape of decoded numeric values: a linear density per interval bin instead of a
 * uniform one.
 *
 * Why: the discretising generators (marginal, copula) know a numeric value only to its bin, and
 * a uniform draw inside a wide bin flattens the density there. On the ARX Adult data the
 * non-private marginal model decoded ages 58–72 (one quantile bin) at about 85 people a year
 * where the data fall from 176 to 21, so its age marginal was 6× further from a fresh sample
 * than the training data's. Under DP the bins are wide equal-width ones (2–12 per column), and
 * uniform decoding is most of a lab's 1-way error.
 *
 * What: the frequency polygon's slope. With d_k = p_k / w_k the density of bin k (its mass over
 * its width), the density at its edges is the mean of its own and its neighbour's (its own at
 * an outer edge), and the bin keeps its mass: f(u) = d_k (1 + t(2u − 1)) on u ∈ [0, 1) with
 * t = (R − L)/(R + L). The masses are the model's own code frequencies (counted on rows it
 * samples), so this is post-processing: no data read, no budget. Outer bins that decode as an
 * exponential tail (decode.ts outerBinTails) keep it.
 */
import type { DiscreteColumnEncoder } from './discretiser';

/**
 * Tilts of a numeric encoder's interval bins from its code counts (codes 0..bins−1; the missing
 * code, if any, ignored): 0 for point bins, empty bins and bins with no interval neighbour.
 * @example binTilts([0, 1, 2, 3], Float64Array.of(30, 20, 10)) // ≈ [0, −0.29, −0.2]: a falling density
 */
export function binTilts(edges: readonly number[], counts: ArrayLike<number>): number[] {
  const bins = edges.length - 1;
  const width = (k: number) => edges[k + 1] - edges[k];
  const density = (k: number) => (k >= 0 && k < bins && width(k) > 0 ? Math.max(0, counts[k]) / width(k) : NaN);
  const tilts = new Array<number>(bins).fill(0);
  for (let k = 0; k < bins; k++) {
    const d = density(k);
    if (!(d > 0)) continue;
    const left = density(k - 1), right = density(k + 1);
    const L = Number.isNaN(left) ? d : (d + left) / 2;
    const R = Number.isNaN(right) ? d : (d + right) / 2;
    const t = (R - L) / (R + L);
    tilts[k] = Number.isFinite(t) ? Math.max(-0.999, Math.min(0.999, t)) : 0;
  }
  return tilts;
}

/**
 * Position u ∈ [0, 1) for a uniform U under the density 1 + t(2u − 1): the root of
 * t u² + (1 − t) u = U, written to stay exact as t → 0.
 * @example tiltedPosition(0.5, 0) // 0.5
 */
export function tiltedPosition(U: number, t: number): number {
  const b = 1 - t;
  return (2 * U) / (b + Math.sqrt(Math.max(0, b * b + 4 * t * U)));
}

/**
 * CDF of the density 1 + t(2u − 1) at u ∈ [0, 1]: the inverse of {@link tiltedPosition}.
 * @example tiltedCdf(tiltedPosition(0.3, 0.5), 0.5) // 0.3
 */
export function tiltedCdf(u: number, t: number): number {
  return t * u * u + (1 - t) * u;
}

/** The tilt of bin `bin` of an encoder (0 when it has none). */
export function tiltOf(e: DiscreteColumnEncoder, bin: number): number {
  return e.tilts ? e.tilts[bin] ?? 0 : 0;
}
