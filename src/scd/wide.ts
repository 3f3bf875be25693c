/**
 * Wide mode: the derived and extra variables of a full SCD case-report form (blood count
 * indices, chemistry, vital signs, complication history, medications, vaccinations, health-care
 * use, per-visit laboratory series, extended SNP and metabolomics panels), bringing the patients
 * table to about 600 columns for scale tests. The variables are coherent with the core model
 * (they derive from the same latent values) but carry no validation claims of their own.
 */
import type { ColumnSchema } from '../data/schema';
import type { ClinicalCohort } from './clinical-model';
import type { ColumnData, ColumnStore } from './column-store';
import { metaboliteColumn, snpColumn } from './data-dictionary';
import { makeSnpPanel, simulateMetabolomics, simulateSnpPanel } from './omics';
import type { ScdParams } from './params';
import { SeededRandom } from './random';
import type { SimulatedVisits } from './visits';

const SRC = 'simulator wide mode (D)';

/** Complication history flags: [name, description, base log-odds at age 20, log-odds per decade, log OR SS/Sb0, log OR male]. */
const COMPLICATIONS: Array<[string, string, number, number, number, number]> = [
  ['priapism_ever', 'Priapism ever (males)', -1.6, 0.3, 0.6, 0],
  ['leg_ulcer_ever', 'Leg ulcer ever', -2.8, 0.6, 0.9, 0.3],
  ['avn_hip_ever', 'Avascular necrosis of the hip ever', -2.4, 0.7, 0.3, 0],
  ['avn_shoulder_ever', 'Avascular necrosis of the shoulder ever', -3.2, 0.6, 0.3, 0],
  ['retinopathy_ever', 'Proliferative sickle retinopathy ever', -2.8, 0.6, -0.8, 0.2],
  ['gallstones_ever', 'Cholelithiasis ever', -1.6, 0.6, 0.8, 0],
  ['cholecystectomy_ever', 'Cholecystectomy ever', -2.2, 0.6, 0.7, 0],
  ['splenic_sequestration_ever', 'Acute splenic sequestration ever', -2.2, -0.3, 0.5, 0],
  ['splenectomy_ever', 'Splenectomy ever', -3.0, 0.1, 0.4, 0],
  ['dactylitis_ever', 'Dactylitis ever', -1.2, -0.1, 0.9, 0],
  ['osteomyelitis_ever', 'Osteomyelitis ever', -3.4, 0.2, 0.6, 0.2],
  ['sepsis_ever', 'Invasive bacterial infection ever', -2.8, 0.1, 0.7, 0],
  ['pulmonary_hypertension', 'Pulmonary hypertension (right-heart catheter)', -3.6, 0.7, 0.7, 0],
  ['nephropathy', 'Sickle nephropathy (albuminuria)', -2.2, 0.7, 0.8, 0.1],
  ['chronic_pain', 'Chronic pain syndrome', -2.0, 0.6, 0.6, 0],
  ['depression', 'Depression diagnosis', -2.4, 0.5, 0.2, -0.3],
  ['seizures_ever', 'Seizures ever', -3.2, 0.1, 0.6, 0],
  ['tia_ever', 'Transient ischaemic attack ever', -3.6, 0.2, 0.9, 0],
  ['moyamoya', 'Moyamoya vasculopathy on MRA', -3.8, 0.0, 1.0, 0],
  ['hearing_loss', 'Sensorineural hearing loss', -3.0, 0.5, 0.3, 0],
  ['enuresis', 'Nocturnal enuresis (children)', -1.8, -1.0, 0.5, 0.3],
  ['delayed_puberty', 'Delayed puberty', -2.4, 0.0, 0.6, 0.2],
];

const MEDICATIONS: Array<[string, string, number]> = [
  ['folic_acid', 'Folic acid supplementation', 0.75],
  ['penicillin_prophylaxis', 'Penicillin prophylaxis (children < 5 y, or after splenectomy)', 0],
  ['l_glutamine', 'L-glutamine', 0.03],
  ['crizanlizumab', 'Crizanlizumab', 0.04],
  ['voxelotor', 'Voxelotor (withdrawn 2024)', 0.02],
  ['deferasirox', 'Deferasirox iron chelation', 0],
  ['deferoxamine', 'Deferoxamine iron chelation', 0],
  ['opioids_chronic', 'Chronic opioid use', 0.08],
  ['ace_inhibitor', 'ACE inhibitor or ARB (albuminuria)', 0.06],
  ['nsaid_regular', 'Regular NSAID use', 0.1],
  ['vaccine_pneumococcal', 'Pneumococcal vaccination complete', 0.88],
  ['vaccine_meningococcal', 'Meningococcal vaccination complete', 0.8],
  ['vaccine_influenza', 'Influenza vaccination this season', 0.55],
  ['vaccine_hib', 'Haemophilus influenzae b vaccination complete', 0.9],
];

