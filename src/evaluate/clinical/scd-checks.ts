/**
 * Clinical-validity checks V1–V13 for sickle-cell disease cohorts: each reproduces a published
 * association (scd-reference Part 2) on a patients table and compares the estimate with an
 * acceptance band that leaves room for sampling noise at n ≈ 1,000–5,000. They read only
 * non-identifying columns (genotype, labs, treatments, events, age, sex, follow-up), so they run
 * unchanged on real, simulated and synthetic tables.
 *
 * Bands are inclusive; an open end is ±Infinity (written as null in JSON). A statistic that
 * cannot be computed (missing column, too few patients) is NaN and fails its band.
 */
import type { Table } from 'apache-arrow';
import { pearson, spearman } from './correlation';
import { linearRegression, logisticRegression, negativeBinomialRegression, poissonRegression, type GlmFit } from './glm';
import { cumulativeIncidence } from './kaplan-meier';
import { hasColumn, numericColumn, stringColumn } from './table-columns';

/** Result of one check. */
export interface ScdCheckResult {
  id: string;
  title: string;
  statistics: Record<string, number>;
  bands: Record<string, [number, number]>;
  passed: boolean;
  /** Patients in the check's main analysis population. */
  n: number;
  note?: string;
}

/** Columns read by the checks (all non-identifying). */
export const SCD_CHECK_COLUMNS = [
  'genotype', 'sex', 'age_years', 'hb_g_dl', 'hbf_pct', 'mcv_fl', 'retic_pct', 'ldh_u_l', 'bilirubin_mg_dl', 'wbc_1e9_l', 'ferritin_ug_l',
  'alpha_thal_deletions', 'rs11886868', 'rs4671393', 'rs9399137', 'rs7482144', 'hydroxyurea', 'chronic_transfusion', 'hbf_baseline_pct', 'mcv_baseline_fl',
  'voc_12m', 'acs_count', 'followup_years', 'died', 'stroke', 'stroke_age_years', 'screening_era', 'tcd_velocity_cm_s', 'sci_mri', 'lic_mg_g', 'cardiac_t2star_ms',
] as const;

type Col = Float64Array;

/** The columns of a cohort as arrays (NaN = missing). */
class CohortView {
  readonly n: number;
  readonly genotype: (string | null)[];
  private readonly cols = new Map<string, Col>();
  readonly missing: string[] = [];
  constructor(readonly table: Table) {
    this.n = table.numRows;
    this.genotype = stringColumn(table, 'genotype') ?? new Array(this.n).fill(null);
    if (!hasColumn(table, 'genotype')) this.missing.push('genotype');
  }
  col(name: string): Col {
    let c = this.cols.get(name);
    if (!c) {
      if (name === 'female') {
        const sex = stringColumn(this.table, 'sex');
        c = new Float64Array(this.n).fill(NaN);
        if (sex) for (let i = 0; i < this.n; i++) c[i] = sex[i] === 'F' ? 1 : sex[i] === 'M' ? 0 : NaN;
      } else {
        c = numericColumn(this.table, name) ?? new Float64Array(this.n).fill(NaN);
      }
      this.cols.set(name, c);
    }
    return c;
  }
  /** Names among `names` that the table lacks or holds as non-numeric. */
  lacking(names: string[]): string[] {
    return names.filter((nm) => (nm === 'genotype' ? !hasColumn(this.table, nm) : nm === 'female' ? !hasColumn(this.table, 'sex') : !hasColumn(this.table, nm) || numericColumn(this.table, nm) === undefined));
  }
  /** Indices where `pred` holds and every named column is present. */
  where(pred: (i: number) => boolean, need: string[] = []): number[] {
    const cs = need.map((nm) => this.col(nm));
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) if (pred(i) && cs.every((c) => Number.isFinite(c[i]))) out.push(i);
    return out;
  }
  pick(name: string, idx: number[]): Float64Array {
    const c = this.col(name);
    return Float64Array.from(idx, (i) => c[i]);
  }
  isG(i: number, ...gs: string[]): boolean {
    return this.genotype[i] !== null && gs.includes(this.genotype[i] as string);
  }
  untreated(i: number): boolean {
    return this.col('hydroxyurea')[i] === 0 && this.col('chronic_transfusion')[i] === 0;
  }
}

