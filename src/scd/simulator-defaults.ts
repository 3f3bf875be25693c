/**
 * Defaults of the simulator's own model parameters: the parts of the cohort model that the
 * published reference (data/scd-params.json, docs/scd-reference.md facts) leaves open. Every
 * value carries a `_tag` in the same provenance code as the reference:
 *   V = verified published value, M = literature value to re-check, D = design choice inside
 *   published ranges (tuned so the V1–V13 checks of src/evaluate/clinical hold).
 * All of it can be overridden from a `--params` JSON file under the key `simulator`.
 */

/** Per-country site template: genotype mix, treatment practice, laboratory calibration. */
export interface SiteTemplate {
  country_name: string;
  genotype_probs: Record<string, number>;
  /** Multiplies the genotype-specific P(hydroxyurea). */
  hu_factor: number;
  /** Laboratory calibration: additive Hb (g/dL) and MCV (fL) offsets, multiplicative LDH, bilirubin and ferritin factors. */
  hb_offset_g_dl: number;
  mcv_offset_fl: number;
  ldh_factor: number;
  bilirubin_factor: number;
  ferritin_factor: number;
  /** Multiplies every measure-specific missingness probability (data-management quality). */
  missing_factor: number;
  /** Fraction of patients in the genomics / metabolomics sub-study. */
  omics_fraction: number;
  /** Birth year from which children had systematic TCD screening (STOP-based programmes). */
  screening_start_year: number;
  /** Postcode generator: first digits of the catchment area (kept realistic per country). */
  postcode_prefixes: string[];
}

