/**
 * The SCD reference cohort simulator: `simulateCohort` builds the patients and visits tables
 * (all sites and per site) with their schemas; `writeSimulation` writes them as Arrow files
 * with the schema/data dictionary and the parameters used. Same seed and parameters give the
 * same bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Table } from 'apache-arrow';
import type { ColumnSchema, TableSchema } from '../data/schema';
import { writeArrowFile } from '../data/arrow-file';
import { withEmbeddedSchema } from '../data/table-io';
import { UsageError, HemasynthError, InputError } from '../errors';
import { HBF_QTLS, LAB_COLUMNS, simulateClinical, type ClinicalCohort } from './clinical-model';
import { ColumnStore, type ColumnData } from './column-store';
import { PATIENT_COLUMNS, VISIT_COLUMNS, metaboliteColumn, snpColumn, tableSchema } from './data-dictionary';
import { ageYearsFromDays, makeIdentifiers } from './identifiers';
import { makeSnpPanel, simulateMetabolomics, simulateSnpPanel } from './omics';
import { GENOTYPES, resolveScdParams, type ScdParams, type ScdParamsOverride } from './params';
import { SeededRandom } from './random';
import { resolveSites, type SimulatedSite } from './sites';
import { simulateVisits } from './visits';
import { addWideColumns } from './wide';

/** Options of {@link simulateCohort}. */
export interface SimulateOptions {
  /** Number of patients (all sites together). */
  patients: number;
  /** Number of sites (countries cycle IT, NL, ES, FR by default). Default 4. */
  sites?: number;
  /** Integer seed. Default 1. */
  seed?: number;
  /** Add derived and extra variables to reach about 600 columns. */
  wide?: boolean;
  /** Resolved parameters, or an override object merged onto the defaults. */
  params?: ScdParams | ScdParamsOverride;
  /** Called with the fraction done (0..1) as stages complete. */
  onProgress?: (fraction: number, stage: string) => void;
}

/** What {@link simulateCohort} returns. */
export interface SimulationResult {
  patients: Table;
  visits: Table;
  perSite: Array<{ site: string; patients: Table; visits: Table }>;
  schema: TableSchema;
  visitsSchema: TableSchema;
  /** Parameters used, including the realised sites. */
  params: ScdParams & { run: { patients: number; sites: number; seed: number; wide: boolean; realised_sites: Array<Omit<SimulatedSite, 'start' | 'end'> & { patients: number }> } };
}

function isResolved(p: ScdParams | ScdParamsOverride): p is ScdParams {
  return typeof p === 'object' && p !== null && 'simulator' in p && 'cohort' in p && 'labs_adult_mean_sd' in p && typeof (p as ScdParams).simulator?.visits === 'object' && typeof (p as ScdParams).simulator?.snp_panel === 'object';
}

function bernoulliMask(rng: SeededRandom, n: number, prob: (i: number) => number, base?: Uint8Array): Uint8Array {
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    valid[i] = (base ? base[i] : 1) && u >= prob(i) ? 1 : 0;
  }
  return valid;
}

function finiteMask(values: Float64Array): Uint8Array {
  const m = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) m[i] = Number.isFinite(values[i]) ? 1 : 0;
  return m;
}

/**
 * Simulates a multi-site SCD cohort.
 * @example
 * const sim = simulateCohort({ patients: 1500, sites: 4, seed: 7 });
 * sim.patients.numRows // 1500
 * sim.perSite.map((s) => s.site) // ['IT1', 'NL1', 'ES1', 'FR1']
 */
