/**
 * Longitudinal visits generated conditionally on the patient row: a per-visit conditional model.
 *
 * Choice (issue 5 asks for a sequence model or a per-visit conditional model): each synthetic
 * patient gets a number of visits from a Poisson rate per year of follow-up, and each visit's
 * laboratory value is the patient row's value of the same column plus a stationary AR(1)
 * deviation, z₁ ~ N(0, 1), z_t = ρ z_{t−1} + √(1−ρ²) ε_t, value = anchor + s·z_t (a random-intercept
 * model whose intercept is the patient row, with serially correlated residuals; Diggle et al.,
 * "Analysis of Longitudinal Data", ch. 5). Why not a sequence network: a cohort of 1,500 patients
 * has a few visits each, and a patient's visits vary around the patient's own level; the
 * patient row already carries that level (and everything it depends on), so the visits need only
 * their spread s, their serial correlation ρ and their missing rate per lab: three numbers each,
 * which DP can measure with little noise where a network's weights could not be.
 *
 * Privacy unit: the patient with all their visits. Under DP each patient's statistics are
 * clipped (visits per year of follow-up at VISIT_RATE_CAP; mean squared and mean lagged
 * deviations at C², C = DEVIATION_CLIP_FRACTION of the lab's schema range), every sum is released
 * once with the Gaussian mechanism at sensitivity 1 after dividing by its clip (the two the
 * visit rate is read from at sensitivity RATE_WEIGHT, so with less noise), and so is the
 * histogram of visits per patient (a patient is in one cell); the releases are counted by the
 * training's planner before the patient generator calibrates the rest, and recorded in the
 * patients' ledger with the generator's first charge (planVisitFit), so that a training the
 * generator refuses charges nothing.
 */
import { Float64, Table, Utf8, type Vector, vectorFromArray } from 'apache-arrow';
import type { TableSchema } from '../data/schema';
import type { CryptoRandom } from '../dp/noise';
import { InputError, UsageError } from '../errors';
import type { PrivacyPlanner } from '../models/privacy-plan';
import { readLabels, readNumbers } from '../transform/column-values';
import { samplingSeed } from '../models/sampling-random';
import { SeededRandom } from '../scd/random';

/** A fitted visits model (JSON in the model manifest). */
export interface VisitModelSpec {
  format: 'hemasynth-visits';
  version: 1;
  /** Column of the patient row read for the number of visits (years of follow-up). */
  followupColumn: string;
  /**
   * Visits per year of follow-up in the training data: Σ visits / Σ years without DP; under DP
   * the released mean rate (`meanRate`). Files without `meanRate` sample at this rate.
   */
  perYear: number;
  /**
   * The mean over patients of min(visits / max(follow-up, 0.5 y), VISIT_RATE_CAP): what DP can
   * release with sensitivity 1, measured exactly without DP. Sampling draws each patient's visits
   * from Poisson(λ · follow-up) clamped to [minVisits, maxVisits], with λ chosen so that the
   * synthetic patients' expected mean rate is this one (visitRateFor).
   */
  meanRate?: number;
  /** Fewest and most visits per patient. */
  minVisits: number;
  maxVisits: number;
  /** Per-visit laboratory columns, each anchored on the patient column of the same name. */
  labs: Array<{ column: string; spread: number; autocorrelation: number; missingRate: number; min: number; max: number; decimals: number }>;
  /** Visit columns copied from the patient row (e.g. the site). */
  copied: string[];
  /** The visit counter column (1 = first visit), if the visits table has one. */
  numberColumn: string | null;
}

/** Options of {@link fitVisitModel}. */
export interface FitVisitOptions {
  patients: Table;
  patientsSchema: TableSchema;
  visits: Table;
  visitsSchema: TableSchema;
  /** Column linking visits to patients (default `patient_id`). */
  key?: string;
  /** Share of the training's ε for the visits (default 0.1); null planner = non-private. */
  privacy: PrivacyPlanner | null;
  share?: number;
  noise: CryptoRandom;
  /** Column of the patient row with the years of follow-up (default `followup_years`). */
  followupColumn?: string;
}