function mean(x: ArrayLike<number>): number {
  if (x.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

function sd(x: ArrayLike<number>): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) ** 2;
  return Math.sqrt(s / Math.max(1, x.length - 1));
}

function indicator(idx: number[], f: (i: number) => boolean): Float64Array {
  return Float64Array.from(idx, (i) => (f(i) ? 1 : 0));
}

/** Age-band indicators (reference band omitted), skipping bands with no patients. */
function ageBands(v: CohortView, idx: number[], edges: number[], refBand: number): Record<string, Float64Array> {
  const age = v.col('age_years');
  const out: Record<string, Float64Array> = {};
  for (let b = 0; b + 1 < edges.length; b++) {
    if (b === refBand) continue;
    const col = indicator(idx, (i) => age[i] >= edges[b] && age[i] < edges[b + 1]);
    const k = col.reduce((s, x) => s + x, 0);
    if (k > 0 && k < idx.length) out[`age_${edges[b]}_${edges[b + 1]}`] = col;
  }
  return out;
}

/** Drops constant covariates (e.g. a treatment nobody in the subgroup receives) so the fit stays identifiable. */
function informative(covs: Record<string, Float64Array>): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [k, c] of Object.entries(covs)) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < c.length; i++) { lo = Math.min(lo, c[i]); hi = Math.max(hi, c[i]); }
    if (hi > lo) out[k] = c;
  }
  return out;
}

function safeFit(f: () => GlmFit): GlmFit | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function coefOr(fit: GlmFit | undefined, name: string, transform: (x: number) => number = Math.exp): number {
  if (!fit || !fit.names.includes(name)) return NaN;
  return transform(fit.coef(name));
}

function finish(id: string, title: string, statistics: Record<string, number>, bands: Record<string, [number, number]>, n: number, notes: string[] = []): ScdCheckResult {
  for (const k of Object.keys(statistics)) if (!Number.isFinite(statistics[k])) statistics[k] = NaN;
  const failing = Object.entries(bands).filter(([k, [lo, hi]]) => !(statistics[k] >= lo && statistics[k] <= hi)).map(([k]) => k);
  const passed = n > 0 && failing.length === 0;
  const note = [...notes, ...(failing.length ? [`outside band: ${failing.join(', ')}`] : [])].join('; ');
  return { id, title, statistics, bands, passed, n, ...(note ? { note } : {}) };
}

function lackingResult(id: string, title: string, lacking: string[]): ScdCheckResult {
  return { id, title, statistics: {}, bands: {}, passed: false, n: 0, note: `cannot run: column${lacking.length > 1 ? 's' : ''} ${lacking.map((c) => JSON.stringify(c)).join(', ')} missing or not numeric` };
}

const INF = Infinity;
const SS_LIKE = ['SS', 'Sb0'];
const SC_LIKE = ['SC', 'Sb+'];

/** V1: Hb by genotype (S9: adults SS 8.1 vs SC 11.1 g/dL; order SC ≥ Sβ+ > Sβ0 ≈ SS). */
export function checkV1(table: Table): ScdCheckResult {
  const id = 'V1', title = 'Hb by genotype (untreated steady state)';
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'hb_g_dl', 'hydroxyurea', 'chronic_transfusion']);
  if (lack.length) return lackingResult(id, title, lack);
  const hb = (g: string) => v.pick('hb_g_dl', v.where((i) => v.isG(i, g) && v.untreated(i), ['hb_g_dl']));
  const [ss, sb0, sc, sbp] = [hb('SS'), hb('Sb0'), hb('SC'), hb('Sb+')];
  const pooled = Math.sqrt((sd(ss) ** 2 + sd(sc) ** 2) / 2);
  const stats = {
    mean_SS: mean(ss), mean_Sb0: mean(sb0), mean_SC: mean(sc), 'mean_Sb+': mean(sbp),
    SC_minus_SS: mean(sc) - mean(ss), cohens_d_SC_SS: (mean(sc) - mean(ss)) / pooled,
    'SC_minus_Sb+': mean(sc) - mean(sbp), 'Sb+_minus_Sb0': mean(sbp) - mean(sb0), abs_Sb0_minus_SS: Math.abs(mean(sb0) - mean(ss)),
  };
  return finish(id, title, stats, { SC_minus_SS: [2.3, 3.7], 'SC_minus_Sb+': [-0.2, INF], 'Sb+_minus_Sb0': [0.3, INF], abs_Sb0_minus_SS: [0, 0.6] }, ss.length + sb0.length + sc.length + sbp.length,
    ['untreated (no hydroxyurea, no chronic transfusion) patients; "SC >= Sb+" allows 0.2 g/dL of noise and "Sb0 ~ SS" means within 0.6 g/dL']);
}

