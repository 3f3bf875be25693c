/**
 * Data dictionary of the simulated SCD cohort: one ColumnSchema per column (kind, role, unit,
 * bounds, categories, meaning and the reference source of its parameters). The same list
 * drives table assembly, so the schema and the files cannot drift apart.
 */
import type { ColumnSchema, TableSchema } from '../data/schema';
import { GENOTYPES } from './params';

const DI = 'direct-identifier' as const;
const QI = 'quasi-identifier' as const;

/** Base patient columns before the SNP and metabolomics panels (and wide extras). */
export const PATIENT_COLUMNS: ColumnSchema[] = [
  { name: 'patient_id', kind: 'identifier', role: DI, nullable: false, description: 'Stable internal patient key linking the patients and visits tables (pseudonymous, but a direct identifier for release purposes)', source: 'generated' },
  { name: 'name', kind: 'text', role: DI, nullable: false, description: 'Given and family name (synthetic, mixing the ancestries of SCD patients in Europe)', source: 'CASiRe ancestry mix (V S10)' },
  { name: 'hospital_record_number', kind: 'identifier', role: DI, nullable: false, description: 'Hospital medical record number in the site\'s local format, unique within a site', source: 'generated' },
  { name: 'date_of_birth', kind: 'datetime', role: DI, nullable: false, min: '1940-01-01', max: '2024-12-31', description: 'Date of birth', source: 'age distribution (D from RADeep V S1)' },
  { name: 'postcode', kind: 'text', role: DI, description: 'Postcode of residence in the site\'s catchment area (country format)', source: 'generated' },
  { name: 'site', kind: 'categorical', role: QI, nullable: false, description: 'Treating centre (country code + number)', source: 'simulator.sites' },
  { name: 'country', kind: 'categorical', role: QI, nullable: false, categories: ['IT', 'NL', 'ES', 'FR'], description: 'Country of the treating centre (ISO 3166-1 alpha-2)', source: 'simulator.sites' },
  { name: 'sex', kind: 'categorical', role: QI, nullable: false, categories: ['F', 'M'], description: 'Sex', source: 'cohort.female_prob (D; RADeep 52.5% female, V S1)' },
  { name: 'age_years', kind: 'continuous', role: QI, nullable: false, unit: 'a', min: 1, max: 76, description: 'Age at the end of follow-up (data cut-off, or death), completed years with one decimal (floor of days/365.25 to 0.1 y)', source: 'cohort.age (D; RADeep median 14 y, 62% < 18 y, V S1)' },
  { name: 'screening_era', kind: 'boolean', role: 'feature', nullable: false, description: 'Born after the site\'s systematic TCD screening programme started (STOP-based stroke prevention)', source: 'simulator.sites.templates.*.screening_start_year (France since ~2000, V S4)' },
  { name: 'followup_years', kind: 'continuous', role: 'feature', nullable: false, unit: 'a', min: 0, max: 10, description: 'Years of registry follow-up ending at the data cut-off or death (exposure for acs_count and death)', source: 'simulator.followup_years (D)' },
  { name: 'died', kind: 'boolean', role: 'sensitive', nullable: false, description: 'Died during follow-up', source: 'mortality: median age at death by genotype and sex, WBC > 15, HbF (V S20)' },
  { name: 'genotype', kind: 'categorical', role: 'feature', nullable: false, categories: [...GENOTYPES], description: 'SCD genotype: SS, S/beta0-thalassaemia, SC, S/beta+-thalassaemia, other compound (SD-Punjab, SO-Arab, SE, S/HPFH)', source: 'cohort.genotype_probs and site mixes (D from V S1-S4)' },
  { name: 'alpha_thal_deletions', kind: 'integer', role: 'feature', min: 0, max: 2, description: 'Number of deleted alpha-globin genes (-alpha3.7)', source: 'alpha_thal.allele_freq_3.7 (V S49, D q = 0.20)' },
  { name: 'rs11886868', kind: 'integer', role: 'feature', min: 0, max: 2, description: 'BCL11A HbF QTL: count of the T allele (C>T, T lowers HbF)', source: 'hbf_qtl_african_ancestry (V Makani 2011, S51)' },
  { name: 'rs4671393', kind: 'integer', role: 'feature', min: 0, max: 2, description: 'BCL11A HbF QTL: count of the G allele (A>G, G lowers HbF)', source: 'hbf_qtl_african_ancestry (V S51)' },
  { name: 'rs9399137', kind: 'integer', role: 'feature', min: 0, max: 2, description: 'HBS1L-MYB (HMIP-2) HbF QTL: count of the C allele (raises HbF)', source: 'hbf_qtl_african_ancestry (V S51)' },
  { name: 'rs7482144', kind: 'integer', role: 'feature', min: 0, max: 2, description: 'HBG2 XmnI HbF QTL: count of the A allele (XmnI site present, raises HbF)', source: 'hbf_qtl_african_ancestry (V S51)' },
  { name: 'rs887829', kind: 'integer', role: 'feature', min: 0, max: 2, description: 'UGT1A1 promoter (Gilbert) tag SNP: count of the T allele (raises bilirubin)', source: 'simulator.ugt1a1 (M)' },
  { name: 'hb_g_dl', kind: 'continuous', role: 'feature', unit: 'g/dL', min: 3, max: 17, description: 'Steady-state haemoglobin', source: 'labs_adult_mean_sd.Hb_g_dL (V S9, S11, S12)' },
  { name: 'hbf_pct', kind: 'continuous', role: 'feature', unit: '%', min: 0, max: 50, description: 'Fetal haemoglobin (HPLC, % of total Hb)', source: 'labs_adult_mean_sd.HbF_pct, hbf model (V S13, S23-S25; D)' },
  { name: 'hbs_pct', kind: 'continuous', role: 'feature', unit: '%', min: 0, max: 100, description: 'Sickle haemoglobin (% of total Hb), complement of HbF, HbA2, HbA (and HbC in SC)', source: 'V S6, S12' },
  { name: 'hba_pct', kind: 'continuous', role: 'feature', unit: '%', min: 0, max: 100, description: 'Adult haemoglobin (% of total Hb): Sb+ own production or donor blood', source: 'labs_adult_mean_sd.HbA_pct (V S6, S12)' },
  { name: 'hba2_pct', kind: 'continuous', role: 'feature', unit: '%', min: 0, max: 10, description: 'HbA2 (% of total Hb); missing in SC (co-elutes with HbC)', source: 'labs_adult_mean_sd.HbA2_pct (V S6, S12)' },
  { name: 'mcv_fl', kind: 'continuous', role: 'feature', unit: 'fL', min: 50, max: 130, description: 'Mean corpuscular volume', source: 'labs_adult_mean_sd.MCV_fL (V S6, S11)' },
  { name: 'retic_pct', kind: 'continuous', role: 'feature', unit: '%', min: 0, max: 40, description: 'Reticulocytes (% of red cells)', source: 'labs_adult_mean_sd.retic_pct (D/M; V S15, S16)' },
  { name: 'ldh_u_l', kind: 'continuous', role: 'feature', unit: 'U/L', min: 50, max: 3000, description: 'Lactate dehydrogenase (hemolysis marker)', source: 'labs_adult_mean_sd.LDH_U_L (V S17; D)' },
  { name: 'bilirubin_mg_dl', kind: 'continuous', role: 'feature', unit: 'mg/dL', min: 0, max: 25, description: 'Total bilirubin (x 17.1 = umol/L)', source: 'labs_adult_mean_sd.bilirubin_mg_dL (M/D)' },
  { name: 'ast_u_l', kind: 'continuous', role: 'feature', unit: 'U/L', min: 5, max: 400, description: 'Aspartate aminotransferase (hemolysis cluster)', source: 'simulator.extra_labs.AST_U_L (M/D; V S17)' },
  { name: 'wbc_1e9_l', kind: 'continuous', role: 'feature', unit: '10*9/L', min: 1, max: 40, description: 'White blood cell count', source: 'labs_adult_mean_sd.WBC_1e9_L (M/D; V S19-S21)' },
  { name: 'platelets_1e9_l', kind: 'continuous', role: 'feature', unit: '10*9/L', min: 30, max: 1200, description: 'Platelet count', source: 'labs_adult_mean_sd.platelets_1e9_L (M/D; V S19, S21)' },
  { name: 'ferritin_ug_l', kind: 'continuous', role: 'feature', unit: 'ug/L', min: 1, max: 20000, description: 'Serum ferritin', source: 'labs_adult_mean_sd.ferritin_ug_L_median (M/D; transfused V S22)' },
  { name: 'hbf_baseline_pct', kind: 'continuous', role: 'feature', unit: '%', min: 0, max: 50, description: 'HbF before starting hydroxyurea (treated patients only)', source: 'hydroxyurea.delta (V S11, S29)' },
  { name: 'mcv_baseline_fl', kind: 'continuous', role: 'feature', unit: 'fL', min: 50, max: 130, description: 'MCV before starting hydroxyurea (treated patients only)', source: 'hydroxyurea.delta (V S11)' },
  { name: 'hydroxyurea', kind: 'boolean', role: 'feature', nullable: false, description: 'On hydroxyurea', source: 'hydroxyurea.p_on_HU x site hu_factor (D; V S2, S4)' },
  { name: 'chronic_transfusion', kind: 'boolean', role: 'feature', nullable: false, description: 'On a chronic transfusion programme (after stroke, abnormal TCD, or other indication)', source: 'simulator.transfusion (D; V S37, S38)' },
  { name: 'voc_12m', kind: 'integer', role: 'target', nullable: false, min: 0, max: 100, description: 'Vaso-occlusive crises in the last 12 months (negative binomial)', source: 'event_rates.VOC_per_PY, simulator.voc (M Platt 1991; V S9, S33, S56)' },
  { name: 'acs_count', kind: 'integer', role: 'sensitive', nullable: false, min: 0, max: 100, description: 'Acute chest syndrome episodes during follow-up (followup_years)', source: 'event_rates.ACS_per_100PY (V S34, S9)' },
  { name: 'acs_ever', kind: 'boolean', role: 'sensitive', nullable: false, description: 'Acute chest syndrome ever (before or during follow-up)', source: 'event_rates.ACS_per_100PY (V S34)' },
  { name: 'stroke', kind: 'boolean', role: 'sensitive', nullable: false, description: 'Overt stroke ever', source: 'event_rates.stroke_per_100PY, simulator.stroke (V S35, S36, S4)' },
  { name: 'stroke_age_years', kind: 'continuous', role: 'sensitive', unit: 'a', min: 0, max: 76, description: 'Age at first overt stroke (stroke patients only)', source: 'simulator.stroke (V S35, S36)' },
  { name: 'tcd_velocity_cm_s', kind: 'continuous', role: 'feature', unit: 'cm/s', min: 40, max: 320, description: 'Transcranial Doppler time-averaged mean of maximum velocity (children 2-16 y only); >= 200 abnormal, 170-199 conditional', source: 'event_rates.TCD_cm_s (V S37, S39)' },
  { name: 'sci_mri', kind: 'boolean', role: 'feature', description: 'Silent cerebral infarct on brain MRI (when an MRI was done)', source: 'event_rates.SCI_prevalence_SS, simulator.sci (V S42-S45)' },
  { name: 'lic_mg_g', kind: 'continuous', role: 'feature', unit: 'mg/g', min: 0, max: 80, description: 'Liver iron concentration by MRI R2* (mg Fe/g dry weight; transfused patients only)', source: 'simulator.transfusion, event_rates.iron_transfused (V S22, S46)' },
  { name: 'cardiac_t2star_ms', kind: 'continuous', role: 'feature', unit: 'ms', min: 2, max: 80, description: 'Cardiac T2* by MRI (transfused patients only; < 20 ms = iron loading)', source: 'event_rates.iron_transfused (V S46; M cut-offs)' },
];