/** Default share of a DP training's ε spent on the visits model. */
export const VISITS_SHARE = 0.1;
/** DP clip of a patient's lab deviations, as a fraction of the lab's schema range (see fitVisitModel). */
export const DEVIATION_CLIP_FRACTION = 1 / 20;
/**
 * DP clip of a patient's visits per year of follow-up (public). The sampler matches the clipped
 * mean rate itself (visitRateFor), so the clip biases nothing, and its noise is this times σ over
 * the patients: 6 (was 12) halves it while clipping only rates above 6 a year.
 */
export const VISIT_RATE_CAP = 6;
/** Follow-up below this counts as this long when a rate is taken (a visit in the first weeks). */
const MIN_FOLLOWUP_YEARS = 0.5;
/**
 * Cells of the DP histogram of visits per patient: 1, 2, ..., VISIT_COUNT_CELLS − 1 visits and
 * "that many or more". Under DP the most visits per patient is read off it (dpMostVisits).
 */
export const VISIT_COUNT_CELLS = 48;
/** A histogram cell counts as occupied under DP when its noisy count reaches this many σ. */
const OCCUPIED_SIGMAS = 4;

/** The follow-up a rate is taken over: at least MIN_FOLLOWUP_YEARS (`followup` NaN when missing). */
function rateYears(followup: number): number {
  return Number.isFinite(followup) ? Math.max(followup, MIN_FOLLOWUP_YEARS) : MIN_FOLLOWUP_YEARS;
}

/** A patient's clipped visit rate, as visitSums measures it. */
function clippedRate(visits: number, followup: number): number {
  return Math.min(visits / rateYears(followup), VISIT_RATE_CAP);
}

/**
 * Weight of the two sums the visit rate is read from (patients with visits, Σ clipped rates)
 * under DP: each is released at sensitivity RATE_WEIGHT instead of 1 and divided back, so its
 * noise is 1/RATE_WEIGHT of the others' while the release counts RATE_WEIGHT² sensitivity-1
 * units in the charge. Why: with equal weights the mean rate carried σ·6/N of noise (0.31 visits
 * a year at ε = 3 on 1,500 patients, 18% of the real 1.72), the largest error of the visits
 * model; weight 3 gives it 0.41 of that noise for 22% more noise on the labs' sums and the
 * histogram (49 units instead of 33). Measured over 15 fits at ε = 3 (cohorts 7, 21, 5 × 5 noise
 * seeds, synthetic visits per year of follow-up): SD 0.14 (1.62–2.04, mean 1.79) against 0.29
 * (1.35–2.39, mean 1.76) with weight 1; the labs' mean absolute errors against the non-private
 * fit: serial correlation 0.26 against 0.24, spread 15% against 13%, missing rate 0.038 against
 * 0.033.
 */
export const RATE_WEIGHT = 3;

/**
 * Where a visits fit's numbers sit: the releases (sensitivity-1 units the charge counts: the
 * two rate sums RATE_WEIGHT² each, 5 per lab, 1 for the histogram), the sums vector's length,
 * and where its histogram of visits per patient starts (after 2 sums and 5 per lab).
 * @example visitVectorShape(6) // { releases: 49, vectorLength: 80, histogramAt: 32 }
 */
export function visitVectorShape(labs: number): { releases: number; vectorLength: number; histogramAt: number } {
  const histogramAt = 2 + 5 * labs;
  return { releases: 2 * RATE_WEIGHT ** 2 + 5 * labs + 1, vectorLength: histogramAt + VISIT_COUNT_CELLS, histogramAt };
}

/**
 * The rate λ (visits per year) at which patients with these follow-ups, drawing
 * clamp(Poisson(λ · follow-up), minVisits, maxVisits) visits, have the expected mean clipped rate
 * `meanRate` (bisection: the expectation grows with λ).
 *
 * Why not sample at Σ visits / Σ years, or at the mean rate itself: neither is the λ of the
 * clamped draws. The clamp adds visits to short follow-ups and removes them from long ones, and
 * under DP only the mean of per-patient rates can be released with sensitivity 1, which the short
 * follow-ups (a rate of 2 visits over half a year is 4) lift above λ. Measured on the bench
 * cohort (seed 7, visits Poisson(2 per year) clamped to [2, 12]): sampled at Σ visits / Σ years
 * the synthetic cohort had 10,256 visits against 11,890 real; at the DP mean rate (ε = 3) 12,443.
 * Follow-ups are grouped at 0.01 years, so the cost does not grow with the rows.
 * @example visitRateFor(spec, Float64Array.of(1, 5, 10)) // λ for three patients
 */
