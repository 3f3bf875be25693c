/**
 * Parameters of the SCD reference cohort simulator: the published defaults shipped in
 * `data/scd-params.json` plus the simulator's own model parameters (`simulator`, see
 * simulator-defaults.ts), optionally overridden by a user JSON file. Overrides are validated
 * against the shape of the defaults, so a typo or a wrong type names the field path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, describeValue } from '../errors';
import { SIMULATOR_DEFAULTS, SimulatorDefaults } from './simulator-defaults';

/** Genotypes simulated, in the order used everywhere (codes of data/scd-params.json). */
export const GENOTYPES = ['SS', 'Sb0', 'SC', 'Sb+', 'other'] as const;
export type Genotype = (typeof GENOTYPES)[number];

type MeanSd = [number, number] | [number, number, string];

/** The published reference parameters (shape of data/scd-params.json). */
export interface ReferenceParams {
  _provenance?: string;
  cohort: {
    genotype_probs: Record<string, number>;
    female_prob: { child: number; adult: number };
    age: { p_paediatric: number; paediatric_range: [number, number]; adult: string };
  };
  labs_adult_mean_sd: {
    Hb_g_dL: Record<string, MeanSd>;
    HbF_pct: Record<string, MeanSd>;
    HbA2_pct: Record<string, MeanSd | null>;
    HbA_pct: Record<string, MeanSd>;
    MCV_fL: Record<string, MeanSd>;
    retic_pct: Record<string, MeanSd>;
    LDH_U_L: Record<string, MeanSd>;
    bilirubin_mg_dL: Record<string, MeanSd>;
    WBC_1e9_L: Record<string, MeanSd>;
    platelets_1e9_L: Record<string, MeanSd>;
    ferritin_ug_L_median: Record<string, number>;
  };
  age_sex_effects: { HbF_SS_at_24mo: [number, number]; HbF_tau_years: number; HbF_female_over_male_ratio: number };
  hydroxyurea: {
    p_on_HU: Record<string, number>;
    delta: { HbF_pp: [number, number]; MCV_fL: [number, number]; Hb_g_dL: [number, number]; ANC_factor: number; retic_LDH_bili_factor: number; platelet_factor: number };
    p_poor_responder: number;
  };
  alpha_thal: { 'allele_freq_3.7': number; per_deletion: { Hb_g_dL: number; MCV_fL: number; retic_factor: number; LDH_factor: number; HbA2_pp: number } };
  hbf_qtl_african_ancestry: Record<string, { alleles?: string; note?: string; [k: string]: unknown }>;
  event_rates: {
    VOC_per_PY: Record<string, number>;
    ACS_per_100PY: Record<string, number>;
    stroke_per_100PY: Record<string, number>;
    TCD_cm_s: { SS_Sb0: [number, number]; 'SC_Sb+': [number, number]; thresholds: { conditional: number; abnormal: number } };
    SCI_prevalence_SS: Record<string, number>;
    iron_transfused: { r_ferritin_LIC: number; r_LIC_cardiacT2star: number };
    mortality_median_age: Record<string, number>;
  };
}

/** Everything the simulator uses: the reference parameters plus `simulator`. */
export type ScdParams = ReferenceParams & { simulator: SimulatorDefaults };

/** A deep-partial override (what a `--params` file holds). */
export type ScdParamsOverride = { [k: string]: unknown };