/** V2: ACS rate by genotype and age (S34: SS 12.8 vs SC 5.2 per 100 PY; SS 2–4 y 25.3 vs adults 8.8). */
export function checkV2(table: Table): ScdCheckResult {
  const id = 'V2', title = 'Acute chest syndrome rate by genotype and age';
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'acs_count', 'followup_years', 'age_years', 'hydroxyurea', 'chronic_transfusion']);
  if (lack.length) return lackingResult(id, title, lack);
  const fu = v.col('followup_years');
  const age = v.col('age_years');
  const idx = v.where((i) => v.isG(i, 'SS', 'SC') && fu[i] > 0, ['acs_count', 'age_years', 'hydroxyurea', 'chronic_transfusion']);
  const off = (ix: number[]) => Float64Array.from(ix, (i) => Math.log(fu[i]));
  const fit = safeFit(() => poissonRegression({ y: v.pick('acs_count', idx), offset: off(idx), covariates: informative({ ss: indicator(idx, (i) => v.isG(i, 'SS')), hydroxyurea: v.pick('hydroxyurea', idx), chronic_transfusion: v.pick('chronic_transfusion', idx), ...ageBands(v, idx, [0, 10, 18, 200], 2) }) }));
  const ssIdx = v.where((i) => v.isG(i, 'SS') && fu[i] > 0 && (age[i] < 10 || age[i] >= 18), ['acs_count', 'hydroxyurea', 'chronic_transfusion']);
  const fitAge = safeFit(() => poissonRegression({ y: v.pick('acs_count', ssIdx), offset: off(ssIdx), covariates: informative({ child_under_10: indicator(ssIdx, (i) => age[i] < 10), hydroxyurea: v.pick('hydroxyurea', ssIdx), chronic_transfusion: v.pick('chronic_transfusion', ssIdx) }) }));
  const rate = (ix: number[]) => (100 * ix.reduce((s, i) => s + v.col('acs_count')[i], 0)) / ix.reduce((s, i) => s + fu[i], 0);
  const stats = {
    rate_SS_per_100py: rate(idx.filter((i) => v.isG(i, 'SS'))), rate_SC_per_100py: rate(idx.filter((i) => v.isG(i, 'SC'))),
    irr_SS_vs_SC: coefOr(fit, 'ss'), irr_SS_child_under_10_vs_adult: coefOr(fitAge, 'child_under_10'),
  };
  return finish(id, title, stats, { irr_SS_vs_SC: [1.8, 3.2], irr_SS_child_under_10_vs_adult: [2, INF] }, idx.length,
    ['Poisson regression with log follow-up offset, adjusted for hydroxyurea, chronic transfusion and age band; child = current age < 10 y']);
}

