/**
 * The column encoders of a federation, fitted without pooling any rows: every generator that
 * trains across sites (marginal, copula, tvae) must encode all sites' rows the same way.
 *
 * Categorical and bounded-integer columns are encoded from the schema alone. Numeric columns
 * whose bins need data-dependent edges get them from a `histograms` round: each site sends a fine
 * equal-width histogram per such column (in asinh space when a bound is missing), the sum is
 * released with Gaussian noise (one mechanism of sensitivity 1 per column under add/remove of a
 * record), and the coordinator reads the quantile edges off the noisy cumulative histogram
 * (post-processing): the central generators' method (transform/histogram-quantiles.ts), with the
 * histograms summed across sites before the noise.
 */
import * as fs from 'node:fs';
import { Table, tableFromArrays } from 'apache-arrow';
import { readArrowFile } from '../../data/arrow-file';
import { embeddedSchema } from '../../data/arrow-types';
import { requireDeclaredDomains } from '../../models/declared-domains';
import type { TableSchema } from '../../data/schema';
import { validateSchema } from '../../data/schema-validation';
import { InputError, UsageError, describeValue } from '../../errors';
import { boundNumber, DiscreteColumnEncoder, fitDiscretisation, planDiscretisation, quantileEdges, quantileLevels, requireModelledColumns } from '../../transform/discretiser';
import { DEFAULT_HISTOGRAM_BINS, edgesFromHistogram, histogramSpec, type HistogramSpec } from '../../transform/histogram-quantiles';

// A site's vector of the histograms round: its fine histograms of the quantile columns, concatenated.
export { DEFAULT_HISTOGRAM_BINS, edgesFromHistogram, columnHistograms as siteHistograms, type HistogramSpec } from '../../transform/histogram-quantiles';

/**
 * Smallest per-site discrete Gaussian σ in fixed-point units. The sum of n such noises is within
 * 10·Σ_{k<n} exp(−2π²σ²·k/(k+1)) of one discrete Gaussian of the summed variance (Kairouz, Liu &
 * Steinke 2021, Prop. 14): below 1e-200 at σ = 8, so no δ needs adding for it.
 */
export const MIN_ENCODED_SIGMA = 8;

/**
 * A numeric task option, validated with the option named in the error.
 * @example numberOption({ bins: 8 }, 'bins', 10, (v) => Number.isInteger(v), 'an integer')
 */
export function numberOption(o: Record<string, unknown> | undefined, key: string, fallback: number, ok: (v: number) => boolean, expected: string): number {
  const v = o?.[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !ok(v)) throw new UsageError(`Expected ${expected} for option ${key} but received ${describeValue(v)}`);
  return v;
}

/**
 * Integer and real option readers over a task's options, each naming the option and its range in
 * the error.
 * @example const { int, real } = optionReaders(o.options); int('bins', 10, 2, 200)
 */
export function optionReaders(opts: Record<string, unknown> | undefined): {
  int: (key: string, fallback: number, min: number, max: number) => number;
  real: (key: string, fallback: number, min: number, max: number) => number;
  bool: (key: string, fallback: boolean) => boolean;
} {
  return {
    int: (key, fallback, min, max) => numberOption(opts, key, fallback, (v) => Number.isInteger(v) && v >= min && v <= max, `an integer in [${min}, ${max}]`),
    real: (key, fallback, min, max) => numberOption(opts, key, fallback, (v) => Number.isFinite(v) && v > min && v <= max, `a number in (${min}, ${max}]`),
    bool: (key, fallback) => {
      const v = opts?.[key];
      if (v === undefined) return fallback;
      if (typeof v !== 'boolean') throw new UsageError(`Expected true or false for option ${key} but received ${describeValue(v)}`);
      return v;
    },
  };
}

/**
 * Refuses a round count that is not a positive integer (every iterative federated task).
 * @example checkRounds(o.rounds)
 */
export function checkRounds(rounds: unknown): void {
  if (!(Number.isInteger(rounds) && (rounds as number) >= 1)) throw new UsageError(`Expected a positive integer for rounds but received ${describeValue(rounds)}`);
}

/**
 * The schema a federation uses: a TableSchema object, a schema JSON file, or an Arrow file's
 * embedded schema (its rows are not used). A federation is always DP, so categories and bounds
 * read from some site's data (marked inferred) are refused (declared-domains.ts).
 */
export function federationSchema(hint: unknown): TableSchema {
  const schema = readFederationSchema(hint);
  requireDeclaredDomains(schema, 'the federation');
  return schema;
}

