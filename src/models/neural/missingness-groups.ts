/**
 * Missing rates of the neural generators under differential privacy, measured per missingness
 * group rather than per column.
 *
 * Why groups. Releasing every column's missing count with the Gaussian mechanism costs noise of
 * scale √(m / 2ρ) per count for m columns: on the 280-column SCD cohort at ε = 3 that is hundreds
 * of counts on 1,500 rows, useless. But columns measured by one assay or sub-study (a SNP panel,
 * a metabolomics run) are missing together: the missing rate is a property of the source, not of
 * the column. The schema says where every column comes from (`source`, public metadata written
 * by the data owner), so nullable columns are grouped by source, and one number per group is
 * released: Σ_rows (fraction of the group's columns missing in the row), whose sensitivity is 1
 * whatever the group's size (adding or removing one row changes it by at most 1). A column
 * without a declared source is its own group. Every column of a group then gets the group's rate
 * as the target of its missing code (output-calibration.ts). The assumption "missing at the same
 * rate within a source" is the price of a usable estimate; without DP the exact per-column rates
 * are used instead.
 *
 * Constraint conditions. A schema constraint "x is null when <condition>" forces x to missing
 * wherever the condition holds in the synthetic rows, so x's final missing rate depends on the
 * distribution of the condition's columns (age, transfusion status) as much as on x's own
 * missing code. Those few columns (public: read from the schema's constraints) therefore get a
 * full noisy code histogram each (sensitivity 1 per histogram), released with the same σ as the
 * group rates, and are calibrated to it.
 *
 * Every release is a sum over rows, so the federated TVAE and CTGAN measure the same statistics
 * across sites by secure aggregation: {@link dpMarginalSums} at each site, the noisy sum read with
 * {@link dpMarginalsFromSums} (src/federated/tasks/federated-missingness.ts).
 */
import type { TableSchema } from '../../data/schema';
import { applicableConstraints, constraintColumns } from '../constraints';
import { UsageError } from '../../errors';
import type { CryptoRandom } from '../../dp/noise';
import { isCountColumn, missingCode, type DiscreteColumnEncoder } from '../../transform/discretiser';

/** Nullable columns (encoder indices) that share a missing rate. */
export interface MissingnessGroup {
  /** The schema `source` of the group's columns, or `column:<name>` for an ungrouped column. */
  key: string;
  columns: number[];
}

/**
 * Groups the nullable encoders by their schema source (public metadata; reads no data).
 * @example missingnessGroups(encoders, schema).length // 42 groups for the 280 SCD columns
 */
export function missingnessGroups(encoders: readonly DiscreteColumnEncoder[], schema: TableSchema): MissingnessGroup[] {
  const source = new Map(schema.columns.map((c) => [c.name, c.source]));
  const groups = new Map<string, number[]>();
  encoders.forEach((e, j) => {
    if (!e.nullable) return;
    const s = source.get(e.column);
    const key = typeof s === 'string' && s.trim() !== '' ? s : `column:${e.column}`;
    const list = groups.get(key);
    if (list) list.push(j); else groups.set(key, [j]);
  });
  return [...groups].map(([key, columns]) => ({ key, columns }));
}

/**
 * The number of groups a plan will release, from the schema alone (before the data is read):
 * nullable modelled columns grouped by source.
 * @example missingnessGroupCount(schema, plan.map((p) => p.column.name))
 */
export function missingnessGroupCount(schema: TableSchema, modelled: readonly string[]): number {
  const keep = new Set(modelled);
  const keys = new Set<string>();
  for (const c of schema.columns) {
    if (!keep.has(c.name) || c.nullable === false) continue;
    keys.add(typeof c.source === 'string' && c.source.trim() !== '' ? c.source : `column:${c.name}`);
  }
  return keys.size;
}