/** V3: VOC rate by genotype and over-dispersion (Platt 1991; S9: 45–54% of patient-years without episodes). */
export function checkV3(table: Table): ScdCheckResult {
  const id = 'V3', title = 'Vaso-occlusive crisis rate by genotype; over-dispersion';
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'voc_12m', 'hydroxyurea', 'chronic_transfusion']);
  if (lack.length) return lackingResult(id, title, lack);
  const idx = v.where((i) => v.isG(i, 'SS', 'SC'), ['voc_12m', 'hydroxyurea', 'chronic_transfusion']);
  const fit = safeFit(() => negativeBinomialRegression({ y: v.pick('voc_12m', idx), covariates: informative({ ss: indicator(idx, (i) => v.isG(i, 'SS')), hydroxyurea: v.pick('hydroxyurea', idx), chronic_transfusion: v.pick('chronic_transfusion', idx) }) }));
  const all = v.where(() => true, ['voc_12m']);
  const voc = v.pick('voc_12m', all);
  const zeros = voc.reduce((s, x) => s + (x === 0 ? 1 : 0), 0) / Math.max(1, voc.length);
  const ssU = v.pick('voc_12m', v.where((i) => v.isG(i, 'SS') && v.untreated(i), ['voc_12m']));
  const stats = { irr_SS_vs_SC: coefOr(fit, 'ss'), zero_fraction: zeros, nb_theta: fit?.theta ?? NaN, variance_to_mean_SS_untreated: sd(ssU) ** 2 / mean(ssU), mean_SS_untreated: mean(ssU) };
  return finish(id, title, stats, { irr_SS_vs_SC: [1.4, 2.5], zero_fraction: [0.35, 0.55], variance_to_mean_SS_untreated: [1.2, INF] }, idx.length,
    ['negative-binomial regression adjusted for hydroxyurea and chronic transfusion; zero fraction over all patients']);
}

/** V4: HbF protects, Hb promotes VOC (S20, S28, S56, S57). */
export function checkV4(table: Table): ScdCheckResult {
  const id = 'V4', title = 'HbF protects against and Hb promotes vaso-occlusive crises';
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'voc_12m', 'hbf_pct', 'hb_g_dl', 'hydroxyurea', 'chronic_transfusion', 'age_years']);
  if (lack.length) return lackingResult(id, title, lack);
  const hbf = v.col('hbf_pct');
  const idx = v.where((i) => v.isG(i, ...SS_LIKE) && v.col('chronic_transfusion')[i] === 0 && hbf[i] > 0, ['voc_12m', 'hbf_pct', 'hb_g_dl', 'hydroxyurea', 'age_years']);
  const fit = safeFit(() => negativeBinomialRegression({ y: v.pick('voc_12m', idx), covariates: informative({
    log2_hbf: Float64Array.from(idx, (i) => Math.log2(hbf[i])), hb: v.pick('hb_g_dl', idx), hydroxyurea: v.pick('hydroxyurea', idx),
    sb0: indicator(idx, (i) => v.isG(i, 'Sb0')), ...ageBands(v, idx, [0, 5, 12, 18, 30, 200], 3),
  }) }));
  return finish(id, title, { irr_per_doubling_hbf: coefOr(fit, 'log2_hbf'), irr_per_g_dl_hb: coefOr(fit, 'hb') }, { irr_per_doubling_hbf: [0.6, 0.9], irr_per_g_dl_hb: [1.05, 1.4] }, idx.length,
    ['SS/Sb0 without chronic transfusion; negative-binomial regression of voc_12m on log2 HbF and Hb, adjusted for hydroxyurea, genotype and age band']);
}

/** V5: hemolysis cluster (S17, S18, S58). */
export function checkV5(table: Table): ScdCheckResult {
  const id = 'V5', title = 'Hemolysis cluster: LDH, reticulocytes, bilirubin co-vary; inverse with Hb and HbF';
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'ldh_u_l', 'retic_pct', 'bilirubin_mg_dl', 'hb_g_dl', 'hbf_pct', 'chronic_transfusion']);
  if (lack.length) return lackingResult(id, title, lack);
  const base = (i: number) => v.isG(i, ...SS_LIKE) && v.col('chronic_transfusion')[i] === 0;
  const pair = (a: string, b: string) => {
    const ix = v.where(base, [a, b]);
    return spearman(v.pick(a, ix), v.pick(b, ix));
  };
  const ix = v.where(base, ['ldh_u_l', 'retic_pct', 'bilirubin_mg_dl', 'hbf_pct']);
  const z = (name: string) => {
    const x = Float64Array.from(ix, (i) => Math.log(Math.max(v.col(name)[i], 1e-6)));
    const m = mean(x), s = sd(x) || 1;
    return x.map((t) => (t - m) / s);
  };
  const zl = z('ldh_u_l'), zr = z('retic_pct'), zb = z('bilirubin_mg_dl');
  const score = zl.map((t, k) => (t + zr[k] + zb[k]) / 3);
  const stats = { r_ldh_retic: pair('ldh_u_l', 'retic_pct'), r_ldh_bilirubin: pair('ldh_u_l', 'bilirubin_mg_dl'), r_ldh_hb: pair('ldh_u_l', 'hb_g_dl'), r_hemolysis_score_hbf: spearman(score, v.pick('hbf_pct', ix)) };
  return finish(id, title, stats, { r_ldh_retic: [0.3, 0.7], r_ldh_bilirubin: [0.3, 0.7], r_ldh_hb: [-0.6, -0.2], r_hemolysis_score_hbf: [-1, 0] }, v.where(base).length,
    ['Spearman correlations in SS/Sb0 without chronic transfusion; hemolysis score = mean z of log LDH, log retic, log bilirubin']);
}