export const SIMULATOR_DEFAULTS = {
  _provenance: 'Simulator model parameters (hemasynth). Tags: V verified, M literature to re-check, D design choice within published ranges.',
  reference_date: '2024-12-31',
  followup_years: { min: 1, max: 10, _tag: 'D: registry follow-up of 1-10 years before the data cut-off' },
  sites: {
    country_order: ['IT', 'NL', 'ES', 'FR'],
    /** Relative site sizes, cycled over sites. */
    size_weights: [1.15, 0.95, 0.85, 1.05],
    /** Dirichlet concentration of the per-site jitter around the country genotype mix (lower = more heterogeneous). */
    jitter_concentration: 400,
    templates: {
      IT: {
        country_name: 'Italy',
        genotype_probs: { SS: 0.6, Sb0: 0.1, SC: 0.12, 'Sb+': 0.15, other: 0.03 },
        hu_factor: 1.1, hb_offset_g_dl: 0.15, mcv_offset_fl: 1.0, ldh_factor: 1.08, bilirubin_factor: 1.0, ferritin_factor: 1.1,
        missing_factor: 0.9, omics_fraction: 0.35, screening_start_year: 2008, postcode_prefixes: ['20', '35', '00', '40', '10'],
      },
      NL: {
        country_name: 'Netherlands',
        genotype_probs: { SS: 0.7, Sb0: 0.04, SC: 0.19, 'Sb+': 0.05, other: 0.02 },
        hu_factor: 0.95, hb_offset_g_dl: -0.1, mcv_offset_fl: -1.0, ldh_factor: 0.95, bilirubin_factor: 1.05, ferritin_factor: 0.95,
        missing_factor: 0.8, omics_fraction: 0.45, screening_start_year: 2006, postcode_prefixes: ['10', '11', '30', '25'],
      },
      ES: {
        country_name: 'Spain',
        genotype_probs: { SS: 0.69, Sb0: 0.05, SC: 0.15, 'Sb+': 0.09, other: 0.02 },
        hu_factor: 1.0, hb_offset_g_dl: 0.05, mcv_offset_fl: 0.5, ldh_factor: 1.12, bilirubin_factor: 0.95, ferritin_factor: 1.0,
        missing_factor: 1.25, omics_fraction: 0.25, screening_start_year: 2010, postcode_prefixes: ['28', '08', '46', '41'],
      },
      FR: {
        country_name: 'France',
        genotype_probs: { SS: 0.72, Sb0: 0.04, SC: 0.18, 'Sb+': 0.04, other: 0.02 },
        hu_factor: 0.85, hb_offset_g_dl: -0.05, mcv_offset_fl: -0.5, ldh_factor: 0.92, bilirubin_factor: 1.0, ferritin_factor: 1.05,
        missing_factor: 1.05, omics_fraction: 0.3, screening_start_year: 2000, postcode_prefixes: ['75', '94', '93', '69', '13'],
      },
    } as Record<string, SiteTemplate>,
    _tag: 'D: genotype mixes jittered around the European default (Italy: more S/beta-thal, V S1); France TCD screening since ~2000 (V S4); offsets D',
  },
  age_shape: { paediatric_slope: 0.3, _tag: 'D: density falls linearly by 30% from 1 to 18 y ("mild downward slope")' },
  hbf_model: {
    /** Per-allele effects on log(HbF) (scd-reference 1.5 proposed model). */
    log_effect_bcl11a_raising: 0.3,
    log_effect_hmip_c: 0.55,
    log_effect_xmni_a: 0.45,
    log_effect_alpha_deletion: 0.15,
    /** Which minor-allele frequency of the two published (0 Tanzania, 1 British-African) to use. */
    maf_index: 1,
    /** Fraction of adult log-HbF excess of the 24-month value (SS) applied to other genotypes. */
    _tag: 'D: scd-reference 1.5 proposed genotype->HbF model; British-African MAF (V S51) for a European setting',
  },
  hemolysis: {
    /** Correlation of the latent hemolysis score with standardised log HbF (Nouraie: r = -0.42, V S18). */
    hbf_correlation: -0.42,
    /** Loading of each hemolysis marker (log LDH, log retic, log bilirubin, log AST) on the latent score. */
    marker_loading: { ldh: 0.8, retic: 0.72, bilirubin: 0.62, ast: 0.6 },
    /** Loading of Hb (standardised) on the latent score. */
    hb_loading: -0.5,
    /** Loading of WBC on the latent score (hemolysis score vs WBC r = +0.31, V S18). */
    wbc_loading: 0.3,
    _tag: 'D: Gaussian latent-factor model; loadings give r(LDH, retic) ~ 0.55, r(LDH, Hb) ~ -0.4 (V S17, S18)',
  },
  labs_age_sex: {
    hb_female_child_g_dl: 0.2, hb_male_adult_g_dl: 0.5, hb_decline_after_40_per_decade: 0.3,
    mcv_child_fl: -6, retic_child_factor: 1.1, platelets_child_1e9_l: 40, bilirubin_child_factor: 0.85, wbc_child_factor: 1.1,
    _tag: 'D from V S19, S26: females higher Hb before 15, males after 17; MCV rises 5-29 y; retic and platelets fall with age',
  },
  hu_response: {
    r_mcv_hbf: 0.6, r_hb_hbf: 0.4, hbf_cap_pct: 35, wbc_factor: 0.75, hbf_max_on_transfusion: 0.5,
    _tag: 'D: response correlation within treated (V7 band r > 0.3); WBC falls with ANC x0.6 (V S11)',
  },
  voc: {
    rate_scale: 1.7,
    dispersion_k: 1.4,
    irr_per_doubling_hbf: 0.75,
    irr_per_g_dl_hb: 1.2,
    hu_direct_irr: 0.75,
    age_factors: [[0, 5, 0.7], [5, 12, 0.85], [12, 18, 1.0], [18, 30, 1.25], [30, 200, 1.1]],
    male_15_25_factor: 1.25,
    _tag: 'D: Platt 1991 rates (M) scaled to contemporary adults 1.23 vs 0.75 /PY (V S9) and 45% zero-episode years (V S9); HbF and Hb effects V S56, S33',
  },
  acs: {
    irr_per_doubling_hbf: 0.8,
    irr_per_g_dl_hb: 1.15,
    irr_per_1e9_wbc: 1.06,
    hu_direct_irr: 0.6,
    age_factors: [[0, 2, 1.5], [2, 5, 1.98], [5, 10, 1.56], [10, 18, 1.09], [18, 200, 0.69]],
    _tag: 'V S34 age pattern (2-4 y: 25.3, adults 8.8 per 100 PY in SS) with D intermediate bands; HU halves ACS (V S30)',
  },
  stroke: {
    incidence_ss_per_100py: [[0, 2, 0.3], [2, 10, 0.8], [10, 20, 0.45], [20, 30, 0.3], [30, 45, 0.75], [45, 200, 0.9]],
    genotype_factor: { SS: 1, Sb0: 0.9, SC: 0.2, 'Sb+': 0.2, other: 0.3 },
    screening_child_factor: 0.35,
    hu_factor: 0.7,
    vasculopathy_log_hr_per_sd: 0.8,
    _tag: 'V S35/S36: 11% by 20 y, 24% by 45 y, infarctive low at 20-29 y; screening + transfusion: 1.1% by 5 y (V S4); D shape',
  },
  tcd: {
    hb_effect_cm_s_per_g_dl: -9, hu_factor: 0.85, transfusion_factor: 0.8, age_peak_years: 6, age_slope_cm_s_per_year: -3,
    _tag: 'V S39 means; lognormal tail gives ~2% abnormal in untreated SS (V S39 1.6%); HU lowers TCD (SMD -1.03, V S32); D slopes',
  },
  sci: {
    hazard_ss_per_year: [[0, 6, 0.0524], [6, 14, 0.0184], [14, 18, 0.008], [18, 200, 0.008]],
    genotype_factor: { SS: 1, Sb0: 1, SC: 0.31, 'Sb+': 0.31, other: 0.4 },
    male_hr: 1.3, low_hb_hr: 2.97, low_hb_threshold_g_dl: 7.5, vasculopathy_log_hr_per_sd: 0.4,
    _tag: 'V S42-S45: 27% < 6 y, 37% by 14, 39% by 18; SS/Sb0 29.5% vs SC/Sb+ 9.2%; Hb < 7 HR 2.97; male; D hazard shape',
  },
  transfusion: {
    p_base: { SS: 0.05, Sb0: 0.05, SC: 0.01, 'Sb+': 0.01, other: 0.02 },
    p_after_stroke: 0.85, p_abnormal_tcd_screened: 0.8,
    hb_target: [9.5, 0.8], hbs_target_pct: [35, 10],
    ferritin_log_sd: 0.75,
    lic_median_mg_g: 9, lic_log_sd: 0.75,
    t2star_median_ms: 32, t2star_log_sd: 0.3,
    _tag: 'V S22/S46: ferritin > 2500 in 50%, r(ferritin, LIC) 0.77-0.82, r(LIC, T2*) -0.41, cardiac loading rare; D medians',
  },
  mortality: {
    gompertz_b: 0.065,
    median_age: { SS: [42, 48], Sb0: [42, 48], SC: [60, 68], 'Sb+': [60, 68], other: [55, 62] },
    hr_wbc_above_15: 3.0, hr_per_doubling_hbf: 0.8, hr_stroke: 2.0, hu_hr: 0.7, modern_care_factor: 0.45,
    _tag: 'V S20: median age at death by genotype and sex (historical), WBC > 15 and low HbF predict death; D: Gompertz slope, modern-care factor',
  },
  missingness: {
    base: {
      hb_g_dl: 0.02, hbf_pct: 0.08, hbs_pct: 0.1, hba2_pct: 0.15, hba_pct: 0.12, mcv_fl: 0.04, retic_pct: 0.12, ldh_u_l: 0.14,
      bilirubin_mg_dl: 0.1, ast_u_l: 0.15, wbc_1e9_l: 0.03, platelets_1e9_l: 0.04, ferritin_ug_l: 0.18, alpha_thal_deletions: 0.25,
      hbf_qtl: 0.1, tcd_velocity_cm_s: 0.15, sci_mri: 0.45, lic_mg_g: 0.2, cardiac_t2star_ms: 0.35, postcode: 0.03, baseline_pre_hu: 0.3,
    } as Record<string, number>,
    /** Multiplier for children under 12 (fewer venous samples, sedation for MRI). */
    child_factor: { ldh_u_l: 1.4, ast_u_l: 1.4, ferritin_ug_l: 1.3, bilirubin_mg_dl: 1.2, retic_pct: 1.2, sci_mri: 1.3 } as Record<string, number>,
    /** Multiplier for adults (less regular follow-up). */
    adult_factor: { hbf_pct: 1.3, hba2_pct: 1.3, sci_mri: 2.0 } as Record<string, number>,
    snp_call_rate_missing: 0.01,
    _tag: 'D: measure-specific rates, site factor (templates) and age factors',
  },
  visits: {
    per_year: 2, min: 2, max: 12, within_patient_sd_fraction: 0.35, autocorrelation: 0.6,
    _tag: 'D: quarterly-to-yearly visits; AR(1) within-patient variation around the steady state',
  },
  snp_panel: {
    n: 200, block_min: 4, block_max: 12, ld_copy_prob: 0.85, maf_min: 0.05, maf_max: 0.5, structure_seed: 20240531,
    _tag: 'D: null background panel in linkage blocks (haplotype copying), shared by all cohorts through structure_seed',
  },
  metabolomics: {
    n: 40, hemolysis_driven: 12, hemolysis_loading: 0.55, hbf_driven: 4, age_driven: 6, n_clusters: 4, cluster_loading: 0.5,
    structure_seed: 20240601,
    _tag: 'D: log-normal metabolites; first block driven by the hemolysis latent (e.g. arginine/heme pathways)',
  },
  extra_labs: {
    AST_U_L: { SS: [45, 20], Sb0: [42, 18], SC: [30, 10], 'Sb+': [32, 12] } as Record<string, [number, number]>,
    _tag: 'M/D: AST rises with hemolysis (V S17 cluster); values D',
  },
  ugt1a1: { maf: 0.4, bilirubin_factor_per_allele: 1.35, _tag: 'M: UGT1A1 (TA)7 promoter (Gilbert) raises bilirubin in SCD; rs887829 tags it' },
  wide: { extra_snps: 130, extra_metabolites: 80, visit_series: 6, _tag: 'D: reaches ~600 columns, the width of SCD case-report forms' },
};

export type SimulatorDefaults = typeof SIMULATOR_DEFAULTS;