/**
 * The exact statistic behind each group's missing rate: Σ_rows (fraction of the group's columns
 * missing in the row), sensitivity 1 under add/remove of a row. Additive over row subsets, so the
 * federated generators sum it across sites (src/federated/tasks/federated-missingness.ts).
 * @example groupMissingSums(groups, codes, encoders)[0] // 312.5
 */
export function groupMissingSums(groups: readonly MissingnessGroup[], codes: readonly Int32Array[], encoders: readonly DiscreteColumnEncoder[]): Float64Array {
  return Float64Array.from(groups, (g) => {
    let sum = 0;
    for (const j of g.columns) {
      const miss = missingCode(encoders[j]);
      let k = 0;
      for (const c of codes[j]) if (c === miss) k++;
      sum += k / g.columns.length;
    }
    return sum;
  });
}

/**
 * A group's missing rate from its (noisy) Σ-fraction sum over n rows, kept at least one noise SD
 * (σ/n) inside [0, 1]. A noisy sum beyond a bound said the rate is near it, not at it: clamped to
 * 1, a column missing in 93% of the rows (stroke age) came out missing in all of them, at ε = 3
 * with σ = 36 counts on 1,500 rows (the sum was 2.7 σ high), and a column clamped to 0 would lose
 * its missingness altogether.
 */
export function missingRateOf(sum: number, n: number, sigma = 0): number {
  const margin = Math.min(0.5, Math.max(0, sigma) / n);
  return Math.max(margin, Math.min(1 - margin, sum / n));
}

/**
 * Calibration targets that move only the missing codes: the missing code of each grouped column
 * gets its group's rate, the value codes keep the network's proportions scaled to the rest.
 * Columns outside every group (not nullable) keep the network's marginal; columns in `full`
 * (constraint-condition and count columns) get their whole histogram.
 * @example missingOnlyTargets(encoders, groups, rates, networkMarginals)
 */
export function missingOnlyTargets(encoders: readonly DiscreteColumnEncoder[], groups: readonly MissingnessGroup[], rates: Float64Array, network: readonly Float64Array[], full?: ReadonlyMap<number, Float64Array>): Float64Array[] {
  const rateOf = new Map<number, number>();
  groups.forEach((g, i) => g.columns.forEach((j) => rateOf.set(j, rates[i])));
  return encoders.map((e, j) => {
    const whole = full?.get(j);
    if (whole) return Float64Array.from(whole);
    const p = Float64Array.from(network[j]);
    const r = rateOf.get(j);
    if (r === undefined) return p;
    const miss = e.size - 1;
    const values = 1 - p[miss];
    for (let k = 0; k < miss; k++) p[k] = values > 0 ? (p[k] / values) * (1 - r) : (1 - r) / miss;
    p[miss] = r;
    return p;
  });
}

/**
 * Modelled columns that a "null when" constraint's condition reads (from the schema alone).
 * @example constraintConditionColumns(schema, modelled) // ['age_years', 'chronic_transfusion']
 */
export function constraintConditionColumns(schema: TableSchema, modelled: readonly string[]): string[] {
  const keep = new Set(modelled);
  const out = new Set<string>();
  for (const c of applicableConstraints(schema, modelled)) {
    if (c.type !== 'null-when') continue;
    for (const name of constraintColumns(c)) if (name !== c.column && keep.has(name)) out.add(name);
  }
  return [...out].sort();
}

/**
 * Noisy cells of a count column's histogram under this many σ are taken as empty, as MST merges
 * 1-way cells under 3σ: a count's upper codes are wide and nearly empty, and clamping their noise
 * at 0 alone left about 5% of the mass there (σ = 35 on 1,500 rows), decoded at tens of crises.
 */
export const COUNT_HISTOGRAM_FLOOR_SIGMAS = 2;

/** Noisy counts under this are set to 0: {@link COUNT_HISTOGRAM_FLOOR_SIGMAS}·σ for count columns, else 0. */
function noiseFloor(e: DiscreteColumnEncoder, sigma: number): number {
  return isCountColumn(e) ? COUNT_HISTOGRAM_FLOOR_SIGMAS * sigma : 0;
}