/** V6: alpha-thalassaemia effect (S15, S49, S18). */
export function checkV6(table: Table): ScdCheckResult {
  const id = 'V6', title = 'Alpha-thalassaemia co-inheritance raises Hb, lowers MCV and hemolysis';
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'alpha_thal_deletions', 'hb_g_dl', 'mcv_fl', 'ldh_u_l', 'hydroxyurea', 'chronic_transfusion']);
  if (lack.length) return lackingResult(id, title, lack);
  const a = v.col('alpha_thal_deletions');
  const base = (i: number) => v.isG(i, 'SS') && v.untreated(i);
  const diff = (name: string) => {
    const car = v.pick(name, v.where((i) => base(i) && a[i] >= 1, [name, 'alpha_thal_deletions']));
    const non = v.pick(name, v.where((i) => base(i) && a[i] === 0, [name, 'alpha_thal_deletions']));
    return mean(car) - mean(non);
  };
  const n = v.where(base, ['alpha_thal_deletions']).length;
  return finish(id, title, { delta_hb: diff('hb_g_dl'), delta_mcv: diff('mcv_fl'), delta_ldh: diff('ldh_u_l') }, { delta_hb: [0.4, 2.0], delta_mcv: [-15, -4], delta_ldh: [-INF, 0] }, n,
    ['untreated SS patients: carriers (>= 1 deletion) minus non-carriers']);
}

/** V7: hydroxyurea response (S11, S29). */
export function checkV7(table: Table): ScdCheckResult {
  const id = 'V7', title = 'Hydroxyurea raises HbF, MCV and Hb; responses co-vary';
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'hydroxyurea', 'chronic_transfusion', 'hbf_pct', 'mcv_fl', 'hb_g_dl', 'age_years']);
  if (lack.length) return lackingResult(id, title, lack);
  const base = (i: number) => v.col('chronic_transfusion')[i] === 0 && v.genotype[i] !== null;
  const effect = (name: string) => {
    const ix = v.where(base, [name, 'hydroxyurea', 'age_years']);
    const fit = safeFit(() => linearRegression({ y: v.pick(name, ix), covariates: informative({
      hydroxyurea: v.pick('hydroxyurea', ix), sb0: indicator(ix, (i) => v.isG(i, 'Sb0')), sc: indicator(ix, (i) => v.isG(i, 'SC')), sbplus: indicator(ix, (i) => v.isG(i, 'Sb+')), other: indicator(ix, (i) => v.isG(i, 'other')),
      ...ageBands(v, ix, [0, 5, 10, 18, 200], 3),
    }) }));
    return { value: coefOr(fit, 'hydroxyurea', (x) => x), n: ix.length };
  };
  const hbf = effect('hbf_pct'), mcv = effect('mcv_fl'), hb = effect('hb_g_dl');
  let rResp = NaN;
  const notes = ['linear regression in patients without chronic transfusion, adjusted for genotype and age band'];
  if (v.lacking(['hbf_baseline_pct', 'mcv_baseline_fl']).length === 0) {
    const ix = v.where((i) => v.col('hydroxyurea')[i] === 1 && base(i), ['hbf_pct', 'mcv_fl', 'hbf_baseline_pct', 'mcv_baseline_fl']);
    rResp = pearson(Float64Array.from(ix, (i) => v.col('mcv_fl')[i] - v.col('mcv_baseline_fl')[i]), Float64Array.from(ix, (i) => v.col('hbf_pct')[i] - v.col('hbf_baseline_pct')[i]));
    notes.push(`within-treated response correlation from ${ix.length} patients with pre-treatment values`);
  } else notes.push('no pre-treatment baseline columns: within-treated response correlation not computed');
  return finish(id, title, { delta_hbf_pp: hbf.value, delta_mcv_fl: mcv.value, delta_hb_g_dl: hb.value, r_delta_mcv_delta_hbf: rResp },
    { delta_hbf_pp: [6, 16], delta_mcv_fl: [8, 22], delta_hb_g_dl: [0.4, 1.6], r_delta_mcv_delta_hbf: [0.3, 1] }, hbf.n, notes);
}