/** Location of the shipped reference parameters (works from src/ under ts-jest and from dist/). */
export function referenceParamsPath(): string {
  return path.resolve(__dirname, '..', '..', 'data', 'scd-params.json');
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * The default simulator parameters: data/scd-params.json plus the simulator defaults.
 * @example const p = defaultScdParams(); p.cohort.genotype_probs.SS // 0.68
 */
export function defaultScdParams(): ScdParams {
  const file = referenceParamsPath();
  let reference: ReferenceParams;
  try {
    reference = JSON.parse(fs.readFileSync(file, 'utf8')) as ReferenceParams;
  } catch (e) {
    throw new InputError({ file }, 'the shipped SCD reference parameters (JSON)', `an unreadable file (${(e as Error).message})`);
  }
  return { ...reference, simulator: clone(SIMULATOR_DEFAULTS) };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Maps whose keys are open (new entries allowed) with the template each new entry must follow. */
const OPEN_MAPS: Record<string, (defaults: ScdParams) => unknown> = {
  'simulator.sites.templates': (d) => d.simulator.sites.templates.IT,
  'simulator.missingness.base': () => 0.1,
  'simulator.missingness.child_factor': () => 1,
  'simulator.missingness.adult_factor': () => 1,
};

function describeShape(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (isPlainObject(v)) return 'an object';
  if (v === null) return 'null or an array of numbers';
  return `a ${typeof v}`;
}

/** Checks that `value` has the shape of `template`; throws naming the path of the first mismatch. */
function checkShape(value: unknown, template: unknown, at: string, file: string | undefined, defaults: ScdParams, requireAll: boolean): void {
  const fail = (expected: string): never => {
    throw new InputError({ file, field: at }, expected, describeValue(value));
  };
  if (template === null) {
    if (value === null) return;
    if (!Array.isArray(value) || value.length < 2 || typeof value[0] !== 'number' || typeof value[1] !== 'number') fail('null or [mean, sd]');
    return;
  }
  if (typeof template === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) fail('a finite number');
    return;
  }
  if (typeof template === 'string') {
    if (typeof value !== 'string') fail('a string');
    return;
  }
  if (typeof template === 'boolean') {
    if (typeof value !== 'boolean') fail('a boolean');
    return;
  }
  if (Array.isArray(template)) {
    if (!Array.isArray(value)) fail(describeShape(template));
    const arr = value as unknown[];
    const tuple = template.length > 0 && template.some((t) => typeof t !== typeof template[0]);
    if (tuple && arr.length !== template.length) fail(`an array of ${template.length} entries like ${JSON.stringify(template)}`);
    if (!tuple && template.length > 0 && Array.isArray(template[0]) && arr.length === 0) fail('a non-empty array');
    arr.forEach((el, i) => checkShape(el, tuple ? template[i] : template[Math.min(i, template.length - 1)], `${at}[${i}]`, file, defaults, true));
    return;
  }
  if (isPlainObject(template)) {
    if (!isPlainObject(value)) fail('an object');
    const obj = value as Record<string, unknown>;
    const open = OPEN_MAPS[at];
    for (const [k, v] of Object.entries(obj)) {
      if (k.startsWith('_')) continue;
      const sub = at ? `${at}.${k}` : k;
      if (k in template) checkShape(v, (template as Record<string, unknown>)[k], sub, file, defaults, requireAll);
      else if (open) checkShape(v, open(defaults), sub, file, defaults, true);
      else {
        const known = Object.keys(template).filter((x) => !x.startsWith('_'));
        throw new InputError({ file, field: sub }, `a known parameter (one of ${known.join(', ')})`, 'an unknown name');
      }
    }
    if (requireAll) {
      for (const k of Object.keys(template)) {
        if (!k.startsWith('_') && !(k in obj)) throw new InputError({ file, field: at ? `${at}.${k}` : k }, describeShape((template as Record<string, unknown>)[k]), 'nothing (the entry is missing)');
      }
    }
  }
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : clone(v);
    return out;
  }
  return clone(over);
}

function get(obj: unknown, p: string): unknown {
  return p.split('.').reduce<unknown>((o, k) => (isPlainObject(o) ? o[k] : undefined), obj);
}

/** Walks every numeric leaf with its dotted path. */
function eachNumber(obj: unknown, at: string, fn: (v: number, p: string, key: string) => void): void {
  if (Array.isArray(obj)) obj.forEach((x, i) => eachNumber(x, `${at}[${i}]`, fn));
  else if (isPlainObject(obj)) for (const [k, v] of Object.entries(obj)) eachNumber(v, at ? `${at}.${k}` : k, fn);
  else if (typeof obj === 'number') fn(obj, at, at.replace(/\[\d+\]/g, '').split('.').pop() ?? at);
}

/**
 * Checks the meaning of merged parameters (ranges, sums), naming the field of the first problem.
 * @example validateScdParams(defaultScdParams()) // passes
 */