/** (Noisy) code counts with those under `floor` set to 0, normalised (uniform when nothing is left), in place. */
function frequenciesOf(c: Float64Array, floor: number): Float64Array {
  let sum = 0;
  for (let k = 0; k < c.length; k++) { c[k] = c[k] < floor ? 0 : Math.max(0, c[k]); sum += c[k]; }
  for (let k = 0; k < c.length; k++) c[k] = sum > 0 ? c[k] / sum : 1 / c.length;
  return c;
}

/** What a DP neural training releases for calibration, known from the schema alone. */
export interface DpMarginalPlan {
  /**
   * Sensitivity-1 Gaussian releases: one per missingness group, one histogram per condition
   * column, and the row count the rates are divided by (the exact count is private under
   * add/remove neighbours); 0 when there is nothing to calibrate.
   */
  releases: number;
  groups: number;
  conditionColumns: string[];
}

/**
 * The calibration releases of a DP training, before the data is read.
 * @example planDpMarginals(schema, plan.map((p) => p.column.name)).releases
 */
export function planDpMarginals(schema: TableSchema, modelled: readonly string[]): DpMarginalPlan {
  const groups = missingnessGroupCount(schema, modelled);
  const conditionColumns = histogramColumns(schema, modelled);
  const measured = groups + conditionColumns.length;
  return { releases: measured > 0 ? measured + 1 : 0, groups, conditionColumns };
}

/**
 * Modelled columns whose whole code histogram a DP calibration releases: the constraint-condition
 * columns and the count columns ({@link isCountColumn}). A DP-trained network spreads a count's
 * codes over its geometric bins (TVAE, ε = 3: voc_12m mean 10–15 crises a year against 1), so its
 * histogram, zero first, is worth one sensitivity-1 release.
 * @example histogramColumns(schema, modelled) // ['acs_count', 'age_years', 'chronic_transfusion', 'voc_12m']
 */
export function histogramColumns(schema: TableSchema, modelled: readonly string[]): string[] {
  const keep = new Set(modelled);
  const counts = schema.columns.filter((c) => keep.has(c.name) && isCountColumn(c)).map((c) => c.name);
  return [...new Set([...constraintConditionColumns(schema, modelled), ...counts])].sort();
}

/** The released (noisy) marginals a DP calibration targets. */
export interface DpMarginals {
  groups: MissingnessGroup[];
  rates: Float64Array;
  /** Whole noisy histograms of the constraint-condition and count columns, by encoder index. */
  full: Map<number, Float64Array>;
}

/**
 * Measures the planned releases (call only after the ledger was charged for `plan.releases`
 * Gaussian releases of σ = noise.sigma): the statistics of {@link dpMarginalSums} and the row
 * count, each with Gaussian noise, read as a federation reads its sum ({@link dpMarginalsFromSums}).
 * @example measureDpMarginals(plan, encoders, schema, codes, n, { sigma, rng })
 */
export function measureDpMarginals(plan: DpMarginalPlan, encoders: readonly DiscreteColumnEncoder[], schema: TableSchema, codes: readonly Int32Array[], n: number, noise: { sigma: number; rng: CryptoRandom }): DpMarginals {
  const layout = dpMarginalLayout(plan, encoders, schema);
  const sums = dpMarginalSums(layout, encoders, codes);
  for (let k = 0; k < sums.length; k++) sums[k] += noise.rng.gaussian(0, noise.sigma);
  return dpMarginalsFromSums(layout, encoders, sums, n + noise.rng.gaussian(0, noise.sigma), noise.sigma);
}

/** Where a plan's releases come from, by encoder index (public: from the schema and the encoders). */
export interface DpMarginalLayout {
  groups: MissingnessGroup[];
  /** Encoder indices of the constraint-condition and count columns, in the plan's order. */
  condition: number[];
}