/** V8: TCD velocity by genotype and Hb (S39, S4). */
export function checkV8(table: Table): ScdCheckResult {
  const id = 'V8', title = 'Transcranial Doppler velocity by genotype and Hb (children 2-16 y)';
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'tcd_velocity_cm_s', 'hb_g_dl', 'age_years', 'hydroxyurea', 'chronic_transfusion']);
  if (lack.length) return lackingResult(id, title, lack);
  const age = v.col('age_years');
  const child = (i: number) => age[i] >= 2 && age[i] < 17;
  const tcdOf = (gs: string[]) => v.pick('tcd_velocity_cm_s', v.where((i) => child(i) && v.isG(i, ...gs) && v.untreated(i), ['tcd_velocity_cm_s']));
  const ssU = tcdOf(SS_LIKE), scU = tcdOf(SC_LIKE);
  const ixHb = v.where((i) => child(i) && v.isG(i, 'SS'), ['tcd_velocity_cm_s', 'hb_g_dl']);
  const abnormal = ssU.reduce((s, x) => s + (x >= 200 ? 1 : 0), 0) / Math.max(1, ssU.length);
  const stats = { mean_SS_Sb0: mean(ssU), 'mean_SC_Sb+': mean(scU), delta_mean: mean(ssU) - mean(scU), r_tcd_hb_SS: pearson(v.pick('tcd_velocity_cm_s', ixHb), v.pick('hb_g_dl', ixHb)), abnormal_fraction_SS_Sb0: ssU.length ? abnormal : NaN };
  return finish(id, title, stats, { delta_mean: [25, 45], r_tcd_hb_SS: [-1, -0.2], abnormal_fraction_SS_Sb0: [0.01, 0.12] }, ssU.length + scU.length,
    ['means and abnormal fraction (>= 200 cm/s) in untreated children; correlation in all SS children']);
}

/** V9: silent cerebral infarct prevalence by age and genotype (S42–S45). */
export function checkV9(table: Table): ScdCheckResult {
  const id = 'V9', title = 'Silent cerebral infarct prevalence by age and genotype';
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'sci_mri', 'age_years']);
  if (lack.length) return lackingResult(id, title, lack);
  const age = v.col('age_years');
  const teen = v.pick('sci_mri', v.where((i) => v.isG(i, ...SS_LIKE) && age[i] >= 12 && age[i] < 16, ['sci_mri']));
  const ix = v.where((i) => v.isG(i, ...SS_LIKE, ...SC_LIKE) && age[i] > 0, ['sci_mri']);
  const fit = safeFit(() => logisticRegression({ y: v.pick('sci_mri', ix), covariates: { ss_sb0: indicator(ix, (i) => v.isG(i, ...SS_LIKE)), log_age: Float64Array.from(ix, (i) => Math.log(age[i])) } }));
  return finish(id, title, { prevalence_SS_Sb0_age_12_16: mean(teen), or_SS_Sb0_vs_SC_Sbplus: coefOr(fit, 'ss_sb0') }, { prevalence_SS_Sb0_age_12_16: [0.25, 0.45], or_SS_Sb0_vs_SC_Sbplus: [2.5, 6] }, ix.length,
    ['patients with an MRI; odds ratio from logistic regression adjusted for log age']);
}