export function validateScdParams(p: ScdParams, file?: string): void {
  const bad = (field: string, expected: string, v: unknown): never => {
    throw new InputError({ file, field }, expected, describeValue(v));
  };
  const inUnit = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) bad(field, 'a probability in [0, 1]', v);
  };
  const sumsToOne = (field: string, probs: Record<string, number>) => {
    for (const g of GENOTYPES) if (!(g in probs)) bad(`${field}.${g}`, 'a probability in [0, 1]', undefined);
    let s = 0;
    for (const [k, v] of Object.entries(probs)) {
      if (k.startsWith('_')) continue;
      if (!(GENOTYPES as readonly string[]).includes(k)) bad(`${field}.${k}`, `a genotype among ${GENOTYPES.join(', ')}`, k);
      inUnit(`${field}.${k}`, v);
      s += v;
    }
    if (Math.abs(s - 1) > 1e-6) throw new InputError({ file, field }, 'genotype probabilities summing to 1', `probabilities summing to ${s.toFixed(6)}`);
  };
  sumsToOne('cohort.genotype_probs', p.cohort.genotype_probs);
  for (const [code, t] of Object.entries(p.simulator.sites.templates)) sumsToOne(`simulator.sites.templates.${code}.genotype_probs`, t.genotype_probs);

  // Generic range rules by name: probabilities, fractions and frequencies in [0, 1];
  // factors, ratios, SDs and rates positive.
  eachNumber(p, '', (v, at, key) => {
    if (at.includes('._tag') || at.includes('age_factors')) return;
    if (/^(p_|prob)|_prob$|fraction|^maf|allele_freq|^p$|copy_prob|call_rate|missingness\.base\./.test(key) || /missingness\.base\./.test(at) || /female_prob|p_on_HU|p_base|genotype_probs/.test(at)) {
      if (!(v >= 0 && v <= 1)) bad(at, 'a probability in [0, 1]', v);
    } else if (/factor|_hr$|^hr_|irr|ratio|log_sd|dispersion|scale|median|gompertz|concentration/.test(key) || /missingness\.(child|adult)_factor/.test(at)) {
      if (!(v > 0)) bad(at, 'a positive number', v);
    }
  });
  // Mean/SD pairs of the laboratory table: SD must be positive.
  for (const [analyte, byGenotype] of Object.entries(p.labs_adult_mean_sd)) {
    if (analyte.startsWith('_') || !isPlainObject(byGenotype)) continue;
    for (const [g, ms] of Object.entries(byGenotype)) {
      if (g.startsWith('_') || !Array.isArray(ms)) continue;
      if (!(ms[0] > 0)) bad(`labs_adult_mean_sd.${analyte}.${g}[0]`, 'a positive mean', ms[0]);
      if (!(ms[1] > 0)) bad(`labs_adult_mean_sd.${analyte}.${g}[1]`, 'a positive SD', ms[1]);
    }
  }
  // Ages in years: a reversed or negative range gave negative ages and birth dates in the future.
  const [ageLo, ageHi] = p.cohort.age.paediatric_range;
  if (!(typeof ageLo === 'number' && typeof ageHi === 'number' && ageLo >= 0 && ageLo < ageHi && ageHi <= 120)) bad('cohort.age.paediatric_range', '[from, to] ages in years with 0 <= from < to <= 120', p.cohort.age.paediatric_range);
  const s = p.simulator;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s.reference_date) || Number.isNaN(Date.parse(s.reference_date + 'T00:00:00Z'))) bad('simulator.reference_date', 'an ISO date YYYY-MM-DD', s.reference_date);
  if (!(s.followup_years.min >= 0.25 && s.followup_years.max >= s.followup_years.min)) bad('simulator.followup_years', 'min >= 0.25 and max >= min', `min ${s.followup_years.min}, max ${s.followup_years.max}`);
  const integer = (field: string, lo: number, hi: number) => {
    const v = get(p, field);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(field, `an integer in [${lo}, ${hi}]`, v);
  };
  integer('simulator.snp_panel.n', 0, 100000);
  integer('simulator.snp_panel.block_min', 1, 1000);
  integer('simulator.snp_panel.block_max', s.snp_panel.block_min, 1000);
  integer('simulator.metabolomics.n', 0, 10000);
  integer('simulator.metabolomics.n_clusters', 1, 100);
  integer('simulator.visits.min', 1, 1000);
  integer('simulator.visits.max', s.visits.min, 1000);
  integer('simulator.wide.extra_snps', 0, 100000);
  integer('simulator.wide.extra_metabolites', 0, 10000);
  integer('simulator.wide.visit_series', 0, 100);
  integer('simulator.hbf_model.maf_index', 0, 1);
  if (s.metabolomics.hemolysis_driven + s.metabolomics.hbf_driven + s.metabolomics.age_driven > s.metabolomics.n) {
    bad('simulator.metabolomics.n', `at least hemolysis_driven + hbf_driven + age_driven = ${s.metabolomics.hemolysis_driven + s.metabolomics.hbf_driven + s.metabolomics.age_driven}`, s.metabolomics.n);
  }
  if (s.sites.country_order.length === 0) bad('simulator.sites.country_order', 'at least one country code', s.sites.country_order);
  for (const [i, c] of s.sites.country_order.entries()) if (!(c in s.sites.templates)) bad(`simulator.sites.country_order[${i}]`, `a country with a template (${Object.keys(s.sites.templates).join(', ')})`, c);
  if (s.sites.size_weights.length === 0) bad('simulator.sites.size_weights', 'at least one weight', s.sites.size_weights);
  for (const [i, w] of s.sites.size_weights.entries()) if (!(w > 0)) bad(`simulator.sites.size_weights[${i}]`, 'a positive weight', w);
  for (const [code, t] of Object.entries(s.sites.templates)) {
    if (t.postcode_prefixes.length === 0 || t.postcode_prefixes.some((x) => !/^\d{1,4}$/.test(x))) bad(`simulator.sites.templates.${code}.postcode_prefixes`, 'one or more 1-4 digit prefixes', t.postcode_prefixes);
    if (!/^[A-Z]{2}$/.test(code)) bad(`simulator.sites.templates.${code}`, 'a two-letter upper-case country code', code);
  }
  for (const [field, cor] of [['simulator.hemolysis.hbf_correlation', s.hemolysis.hbf_correlation], ['simulator.hemolysis.hb_loading', s.hemolysis.hb_loading], ['simulator.hemolysis.wbc_loading', s.hemolysis.wbc_loading], ['simulator.hu_response.r_mcv_hbf', s.hu_response.r_mcv_hbf], ['simulator.hu_response.r_hb_hbf', s.hu_response.r_hb_hbf]] as const) {
    if (!(cor > -1 && cor < 1)) bad(field, 'a correlation in (-1, 1)', cor);
  }
  for (const [k, v] of Object.entries(s.hemolysis.marker_loading)) if (!(v > -1 && v < 1)) bad(`simulator.hemolysis.marker_loading.${k}`, 'a loading in (-1, 1)', v);
  for (const name of ['voc', 'acs'] as const) {
    for (const [i, band] of s[name].age_factors.entries()) if (!(band[0] < band[1] && band[2] > 0)) bad(`simulator.${name}.age_factors[${i}]`, '[from_age, to_age, positive factor] with from < to', band);
  }
}

/**
 * Resolves simulator parameters: defaults, then an optional override object (from a file or
 * code), validated against the defaults' shape and meaning.
 * @example resolveScdParams({ simulator: { snp_panel: { n: 50 } } }).simulator.snp_panel.n // 50
 */
export function resolveScdParams(override?: ScdParamsOverride, file?: string): ScdParams {
  const defaults = defaultScdParams();
  if (override === undefined) return defaults;
  checkShape(override, defaults, '', file, defaults, false);
  const merged = deepMerge(defaults, override) as ScdParams;
  validateScdParams(merged, file);
  return merged;
}

/**
 * Reads a `--params` JSON file and resolves it against the defaults.
 * @example const params = loadScdParamsFile('my-params.json');
 */
export function loadScdParamsFile(file: string): ScdParams {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError({ file }, 'a readable JSON parameters file', `an error (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError({ file }, 'valid JSON', `a parse error (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) throw new InputError({ file }, 'a JSON object of parameters', describeValue(json));
  return resolveScdParams(json, file);
}