/**
 * Builds the wide-mode columns (schema + data), appended after the base columns.
 * @example addWideColumns(params, cohort, inStudy, visits, store, 7).length // ~310
 */
export function addWideColumns(params: ScdParams, c: ClinicalCohort, inStudy: Uint8Array, visits: SimulatedVisits, store: ColumnStore, seed: number): Array<[ColumnSchema, ColumnData]> {
  const n = c.n;
  const rng = new SeededRandom(seed, 'wide');
  const out: Array<[ColumnSchema, ColumnData]> = [];
  const validOf = (name: string) => store.get(name).valid;
  const cont = (name: string, unit: string, description: string, min: number, max: number, digits: number, f: (i: number) => number, valid?: Uint8Array) => {
    const values = new Float64Array(n);
    const ok = new Uint8Array(n);
    const scale = 10 ** digits;
    for (let i = 0; i < n; i++) {
      const v = f(i);
      if (Number.isFinite(v) && (!valid || valid[i])) {
        values[i] = Math.round(Math.min(max, Math.max(min, v)) * scale) / scale;
        ok[i] = 1;
      }
    }
    out.push([{ name, kind: 'continuous', role: 'feature', unit, min, max, description, source: SRC }, { type: 'float64', values, valid: ok }]);
  };
  const flag = (name: string, description: string, f: (i: number) => number) => {
    const values = new Uint8Array(n);
    for (let i = 0; i < n; i++) values[i] = rng.uniform() < f(i) ? 1 : 0;
    out.push([{ name, kind: 'boolean', role: 'feature', nullable: false, description, source: SRC }, { type: 'bool', values }]);
  };
  const count = (name: string, description: string, f: (i: number) => number) => {
    const values = new Int32Array(n);
    for (let i = 0; i < n; i++) values[i] = rng.poisson(f(i));
    out.push([{ name, kind: 'integer', role: 'feature', nullable: false, min: 0, max: 1000, description, source: SRC }, { type: 'int32', values }]);
  };
  const L = c.labs;
  const ss = (i: number) => (c.genotype[i] <= 1 ? 1 : 0);
  const hct = new Float64Array(n);
  for (let i = 0; i < n; i++) hct[i] = L.hb_g_dl[i] * 2.95 + 0.8 * rng.normal();
  const hbValid = validOf('hb_g_dl');
  cont('hct_pct', '%', 'Haematocrit', 8, 55, 1, (i) => hct[i], hbValid);
  cont('rbc_1e12_l', '10*12/L', 'Red cell count', 0.8, 7, 2, (i) => (hct[i] / L.mcv_fl[i]) * 10, hbValid);
  cont('mch_pg', 'pg', 'Mean corpuscular haemoglobin', 15, 45, 1, (i) => (L.hb_g_dl[i] / ((hct[i] / L.mcv_fl[i]) * 10)) * 10, hbValid);
  cont('mchc_g_dl', 'g/dL', 'Mean corpuscular haemoglobin concentration', 25, 40, 1, (i) => (L.hb_g_dl[i] / hct[i]) * 100, hbValid);
  cont('rdw_pct', '%', 'Red cell distribution width', 11, 35, 1, (i) => 17 + 3 * ss(i) + 1.5 * c.hemolysis[i] + 1.5 * rng.normal());
  cont('abs_retic_1e9_l', '10*9/L', 'Absolute reticulocyte count', 10, 1200, 0, (i) => L.retic_pct[i] * (hct[i] / L.mcv_fl[i]) * 100, validOf('retic_pct'));
  cont('anc_1e9_l', '10*9/L', 'Absolute neutrophil count', 0.3, 30, 1, (i) => L.wbc_1e9_l[i] * (0.55 + 0.05 * rng.normal()), validOf('wbc_1e9_l'));
  cont('lymphocytes_1e9_l', '10*9/L', 'Lymphocyte count', 0.3, 15, 1, (i) => L.wbc_1e9_l[i] * (0.33 + 0.04 * rng.normal()), validOf('wbc_1e9_l'));
  cont('monocytes_1e9_l', '10*9/L', 'Monocyte count', 0.05, 4, 2, (i) => L.wbc_1e9_l[i] * (0.08 + 0.015 * rng.normal()), validOf('wbc_1e9_l'));
  cont('eosinophils_1e9_l', '10*9/L', 'Eosinophil count', 0, 3, 2, (i) => L.wbc_1e9_l[i] * Math.max(0, 0.03 + 0.015 * rng.normal()), validOf('wbc_1e9_l'));
  cont('bilirubin_umol_l', 'umol/L', 'Total bilirubin in SI units', 1, 430, 0, (i) => L.bilirubin_mg_dl[i] * 17.1, validOf('bilirubin_mg_dl'));
  cont('direct_bilirubin_mg_dl', 'mg/dL', 'Conjugated bilirubin', 0, 5, 2, (i) => L.bilirubin_mg_dl[i] * (0.12 + 0.04 * rng.uniform()), validOf('bilirubin_mg_dl'));
  cont('alt_u_l', 'U/L', 'Alanine aminotransferase', 4, 400, 0, (i) => Math.exp(Math.log(22) + 0.4 * rng.normal()));
  cont('ldh_uln_ratio', '1', 'LDH over the upper limit of normal (250 U/L)', 0.2, 12, 2, (i) => L.ldh_u_l[i] / 250, validOf('ldh_u_l'));
  cont('hemolysis_score', '1', 'Latent hemolysis score (first principal component of LDH, retic, bilirubin, AST; standardised)', -5, 5, 2, (i) => c.hemolysis[i]);
  const creat = new Float64Array(n);
  for (let i = 0; i < n; i++) creat[i] = Math.exp(Math.log(c.age[i] < 18 ? 25 + 2.5 * c.age[i] : 55 + 0.4 * (c.age[i] - 18)) + 0.2 * rng.normal() - 0.15 * ss(i));
  cont('creatinine_umol_l', 'umol/L', 'Serum creatinine (low in SCD: hyperfiltration)', 10, 800, 0, (i) => creat[i]);
  cont('egfr_ml_min_1_73m2', 'mL/min/1.73m2', 'Estimated GFR (hyperfiltration common in young SS)', 10, 250, 0, (i) => 140 * Math.pow(60 / creat[i], 0.8) * (c.age[i] > 40 ? 1 - 0.01 * (c.age[i] - 40) : 1));
  cont('urine_acr_mg_mmol', 'mg/mmol', 'Urine albumin-to-creatinine ratio', 0.1, 300, 1, (i) => Math.exp(Math.log(1.5) + 0.05 * c.age[i] + 0.4 * c.hemolysis[i] + 0.9 * rng.normal()));
  cont('albumin_g_l', 'g/L', 'Serum albumin', 20, 55, 0, () => 42 + 3 * rng.normal());
  cont('crp_mg_l', 'mg/L', 'C-reactive protein (steady state)', 0.2, 100, 1, () => Math.exp(Math.log(3) + 0.8 * rng.normal()));
  cont('vitamin_d_nmol_l', 'nmol/L', '25-hydroxyvitamin D', 5, 200, 0, () => Math.exp(Math.log(38) + 0.5 * rng.normal()));
  const height = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.min(c.age[i], 18);
    const adult = c.female[i] ? 163 : 175;
    height[i] = (a < 18 ? 75 + (adult - 75) * Math.min(1, (a - 1) / 16) : adult) - 2 * ss(i) + 6 * rng.normal();
  }
  cont('height_cm', 'cm', 'Height', 60, 210, 1, (i) => height[i]);
  const weight = new Float64Array(n);
  for (let i = 0; i < n; i++) weight[i] = 19.5 * (height[i] / 100) ** 2 * Math.exp(0.12 * rng.normal());
  cont('weight_kg', 'kg', 'Weight', 7, 150, 1, (i) => weight[i]);
  cont('bmi_kg_m2', 'kg/m2', 'Body-mass index', 10, 45, 1, (i) => weight[i] / (height[i] / 100) ** 2);
  cont('sbp_mmhg', 'mm[Hg]', 'Systolic blood pressure', 70, 200, 0, (i) => 100 + 0.5 * Math.min(c.age[i], 50) + 9 * rng.normal());
  cont('dbp_mmhg', 'mm[Hg]', 'Diastolic blood pressure', 40, 120, 0, (i) => 60 + 0.25 * Math.min(c.age[i], 50) + 7 * rng.normal());
  cont('spo2_pct', '%', 'Resting oxygen saturation', 80, 100, 0, (i) => 97.5 - 1.2 * ss(i) - 0.8 * c.hemolysis[i] + 1.2 * rng.normal());
  cont('trv_m_s', 'm/s', 'Tricuspid regurgitant jet velocity (adults; >= 2.5 in ~1/3, V S17)', 1.2, 5, 2, (i) => (c.age[i] >= 18 ? 2.35 + 0.12 * c.hemolysis[i] + 0.3 * rng.normal() : NaN));

  for (const [name, description, b0, perDecade, orSs, orMale] of COMPLICATIONS) {
    flag(name, description, (i) => {
      if (name === 'priapism_ever' && c.female[i]) return 0;
      if (name === 'enuresis' && c.age[i] >= 18) return 0;
      const lo = b0 + (perDecade * (c.age[i] - 20)) / 10 + orSs * ss(i) + orMale * (1 - c.female[i]);
      return 1 / (1 + Math.exp(-lo));
    });
  }
  for (const [name, description, p] of MEDICATIONS) {
    flag(name, description, (i) => {
      if (name === 'penicillin_prophylaxis') return c.age[i] < 5 ? 0.9 : 0.15;
      if (name === 'deferasirox') return c.transfusion[i] ? 0.7 : 0.01;
      if (name === 'deferoxamine') return c.transfusion[i] ? 0.15 : 0;
      return p;
    });
  }
  count('admissions_12m', 'Hospital admissions in the last 12 months', (i) => 0.5 * c.voc12m[i] + 0.2);
  count('ed_visits_12m', 'Emergency department visits in the last 12 months', (i) => 0.8 * c.voc12m[i] + 0.3);
  count('hospital_days_12m', 'Days in hospital in the last 12 months', (i) => 3.5 * c.voc12m[i] + 0.5);
  count('transfusions_12m', 'Red cell transfusion episodes in the last 12 months', (i) => (c.transfusion[i] ? 10 : 0.3));
  count('school_work_days_missed_12m', 'School or work days missed in the last 12 months', (i) => 4 * c.voc12m[i] + 2);
  cont('qol_score', '1', 'Health-related quality of life (0-100; PedsQL/SF-36 style)', 0, 100, 0, (i) => 75 - 5 * Math.min(c.voc12m[i], 6) - 4 * c.stroke[i] + 10 * rng.normal());

  // Per-visit laboratory series (first visits), as CRFs store them in wide form.
  const series = params.simulator.wide.visit_series;
  const vs = visits.store;
  for (const lab of ['hb_g_dl', 'hbf_pct', 'mcv_fl', 'ldh_u_l', 'wbc_1e9_l', 'platelets_1e9_l']) {
    const col = vs.get(lab);
    if (col.type !== 'float64') continue;
    for (let k = 0; k < series; k++) {
      const values = new Float64Array(n);
      const ok = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const row = visits.visitStart[i] + k;
        if (row < visits.visitStart[i + 1] && (!col.valid || col.valid[row])) {
          values[i] = col.values[row];
          ok[i] = 1;
        }
      }
      const base = lab.replace(/_(g_dl|pct|fl|u_l|1e9_l)$/, '');
      const unit = lab.endsWith('g_dl') ? 'g/dL' : lab.endsWith('pct') ? '%' : lab.endsWith('fl') ? 'fL' : lab.endsWith('u_l') ? 'U/L' : '10*9/L';
      out.push([{ name: `${base}_v${k + 1}`, kind: 'continuous', role: 'feature', unit, description: `${lab} at visit ${k + 1}`, source: SRC }, { type: 'float64', values, valid: ok }]);
    }
  }

  const w = params.simulator.wide;
  const sp = params.simulator.snp_panel;
  if (w.extra_snps > 0) {
    const panel = makeSnpPanel(w.extra_snps, sp.block_min, sp.block_max, sp.maf_min, sp.maf_max, sp.structure_seed, sp.n + 1);
    for (const [name, col] of simulateSnpPanel(panel, inStudy, sp.ld_copy_prob, params.simulator.missingness.snp_call_rate_missing, seed)) out.push([snpColumn(name, panel.maf[panel.names.indexOf(name)]), col]);
  }
  if (w.extra_metabolites > 0) {
    const mo = params.simulator.metabolomics;
    const logHbf = new Float64Array(n);
    for (let i = 0; i < n; i++) logHbf[i] = Math.log(Math.max(0.1, L.hbf_pct[i]));
    for (const [name, col] of simulateMetabolomics({ count: w.extra_metabolites, first: mo.n + 1, hemolysisDriven: 0, hemolysisLoading: 0, hbfDriven: 0, ageDriven: 0, clusters: mo.n_clusters, clusterLoading: mo.cluster_loading, structureSeed: mo.structure_seed }, inStudy, c.hemolysis, logHbf, c.age, seed)) {
      out.push([metaboliteColumn(name, 'shared latent cluster'), col]);
    }
  }
  return out;
}