function readFederationSchema(hint: unknown): TableSchema {
  if (typeof hint === 'string') {
    if (hint.endsWith('.json')) return validateSchema(JSON.parse(fs.readFileSync(hint, 'utf8')), hint);
    const carried = embeddedSchema(readArrowFile(hint).schema);
    if (!carried) throw new InputError({ file: hint }, 'an Arrow file with an embedded hemasynth schema (or pass a schema JSON file)', 'no embedded schema');
    return validateSchema(carried, hint);
  }
  if (hint === undefined || hint === null) throw new UsageError('Expected a schema for the federated model (--schema FILE) but received none');
  return validateSchema(hint, 'schema');
}

/** The smallest power of two that brings a per-site noise σ to MIN_ENCODED_SIGMA fixed-point units. */
export function scaleFor(sigmaPerSite: number): number {
  let s = 1;
  while (sigmaPerSite * s < MIN_ENCODED_SIGMA && s < 2 ** 20) s *= 2;
  return s;
}

/**
 * The schema-driven part of a federation's encoders: which columns need a histogram round, and
 * the encoders once their noisy histograms are summed.
 */
export class FederatedDiscretisation {
  /** Number of modelled columns. */
  readonly columns: number;
  /** Names of the modelled columns, in encoder order. */
  readonly modelled: string[];
  readonly histograms: HistogramSpec[];

  constructor(readonly schema: TableSchema, readonly bins: number, histogramBins: number = DEFAULT_HISTOGRAM_BINS, model = 'federated') {
    const plan = planDiscretisation(schema, { bins });
    this.columns = plan.length;
    this.modelled = plan.map((p) => p.column.name);
    requireModelledColumns(plan, schema, model);
    const noCategories = plan.filter((p) => p.needs === 'categories').map((p) => p.column.name);
    if (noCategories.length) throw new UsageError(`Expected categories in the schema for ${noCategories.join(', ')} (a ${model} DP generator may not read them from the data) but received none`);
    this.histograms = plan.filter((p) => p.needs === 'quantiles').map((p) => histogramSpec(p.column, boundNumber(p.column, p.column.min), boundNumber(p.column, p.column.max), histogramBins));
  }

  /** Length of the histogram round's vector. */
  get histogramLength(): number {
    return this.histograms.reduce((s, h) => s + h.bins, 0);
  }

  /** Encoders from the schema and the summed (noisy) histograms of the quantile columns (none needed when no column has data-dependent edges). */
  encoders(summedHistograms?: ArrayLike<number>): DiscreteColumnEncoder[] {
    const levels = quantileLevels(this.bins);
    const edges = new Map<string, number[]>();
    let at = 0;
    for (const h of this.histograms) {
      const counts = summedHistograms ? Array.prototype.slice.call(summedHistograms, at, at + h.bins) as number[] : [];
      edges.set(h.column, edgesFromHistogram(h, counts, levels));
      at += h.bins;
    }
    // fitDiscretisation reads the table only for quantile columns; give it an empty one with
    // those columns and replace their edges with the ones read off the noisy histograms.
    const quantileColumns = this.histograms.map((h) => h.column);
    const empty: Record<string, Float64Array> = {};
    for (const c of quantileColumns) empty[c] = new Float64Array(0);
    const table: Table = quantileColumns.length ? tableFromArrays(empty) : new Table();
    const base = fitDiscretisation(table, this.schema, { histogramSigma: null }, { bins: this.bins });
    const byName = new Map(this.schema.columns.map((c) => [c.name, c]));
    return base.map((e) => {
      if (!quantileColumns.includes(e.column)) return e;
      // The same edges as the central discretiser's DP path (bounds, integers, point bins at the bounds).
      const es = quantileEdges(byName.get(e.column)!, (edges.get(e.column) ?? []).filter((q) => Number.isFinite(q)).sort((a, b) => a - b), []);
      return { ...e, edges: es, size: es.length - 1 + (e.nullable ? 1 : 0), source: 'dp-quantiles' as const };
    });
  }
}

/**
 * A summed vector of per-column code counts (columns in encoder order) split into one array per column.
 * @example splitByColumn(sum, encoders)[0].length === encoders[0].size
 */
export function splitByColumn(sum: ArrayLike<number>, encoders: readonly DiscreteColumnEncoder[]): Float64Array[] {
  const out: Float64Array[] = [];
  let at = 0;
  for (const e of encoders) { out.push(Float64Array.from(Array.prototype.slice.call(sum, at, at + e.size) as number[])); at += e.size; }
  return out;
}
