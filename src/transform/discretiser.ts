/**
 * The discretiser: a reversible per-column encoder from table values to integer codes, used by
 * the marginal (graphical-model) and copula generators. Each modelled column becomes codes
 * `0 .. size-1`: one code per category (categorical, ordinal, boolean) or per numeric interval
 * (continuous, integer, datetime), plus a last code for "missing" when the column is nullable,
 * so missingness is modelled, not imputed.
 *
 * Where edges come from, so that nothing reads real data outside the privacy ledger:
 * * integer columns with schema bounds and at most {@link MAX_INTEGER_LEVELS} values: one code per
 *   value, from the schema alone;
 * * other numeric columns: quantile edges, bought with budget (read off a fine histogram per
 *   column released with Gaussian noise after the caller charged the ledger,
 *   histogram-quantiles.ts explains why not exponential-mechanism quantiles) or exact quantiles
 *   when training is explicitly non-private (`epsilon = inf`), where an integer column with at
 *   most {@link MAX_INTEGER_LEVELS} distinct values gets one code per observed value;
 *   schema bounds, when declared, are the outer edges;
 * * categories from the schema, or (non-private runs only) from the data.
 *
 * Decoding draws a value uniformly inside the code's interval (integers: a uniform integer of the
 * interval), clamped to the schema bounds, so integers stay integers and categories stay valid.
 */
import type { ColumnKind, ColumnSchema, TableSchema } from '../data/schema';
import { InputError, UsageError } from '../errors';
import type { CryptoRandom } from '../dp/noise';
import { DEFAULT_HISTOGRAM_BINS, edgesFromHistogram, histogramCounts, histogramSpec } from './histogram-quantiles';
import type { Table } from 'apache-arrow';
import { presentValues, readCategoryCodes, readLabels, readNumbers } from './column-values';
import { orderStatistics } from './order-statistics';

/** Integer columns with at most this many values in their bounds get one code per value. */
export const MAX_INTEGER_LEVELS = 32;
/** Default number of equal-frequency bins of a numeric column (plus two narrow tail bins). */
export const DEFAULT_NUMERIC_BINS = 12;

/** The Arrow type a decoded column is written as (the kinds of src/data/arrow-types.ts). */
export type DecodedArrowType = 'float64' | 'int32' | 'int64' | 'bool' | 'dictionary' | 'date-day' | 'timestamp-ms';

/** A fitted discretiser of one column: plain JSON, stored in the model manifest. */
export interface DiscreteColumnEncoder {
  column: string;
  kind: ColumnKind;
  output: DecodedArrowType;
  /** `categories`: code k is categories[k]; `bins`: code b is the interval [edges[b], edges[b+1]). */
  levels: 'categories' | 'bins';
  categories?: string[];
  edges?: number[];
  /** Decoded values are whole numbers (integer and datetime columns). */
  integer: boolean;
  /** Declared bounds (numbers; datetimes as days or ms) that decoding clamps to. */
  min?: number;
  max?: number;
  /** Whether the last code means missing. */
  nullable: boolean;
  /** Number of codes, the missing code included. */
  size: number;
  /** Where the levels came from: schema, dp-quantiles, exact-quantiles or data (non-private). */
  source: 'schema' | 'dp-quantiles' | 'exact-quantiles' | 'data';
  /**
   * Per interval bin, the tilt t ∈ (−1, 1) of the linear density 1 + t(2u − 1) its values are
   * decoded with (transform/bin-tilts.ts); absent: uniform (and models written before it).
   */
  tilts?: number[];
}

/** How numeric edges are obtained when they cost budget. */
export interface DiscretisationPrivacy {
  /**
   * σ of the Gaussian noise on each quantile column's fine histogram (one release of sensitivity
   * 1 per column, charged by the caller); null: explicitly non-private (exact quantiles, data
   * categories allowed).
   */
  histogramSigma: number | null;
  /** Noise source (required when histogramSigma is set). */
  rng?: CryptoRandom;
  /** Cells of the fine histograms (default DEFAULT_HISTOGRAM_BINS). */
  histogramBins?: number;
}

