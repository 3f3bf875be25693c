/**
 * Quantile edges of numeric columns read off fine histograms: what a DP training (central or
 * federated) pays for the bins of its numeric columns.
 *
 * Each column gets an equal-width histogram of DEFAULT_HISTOGRAM_BINS cells over its schema
 * bounds (in asinh space when a bound is missing), released with Gaussian noise (sensitivity 1
 * under add/remove of a record); the quantiles are read off its cumulative sum (post-processing).
 * A federation sums the sites' histograms before the noise is added (secure aggregation).
 *
 * Why not one exponential-mechanism quantile per level (Smith 2011), which the central trainings
 * used until 2026-11-29: the ledger accounts an exponential mechanism as pure ε-DP (composing
 * like ε²/2-zCDP), and a column has 13 levels, so on the SCD cohort's 61 quantile columns at ε = 3
 * (the copula's 10% share) each quantile had ε ≈ 0.02: the largest bin of a column held 67% of its
 * rows on average (three trainings of cohort 21), and ages 5 to 18 were one bin. The histograms
 * bought with the same share give noise σ ≈ 38 per cell and a largest bin of 27%.
 */
import type { Table } from 'apache-arrow';
import type { ColumnSchema } from '../data/schema';
import { readNumbers } from './column-values';

/** Cells of the fine histogram of a numeric column. */
export const DEFAULT_HISTOGRAM_BINS = 64;

/** Coarse public range, in asinh space, of a column without declared bounds. */
export const UNBOUNDED_ASINH_RANGE: [number, number] = [-Math.asinh(1e12), Math.asinh(1e12)];

/** One column's fine histogram: equal-width cells over [lo, hi], in asinh space when `asinh`. */
export interface HistogramSpec {
  column: string;
  lo: number;
  hi: number;
  bins: number;
  asinh: boolean;
}

/**
 * The fine histogram of a column from its schema bounds (public): linear between both bounds,
 * else in asinh space from the bound there is (or the coarse public range).
 * @example histogramSpec(column, 3, 17, 64) // { column: 'hb_g_dl', lo: 3, hi: 17, bins: 64, asinh: false }
 */
export function histogramSpec(c: ColumnSchema, lo: number | undefined, hi: number | undefined, bins = DEFAULT_HISTOGRAM_BINS): HistogramSpec {
  if (lo !== undefined && hi !== undefined && hi > lo) return { column: c.name, lo, hi, bins, asinh: false };
  return { column: c.name, lo: lo !== undefined ? Math.asinh(lo) : UNBOUNDED_ASINH_RANGE[0], hi: hi !== undefined ? Math.asinh(hi) : UNBOUNDED_ASINH_RANGE[1], bins, asinh: true };
}

/**
 * The cell of each value in a fine histogram, counted (missing values are not counted).
 * @example histogramCounts(spec, Float64Array.of(3.2, 9.9)) // 64 counts summing to 2
 */
export function histogramCounts(spec: HistogramSpec, values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(spec.bins);
  const width = (spec.hi - spec.lo) / spec.bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    const t = spec.asinh ? Math.asinh(v) : v;
    out[Math.min(spec.bins - 1, Math.max(0, Math.floor((t - spec.lo) / width)))]++;
  }
  return out;
}

/**
 * The fine histograms of a table's columns, concatenated (a federation's site vector).
 * @example columnHistograms(table, [{ column: 'hb_g_dl', lo: 3, hi: 17, bins: 64, asinh: false }]).length // 64
 */
export function columnHistograms(table: Table, specs: readonly HistogramSpec[]): Float64Array {
  const out = new Float64Array(specs.reduce((s, h) => s + h.bins, 0));
  let at = 0;
  for (const h of specs) {
    out.set(histogramCounts(h, readNumbers(table, h.column)), at);
    at += h.bins;
  }
  return out;
}

/**
 * Quantile edges from a (noisy) histogram: negative counts clipped, then the CDF read at each
 * level with linear interpolation inside a cell, mapped back from asinh space when needed.
 * @example edgesFromHistogram({ column: 'x', lo: 0, hi: 1, bins: 2, asinh: false }, [1, 1], [0.5]) // [0.5]
 */
export function edgesFromHistogram(spec: HistogramSpec, counts: ArrayLike<number>, levels: readonly number[]): number[] {
  const clipped = Array.from(counts, (c) => Math.max(0, c));
  const total = clipped.reduce((a, b) => a + b, 0);
  const width = (spec.hi - spec.lo) / spec.bins;
  if (!(total > 0)) return [];
  const out: number[] = [];
  let cum = 0, b = 0;
  for (const p of levels) {
    const target = p * total;
    while (b < spec.bins && cum + clipped[b] < target) cum += clipped[b++];
    const inBin = b < spec.bins && clipped[b] > 0 ? (target - cum) / clipped[b] : 0;
    const t = spec.lo + (Math.min(b, spec.bins - 1) + Math.min(1, Math.max(0, inBin))) * width;
    out.push(spec.asinh ? Math.sinh(t) : t);
  }
  return out;
}