/**
 * The groups and condition columns of a plan over fitted encoders, checked against what was charged.
 * @example dpMarginalLayout(plan, encoders, schema).groups.length === plan.groups
 */
export function dpMarginalLayout(plan: DpMarginalPlan, encoders: readonly DiscreteColumnEncoder[], schema: TableSchema): DpMarginalLayout {
  const groups = missingnessGroups(encoders, schema);
  const condition = plan.conditionColumns.map((name) => encoders.findIndex((e) => e.column === name));
  if (groups.length !== plan.groups || condition.some((j) => j < 0)) throw new UsageError(`Expected ${plan.groups} missingness groups and condition columns ${plan.conditionColumns.join(', ')} (charged) but found ${groups.length} groups`);
  return { groups, condition };
}

/**
 * Length of the vector of {@link dpMarginalSums}: one sum per group, then every code of every
 * condition column.
 * @example dpMarginalSumsLength(layout, encoders) // 3 groups + 7 codes = 10
 */
export function dpMarginalSumsLength(layout: DpMarginalLayout, encoders: readonly DiscreteColumnEncoder[]): number {
  return layout.groups.length + layout.condition.reduce((s, j) => s + encoders[j].size, 0);
}

/**
 * The exact, additive statistics behind a plan's releases, concatenated: each group's Σ-fraction
 * sum ({@link groupMissingSums}), then each condition column's code counts. Each part has
 * sensitivity 1 (one Gaussian release each, as {@link measureDpMarginals} charges); a federation
 * sums the vector across sites with distributed noise and reads it with {@link dpMarginalsFromSums}.
 * @example dpMarginalSums(layout, encoders, codes)
 */
export function dpMarginalSums(layout: DpMarginalLayout, encoders: readonly DiscreteColumnEncoder[], codes: readonly Int32Array[]): Float64Array {
  const out = new Float64Array(dpMarginalSumsLength(layout, encoders));
  out.set(groupMissingSums(layout.groups, codes, encoders));
  let at = layout.groups.length;
  for (const j of layout.condition) {
    for (const k of codes[j]) out[at + k]++;
    at += encoders[j].size;
  }
  return out;
}

/**
 * The released marginals from (noisy) sums laid out as {@link dpMarginalSums} and a (noisy) row
 * count: rates clamped to [0, 1], histograms clamped at 0 (count columns: floored at 2σ, σ the
 * noise of the sums) and normalised (post-processing).
 * @example dpMarginalsFromSums(layout, encoders, noisySums, 2987.4, 35)
 */
export function dpMarginalsFromSums(layout: DpMarginalLayout, encoders: readonly DiscreteColumnEncoder[], sums: ArrayLike<number>, n: number, sigma: number): DpMarginals {
  const length = dpMarginalSumsLength(layout, encoders);
  if (sums.length !== length) throw new UsageError(`Expected ${length} summed missingness and condition-column counts but received ${sums.length}`);
  const rows = Math.max(1, n);
  const rates = Float64Array.from(layout.groups, (_, i) => missingRateOf(sums[i], rows, sigma));
  const full = new Map<number, Float64Array>();
  let at = layout.groups.length;
  for (const j of layout.condition) {
    const size = encoders[j].size;
    full.set(j, frequenciesOf(Float64Array.from({ length: size }, (_, k) => sums[at + k]), noiseFloor(encoders[j], sigma)));
    at += size;
  }
  return { groups: layout.groups, rates, full };
}

/**
 * Calibration targets from released marginals: missing rates by group, whole histograms for the
 * condition columns, the network's value proportions elsewhere.
 * @example dpMarginalTargets(encoders, measured, networkMarginals)
 */
export function dpMarginalTargets(encoders: readonly DiscreteColumnEncoder[], m: DpMarginals, network: readonly Float64Array[]): Float64Array[] {
  return missingOnlyTargets(encoders, m.groups, m.rates, network, m.full);
}