/** Options of {@link planDiscretisation} and {@link fitDiscretisation}. */
export interface DiscretisationOptions {
  bins?: number;
  /**
   * `equal-width`: numeric columns with both schema bounds get `bins` equal-width bins between
   * them (public, no budget) instead of quantile edges. A DP training uses it when the budget
   * is too small for the noisy histograms to place the quantiles better than the bounds do.
   * Default `quantiles`. Count columns
   * ({@link isCountColumn}) get geometric public edges ({@link countEdges}) in either mode unless
   * training is non-private.
   */
  numericEdges?: 'quantiles' | 'equal-width';
  /**
   * Whether numeric columns get the two narrow tail bins (1% and 99% quantiles). Default true; a
   * DP training at a small budget drops them: a bin of 1% of the rows holds less than the noise.
   */
  tails?: boolean;
}

/** Equal-width edges between schema bounds (integers: whole-number edges, the maximum included). */
function equalWidthEdges(lo: number, hi: number, bins: number, integer: boolean): number[] {
  if (integer) {
    const out: number[] = [];
    for (let k = 0; k < bins; k++) out.push(Math.ceil(lo + ((hi + 1 - lo) * k) / bins));
    out.push(hi + 1);
    return out.filter((e, i) => i === 0 || e > out[i - 1]);
  }
  const out = Array.from({ length: bins + 1 }, (_, k) => lo + ((hi - lo) * k) / bins);
  out[bins] = hi;
  return withPointBins(out, lo, hi, []);
}

/**
 * A count column: integer with lower bound 0 and an upper bound allowing more values than get
 * one code each (crises, admissions, episodes).
 * Its mass sits at zero and decays, so it gets {@link countEdges} from the bounds in every DP
 * training instead of DP quantiles: with heavy ties the exponential mechanism's quantiles of such
 * a column were noise (copula, ε = 10: voc_12m edges [0, 1, 2, 12, 13, 72, 84, 85, 101]).
 */
export function isCountColumn(c: { kind: ColumnKind; min?: number | string; max?: number | string }): boolean {
  // Integer bounds are numbers (or numeric strings); a schema column and its encoder both answer.
  // Up to MAX_INTEGER_LEVELS values every value is its own code already.
  return c.kind === 'integer' && c.min !== undefined && Number(c.min) === 0 && c.max !== undefined && Number(c.max) + 1 > MAX_INTEGER_LEVELS;
}

/**
 * Geometric edges for a count column (integer, lower bound 0) that gets no quantiles: {0}, then
 * `bins - 1` intervals whose ends grow geometrically from 1 to max + 1. Equal-width bins put a
 * count's whole mass in the first bin: `voc_12m` in [0, 100] with 10 bins had the code [0, 11),
 * decoded uniformly, so a DP model's patients averaged 5 crises a year instead of 1 and every
 * rate ratio read from counts was lost. Zero stays its own code (zero inflation is the rule for
 * clinical event counts); the edges come from the bounds alone (no data, no budget).
 * @example countEdges(100, 6) // [0, 1, 3, 7, 16, 41, 101]
 */
export function countEdges(hi: number, bins: number): number[] {
  const out = [0];
  for (let k = 1; k < bins; k++) out.push(Math.ceil((hi + 1) ** ((k - 1) / (bins - 1)) - 1e-9));
  out.push(hi + 1);
  return out.filter((e, i) => i === 0 || e > out[i - 1]);
}

/** Whether a column is modelled by generators (direct identifiers, free text and identifiers are not). */
export function isModelledColumn(c: ColumnSchema): boolean {
  return c.role !== 'direct-identifier' && c.kind !== 'identifier' && c.kind !== 'text';
}

/**
 * The schema of a generator's output: the modelled columns only (synthetic rows carry no direct
 * identifiers, identifiers or free text).
 * @example validateTable(synthetic, modelledSchema(schema), 'synthetic.arrow')
 */
export function modelledSchema(schema: TableSchema): TableSchema {
  return { ...schema, columns: schema.columns.filter(isModelledColumn) };
}

/**
 * A schema bound as a number (datetimes as days, or ms for date-times), undefined when absent.
 * @example boundNumber(column, column.min) // 3
 */
