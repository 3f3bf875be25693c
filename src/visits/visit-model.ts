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
 * once with the Gaussian mechanism at sensitivity 1 after dividing by its clip, and the releases
 * are charged to the patients' ledger before the patient generator calibrates the rest.
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
  /** Visits per year of follow-up. */
  perYear: number;
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
/** DP clip of a patient's visits per year of follow-up (public). */
export const VISIT_RATE_CAP = 12;
/** Follow-up below this counts as this long when a rate is taken (a visit in the first weeks). */
const MIN_FOLLOWUP_YEARS = 0.5;

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
 * Fits the visits model (see the header). Under DP the releases are charged before any visit is read.
 * @example const spec = fitVisitModel({ patients, patientsSchema, visits, visitsSchema, privacy: null, noise })
 */
export function fitVisitModel(o: FitVisitOptions): VisitModelSpec {
  const key = o.key ?? 'patient_id';
  const pCols = new Map(o.patientsSchema.columns.map((c) => [c.name, c]));
  const vCols = o.visitsSchema.columns;
  const need = (table: Table, name: string, what: string) => {
    if (!table.schema.fields.some((f) => f.name === name)) throw new InputError({ column: name }, `a column "${name}" in the ${what} table`, 'none');
  };
  need(o.patients, key, 'patients');
  need(o.visits, key, 'visits');
  const followupColumn = o.followupColumn ?? 'followup_years';
  need(o.patients, followupColumn, 'patients');
  const labCols = vCols.filter((c) => c.kind === 'continuous' && c.name !== key && pCols.get(c.name)?.kind === 'continuous');
  if (labCols.length === 0) throw new UsageError('Expected per-visit continuous columns with a patient column of the same name (the anchor) but found none');
  for (const c of labCols) if (!(typeof c.min === 'number' && typeof c.max === 'number' && c.max > c.min)) throw new UsageError(`Expected schema bounds (min < max) for the visit column "${c.name}" but received ${c.min}, ${c.max}`);
  const copied = vCols.filter((c) => c.kind === 'categorical' && pCols.get(c.name)?.kind === 'categorical').map((c) => c.name);
  const numberColumn = vCols.some((c) => c.name === 'visit_number' && c.kind === 'integer') ? 'visit_number' : null;
  const dp = o.privacy;
  // Public clips (DP): a patient's mean squared deviation and mean lagged product at C², C a
  // twentieth of the lab's schema range (about 1.5–3.5 within-patient SDs on the SCD labs, so
  // a patient's mean is rarely clipped); visits per year at VISIT_RATE_CAP.
  const clip2 = labCols.map((c) => (((c.max as number) - (c.min as number)) * DEVIATION_CLIP_FRACTION) ** 2);

  // DP releases, each a sum with sensitivity 1 under add/remove of a patient: patients with
  // visits, Σ clipped visit rate; per lab Σ clipped mean squared deviation, patients with one,
  // Σ clipped mean lagged product, patients with one, Σ missing fraction.
  const releases = 2 + 5 * labCols.length;
  let sigma = 0;
  if (dp) {
    const share = o.share ?? VISITS_SHARE;
    if (!(share > 0 && share < 1)) throw new UsageError(`Expected a visits share of epsilon in (0, 1) but received ${share}`);
    const rho = dp.calibrate([{ kind: 'gaussian', share: 1, count: releases, note: 'visits' }], dp.target.epsilon * share);
    sigma = Math.sqrt(releases / (2 * rho));
    dp.chargeMechanisms([{ mechanism: { kind: 'gaussian', noiseMultiplier: sigma, count: releases }, note: `visits: ${releases} clipped per-patient sums (visit rate, lab spread, serial correlation, missing rates)` }]);
  }
  const release = (v: number) => (dp ? v + o.noise.gaussian(0, sigma) : v);

  // Only now are the tables read. Visits by patient, in visit-number order where there is one.
  const keys = readLabels(o.patients, key);
  const rowOf = new Map<string, number>();
  keys.forEach((k, i) => { if (k !== null) rowOf.set(k, i); });
  const followup = readNumbers(o.patients, followupColumn);
  const vKeys = readLabels(o.visits, key);
  const n = o.patients.numRows;
  const byPatient: number[][] = Array.from({ length: n }, () => []);
  vKeys.forEach((k, r) => {
    const i = k === null ? undefined : rowOf.get(k);
    if (i === undefined) throw new InputError({ row: r + 1, column: key }, 'the key of a patient in the patients table', k === null ? 'a missing value' : JSON.stringify(k));
    byPatient[i].push(r);
  });
  const number = numberColumn ? readNumbers(o.visits, numberColumn) : null;
  if (number) for (const list of byPatient) list.sort((a, b) => number[a] - number[b]);

  let withVisits = 0, rateSum = 0, visits = 0, years = 0, fewest = Infinity, most = 0;
  for (let i = 0; i < n; i++) {
    const k = byPatient[i].length;
    if (k === 0) continue;
    withVisits++;
    fewest = Math.min(fewest, k);
    most = Math.max(most, k);
    const fu = Number.isFinite(followup[i]) ? Math.max(followup[i], MIN_FOLLOWUP_YEARS) : MIN_FOLLOWUP_YEARS;
    rateSum += Math.min(k / fu, VISIT_RATE_CAP) / VISIT_RATE_CAP;
    visits += k;
    years += fu;
  }
  // Non-private: visits per year of follow-up over the cohort; DP: the mean clipped rate.
  const visited = Math.max(1, release(withVisits));
  const perYear = dp ? Math.max(0, (release(rateSum) * VISIT_RATE_CAP) / visited) : visits / Math.max(1e-9, years);
  const labs = labCols.map((c, l) => {
    const anchor = readNumbers(o.patients, c.name);
    const value = readNumbers(o.visits, c.name);
    const C2 = dp ? clip2[l] : Infinity;
    let sq = 0, lag = 0, withDev = 0, withPair = 0, missing = 0;
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
      // P(missing | the patient's value is present): a patient without it gets no value anyway.
      if (Number.isFinite(anchor[i])) missing += m / list.length;
      if (present > 0) { sq += Math.min(s2 / present, C2) / (dp ? C2 : 1); withDev++; }
      if (pairs > 0) { lag += Math.max(-C2, Math.min(C2, c2 / pairs)) / (dp ? C2 : 1); withPair++; }
    }
    const scale = dp ? C2 : 1;
    const anchored = Math.max(1, release(withDev));
    const variance = Math.max(0, (release(sq) * scale) / anchored);
    const covariance = (release(lag) * scale) / Math.max(1, release(withPair));
    // Patients with the value and a present visit stand in for those with the value (they
    // differ by the patients whose every visit is missing).
    const missingRate = Math.max(0, Math.min(1, release(missing) / anchored));
    return {
      column: c.name, spread: Math.sqrt(variance),
      autocorrelation: variance > 0 ? Math.max(-0.99, Math.min(0.99, covariance / variance)) : 0,
      missingRate, min: c.min as number, max: c.max as number,
      // Rounding: read off the data when non-private; under DP a public 2 decimals.
      decimals: dp ? 2 : decimalsOf(value),
    };
  });
  // The fewest and most visits are data: under DP the public bounds stand in for them.
  return {
    format: 'hemasynth-visits', version: 1, followupColumn, perYear,
    minVisits: dp ? 1 : Number.isFinite(fewest) ? fewest : 1,
    maxVisits: dp ? Math.ceil(VISIT_RATE_CAP * ((pCols.get(followupColumn)?.max as number | undefined) ?? 40)) : Math.max(1, most),
    labs, copied, numberColumn,
  };
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
  const owner: number[] = [], counter: number[] = [];
  const labValues: Array<Array<number | null>> = spec.labs.map(() => []);
  const z = new Float64Array(spec.labs.length);
  for (let i = 0; i < patients.numRows; i++) {
    const fu = Number.isFinite(followup[i]) && followup[i] > 0 ? followup[i] : 0;
    const k = Math.max(spec.minVisits, Math.min(spec.maxVisits, rng.poisson(spec.perYear * fu)));
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