export function visitRateFor(spec: Pick<VisitModelSpec, 'meanRate' | 'perYear' | 'minVisits' | 'maxVisits'>, followups: Float64Array): number {
  const target = spec.meanRate;
  if (target === undefined) return spec.perYear;
  const groups = new Map<number, number>();
  for (const f of followups) {
    const key = Number.isFinite(f) && f > 0 ? Math.round(f * 100) / 100 : 0;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  if (groups.size === 0) return spec.perYear;
  const expected = (lambda: number) => {
    let total = 0, rows = 0;
    for (const [fu, count] of groups) {
      const mu = lambda * fu;
      const last = Math.min(spec.maxVisits, Math.ceil(mu + 10 * Math.sqrt(mu) + 10));
      const logMu = Math.log(mu);
      let logP = -mu, cdf = 0, e = 0;
      for (let k = 0; k < last; k++) {
        if (k > 0) logP += logMu - Math.log(k);
        const p = Math.exp(logP);
        cdf += p;
        e += p * clippedRate(Math.max(spec.minVisits, k), fu);
      }
      e += Math.max(0, 1 - cdf) * clippedRate(Math.max(spec.minVisits, last), fu);
      total += count * e;
      rows += count;
    }
    return total / rows;
  };
  let lo = 0, hi = 10 * VISIT_RATE_CAP;
  if (expected(lo) >= target) return lo;
  if (expected(hi) <= target) return hi;
  for (let it = 0; it < 40; it++) {
    const mid = (lo + hi) / 2;
    if (expected(mid) < target) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Decimals that round a schema column like the data (from its values: at most 3). */
function decimalsOf(values: Float64Array): number {
  for (let d = 0; d <= 3; d++) {
    const f = 10 ** d;
    let ok = true;
    for (let i = 0; i < values.length && ok; i++) if (Number.isFinite(values[i]) && Math.abs(Math.round(values[i] * f) - values[i] * f) > 1e-6) ok = false;
    if (ok) return d;
  }
  return 3;
}

/**
 * What a visits fit measures, from the schemas alone (public): the laboratory columns with their
 * bounds and DP clips, the copied columns, the visit counter and the number of sums released.
 */
export interface VisitLayout {
  key: string;
  followupColumn: string;
  /** Schema maximum of the follow-up (years), the DP stand-in for the most visits. */
  followupMax: number;
  labs: Array<{ column: string; min: number; max: number }>;
  copied: string[];
  numberColumn: string | null;
  /**
   * Gaussian mechanisms of a fit (sensitivity 1 each): patients with visits, Σ visit rate, five
   * per lab, and the histogram of visits per patient (one mechanism: a patient is in one cell).
   */
  releases: number;
  /** Length of the sums vector: the sums, then the histogram's VISIT_COUNT_CELLS cells. */
  vectorLength: number;
}

/**
 * The layout of a visits fit from the two schemas (see {@link VisitLayout}).
 * @example visitLayout(sim.schema, sim.visitsSchema).releases // 33 on the SCD cohort
 */
export function visitLayout(patientsSchema: TableSchema, visitsSchema: TableSchema, opts: { key?: string; followupColumn?: string } = {}): VisitLayout {
  const key = opts.key ?? 'patient_id';
  const followupColumn = opts.followupColumn ?? 'followup_years';
  const pCols = new Map(patientsSchema.columns.map((c) => [c.name, c]));
  const vCols = visitsSchema.columns;
  const followup = pCols.get(followupColumn);
  if (!followup || (followup.kind !== 'continuous' && followup.kind !== 'integer')) throw new UsageError(`Expected a numeric follow-up column "${followupColumn}" (years) in the patients schema, which the number of visits is drawn from, but received ${followup ? `a ${followup.kind} column` : 'none'}`);
  const labCols = vCols.filter((c) => c.kind === 'continuous' && c.name !== key && pCols.get(c.name)?.kind === 'continuous');
  if (labCols.length === 0) throw new UsageError('Expected per-visit continuous columns with a patient column of the same name (the anchor) but found none');
  for (const c of labCols) if (!(typeof c.min === 'number' && typeof c.max === 'number' && c.max > c.min)) throw new UsageError(`Expected schema bounds (min < max) for the visit column "${c.name}" but received ${c.min}, ${c.max}`);
  const shape = visitVectorShape(labCols.length);
  return {
    key, followupColumn, followupMax: typeof followup.max === 'number' ? followup.max : 40,
    labs: labCols.map((c) => ({ column: c.name, min: c.min as number, max: c.max as number })),
    copied: vCols.filter((c) => c.kind === 'categorical' && pCols.get(c.name)?.kind === 'categorical').map((c) => c.name),
    numberColumn: vCols.some((c) => c.name === 'visit_number' && c.kind === 'integer') ? 'visit_number' : null,
    releases: shape.releases, vectorLength: shape.vectorLength,
  };
}

/**
 * DP clip of a lab's per-patient mean squared and mean lagged deviation: C², C a twentieth of the
 * lab's schema range (about 1.5–3.5 within-patient SDs on the SCD labs, so a patient's mean is
 * rarely clipped).
 */
function deviationClip(lab: { min: number; max: number }): number {
  return ((lab.max - lab.min) * DEVIATION_CLIP_FRACTION) ** 2;
}

/** The sums of a visits fit (see {@link visitSums}) and, for a non-private fit, exact extras. */
export interface VisitSums {
  /**
   * In order: patients with visits, Σ visit rate; per lab Σ mean squared deviation, patients with
   * one, Σ mean lagged product, patients with one, Σ missing fraction; then the patients with 1,
   * 2, ... visits (VISIT_COUNT_CELLS cells, the last "or more"). Clipped: each term is clipped and
   * divided by its clip, so that every sum (and the histogram as a whole) has sensitivity 1
   * under add/remove of a patient with all their visits.
   */
  sums: Float64Array;
  /** Exact visits, years of follow-up, fewest and most visits, and each lab's decimals (non-private only). */
  visits: number;
  years: number;
  fewest: number;
  most: number;
  decimals: number[];
}

/**
 * The visit rows of each patient row, after checking that the tables hold the columns the layout
 * reads and that every visit's key is a patient's (an InputError naming the row and column).
 */
function visitsByPatient(layout: VisitLayout, patients: Table, visitsTable: Table): number[][] {
  const { key } = layout;
  const need = (table: Table, name: string, what: string) => {
    if (!table.schema.fields.some((f) => f.name === name)) throw new InputError({ column: name }, `a column "${name}" in the ${what} table`, 'none');
  };
  need(patients, key, 'patients');
  need(visitsTable, key, 'visits');
  need(patients, layout.followupColumn, 'patients');
  for (const lab of layout.labs) {
    need(patients, lab.column, 'patients');
    need(visitsTable, lab.column, 'visits');
  }
  if (layout.numberColumn) need(visitsTable, layout.numberColumn, 'visits');
  const keys = readLabels(patients, key);
  const rowOf = new Map<string, number>();
  keys.forEach((k, i) => { if (k !== null) rowOf.set(k, i); });
  const vKeys = readLabels(visitsTable, key);
  const byPatient: number[][] = Array.from({ length: patients.numRows }, () => []);
  vKeys.forEach((k, r) => {
    const i = k === null ? undefined : rowOf.get(k);
    if (i === undefined) throw new InputError({ row: r + 1, column: key }, 'the key of a patient in the patients table', k === null ? 'a missing value' : JSON.stringify(k));
    byPatient[i].push(r);
  });
  return byPatient;
}

/**
 * Refuses tables a visits fit cannot read (a missing column, a visit whose key is no patient's)
 * before anything is charged: it reads the keys only and releases nothing.
 * @example checkVisitTables(visitLayout(schema, visitsSchema), patients, visits)
 */
export function checkVisitTables(layout: VisitLayout, patients: Table, visitsTable: Table): void {
  visitsByPatient(layout, patients, visitsTable);
}

/**
 * The per-patient sums a visits fit reads from the tables: central training releases them with
 * Gaussian noise, a federation sums them across sites with secure aggregation.
 * @example const { sums } = visitSums(layout, patients, visits, true) // sensitivity 1 each
 */
export function visitSums(layout: VisitLayout, patients: Table, visitsTable: Table, clipped: boolean): VisitSums {
  const byPatient = visitsByPatient(layout, patients, visitsTable);
  const n = patients.numRows;
  const followup = readNumbers(patients, layout.followupColumn);
  const number = layout.numberColumn ? readNumbers(visitsTable, layout.numberColumn) : null;
  if (number) for (const list of byPatient) list.sort((a, b) => number[a] - number[b]);

  const sums = new Float64Array(layout.vectorLength);
  const histogram = visitVectorShape(layout.labs.length).histogramAt;
  let visits = 0, years = 0, fewest = Infinity, most = 0;
  // Under DP the two rate sums carry RATE_WEIGHT (sensitivity RATE_WEIGHT each).
  const weight = clipped ? RATE_WEIGHT : 1;
  for (let i = 0; i < n; i++) {
    const k = byPatient[i].length;
    if (k === 0) continue;
    sums[0] += weight;
    fewest = Math.min(fewest, k);
    most = Math.max(most, k);
    sums[1] += (weight * clippedRate(k, followup[i])) / VISIT_RATE_CAP;
    sums[histogram + Math.min(k, VISIT_COUNT_CELLS) - 1]++;
    visits += k;
    years += rateYears(followup[i]);
  }
  const decimals = layout.labs.map((lab, l) => {
    const anchor = readNumbers(patients, lab.column);
    const value = readNumbers(visitsTable, lab.column);
    const C2 = clipped ? deviationClip(lab) : Infinity;
    const scale = clipped ? C2 : 1;
    const at = 2 + 5 * l;
    for (let i = 0; i < n; i++) {
      const list = byPatient[i];
      if (list.length === 0) continue;
      let m = 0, s2 = 0, c2 = 0, pairs = 0, present = 0, prev = NaN;
      for (const r of list) {
        if (!Number.isFinite(value[r])) { m++; prev = NaN; continue; }
        if (!Number.isFinite(anchor[i])) continue;
        const d = value[r] - anchor[i];
        s2 += d * d;
        present++;
        if (Number.isFinite(prev)) { c2 += d * prev; pairs++; }
        prev = d;
      }
      if (present > 0) { sums[at] += Math.min(s2 / present, C2) / scale; sums[at + 1]++; }
      if (pairs > 0) { sums[at + 2] += Math.max(-C2, Math.min(C2, c2 / pairs)) / scale; sums[at + 3]++; }
      // P(missing | the patient's value is present): a patient without it gets no value anyway.
      if (Number.isFinite(anchor[i])) sums[at + 4] += m / list.length;
    }
    return clipped ? 2 : decimalsOf(value);
  });
  return { sums, visits, years, fewest, most, decimals };
}

/**
 * The visits model from its (noisy) sums: `exact` holds the non-private extras of
 * {@link visitSums}, null under DP (where the sums are clipped and the public bounds stand in).
 * @example const spec = visitModelFromSums(layout, noisySums, null)
 */
export function visitModelFromSums(layout: VisitLayout, sums: ArrayLike<number>, exact: Omit<VisitSums, 'sums'> | null, sigma = 0): VisitModelSpec {
  if (sums.length !== layout.vectorLength) throw new UsageError(`Expected ${layout.vectorLength} visit sums but received ${sums.length}`);
  const dp = exact === null;
  // The mean clipped per-patient rate (exact without DP); non-private also Σ visits / Σ years.
  // The rate sums' weight cancels in the ratio (RATE_WEIGHT under DP, 1 without).
  const visited = Math.max(dp ? RATE_WEIGHT : 1, sums[0]);
  const meanRate = Math.max(0, Math.min(VISIT_RATE_CAP, (sums[1] * VISIT_RATE_CAP) / visited));
  const perYear = dp ? meanRate : exact.visits / Math.max(1e-9, exact.years);
  const labs = layout.labs.map((lab, l) => {
    const at = 2 + 5 * l;
    const scale = dp ? deviationClip(lab) : 1;
    const anchored = Math.max(1, sums[at + 1]);
    const variance = Math.max(0, (sums[at] * scale) / anchored);
    const covariance = (sums[at + 2] * scale) / Math.max(1, sums[at + 3]);
    // Patients with the value and a present visit stand in for those with the value (they
    // differ by the patients whose every visit is missing).
    const missingRate = Math.max(0, Math.min(1, sums[at + 4] / anchored));
    return {
      column: lab.column, spread: Math.sqrt(variance),
      autocorrelation: variance > 0 ? Math.max(-0.99, Math.min(0.99, covariance / variance)) : 0,
      missingRate, min: lab.min, max: lab.max,
      // Rounding: read off the data when non-private; under DP a public 2 decimals.
      decimals: dp ? 2 : exact.decimals[l],
    };
  });
  // The fewest and most visits are data: under DP the public 1 stands in for the fewest, and the
  // most is read off the noisy histogram (dpMostVisits).
  return {
    format: 'hemasynth-visits', version: 1, followupColumn: layout.followupColumn, perYear, meanRate,
    minVisits: dp ? 1 : Number.isFinite(exact.fewest) ? exact.fewest : 1,
    maxVisits: dp ? dpMostVisits(layout, sums, sigma) : Math.max(1, exact.most),
    labs, copied: layout.copied, numberColumn: layout.numberColumn,
  };
}

/**
 * The most visits per patient under DP: the last cell of the noisy histogram whose count reaches
 * OCCUPIED_SIGMAS·σ (a spurious cell at 4σ has odds 1 in 31,000), or the public stand-in (6
 * visits a year over the schema's longest follow-up) when the "or more" cell does or no cell
 * does. Why: the sampler clamps its Poisson draws to it, and the clamp carries a cap on visits
 * that the data has (the simulator's 12, held by a third of its patients); with the public 240
 * the long follow-ups drew unclamped and the synthetic rate came out high. Measured over 15 DP
 * fits at ε = 3 (cohorts 7, 21 and 5): visits per year 1.74 (1.35–2.37) with the most at 12,
 * against 1.92 (1.40–3.01) with 240 (real 1.72). The fewest stays the public 1: the simulator's
 * 2, held by 195 of 1,500 patients, is below 3σ at σ = 77.
 */
function dpMostVisits(layout: VisitLayout, sums: ArrayLike<number>, sigma: number): number {
  const at = visitVectorShape(layout.labs.length).histogramAt;
  const publicMost = Math.ceil(VISIT_RATE_CAP * layout.followupMax);
  const occupied = (cell: number) => sums[at + cell] >= OCCUPIED_SIGMAS * sigma;
  if (occupied(VISIT_COUNT_CELLS - 1)) return publicMost;
  for (let c = VISIT_COUNT_CELLS - 2; c >= 0; c--) if (occupied(c)) return c + 1;
  return publicMost;
}

/** The ledger note of a visits fit's releases. */
export function visitsNote(releases: number): string {
  return `visits: clipped per-patient sums (visit rate, lab spread, serial correlation, missing rates, visits per patient), ${releases} sensitivity-1 units`;
}

/**
 * Fits the visits model (see the header). Under DP the releases are charged before any visit is read.
 * @example const spec = fitVisitModel({ patients, patientsSchema, visits, visitsSchema, privacy: null, noise })
 */
export function fitVisitModel(o: FitVisitOptions): VisitModelSpec {
  return planVisitFit(o).finish();
}

/** A visits fit planned by {@link planVisitFit}: `finish` reads the tables and fits. */
export interface VisitFitPlan {
  layout: VisitLayout;
  /** σ of the releases (null: non-private). */
  sigma: number | null;
  /** Under DP, records the deferred charge (unless a later charge of the planner did), then reads the visits and fits. */
  finish(): VisitModelSpec;
}

/**
 * Everything a visits fit does before it reads a visit: the layout, the checks that can refuse
 * it (checkVisitTables reads the keys only), and under DP the σ of its releases, accepted by the
 * planner as a deferred charge (PrivacyPlanner.deferMechanisms) so that the patient generator
 * trained next can still refuse the training with the ledger untouched: its first charge records
 * the visits' first. The noise is drawn here, in the order a fit always drew it, so seeded
 * models do not depend on when the visits are read.
 * @example const plan = planVisitFit(o); const parts = generator.train(ctx); const visits = plan.finish();
 */
export function planVisitFit(o: FitVisitOptions): VisitFitPlan {
  const layout = visitLayout(o.patientsSchema, o.visitsSchema, { key: o.key, followupColumn: o.followupColumn });
  checkVisitTables(layout, o.patients, o.visits);
  const dp = o.privacy;
  if (!dp) {
    return {
      layout, sigma: null,
      finish: () => {
        const { sums, ...exact } = visitSums(layout, o.patients, o.visits, false);
        return visitModelFromSums(layout, sums, exact);
      },
    };
  }
  const sigma = visitsSigma(dp, layout.releases, o.share);
  dp.deferMechanisms([{ mechanism: { kind: 'gaussian', noiseMultiplier: sigma, count: layout.releases }, note: visitsNote(layout.releases) }]);
  const noise = new Float64Array(layout.vectorLength);
  for (let i = 0; i < noise.length; i++) noise[i] = o.noise.gaussian(0, sigma);
  return {
    layout, sigma,
    finish: () => {
      dp.commitDeferred();
      // Only now are the visits read.
      const { sums } = visitSums(layout, o.patients, o.visits, true);
      return visitModelFromSums(layout, sums.map((v, i) => v + noise[i]), null, sigma);
    },
  };
}

/**
 * σ of the visits releases (sensitivity 1 each) at `share` of the planner's ε, by its accountant.
 * @example const sigma = visitsSigma(planner, 32, 0.1)
 */
export function visitsSigma(planner: PrivacyPlanner, releases: number, share = VISITS_SHARE): number {
  if (!(share > 0 && share < 1)) throw new UsageError(`Expected a visits share of epsilon in (0, 1) but received ${share}`);
  const rho = planner.calibrate([{ kind: 'gaussian', share: 1, count: releases, note: 'visits' }], planner.target.epsilon * share);
  return Math.sqrt(releases / (2 * rho));
}

/**
 * Samples the visits of synthetic patients (the rows of `patients`, in order): a table with
 * `patient_row` (the 0-based row of the patient in `patients`), the visit counter, the copied
 * columns and the laboratory columns. Same seed, same table.
 * @example const visits = sampleVisits(spec, syntheticPatients, 7)
 */
export function sampleVisits(spec: VisitModelSpec, patients: Table, seed: number): Table {
  for (const name of [spec.followupColumn, ...spec.labs.map((l) => l.column), ...spec.copied]) {
    if (!patients.schema.fields.some((f) => f.name === name)) throw new InputError({ column: name }, `a column "${name}" in the synthetic patients (the visits model reads it)`, 'none');
  }
  // The simulator's seeded generator: it already has an exact Poisson sampler for large means.
  const rng = new SeededRandom(seed, 'visits');
  const followup = readNumbers(patients, spec.followupColumn);
  const anchors = spec.labs.map((l) => readNumbers(patients, l.column));
  const copied = spec.copied.map((c) => readLabels(patients, c));
  const perYear = visitRateFor(spec, followup);
  const owner: number[] = [], counter: number[] = [];
  const labValues: Array<Array<number | null>> = spec.labs.map(() => []);
  const z = new Float64Array(spec.labs.length);
  for (let i = 0; i < patients.numRows; i++) {
    const fu = Number.isFinite(followup[i]) && followup[i] > 0 ? followup[i] : 0;
    const k = Math.max(spec.minVisits, Math.min(spec.maxVisits, rng.poisson(perYear * fu)));
    for (let t = 0; t < k; t++) {
      owner.push(i);
      counter.push(t + 1);
      spec.labs.forEach((l, j) => {
        const innovation = rng.normal();
        z[j] = t === 0 ? innovation : l.autocorrelation * z[j] + Math.sqrt(1 - l.autocorrelation * l.autocorrelation) * innovation;
        const a = anchors[j][i];
        if (!Number.isFinite(a) || rng.uniform() < l.missingRate) { labValues[j].push(null); return; }
        const f = 10 ** l.decimals;
        labValues[j].push(Math.round(Math.min(l.max, Math.max(l.min, a + l.spread * z[j])) * f) / f);
      });
    }
  }
  const columns: Record<string, Vector> = { patient_row: vectorFromArray(Int32Array.from(owner)) };
  if (spec.numberColumn) columns[spec.numberColumn] = vectorFromArray(Int32Array.from(counter));
  spec.copied.forEach((c, j) => { columns[c] = vectorFromArray(owner.map((i) => copied[j][i]), new Utf8()); });
  spec.labs.forEach((l, j) => { columns[l.column] = vectorFromArray(labValues[j], new Float64()); });
  return new Table(columns);
}

/**
 * Checks a visits model read from a file; every problem names its field.
 * @example validateVisitModel(manifest.visits, 'model.hsm')
 */
export function validateVisitModel(v: unknown, file: string): VisitModelSpec {
  const bad = (field: string, expected: string, got: unknown) => new InputError({ file, field: `visits.${field}` }, expected, JSON.stringify(got)?.slice(0, 80) ?? String(got));
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== 'object' || o.format !== 'hemasynth-visits' || o.version !== 1) throw bad('format', 'a hemasynth-visits model of version 1', o?.format);
  const num = (x: unknown, lo: number, hi: number) => typeof x === 'number' && Number.isFinite(x) && x >= lo && x <= hi;
  if (typeof o.followupColumn !== 'string') throw bad('followupColumn', 'a column name', o.followupColumn);
  if (!num(o.perYear, 0, 1e4)) throw bad('perYear', 'visits per year in [0, 1e4]', o.perYear);
  if (o.meanRate !== undefined && !num(o.meanRate, 0, VISIT_RATE_CAP)) throw bad('meanRate', `a mean visit rate in [0, ${VISIT_RATE_CAP}]`, o.meanRate);
  if (!(Number.isInteger(o.minVisits) && Number.isInteger(o.maxVisits) && (o.minVisits as number) >= 0 && (o.maxVisits as number) >= (o.minVisits as number) && (o.maxVisits as number) <= 10000)) throw bad('maxVisits', 'whole numbers 0 <= minVisits <= maxVisits <= 10000', [o.minVisits, o.maxVisits]);
  if (!Array.isArray(o.labs)) throw bad('labs', 'a list of laboratory columns', o.labs);
  (o.labs as Array<Record<string, unknown>>).forEach((l, j) => {
    if (!(l && typeof l.column === 'string' && num(l.spread, 0, 1e12) && num(l.autocorrelation, -1, 1) && num(l.missingRate, 0, 1) && num(l.min, -1e300, 1e300) && num(l.max, l.min as number, 1e300) && Number.isInteger(l.decimals) && (l.decimals as number) >= 0 && (l.decimals as number) <= 12)) {
      throw bad(`labs[${j}]`, 'a column with spread >= 0, autocorrelation in [-1, 1], missingRate in [0, 1], min <= max and 0-12 decimals', l);
    }
  });
  if (!(Array.isArray(o.copied) && o.copied.every((c) => typeof c === 'string'))) throw bad('copied', 'a list of column names', o.copied);
  if (!(o.numberColumn === null || typeof o.numberColumn === 'string')) throw bad('numberColumn', 'a column name or null', o.numberColumn);
  return o as unknown as VisitModelSpec;
}

/**
 * The visits of synthetic patients from a model trained with a visits table (see
 * {@link sampleVisits}); `patients` is the synthetic patient table sampled from the same model.
 * @example const visits = sampleModelVisits(model, sampleModel(model, { rows: 1500, seed: 1 }), { seed: 1 })
 */
export function sampleModelVisits(model: { manifest: { visits?: VisitModelSpec } }, patients: Table, opts: { seed?: number } = {}): Table {
  const spec = model.manifest.visits;
  if (!spec) throw new UsageError('Expected a model trained with a visits table (hemasynth train --visits FILE) but this model has no visits model');
  return sampleVisits(spec, patients, samplingSeed(opts.seed));
}