/** V10: HbF genetics (S52, S55, S25). */
export function checkV10(table: Table): ScdCheckResult {
  const id = 'V10', title = 'HbF genetics: QTLs explain HbF variance; females have higher HbF';
  const snps = ['rs11886868', 'rs4671393', 'rs9399137', 'rs7482144'];
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'hbf_pct', 'age_years', 'hydroxyurea', 'chronic_transfusion', 'female', ...snps]);
  if (lack.length) return lackingResult(id, title, lack);
  const age = v.col('age_years');
  const hbf = v.col('hbf_pct');
  const base = (i: number) => v.isG(i, ...SS_LIKE) && v.untreated(i) && age[i] >= 5 && hbf[i] > 0;
  const ix = v.where(base, ['hbf_pct', ...snps]);
  const fit = safeFit(() => linearRegression({ y: Float64Array.from(ix, (i) => Math.log(hbf[i])), covariates: informative(Object.fromEntries(snps.map((s) => [s, v.pick(s, ix)]))) }));
  const female = v.col('female');
  const ixs = v.where(base, ['hbf_pct', 'female']);
  const f = v.pick('hbf_pct', ixs.filter((i) => female[i] === 1));
  const m = v.pick('hbf_pct', ixs.filter((i) => female[i] === 0));
  return finish(id, title, { r2_log_hbf_qtls: fit?.r2 ?? NaN, female_male_hbf_ratio: mean(f) / mean(m) }, { r2_log_hbf_qtls: [0.1, 0.3], female_male_hbf_ratio: [1.1, 1.7] }, ix.length,
    ['untreated SS/Sb0 aged >= 5 y (after the infant HbF decline); R² of log HbF on the four QTL allele counts']);
}

/** V11: ferritin, liver iron and cardiac T2* in transfused patients (S46, S22). */
export function checkV11(table: Table): ScdCheckResult {
  const id = 'V11', title = 'Iron overload: ferritin vs liver iron vs cardiac T2* (transfused)';
  const v = new CohortView(table);
  const lack = v.lacking(['chronic_transfusion', 'ferritin_ug_l', 'lic_mg_g', 'cardiac_t2star_ms']);
  if (lack.length) return lackingResult(id, title, lack);
  const tr = (i: number) => v.col('chronic_transfusion')[i] === 1;
  const log = (name: string, ix: number[]) => Float64Array.from(ix, (i) => Math.log(Math.max(v.col(name)[i], 1e-6)));
  const a = v.where(tr, ['ferritin_ug_l', 'lic_mg_g']);
  const b = v.where(tr, ['lic_mg_g', 'cardiac_t2star_ms']);
  const t2 = v.pick('cardiac_t2star_ms', v.where(tr, ['cardiac_t2star_ms']));
  const low = t2.reduce((s, x) => s + (x < 20 ? 1 : 0), 0) / Math.max(1, t2.length);
  return finish(id, title, { r_log_ferritin_log_lic: pearson(log('ferritin_ug_l', a), log('lic_mg_g', a)), r_log_lic_log_t2star: pearson(log('lic_mg_g', b), log('cardiac_t2star_ms', b)), fraction_t2star_below_20ms: t2.length ? low : NaN },
    { r_log_ferritin_log_lic: [0.6, 0.9], r_log_lic_log_t2star: [-0.6, -0.2], fraction_t2star_below_20ms: [0, 0.15] }, v.where(tr).length, ['chronically transfused patients with MRI']);
}