export function simulateCohort(opts: SimulateOptions): SimulationResult {
  const n = opts.patients;
  const siteCount = opts.sites ?? 4;
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 10_000_000) throw new UsageError(`Expected an integer in [1, 10000000] for patients but received ${String(n)}`);
  if (!Number.isInteger(seed) || Math.abs(seed) > Number.MAX_SAFE_INTEGER) throw new UsageError(`Expected an integer for seed but received ${String(seed)}`);
  const params: ScdParams = opts.params === undefined ? resolveScdParams() : isResolved(opts.params) ? opts.params : resolveScdParams(opts.params);
  const progress = opts.onProgress ?? (() => {});
  const S = params.simulator;
  const sites = resolveSites(params, siteCount, n, seed);
  progress(0.05, 'clinical');
  const c = simulateClinical(params, sites, n, seed);
  progress(0.35, 'identifiers');
  const ids = makeIdentifiers(sites, c.female, c.age, c.endOffsetDays, S.reference_date, seed);

  const store = new ColumnStore(n);
  const schemaCols: ColumnSchema[] = [];
  const add = (spec: ColumnSchema, col: ColumnData) => {
    store.set(spec.name, col);
    schemaCols.push(spec);
  };
  const spec = (name: string): ColumnSchema => {
    const s = PATIENT_COLUMNS.find((x) => x.name === name);
    if (!s) throw new HemasynthError(`internal: no data-dictionary entry for ${name}`);
    return { ...s };
  };

  // Missingness: measure-specific base rate x site data-management factor x age factor.
  const mrng = new SeededRandom(seed, 'missingness');
  const miss = S.missingness;
  const missProb = (col: string) => (i: number) => {
    const site = sites[c.siteIndex[i]];
    const age = c.age[i];
    const ageF = age < 12 ? miss.child_factor[col] ?? 1 : age >= 18 ? miss.adult_factor[col] ?? 1 : 1;
    return Math.min(0.95, (miss.base[col] ?? 0) * site.missing_factor * ageF);
  };

  const countries = [...new Set(sites.map((s) => s.country))];
  const ageDays = new Int32Array(n);
  const ageYears = new Float64Array(n);
  // The data dictionary declares ages from 1 year. An end of follow-up before it (a death in the
  // first months of follow-up, or 365 days floored to 0.9 y) is reported at that minimum, so the
  // table keeps to the schema it carries: every reader checks the values against it (about 3
  // rows in 100,000).
  const ageMin = Number(spec('age_years').min ?? 0);
  for (let i = 0; i < n; i++) {
    ageDays[i] = ids.endDate[i] - ids.dateOfBirth[i];
    ageYears[i] = Math.max(ageMin, ageYearsFromDays(ageDays[i]));
  }
  add(spec('patient_id'), { type: 'string', values: ids.patientId });
  add(spec('name'), { type: 'string', values: ids.name });
  add(spec('hospital_record_number'), { type: 'string', values: ids.recordNumber });
  let minDob = Infinity, maxDob = -Infinity;
  for (let i = 0; i < n; i++) {
    minDob = Math.min(minDob, ids.dateOfBirth[i]);
    maxDob = Math.max(maxDob, ids.dateOfBirth[i]);
  }
  const refYear = Number(S.reference_date.slice(0, 4));
  add({ ...spec('date_of_birth'), min: `${refYear - 80}-01-01`, max: S.reference_date }, { type: 'date', values: ids.dateOfBirth });
  add(spec('postcode'), { type: 'string', values: ids.postcode, valid: bernoulliMask(mrng, n, missProb('postcode')) });
  const siteCodes = new Uint8Array(n);
  const countryCodes = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    siteCodes[i] = c.siteIndex[i];
    countryCodes[i] = countries.indexOf(sites[c.siteIndex[i]].country);
  }
  if (sites.length > 255) throw new UsageError(`Expected at most 255 sites for sites but received ${sites.length}`);
  add({ ...spec('site'), categories: sites.map((s) => s.code) }, { type: 'category', codes: siteCodes, categories: sites.map((s) => s.code) });
  add({ ...spec('country'), categories: countries }, { type: 'category', codes: countryCodes, categories: countries });
  const sex = new Uint8Array(n);
  for (let i = 0; i < n; i++) sex[i] = c.female[i] ? 0 : 1;
  add(spec('sex'), { type: 'category', codes: sex, categories: ['F', 'M'] });
  add({ ...spec('age_years'), max: 80 }, { type: 'float64', values: ageYears });
  add(spec('screening_era'), { type: 'bool', values: c.screeningEra });
  const fu = new Float64Array(n);
  for (let i = 0; i < n; i++) fu[i] = Math.round(c.followup[i] * 100) / 100;
  add({ ...spec('followup_years'), max: S.followup_years.max }, { type: 'float64', values: fu });
  add(spec('died'), { type: 'bool', values: c.died });
  add(spec('genotype'), { type: 'category', codes: c.genotype, categories: GENOTYPES });
  add(spec('alpha_thal_deletions'), { type: 'int8', values: c.alphaDel, valid: bernoulliMask(mrng, n, missProb('alpha_thal_deletions')) });
  const qtlValid = bernoulliMask(mrng, n, missProb('hbf_qtl'));
  HBF_QTLS.forEach((q, k) => add(spec(q.column), { type: 'int8', values: c.qtl[k], valid: qtlValid }));
  add(spec('rs887829'), { type: 'int8', values: c.ugt1a1, valid: qtlValid });
  progress(0.45, 'labs');
  for (const lab of LAB_COLUMNS) {
    const values = c.labs[lab];
    add(spec(lab), { type: 'float64', values, valid: bernoulliMask(mrng, n, missProb(lab), finiteMask(values)) });
  }
  add(spec('hbf_baseline_pct'), { type: 'float64', values: c.hbfBaseline, valid: bernoulliMask(mrng, n, missProb('baseline_pre_hu'), finiteMask(c.hbfBaseline)) });
  const baseValid = store.get('hbf_baseline_pct').valid!;
  add(spec('mcv_baseline_fl'), { type: 'float64', values: c.mcvBaseline, valid: baseValid.slice() });
  add(spec('hydroxyurea'), { type: 'bool', values: c.hydroxyurea });
  add(spec('chronic_transfusion'), { type: 'bool', values: c.transfusion });
  add(spec('voc_12m'), { type: 'int32', values: c.voc12m });
  add(spec('acs_count'), { type: 'int32', values: c.acsCount });
  add(spec('acs_ever'), { type: 'bool', values: c.acsEver });
  add(spec('stroke'), { type: 'bool', values: c.stroke });
  // The schema's "stroke_age_years <= age_years": the stroke age is rounded to 0.1 y and the
  // recorded age floored, so a stroke in the last weeks of follow-up could come out above the
  // age (8 rows in 200,000); it is recorded at the age.
  for (let i = 0; i < n; i++) if (c.strokeAge[i] > ageYears[i]) c.strokeAge[i] = ageYears[i];
  add(spec('stroke_age_years'), { type: 'float64', values: c.strokeAge, valid: finiteMask(c.strokeAge) });
  const tcdMiss = missProb('tcd_velocity_cm_s');
  // TCD is a paediatric measure: keep it only where the recorded age is 2-16 y (a child who died may be younger at the end of follow-up).
  const tcdAge = finiteMask(c.tcd);
  for (let i = 0; i < n; i++) if (ageYears[i] < 2 || ageYears[i] >= 17) tcdAge[i] = 0;
  add(spec('tcd_velocity_cm_s'), { type: 'float64', values: c.tcd, valid: bernoulliMask(mrng, n, (i) => Math.min(0.95, tcdMiss(i) * (c.genotype[i] >= 2 ? 3 : 1)), tcdAge) });
  const sciMiss = missProb('sci_mri');
  add(spec('sci_mri'), { type: 'bool', values: c.sci, valid: bernoulliMask(mrng, n, (i) => Math.min(0.95, sciMiss(i) * (c.genotype[i] >= 2 ? 1.4 : 1))) });
  add(spec('lic_mg_g'), { type: 'float64', values: c.lic, valid: bernoulliMask(mrng, n, missProb('lic_mg_g'), finiteMask(c.lic)) });
  add(spec('cardiac_t2star_ms'), { type: 'float64', values: c.t2star, valid: bernoulliMask(mrng, n, missProb('cardiac_t2star_ms'), finiteMask(c.t2star)) });

  // --- omics sub-study ------------------------------------------------------------------------------
  progress(0.55, 'omics');
  const orng = new SeededRandom(seed, 'omics-study');
  const inStudy = new Uint8Array(n);
  for (let i = 0; i < n; i++) inStudy[i] = orng.uniform() < sites[c.siteIndex[i]].omics_fraction ? 1 : 0;
  const sp = S.snp_panel;
  const panel = makeSnpPanel(sp.n, sp.block_min, sp.block_max, sp.maf_min, sp.maf_max, sp.structure_seed);
  for (const [name, col] of simulateSnpPanel(panel, inStudy, sp.ld_copy_prob, S.missingness.snp_call_rate_missing, seed)) add(snpColumn(name, panel.maf[panel.names.indexOf(name)]), col);
  const logHbf = new Float64Array(n);
  for (let i = 0; i < n; i++) logHbf[i] = Math.log(Math.max(0.1, c.labs.hbf_pct[i]));
  const mo = S.metabolomics;
  const drivers = (j: number) => (j < mo.hemolysis_driven ? 'driven by hemolysis' : j < mo.hemolysis_driven + mo.hbf_driven ? 'driven by HbF' : j < mo.hemolysis_driven + mo.hbf_driven + mo.age_driven ? 'driven by age' : 'shared latent cluster');
  simulateMetabolomics({ count: mo.n, first: 1, hemolysisDriven: mo.hemolysis_driven, hemolysisLoading: mo.hemolysis_loading, hbfDriven: mo.hbf_driven, ageDriven: mo.age_driven, clusters: mo.n_clusters, clusterLoading: mo.cluster_loading, structureSeed: mo.structure_seed }, inStudy, c.hemolysis, logHbf, c.age, seed)
    .forEach(([name, col], j) => add(metaboliteColumn(name, drivers(j)), col));

  progress(0.7, 'visits');
  const visits = simulateVisits(params, sites, c, ids, seed);
  if (opts.wide) {
    for (const [colSpec, col] of addWideColumns(params, c, inStudy, visits, store, seed)) add(colSpec, col);
  }
  progress(0.85, 'tables');

  const patients = store.toTable();
  const visitsTable = visits.store.toTable();
  // Per-site tables are built on first access: callers that only need the pooled tables do not pay for them.
  const perSite = sites.map((s, k) => {
    let p: Table | undefined, v: Table | undefined;
    return {
      site: s.code,
      get patients(): Table { return (p ??= store.toTable(s.start, s.end)); },
      get visits(): Table { return (v ??= visits.store.toTable(visits.siteRows[k][0], visits.siteRows[k][1])); },
    };
  });
  const visitCols = VISIT_COLUMNS.map((v) => (v.name === 'site' ? { ...v, categories: sites.map((s) => s.code) } : { ...v }));
  const run = {
    patients: n, sites: siteCount, seed, wide: Boolean(opts.wide),
    realised_sites: sites.map(({ start, end, ...rest }) => ({ ...rest, patients: end - start })),
  };
  progress(1, 'done');
  return {
    patients,
    visits: visitsTable,
    perSite,
    schema: tableSchema('scd_patients', schemaCols, ['hbs_pct + hbf_pct + hba2_pct + hba_pct <= 100', 'tcd_velocity_cm_s is null when age_years < 2 or age_years >= 17', 'lic_mg_g is null when not chronic_transfusion', 'stroke_age_years is null when not stroke', 'hbf_baseline_pct is null when not hydroxyurea', 'mcv_baseline_fl is null when not hydroxyurea', 'stroke_age_years <= age_years', 'followup_years <= age_years']),
    visitsSchema: tableSchema('scd_visits', visitCols),
    params: { ...params, run },
  };
}