export function boundNumber(c: ColumnSchema, v: number | string | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (c.kind === 'datetime') {
    const ms = Date.parse(v);
    if (!Number.isFinite(ms)) throw new InputError({ field: `${c.name}.min/max` }, 'an ISO 8601 date', JSON.stringify(v));
    return c.format === 'date-time' ? ms : Math.floor(ms / 86_400_000);
  }
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function outputType(c: ColumnSchema): DecodedArrowType {
  switch (c.kind) {
    case 'continuous': return 'float64';
    case 'integer': {
      const lo = boundNumber(c, c.min), hi = boundNumber(c, c.max);
      return lo !== undefined && hi !== undefined && lo >= -2147483648 && hi <= 2147483647 ? 'int32' : 'int64';
    }
    case 'boolean': return 'bool';
    case 'categorical': case 'ordinal': return 'dictionary';
    case 'datetime': return c.format === 'date-time' ? 'timestamp-ms' : 'date-day';
    default: throw new UsageError(`Expected a modelled column kind for column "${c.name}" but received kind "${c.kind}"`);
  }
}

/** The numeric quantile levels of a column with `bins` equal-frequency bins and two tail bins. */
export function quantileLevels(bins: number, tails = true): number[] {
  const out = tails ? [0.01] : [];
  for (let i = 1; i < bins; i++) out.push(i / bins);
  if (tails) out.push(0.99);
  return out;
}

/** What a column needs before it can be encoded: nothing, quantiles, or categories. */
export interface ColumnPlan {
  column: ColumnSchema;
  needs: 'none' | 'quantiles' | 'categories';
}

/**
 * What discretising these columns costs: the columns whose edges need DP quantiles (one noisy
 * fine histogram each, {@link quantileColumnCount}), and those whose categories are not in the schema.
 * @example planDiscretisation(schema).filter((p) => p.needs === 'quantiles').length
 */
export function planDiscretisation(schema: TableSchema, opts: DiscretisationOptions = {}): ColumnPlan[] {
  return schema.columns.filter(isModelledColumn).map((c) => {
    if (c.kind === 'boolean') return { column: c, needs: 'none' as const };
    if (c.kind === 'categorical' || c.kind === 'ordinal') return { column: c, needs: c.categories && c.categories.length > 0 ? 'none' as const : 'categories' as const };
    const lo = boundNumber(c, c.min), hi = boundNumber(c, c.max);
    if ((c.kind === 'integer') && lo !== undefined && hi !== undefined && hi - lo + 1 <= MAX_INTEGER_LEVELS) return { column: c, needs: 'none' as const };
    if (isCountColumn(c)) return { column: c, needs: 'none' as const };
    if (opts.numericEdges === 'equal-width' && lo !== undefined && hi !== undefined && hi > lo) return { column: c, needs: 'none' as const };
    return { column: c, needs: 'quantiles' as const };
  });
}

/**
 * Throws a UsageError naming the schema's columns and what they are when a plan models none, so
 * that a table read wrongly (a ';' file read with ',' is one text column "a;b;c") or a schema of
 * identifiers only says why nothing can be trained.
 * @example requireModelledColumns(planDiscretisation(schema), schema, 'marginal')
 */
export function requireModelledColumns(plan: readonly ColumnPlan[], schema: TableSchema, model: string): void {
  if (plan.length > 0) return;
  const shown = schema.columns.slice(0, 8).map((c) => `${JSON.stringify(c.name)} (${c.role === 'direct-identifier' ? 'direct identifier' : c.kind})`);
  const more = schema.columns.length > shown.length ? ` and ${schema.columns.length - shown.length} more` : '';
  throw new UsageError(`Expected at least one modelled column for ${model} (not a direct identifier, identifier or text) but received none: the schema has ${schema.columns.length === 0 ? 'no columns' : `${shown.join(', ')}${more}`}`);
}

/**
 * Columns of a plan whose edges need DP quantiles: the Gaussian histogram releases a DP training charges for them.
 * @example quantileColumnCount(planDiscretisation(schema)) // 61 on the SCD cohort
 */
export function quantileColumnCount(plan: readonly ColumnPlan[]): number {
  return plan.filter((p) => p.needs === 'quantiles').length;
}

/** Rank (0-based) of the exact p-quantile of n values: the ceil(p·n)-th smallest. */
function quantileRank(n: number, p: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
}

function numericEdges(c: ColumnSchema, values: Float64Array, bins: number, privacy: DiscretisationPrivacy, tails: boolean): { edges: number[]; source: DiscreteColumnEncoder['source']; min?: number; max?: number } {
  const lo = boundNumber(c, c.min), hi = boundNumber(c, c.max);
  const levels = quantileLevels(bins, tails);
  const finite = presentValues(values);
  let qs: number[];
  let source: DiscreteColumnEncoder['source'];
  const exact = privacy.histogramSigma === null;
  if (exact) {
    qs = finite.length === 0 ? [] : orderStatistics(finite, levels.map((p) => quantileRank(finite.length, p)));
    if (finite.length === 0) qs = [lo ?? 0, hi ?? (lo ?? 0) + 1];
    source = 'exact-quantiles';
  } else {
    if (!privacy.rng) throw new UsageError('Expected a CryptoRandom for the DP histograms of the discretiser but received none');
    const spec = histogramSpec(c, lo, hi, privacy.histogramBins ?? DEFAULT_HISTOGRAM_BINS);
    const rng = privacy.rng, sigma = privacy.histogramSigma as number;
    qs = edgesFromHistogram(spec, histogramCounts(spec, finite).map((v) => v + rng.gaussian(0, sigma)), levels);
    source = 'dp-quantiles';
  }
  qs.sort((a, b) => a - b);
  if (c.kind === 'integer' && exact) {
    // Non-private counts with few distinct values (crises, admissions) get one code per observed
    // value: quantile edges of such tied data collapse to a few wide codes ({1, 2} as one code of
    // acs_count put half its ones at two), which blurred every rate ratio read from them.
    const distinct = distinctInBounds(finite, lo, hi, MAX_INTEGER_LEVELS + 1);
    if (distinct.length > 0 && distinct.length <= MAX_INTEGER_LEVELS) qs = distinct;
    // Without a declared maximum the last edge gets an interval of its own (quantileEdges): make
    // it the largest observed value, so the rows above the top quantile keep their range instead
    // of all decoding to that quantile.
    else if (hi === undefined && finite.length > 0) qs.push(orderStatistics(finite, [finite.length - 1])[0]);
  }
  return { edges: quantileEdges(c, qs, exact ? tiedQuantiles(qs) : [], exact && c.kind === 'integer'), source, min: lo, max: hi };
}

/** Up to `limit` distinct whole values inside the bounds, ascending (stops once it has `limit`). */
function distinctInBounds(values: Float64Array, lo: number | undefined, hi: number | undefined, limit: number): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < values.length && seen.size < limit; i++) {
    const v = values[i];
    if (Number.isInteger(v) && (lo === undefined || v >= lo) && (hi === undefined || v <= hi)) seen.add(v);
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * A numeric column's bin edges from its (sorted) quantiles: the schema bounds as outer edges,
 * integers rounded up (the last bin holds the maximum), repeats dropped, and point bins at the
 * bounds and at `ties` (continuous columns). `topIsValue`: the last of `qs` is a value of the data
 * (a non-private integer column's largest observed value), not a quantile.
 * @example quantileEdges(column, [5.2, 9.9, 14.1], [])
 */
export function quantileEdges(c: ColumnSchema, qs: readonly number[], ties: readonly number[], topIsValue = false): number[] {
  const lo = boundNumber(c, c.min), hi = boundNumber(c, c.max);
  const integer = c.kind === 'integer' || c.kind === 'datetime';
  let edges = [...(lo !== undefined ? [lo] : []), ...qs.filter((q) => Number.isFinite(q) && (lo === undefined || q > lo) && (hi === undefined || q < hi)), ...(hi !== undefined ? [hi] : [])];
  if (integer) {
    edges = edges.map((e) => Math.ceil(e));
    // The last interval holds the maximum itself: [e_last-1, max + 1) under a declared maximum or
    // a top quantile (DP). A last edge that is a value of the data (`topIsValue`), and a lone
    // edge (a constant column), get an interval of their own: [e, e + 1).
    const top = (hi ?? edges[edges.length - 1]) + 1;
    if (edges.length > 1 && (hi !== undefined || !topIsValue)) edges[edges.length - 1] = top;
    else if (edges.length > 0) edges.push(top);
  }
  edges = edges.filter((e, i) => i === 0 || e > edges[i - 1]);
  // One value (a constant continuous column): the point bin [v, v], then [v, v + 1).
  if (edges.length < 2) { const v = edges[0] ?? 0; edges = integer ? [v, v + 1] : [v, v, v + 1]; }
  return integer ? edges : withPointBins(edges, lo, hi, ties);
}

/** Quantile values that occur more than once (point masses of exact quantiles). */
function tiedQuantiles(sortedQs: readonly number[]): number[] {
  return sortedQs.filter((q, i) => i > 0 && q === sortedQs[i - 1] && (i < 2 || q !== sortedQs[i - 2]));
}

/**
 * Zero-width "point" bins [v, v] for continuous columns: at the declared bounds (public: clinical
 * values often pile up at a bound, e.g. HbA 0% in HbSS) and, for exact quantiles, at repeated
 * quantiles (a point mass of at least one bin's share). A point bin is an edge repeated twice;
 * it holds exactly the value v (see {@link binOf}) and decodes to v, so a point mass is kept
 * instead of being smeared over its neighbouring interval.
 */
export function withPointBins(edges: number[], lo: number | undefined, hi: number | undefined, ties: readonly number[]): number[] {
  const out: number[] = [];
  const points = new Set(ties.filter((t) => t > edges[0] && t < edges[edges.length - 1]));
  if (lo !== undefined && edges[0] === lo && edges[1] > lo) points.add(lo);
  for (let i = 0; i < edges.length; i++) {
    out.push(edges[i]);
    if (points.has(edges[i]) && i < edges.length - 1) out.push(edges[i]);
  }
  if (hi !== undefined && edges[edges.length - 1] === hi && edges[edges.length - 2] < hi) out.push(hi);
  return out;
}

/**
 * Fits the discretiser of every modelled column. Call it only after the ledger was charged for
 * the histograms {@link planDiscretisation} asked for (or with `histogramSigma: null` for an
 * explicitly non-private run).
 * @example fitDiscretisation(table, schema, { histogramSigma: 38, rng })
 */
export function fitDiscretisation(table: Table, schema: TableSchema, privacy: DiscretisationPrivacy, opts: DiscretisationOptions = {}): DiscreteColumnEncoder[] {
  const bins = opts.bins ?? DEFAULT_NUMERIC_BINS;
  return planDiscretisation(schema, opts).map(({ column: c, needs }) => {
    const nullable = c.nullable !== false;
    const output = outputType(c);
    const base = { column: c.name, kind: c.kind, output, nullable };
    if (c.kind === 'boolean') {
      return { ...base, levels: 'categories', categories: ['false', 'true'], integer: false, size: 2 + (nullable ? 1 : 0), source: 'schema' };
    }
    if (c.kind === 'categorical' || c.kind === 'ordinal') {
      let categories = c.categories ?? [];
      let source: DiscreteColumnEncoder['source'] = 'schema';
      if (needs === 'categories') {
        if (privacy.histogramSigma !== null) {
          throw new UsageError(`Expected categories in the schema for column "${c.name}" (a DP generator may not read them from the data) but received none; declare them or run dpDiscoverCategories first`);
        }
        categories = [...new Set(readLabels(table, c.name).filter((v): v is string => v !== null))].sort();
        source = 'data';
      }
      return { ...base, levels: 'categories', categories: [...categories], integer: false, size: categories.length + (nullable ? 1 : 0), source };
    }
    const lo = boundNumber(c, c.min), hi = boundNumber(c, c.max);
    // A count column of a non-private run with the data at hand takes the exact path below (one
    // code per observed value when few); otherwise its public geometric edges.
    const exactCounts = isCountColumn(c) && privacy.histogramSigma === null && Boolean(table.getChild(c.name)) && table.numRows > 0;
    if (needs === 'none' && !exactCounts && !(c.kind === 'integer' && (hi as number) - (lo as number) + 1 <= MAX_INTEGER_LEVELS)) {
      const integer = c.kind !== 'continuous';
      const edges = isCountColumn(c) ? countEdges(hi as number, bins) : equalWidthEdges(lo as number, hi as number, bins, integer);
      return { ...base, levels: 'bins', edges, integer, min: lo, max: hi, size: edges.length - 1 + (nullable ? 1 : 0), source: 'schema' };
    }
    if (needs === 'none' && !exactCounts) {
      const edges: number[] = [];
      for (let v = lo as number; v <= (hi as number) + 1; v++) edges.push(v);
      return { ...base, levels: 'bins', edges, integer: true, min: lo, max: hi, size: edges.length - 1 + (nullable ? 1 : 0), source: 'schema' };
    }
    const fitted = numericEdges(c, readNumbers(table, c.name), bins, privacy, opts.tails ?? true);
    return { ...base, levels: 'bins', edges: fitted.edges, integer: c.kind !== 'continuous', min: fitted.min, max: fitted.max, size: fitted.edges.length - 1 + (nullable ? 1 : 0), source: fitted.source };
  }) as DiscreteColumnEncoder[];
}

/** Number of non-missing levels of an encoder. */
export function levelCount(e: DiscreteColumnEncoder): number {
  return e.size - (e.nullable ? 1 : 0);
}

/** The missing code of an encoder, or -1 when the column is not nullable. */
export function missingCode(e: DiscreteColumnEncoder): number {
  return e.nullable ? e.size - 1 : -1;
}

/**
 * Bin of a value: the b with edges[b] <= v < edges[b+1], clamped to the first and last bins; a
 * point bin (edges[b] === edges[b+1] === v) takes exactly v.
 */
export function binOf(edges: readonly number[], v: number): number {
  const last = edges.length - 2;
  if (v < edges[1]) return 0;
  if (v >= edges[last]) return v === edges[last] && last > 0 && edges[last - 1] === v && edges[last + 1] !== v ? last - 1 : last;
  let lo = 1, hi = last;
  while (lo < hi) {
    const m = (lo + hi + 1) >> 1;
    if (edges[m] <= v) lo = m; else hi = m - 1;
  }
  return v === edges[lo] && edges[lo - 1] === v ? lo - 1 : lo;
}

/**
 * Encodes one column of a table to codes.
 * @example encodeColumn(table, encoder) // Int32Array of codes in [0, encoder.size)
 */
export function encodeColumn(table: Table, e: DiscreteColumnEncoder): Int32Array {
  const miss = missingCode(e);
  const notNullable = (row: number) => new InputError({ row: row + 1, column: e.column }, 'a value (the schema declares the column not nullable)', 'a missing value');
  if (e.levels === 'categories') {
    const codes = readCategoryCodes(table, e.column, e.categories as string[]);
    for (let i = 0; i < codes.length; i++) if (codes[i] < 0) { if (miss < 0) throw notNullable(i); codes[i] = miss; }
    return codes;
  }
  const values = readNumbers(table, e.column);
  const edges = e.edges as number[];
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) { if (miss < 0) throw notNullable(i); codes[i] = miss; }
    else if (!Number.isFinite(v)) throw new InputError({ row: i + 1, column: e.column }, 'a finite number (or a missing value)', String(v));
    else codes[i] = binOf(edges, v);
  }
  return codes;
}

/**
 * Code counts of every column (the missing code included), from the encoded codes.
 * @example codeCounts(encoders, codes)[0] // [312, 640, ..., 95]
 */
export function codeCounts(encoders: readonly DiscreteColumnEncoder[], codes: readonly Int32Array[]): number[][] {
  return encoders.map((e, j) => {
    const c = new Array<number>(e.size).fill(0);
    for (const k of codes[j]) c[k]++;
    return c;
  });
}

/** Encodes every column: codes column by column, in encoder order. */
export function encodeTable(table: Table, encoders: readonly DiscreteColumnEncoder[]): Int32Array[] {
  return encoders.map((e) => encodeColumn(table, e));
}