/** Columns of the visits table. */
export const VISIT_COLUMNS: ColumnSchema[] = [
  { name: 'patient_id', kind: 'identifier', role: DI, nullable: false, description: 'Patient key (links to the patients table)', source: 'generated' },
  { name: 'hospital_record_number', kind: 'identifier', role: DI, nullable: false, description: 'Hospital medical record number', source: 'generated' },
  { name: 'site', kind: 'categorical', role: QI, nullable: false, description: 'Treating centre', source: 'simulator.sites' },
  { name: 'visit_number', kind: 'integer', role: 'feature', nullable: false, min: 1, max: 1000, description: 'Visit order within the patient (1 = first)', source: 'simulator.visits' },
  { name: 'visit_date', kind: 'datetime', role: DI, nullable: false, min: '1990-01-01', max: '2024-12-31', description: 'Date of the visit', source: 'simulator.visits' },
  { name: 'hb_g_dl', kind: 'continuous', role: 'feature', unit: 'g/dL', min: 3, max: 17, description: 'Haemoglobin at the visit', source: 'steady state + AR(1) within-patient variation (D)' },
  { name: 'hbf_pct', kind: 'continuous', role: 'feature', unit: '%', min: 0, max: 50, description: 'HbF at the visit', source: 'D' },
  { name: 'mcv_fl', kind: 'continuous', role: 'feature', unit: 'fL', min: 50, max: 130, description: 'MCV at the visit', source: 'D' },
  { name: 'ldh_u_l', kind: 'continuous', role: 'feature', unit: 'U/L', min: 50, max: 3000, description: 'LDH at the visit', source: 'D' },
  { name: 'wbc_1e9_l', kind: 'continuous', role: 'feature', unit: '10*9/L', min: 1, max: 40, description: 'WBC at the visit', source: 'D' },
  { name: 'platelets_1e9_l', kind: 'continuous', role: 'feature', unit: '10*9/L', min: 30, max: 1200, description: 'Platelets at the visit', source: 'D' },
];

/** Schema of a SNP column of the background panel. */
export function snpColumn(name: string, maf: number): ColumnSchema {
  return { name, kind: 'integer', role: 'feature', min: 0, max: 2, description: `Background SNP (minor-allele count; panel MAF ${maf.toFixed(3)}; linkage blocks, no phenotype effect)`, source: 'simulator.snp_panel (D)' };
}

/** Schema of a metabolite column. */
export function metaboliteColumn(name: string, driver: string): ColumnSchema {
  return { name, kind: 'continuous', role: 'feature', unit: 'a.u.', min: 0, description: `Metabolite relative abundance (log-normal; ${driver})`, source: 'simulator.metabolomics (D)' };
}

/** Wraps columns into a TableSchema. */
export function tableSchema(name: string, columns: ColumnSchema[], constraints?: string[]): TableSchema {
  return { version: 1, name, columns, ...(constraints ? { constraints } : {}) };
}

