/**
 * Mode-specific normalisation of numeric columns for the neural generators (TVAE and CTGAN,
 * Xu et al. 2019, §4.2): a value v is represented by the one-hot of its mode k and a scalar
 * α = (v − μ_k) / h_k ∈ [−1, 1] that places it inside the mode.
 *
 * Where the modes come from. CTGAN fits a variational Gaussian mixture (10 components, pruned
 * by weight) to each column by exact EM over the raw values. Under differential privacy every
 * EM iteration needs fresh noisy sufficient statistics for every component of every column
 * (iterations × components × 3 Gaussian releases per column), whose noise at cohort sizes of a
 * few thousand patients swamps the small components a rare-disease column has. We instead fix
 * the modes from quantiles: the mixture has one component per inter-quantile interval
 * [e_k, e_{k+1}) of the column's discretiser ({@link ../transform/discretiser}): mean
 * μ_k = (e_k + e_{k+1})/2, half-width h_k = (e_{k+1} − e_k)/2 (scale σ_k = h_k/2), and weight the
 * quantile mass of the interval. The edges are DP quantiles read off one noisy fine histogram
 * per column (transform/histogram-quantiles.ts; exponential-mechanism quantiles, Smith 2011, until
 * 2026-11-29) bought once through the privacy ledger, or exact quantiles when training is
 * explicitly non-private, so the whole normaliser costs one small mechanism instead of an
 * iterative one. This is the "variational Gaussian mixture per column" replaced by a fixed
 * mixture, for the DP cost above; non-private trainings use the same quantile modes.
 * Equal-mass intervals put narrow modes where the density is high and wide ones in the tails,
 * which is what a fitted mixture does on the skewed, multimodal laboratory columns of SCD
 * cohorts (e.g. HbF by genotype); a mode that a fitted mixture would split across two intervals
 * is simply represented by two neighbouring components.
 *
 * Because the modes ARE the discretiser's codes, the mode one-hot is the code one-hot (the
 * missing code included), conditions (`--where`) resolve against the same encoder, and decoding
 * goes through {@link decodeColumn}: α maps to the position u = (α + 1)/2 inside the code's
 * interval, so bounds, integers and conditioned ranges are restored by one code path.
 */
import type { DiscreteColumnEncoder } from './discretiser';
import { readNumbers } from './column-values';
import { encodeColumn, missingCode } from './discretiser';
import { binPosition, outerBinTails } from './decode';
import type { Table } from 'apache-arrow';

/** The Gaussian mixture of one numeric column (one component per code interval). */
export interface ModeMixture {
  column: string;
  means: number[];
  /** Component scales σ_k = h_k / 2. */
  scales: number[];
}

/**
 * Whether a column carries the within-mode scalar α: numeric columns whose intervals hold more
 * than one value (an integer column with one code per value needs none).
 * @example needsAlpha(encoder) // true for hb_g_dl, false for a 0/1/2 genotype count
 */
export function needsAlpha(e: DiscreteColumnEncoder): boolean {
  if (e.levels !== 'bins') return false;
  const edges = e.edges as number[];
  if (!e.integer) return true;
  for (let k = 0; k + 1 < edges.length; k++) if (edges[k + 1] - edges[k] > 1) return true;
  return false;
}

/**
 * The mixture a numeric encoder stands for (for documentation, audits and the model card).
 * @example modeMixture(encoder).means.length === encoder.edges.length - 1
 */
export function modeMixture(e: DiscreteColumnEncoder): ModeMixture {
  const edges = e.edges ?? [];
  const means: number[] = [], scales: number[] = [];
  for (let k = 0; k + 1 < edges.length; k++) {
    means.push((edges[k] + edges[k + 1]) / 2);
    scales.push((edges[k + 1] - edges[k]) / 4);
  }
  return { column: e.column, means, scales };
}

/**
 * Mode codes and α of a numeric column. α is the position of the value inside its interval
 * mapped to [−1, 1]: (v − μ_k)/h_k for continuous columns; for integer columns the centre of the
 * value's unit cell, (v − a + ½)/(b − a)·2 − 1, so that {@link alphaToPosition} and the integer
 * decoder give v back exactly; in an outer interval that decodes as an exponential tail
 * (decode.ts outerBinTails) the position is that tail's CDF, for the same reason. Values beyond the outer edges (the open tails of an unbounded
 * column) are clipped to ±1. Missing rows get the missing code and α = 0.
 * @example const { codes, alpha } = modeSpecificEncode(table, encoder)
 */
export function modeSpecificEncode(table: Table, e: DiscreteColumnEncoder): { codes: Int32Array; alpha: Float32Array } {
  const codes = encodeColumn(table, e);
  const alpha = new Float32Array(codes.length);
  if (!needsAlpha(e)) return { codes, alpha };
  const values = readNumbers(table, e.column);
  const edges = e.edges as number[];
  const miss = missingCode(e);
  const tails = outerBinTails(edges);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === miss) continue;
    const a = edges[c], b = edges[c + 1];
    if (!(b > a)) continue; // a point-mass interval (repeated edge): α carries nothing
    const u = binPosition(values[i], a, b, e.integer, c, tails);
    alpha[i] = Math.max(-1, Math.min(1, 2 * u - 1));
  }
  return { codes, alpha };
}

/**
 * The position u ∈ [0, 1) inside a code's interval that {@link decodeColumn} turns into a value.
 * @example alphaToPosition(0) // 0.5: the centre of the mode
 */
export function alphaToPosition(alpha: number): number {
  const u = (alpha + 1) / 2;
  return u <= 0 || Number.isNaN(u) ? 0 : u >= 1 ? 1 - 2 ** -32 : u;
}