/** V12: WBC and mortality / ACS (S20, S34). */
export function checkV12(table: Table): ScdCheckResult {
  const id = 'V12', title = 'High WBC predicts death and acute chest syndrome';
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'wbc_1e9_l', 'died', 'followup_years', 'age_years', 'acs_count', 'hydroxyurea', 'chronic_transfusion']);
  if (lack.length) return lackingResult(id, title, lack);
  const fu = v.col('followup_years');
  const wbc = v.col('wbc_1e9_l');
  const ix = v.where((i) => fu[i] > 0 && v.genotype[i] !== null, ['wbc_1e9_l', 'died', 'age_years', 'hydroxyurea', 'acs_count', 'chronic_transfusion']);
  const offset = Float64Array.from(ix, (i) => Math.log(fu[i]));
  const common = () => informative({ ss_sb0: indicator(ix, (i) => v.isG(i, ...SS_LIKE)), hydroxyurea: v.pick('hydroxyurea', ix), chronic_transfusion: v.pick('chronic_transfusion', ix) });
  const death = safeFit(() => poissonRegression({ y: v.pick('died', ix), offset, covariates: { wbc_above_15: indicator(ix, (i) => wbc[i] > 15), ...common(), ...ageBands(v, ix, [0, 18, 30, 45, 200], 0) } }));
  const acs = safeFit(() => poissonRegression({ y: v.pick('acs_count', ix), offset, covariates: { wbc: v.pick('wbc_1e9_l', ix), ...common(), ...ageBands(v, ix, [0, 5, 10, 18, 200], 3) } }));
  const deaths = ix.reduce((s, i) => s + v.col('died')[i], 0);
  return finish(id, title, { hr_death_wbc_above_15: coefOr(death, 'wbc_above_15'), irr_acs_per_1e9_wbc: coefOr(acs, 'wbc'), deaths }, { hr_death_wbc_above_15: [1.5, INF], irr_acs_per_1e9_wbc: [1, INF] }, ix.length,
    ['Poisson models with log follow-up offset adjusted for genotype group, hydroxyurea, transfusion and age band (death rate ratio approximates the hazard ratio)']);
}

/** V13: overt stroke incidence, untreated era vs TCD screening era (S35, S36, S4). */
export function checkV13(table: Table): ScdCheckResult {
  const id = 'V13', title = 'Overt stroke incidence: untreated era vs TCD-screening era (SS/Sb0)';
  const v = new CohortView(table);
  const lack = v.lacking(['genotype', 'stroke', 'stroke_age_years', 'age_years', 'screening_era']);
  if (lack.length) return lackingResult(id, title, lack);
  const age = v.col('age_years'), st = v.col('stroke'), sa = v.col('stroke_age_years'), era = v.col('screening_era');
  const grp = (screened: number) => v.where((i) => v.isG(i, ...SS_LIKE) && era[i] === screened, ['stroke', 'age_years']);
  const time = (ix: number[]) => Float64Array.from(ix, (i) => (st[i] === 1 && Number.isFinite(sa[i]) ? sa[i] : age[i]));
  const ev = (ix: number[]) => Float64Array.from(ix, (i) => (st[i] === 1 ? 1 : 0));
  const old = grp(0), scr = grp(1);
  const events = ev(old).reduce((s, x) => s + x, 0);
  const py = time(old).reduce((s, x) => s + x, 0);
  const stats = {
    incidence_unscreened_per_100py: (100 * events) / py,
    cumulative_by_20_unscreened: cumulativeIncidence(time(old), ev(old), 20),
    cumulative_by_5_screened: cumulativeIncidence(time(scr), ev(scr), 5),
    cumulative_by_16_screened_minus_unscreened: cumulativeIncidence(time(scr), ev(scr), 16) - cumulativeIncidence(time(old), ev(old), 16),
  };
  return finish(id, title, stats, { incidence_unscreened_per_100py: [0.35, 0.9], cumulative_by_20_unscreened: [0.06, 0.16], cumulative_by_5_screened: [0, 0.03], cumulative_by_16_screened_minus_unscreened: [-1, 0] }, old.length + scr.length,
    ['lifetime incidence from birth in SS/Sb0; Kaplan-Meier cumulative incidence with censoring at current age; screening_era = born after the TCD programme started']);
}

/** All checks in order. */
export const SCD_CHECKS: ReadonlyArray<(table: Table) => ScdCheckResult> = [checkV1, checkV2, checkV3, checkV4, checkV5, checkV6, checkV7, checkV8, checkV9, checkV10, checkV11, checkV12, checkV13];

/**
 * Runs V1–V13 on a patients table.
 * @example runScdChecks(simulateCohort({ patients: 5000, seed: 1 }).patients).every((r) => r.passed)
 */
export function runScdChecks(table: Table): ScdCheckResult[] {
  return SCD_CHECKS.map((check) => check(table));
}