/** Clinical model outputs used by the wide mode (re-exported for tests). */
export type { ClinicalCohort };

/**
 * Writes a simulation to `outDir`: `patients.arrow`, `site-<code>.arrow`, `visits.arrow`,
 * `visits-<code>.arrow`, `schema.json`, `visits.schema.json` and `params.json`. Returns the
 * paths written.
 * @example writeSimulation('out', simulateCohort({ patients: 100, seed: 1 }))
 */
export function writeSimulation(outDir: string, result: SimulationResult): string[] {
  try {
    fs.mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new HemasynthError(`Expected a writable output directory for --out but received ${JSON.stringify(outDir)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // Per-site files of an earlier run with other sites would sit beside this run's pooled files
  // as if they belonged to it (a federation over --out would train on them): refuse, naming them.
  const planned = new Set(result.perSite.flatMap((x) => [`site-${x.site}.arrow`, `visits-${x.site}.arrow`]));
  const stale = fs.readdirSync(outDir).filter((n) => /^(site|visits)-[^.]+\.arrow$/.test(n) && !planned.has(n));
  if (stale.length > 0) {
    throw new InputError({ file: outDir }, `an empty directory or one holding this simulation's files (sites ${result.perSite.map((x) => x.site).join(', ')})`, `the files ${stale.slice(0, 6).join(', ')}${stale.length > 6 ? ', ...' : ''} of an earlier simulation with other sites; remove them or choose another --out`);
  }
  const written: string[] = [];
  const file = (name: string) => path.join(outDir, name);
  // The schema travels inside each file (roles, bounds, constraints), so `hemasynth train
  // --data patients.arrow` keeps the constraints without --schema.
  const arrow = (name: string, table: Table, schema: TableSchema) => {
    writeArrowFile(file(name), withEmbeddedSchema(table, schema));
    written.push(file(name));
  };
  const json = (name: string, data: unknown) => {
    fs.writeFileSync(file(name), JSON.stringify(data, null, 2) + '\n');
    written.push(file(name));
  };
  arrow('patients.arrow', result.patients, result.schema);
  arrow('visits.arrow', result.visits, result.visitsSchema);
  for (const s of result.perSite) {
    arrow(`site-${s.site}.arrow`, s.patients, result.schema);
    arrow(`visits-${s.site}.arrow`, s.visits, result.visitsSchema);
  }
  json('schema.json', result.schema);
  json('visits.schema.json', result.visitsSchema);
  json('params.json', result.params);
  return written;
}
