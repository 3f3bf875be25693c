/**
 * The clinical model of the SCD reference cohort: demographics, genetic modifiers, steady-state
 * laboratory values, treatments, events, imaging and survival, following the causal structure
 * of the reference (docs/data-model.md, scd-reference section 1.6):
 *
 *   genotype, alpha-thal, HbF QTLs, sex, age -> HbF -> (-) hemolysis latent H -> LDH, retic,
 *   bilirubin, AST (+), Hb (-); hydroxyurea -> HbF (+), MCV (+), WBC (-), H (-);
 *   alpha-thal -> MCV (-), H (-), Hb (+); Hb (-), age, vasculopathy -> TCD -> stroke;
 *   low Hb, male, vasculopathy -> silent infarcts; Hb (+), HbF (-), age -> VOC (negative
 *   binomial); HbF (-), WBC (+), Hb (+), age (-) -> ACS (Poisson); transfusion -> ferritin ->
 *   LIC -> cardiac T2*; WBC > 15, low HbF, stroke -> death.
 *
 * Everything is generated column-wise into typed arrays. Covariate effects on event rates are
 * centred on each genotype's untreated reference values, so the genotype base rates of the
 * reference stay the rates of a typical untreated patient of that genotype.
 */
import { GENOTYPES, Genotype, ScdParams } from './params';
import { SeededRandom, cumulative } from './random';
import type { SimulatedSite } from './sites';

const LN2 = Math.LN2;

/** Lab parameters are given for SS, Sb0, SC, Sb+; the rare "other" compound genotypes (SD, SO-Arab, SE, S/HPFH) use the milder Sb+ values. */
export function labGenotype(g: Genotype): Exclude<Genotype, 'other'> {
  return g === 'other' ? 'Sb+' : g;
}

/** Log-normal (mu, sigma) with the given arithmetic mean and SD. */
export function lognormalFromMeanSd(mean: number, sd: number): { mu: number; sigma: number } {
  const s2 = Math.log(1 + (sd / mean) ** 2);
  return { mu: Math.log(mean) - s2 / 2, sigma: Math.sqrt(s2) };
}

/** Piecewise-constant rate bands [from, to, value]: integral of the rate over [a, b]. */
export function integrateBands(bands: readonly (readonly number[])[], a: number, b: number): number {
  let s = 0;
  for (const [lo, hi, v] of bands) {
    const l = Math.max(lo, a);
    const h = Math.min(hi, b);
    if (h > l) s += (h - l) * v;
  }
  return s;
}

function bandValue(bands: readonly (readonly number[])[], age: number): number {
  for (const [lo, hi, v] of bands) if (age >= lo && age < hi) return v;
  return bands[bands.length - 1][2];
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The HbF QTLs simulated (column name, key in scd-params.json, allele-frequency key and the per-allele effect key). */
export const HBF_QTLS = [
  { column: 'rs11886868', key: 'rs11886868_BCL11A', maf: 'maf_T', effect: 'effect_per_T', allele: 'T', model: 'log_effect_bcl11a_raising' },
  { column: 'rs4671393', key: 'rs4671393_BCL11A', maf: 'maf_G', effect: 'effect_per_G', allele: 'G', model: 'log_effect_bcl11a_raising' },
  { column: 'rs9399137', key: 'rs9399137_HMIP', maf: 'maf_C', effect: 'effect_per_C', allele: 'C', model: 'log_effect_hmip_c' },
  { column: 'rs7482144', key: 'rs7482144_XmnI', maf: 'maf_A', effect: 'effect_per_A', allele: 'A', model: 'log_effect_xmni_a' },
] as const;

/** Per-patient values of the clinical model (complete: missingness is applied afterwards). */
export interface ClinicalCohort {
  n: number;
  siteIndex: Uint16Array;
  genotype: Uint8Array;
  female: Uint8Array;
  /** Age at the end of follow-up (data cut-off or death), years. */
  age: Float64Array;
  /** Years of follow-up before the end. */
  followup: Float64Array;
  /** Days from the end of follow-up back to the data cut-off (0 if alive). */
  endOffsetDays: Int32Array;
  died: Uint8Array;
  screeningEra: Uint8Array;
  alphaDel: Int8Array;
  qtl: Int8Array[];
  ugt1a1: Int8Array;
  hydroxyurea: Uint8Array;
  transfusion: Uint8Array;
  hemolysis: Float64Array;
  vasculopathy: Float64Array;
  labs: Record<string, Float64Array>;
  hbfBaseline: Float64Array;
  mcvBaseline: Float64Array;
  voc12m: Int32Array;
  acsCount: Int32Array;
  acsEver: Uint8Array;
  stroke: Uint8Array;
  strokeAge: Float64Array;
  tcd: Float64Array;
  sci: Uint8Array;
  lic: Float64Array;
  t2star: Float64Array;
  /** Laboratory analytes in `labs` with their reference between-patient SD (for visit-to-visit variation). */
  labSd: Record<string, Float64Array>;
}

/** Lab analytes produced by the model (column names). */
export const LAB_COLUMNS = ['hb_g_dl', 'hbf_pct', 'hbs_pct', 'hba_pct', 'hba2_pct', 'mcv_fl', 'retic_pct', 'ldh_u_l', 'bilirubin_mg_dl', 'ast_u_l', 'wbc_1e9_l', 'platelets_1e9_l', 'ferritin_ug_l'] as const;

/**
 * Simulates the clinical part of the cohort for patients of all sites (contiguous per site).
 * @example const c = simulateClinical(params, sites, 1500, 7); c.labs.hb_g_dl[0]
 */
export function simulateClinical(params: ScdParams, sites: SimulatedSite[], n: number, seed: number): ClinicalCohort {
  const P = params;
  const S = P.simulator;
  const L = P.labs_adult_mean_sd;
  const rng = new SeededRandom(seed, 'clinical');
  const refYear = Number(S.reference_date.slice(0, 4)) + (Date.parse(S.reference_date + 'T00:00:00Z') - Date.UTC(Number(S.reference_date.slice(0, 4)), 0, 1)) / (365.25 * 86400000);

  const c: ClinicalCohort = {
    n,
    siteIndex: new Uint16Array(n), genotype: new Uint8Array(n), female: new Uint8Array(n), age: new Float64Array(n),
    followup: new Float64Array(n), endOffsetDays: new Int32Array(n), died: new Uint8Array(n), screeningEra: new Uint8Array(n),
    alphaDel: new Int8Array(n), qtl: HBF_QTLS.map(() => new Int8Array(n)), ugt1a1: new Int8Array(n), hydroxyurea: new Uint8Array(n),
    transfusion: new Uint8Array(n), hemolysis: new Float64Array(n), vasculopathy: new Float64Array(n), labs: {}, labSd: {},
    hbfBaseline: new Float64Array(n).fill(NaN), mcvBaseline: new Float64Array(n).fill(NaN), voc12m: new Int32Array(n), acsCount: new Int32Array(n),
    acsEver: new Uint8Array(n), stroke: new Uint8Array(n), strokeAge: new Float64Array(n).fill(NaN), tcd: new Float64Array(n).fill(NaN),
    sci: new Uint8Array(n), lic: new Float64Array(n).fill(NaN), t2star: new Float64Array(n).fill(NaN),
  };
  for (const col of LAB_COLUMNS) {
    c.labs[col] = new Float64Array(n).fill(NaN);
    c.labSd[col] = new Float64Array(n);
  }

  // --- reference values derived once per genotype -------------------------------------------
  const q = P.alpha_thal['allele_freq_3.7'];
  const pd = P.alpha_thal.per_deletion;
  const qtlFreq = HBF_QTLS.map((d) => {
    const entry = P.hbf_qtl_african_ancestry[d.key] as Record<string, unknown>;
    const m = entry[d.maf];
    const maf = Array.isArray(m) ? (m[S.hbf_model.maf_index] as number) ?? (m[0] as number) : (m as number);
    const effect = entry[d.effect] as number;
    const raisingIsMinor = effect > 0;
    const beta = S.hbf_model[d.model];
    return { maf, raisingIsMinor, beta, pRaising: raisingIsMinor ? maf : 1 - maf };
  });
  const bFemale = Math.log(P.age_sex_effects.HbF_female_over_male_ratio);
  const bAlpha = S.hbf_model.log_effect_alpha_deletion;
  const pFemaleAll = 0.62 * P.cohort.female_prob.child + 0.38 * P.cohort.female_prob.adult;
  const qtlVar = qtlFreq.reduce((s, f) => s + f.beta * f.beta * 2 * f.pRaising * (1 - f.pRaising), 0);
  const explainedVar = qtlVar + bFemale * bFemale * pFemaleAll * (1 - pFemaleAll) + bAlpha * bAlpha * 2 * q * (1 - q);
  const ref = GENOTYPES.map((g) => {
    const lg = labGenotype(g);
    const hbf = L.HbF_pct[lg];
    const hbfLn = lognormalFromMeanSd(hbf[0], hbf[1]);
    return {
      hbfMu: hbfLn.mu,
      hbfSigma: hbfLn.sigma,
      hbfEps: Math.sqrt(Math.max(hbfLn.sigma ** 2 - explainedVar, 0.05)),
      hb: L.Hb_g_dL[lg],
      mcv: L.MCV_fL[lg],
      wbc: L.WBC_1e9_L[lg],
      plt: L.platelets_1e9_L[lg],
      hba2: g === 'other' ? L.HbA2_pct.SS : L.HbA2_pct[lg],
      retic: lognormalFromMeanSd(L.retic_pct[lg][0], L.retic_pct[lg][1]),
      ldh: lognormalFromMeanSd(L.LDH_U_L[lg][0], L.LDH_U_L[lg][1]),
      bili: lognormalFromMeanSd(L.bilirubin_mg_dL[lg][0], L.bilirubin_mg_dL[lg][1]),
      ast: lognormalFromMeanSd(S.extra_labs.AST_U_L[lg][0], S.extra_labs.AST_U_L[lg][1]),
      ferritinMedian: P.labs_adult_mean_sd.ferritin_ug_L_median[lg],
      pHu: P.hydroxyurea.p_on_HU[lg],
      voc: P.event_rates.VOC_per_PY[lg] * S.voc.rate_scale,
      acs: P.event_rates.ACS_per_100PY[lg] / 100,
      tcd: g === 'SS' || g === 'Sb0' ? P.event_rates.TCD_cm_s.SS_Sb0 : P.event_rates.TCD_cm_s['SC_Sb+'],
      strokeFactor: S.stroke.genotype_factor[g],
      sciFactor: S.sci.genotype_factor[g],
      pTransfusion: S.transfusion.p_base[g],
      medianDeath: S.mortality.median_age[g],
    };
  });
  // SCI modifiers are centred so that the SS hazard shape reproduces the published prevalence.
  const normalCdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
  const sciCentre = ref.map((r) => {
    const pLow = normalCdf((S.sci.low_hb_threshold_g_dl - r.hb[0]) / r.hb[1]);
    return (0.5 + 0.5 * S.sci.male_hr) * (1 - pLow + pLow * S.sci.low_hb_hr) * Math.exp((S.sci.vasculopathy_log_hr_per_sd ** 2) / 2);
  });
  // Static age breakpoints of the stroke hazard: band edges plus the screening window 2-16 y.
  const strokeEdges = [...new Set([0, 2, 16, 200, ...S.stroke.incidence_ss_per_100py.flatMap((b) => [b[0], b[1]])])].sort((a, b) => a - b);
  const strokeRate = strokeEdges.map((a, k) => (k + 1 < strokeEdges.length ? bandValue(S.stroke.incidence_ss_per_100py, (a + strokeEdges[k + 1]) / 2) / 100 : 0));
  // Mean of |age - peak| over the TCD age range 2-17 y, so the age term keeps the published mean.
  const pk = S.tcd.age_peak_years;
  const tcdAgeCentre = ((pk - 2) ** 2 / 2 + (17 - pk) ** 2 / 2) / 15;
  const strokeCentre = Math.exp((S.stroke.vasculopathy_log_hr_per_sd ** 2) / 2);
  const voc = S.voc;
  const acs = S.acs;
  const hu = P.hydroxyurea;
  const hr = S.hu_response;
  const ls = S.labs_age_sex;
  const hem = S.hemolysis;
  const siteCum = sites.map((s) => cumulative(GENOTYPES.map((g) => s.genotype_probs[g])));
  const paedRange = P.cohort.age.paediatric_range;
  const paedLen = paedRange[1] + 1 - paedRange[0];
  const slope = S.age_shape.paediatric_slope / paedLen;
  const paedTotal = paedLen - (slope * paedLen * paedLen) / 2;

  for (let si = 0; si < sites.length; si++) {
    const site = sites[si];
    for (let i = site.start; i < site.end; i++) {
      c.siteIndex[i] = si;
      // --- demographics ------------------------------------------------------------------------
      let ageAlive: number;
      if (rng.uniform() < P.cohort.age.p_paediatric) {
        // Density falling linearly by `paediatric_slope` over the range: inverse-CDF sampling.
        const u = rng.uniform() * paedTotal;
        ageAlive = paedRange[0] + (slope > 0 ? (1 - Math.sqrt(Math.max(0, 1 - 2 * slope * u))) / slope : u);
      } else {
        do ageAlive = 18 + rng.gamma(2, 8);
        while (ageAlive > 75);
      }
      const female = rng.uniform() < (ageAlive < 18 ? P.cohort.female_prob.child : P.cohort.female_prob.adult) ? 1 : 0;
      const g = rng.categorical(siteCum[si]);
      const r = ref[g];
      c.genotype[i] = g;
      c.female[i] = female;
      const sickleBeta0 = g <= 1;
      const child = ageAlive < 18;
      const birthYear = refYear - ageAlive;
      c.screeningEra[i] = birthYear >= site.screening_start_year ? 1 : 0;
      const fu = Math.min(S.followup_years.min + rng.uniform() * (S.followup_years.max - S.followup_years.min), Math.max(ageAlive - 1, 0.25));
      const ageStart = ageAlive - fu;

      // --- genetics ----------------------------------------------------------------------------
      const nAlpha = rng.binomialSmall(2, q);
      c.alphaDel[i] = nAlpha;
      let qtlScore = 0;
      for (let k = 0; k < qtlFreq.length; k++) {
        const f = qtlFreq[k];
        const minor = rng.binomialSmall(2, f.maf);
        c.qtl[k][i] = minor;
        const raising = f.raisingIsMinor ? minor : 2 - minor;
        qtlScore += f.beta * (raising - 2 * f.pRaising);
      }
      const ugt = rng.binomialSmall(2, S.ugt1a1.maf);
      c.ugt1a1[i] = ugt;

      // --- HbF (untreated, adult level, then infancy decline) -----------------------------------
      let logHbf = r.hbfMu + qtlScore + bFemale * (female - pFemaleAll) + bAlpha * (nAlpha - 2 * q) + r.hbfEps * rng.normal();
      const zHbf = (logHbf - r.hbfMu) / r.hbfSigma;
      logHbf += Math.log(P.age_sex_effects.HbF_SS_at_24mo[0] / L.HbF_pct.SS[0]) * Math.exp(-(ageAlive - 2) / P.age_sex_effects.HbF_tau_years);
      const hbfUntreated = clamp(Math.exp(logHbf), 0.2, 45);

      // --- treatments ----------------------------------------------------------------------------
      const pHu = Math.min(0.95, r.pHu * site.hu_factor * (ageAlive < 2 ? 0.5 : 1));
      const onHu = rng.uniform() < pHu ? 1 : 0;
      c.hydroxyurea[i] = onHu;
      let dHbf = 0, dMcv = 0, dHb = 0;
      if (onHu) {
        dHbf = rng.uniform() < hu.p_poor_responder ? 3 * rng.uniform() : Math.max(3, hu.delta.HbF_pp[0] + hu.delta.HbF_pp[1] * rng.normal());
        const zr = (dHbf - hu.delta.HbF_pp[0]) / hu.delta.HbF_pp[1];
        dMcv = hu.delta.MCV_fL[0] + hu.delta.MCV_fL[1] * (hr.r_mcv_hbf * zr + Math.sqrt(1 - hr.r_mcv_hbf ** 2) * rng.normal());
        dHb = hu.delta.Hb_g_dL[0] + hu.delta.Hb_g_dL[1] * (hr.r_hb_hbf * zr + Math.sqrt(1 - hr.r_hb_hbf ** 2) * rng.normal());
      }
      const hbf = Math.min(hbfUntreated + dHbf, Math.max(hr.hbf_cap_pct, hbfUntreated));
      const huFactor = onHu ? hu.delta.retic_LDH_bili_factor : 1;

      // --- latent hemolysis and vasculopathy -------------------------------------------------------
      const H = hem.hbf_correlation * zHbf + Math.sqrt(1 - hem.hbf_correlation ** 2) * rng.normal();
      const v = rng.normal();
      c.hemolysis[i] = H;
      c.vasculopathy[i] = v;

      // --- Hb (native, before any transfusion) -------------------------------------------------------
      let hbAgeSex = 0;
      if (ageAlive < 15) hbAgeSex = ls.hb_female_child_g_dl * (female - 0.5);
      else if (ageAlive >= 18) hbAgeSex = ls.hb_male_adult_g_dl * (1 - female - (1 - P.cohort.female_prob.adult));
      if (ageAlive > 40) hbAgeSex -= (ls.hb_decline_after_40_per_decade * (ageAlive - 40)) / 10;
      const zHb = hem.hb_loading * H + Math.sqrt(1 - hem.hb_loading ** 2) * rng.normal();
      const alphaHb = Math.min(pd.Hb_g_dL * nAlpha, nAlpha === 2 ? 1.5 : Infinity) - pd.Hb_g_dL * 2 * q;
      const hbNative = clamp(r.hb[0] + r.hb[1] * zHb + hbAgeSex + alphaHb + dHb, 4, 16.5);

      // --- stroke over the lifetime (piecewise-constant hazard) -------------------------------------
      const strokeMult = r.strokeFactor * Math.exp(S.stroke.vasculopathy_log_hr_per_sd * v) / strokeCentre;
      let e = -Math.log(rng.uniformOpen());
      let strokeAge = NaN;
      for (let k = 0; k + 1 < strokeEdges.length && Number.isNaN(strokeAge); k++) {
        const lo = strokeEdges[k];
        if (lo >= ageAlive) break;
        const hi = Math.min(strokeEdges[k + 1], ageAlive);
        // Split the band where follow-up (and so hydroxyurea exposure) starts.
        for (let part = 0; part < 2 && Number.isNaN(strokeAge); part++) {
          const a0 = part === 0 ? lo : Math.max(lo, ageStart);
          const a1 = part === 0 ? Math.min(hi, Math.max(lo, ageStart)) : hi;
          if (a1 <= a0) continue;
          let h = strokeRate[k] * strokeMult;
          if (c.screeningEra[i] && lo >= 2 && lo < 16) h *= S.stroke.screening_child_factor;
          if (onHu && part === 1) h *= S.stroke.hu_factor;
          const seg = h * (a1 - a0);
          if (e < seg) strokeAge = a0 + e / h;
          else e -= seg;
        }
      }

      // --- chronic transfusion -------------------------------------------------------------------------
      let pT = r.pTransfusion;
      if (!Number.isNaN(strokeAge)) pT = S.transfusion.p_after_stroke;
      else if (c.screeningEra[i] && ageAlive >= 2 && ageAlive < 17 && sickleBeta0 && v > 1.9) pT = S.transfusion.p_abnormal_tcd_screened;
      const transfused = rng.uniform() < pT ? 1 : 0;
      c.transfusion[i] = transfused;

      // --- steady-state laboratory values ------------------------------------------------------------------
      const marker = (load: number) => load * H + Math.sqrt(1 - load * load) * rng.normal();
      let retic = Math.exp(r.retic.mu + r.retic.sigma * marker(hem.marker_loading.retic)) * Math.pow(pd.retic_factor, nAlpha - 2 * q) * huFactor * (child ? ls.retic_child_factor : 1);
      let ldh = Math.exp(r.ldh.mu + r.ldh.sigma * marker(hem.marker_loading.ldh)) * Math.pow(pd.LDH_factor, nAlpha - 2 * q) * huFactor * site.ldh_factor;
      let bili = Math.exp(r.bili.mu + r.bili.sigma * marker(hem.marker_loading.bilirubin)) * Math.pow(S.ugt1a1.bilirubin_factor_per_allele, ugt - 2 * S.ugt1a1.maf) * huFactor * (child ? ls.bilirubin_child_factor : 1) * site.bilirubin_factor;
      let ast = Math.exp(r.ast.mu + r.ast.sigma * marker(hem.marker_loading.ast)) * (onHu ? 0.85 : 1);
      const mcvUntreated = r.mcv[0] + r.mcv[1] * rng.normal() + ls.mcv_child_fl * clamp((25 - ageAlive) / 20, 0, 1) + pd.MCV_fL * (nAlpha - 2 * q) + site.mcv_offset_fl;
      const mcv = clamp(mcvUntreated + dMcv, 50, 130);
      let wbc = Math.max(2, (r.wbc[0] + r.wbc[1] * marker(hem.wbc_loading)) * (child ? ls.wbc_child_factor : 1) * (onHu ? hr.wbc_factor : 1));
      let plt = Math.max(40, (r.plt[0] + r.plt[1] * rng.normal() + (child ? ls.platelets_child_1e9_l : 0)) * (onHu ? hu.delta.platelet_factor : 1));
      let hb = hbNative + site.hb_offset_g_dl;
      // Hb fractions (%): native composition, then mixed with donor blood when transfused.
      let fF = hbf;
      let fA2 = g === 2 ? NaN : r.hba2 ? r.hba2[0] + r.hba2[1] * rng.normal() + pd.HbA2_pp * (nAlpha - 2 * q) : NaN;
      let fA = g === 3 ? clamp(P.labs_adult_mean_sd.HbA_pct['Sb+'][0] + P.labs_adult_mean_sd.HbA_pct['Sb+'][1] * rng.normal(), 3, 35) : 0;
      if (g === 4) fA = 0;
      const rest = 100 - fF - (Number.isNaN(fA2) ? 0 : fA2) - fA;
      let fS = g === 2 ? rest * 0.52 : g === 4 ? rest * 0.5 : rest;
      let ferritin = r.ferritinMedian * Math.exp(Math.log(P.labs_adult_mean_sd.ferritin_ug_L_median.gsd) * rng.normal()) * site.ferritin_factor;
      if (transfused) {
        // Donor fraction from a target HbS of ~35% (exchange / top-up programmes).
        const target = clamp(S.transfusion.hbs_target_pct[0] + S.transfusion.hbs_target_pct[1] * rng.normal(), 10, 60);
        const f = clamp(1 - target / Math.max(fS, 1), 0.3, 0.9);
        fF *= 1 - f;
        fA2 = Number.isNaN(fA2) ? NaN : (1 - f) * fA2 + f * 2.6;
        fA = (1 - f) * fA + f * 97.4;
        fS *= 1 - f;
        hb = Math.max(hb, S.transfusion.hb_target[0] + S.transfusion.hb_target[1] * rng.normal() + site.hb_offset_g_dl);
        retic *= 0.7; ldh *= 0.75; bili *= 0.75; ast *= 0.85;
        ferritin = P.labs_adult_mean_sd.ferritin_ug_L_median.chronic_transfusion_median * Math.exp(S.transfusion.ferritin_log_sd * rng.normal()) * site.ferritin_factor;
        const zF = Math.log(ferritin / (P.labs_adult_mean_sd.ferritin_ug_L_median.chronic_transfusion_median * site.ferritin_factor)) / S.transfusion.ferritin_log_sd;
        const rFL = P.event_rates.iron_transfused.r_ferritin_LIC;
        const zL = rFL * zF + Math.sqrt(1 - rFL * rFL) * rng.normal();
        c.lic[i] = round(clamp(S.transfusion.lic_median_mg_g * Math.exp(S.transfusion.lic_log_sd * zL), 0.3, 80), 1);
        const rLT = P.event_rates.iron_transfused.r_LIC_cardiacT2star;
        c.t2star[i] = round(clamp(S.transfusion.t2star_median_ms * Math.exp(S.transfusion.t2star_log_sd * (rLT * zL + Math.sqrt(1 - rLT * rLT) * rng.normal())), 2, 80), 1);
      }
      c.labs.hb_g_dl[i] = round(clamp(hb, 3, 17), 1);
      c.labs.hbf_pct[i] = round(fF, 1);
      c.labs.hbs_pct[i] = round(fS, 1);
      c.labs.hba_pct[i] = round(fA, 1);
      c.labs.hba2_pct[i] = Number.isNaN(fA2) ? NaN : round(clamp(fA2, 0.5, 9), 1);
      // The fractions are rounded one by one, so their sum could read 100.1 or 100.2 (131 of 2,000
      // patients broke the schema's "hbs_pct + hbf_pct + hba2_pct + hba_pct <= 100"): HbS
      // takes the rounding difference, as an HPLC report's fractions add up to 100.
      const fractions = c.labs.hbf_pct[i] + c.labs.hbs_pct[i] + c.labs.hba_pct[i] + (Number.isNaN(c.labs.hba2_pct[i]) ? 0 : c.labs.hba2_pct[i]);
      if (fractions > 100) c.labs.hbs_pct[i] = Math.max(0, round(c.labs.hbs_pct[i] - (fractions - 100), 1));
      c.labs.mcv_fl[i] = round(mcv, 1);
      c.labs.retic_pct[i] = round(clamp(retic, 0.3, 40), 1);
      c.labs.ldh_u_l[i] = Math.round(clamp(ldh, 80, 3000));
      c.labs.bilirubin_mg_dl[i] = round(clamp(bili, 0.1, 25), 2);
      c.labs.ast_u_l[i] = Math.round(clamp(ast, 8, 400));
      c.labs.wbc_1e9_l[i] = round(wbc, 1);
      c.labs.platelets_1e9_l[i] = Math.round(plt);
      c.labs.ferritin_ug_l[i] = Math.round(clamp(ferritin, 5, 20000));
      c.labSd.hb_g_dl[i] = r.hb[1];
      c.labSd.hbf_pct[i] = Math.max(1, hbf * 0.3);
      c.labSd.mcv_fl[i] = r.mcv[1];
      c.labSd.ldh_u_l[i] = ldh * 0.3;
      c.labSd.wbc_1e9_l[i] = r.wbc[1];
      c.labSd.platelets_1e9_l[i] = r.plt[1];
      if (onHu) {
        c.hbfBaseline[i] = round(hbfUntreated, 1);
        c.mcvBaseline[i] = round(clamp(mcvUntreated, 50, 130), 1);
      }

      // --- imaging: TCD (children 2-16) and silent infarcts -----------------------------------------------
      if (ageAlive >= 2 && ageAlive < 17) {
        const [tm, tsd] = r.tcd;
        const s2 = Math.log(1 + (tsd / tm) ** 2);
        const hbPart = (S.tcd.hb_effect_cm_s_per_g_dl * r.hb[1]) / tm;
        const resid = Math.sqrt(Math.max(s2 - hbPart * hbPart, 0.001));
        const ageTerm = (S.tcd.age_slope_cm_s_per_year * (Math.abs(ageAlive - S.tcd.age_peak_years) - tcdAgeCentre)) / tm;
        const logT = Math.log(tm) - s2 / 2 + (S.tcd.hb_effect_cm_s_per_g_dl * (hbNative - dHb - r.hb[0])) / tm + ageTerm + resid * (0.8 * v + 0.6 * rng.normal());
        let t = Math.exp(logT) * (onHu ? S.tcd.hu_factor : 1) * (transfused ? S.tcd.transfusion_factor : 1);
        t += (S.tcd.hb_effect_cm_s_per_g_dl * dHb);
        c.tcd[i] = Math.round(clamp(t, 40, 320));
      }
      const lowHb = hbNative - dHb < S.sci.low_hb_threshold_g_dl ? S.sci.low_hb_hr : 1;
      const sciHazard = integrateBands(S.sci.hazard_ss_per_year, 0, ageAlive) * r.sciFactor * (female ? 1 : S.sci.male_hr) * lowHb * Math.exp(S.sci.vasculopathy_log_hr_per_sd * v) / sciCentre[g];
      c.sci[i] = rng.uniform() < 1 - Math.exp(-sciHazard) ? 1 : 0;

      // --- survival over follow-up (Gompertz baseline from the median age at death) -------------------------
      const B = S.mortality.gompertz_b;
      const m = r.medianDeath[female];
      const A = (B * LN2) / (Math.exp(B * m) - 1);
      const log2HbfDev = Math.log2(hbf) - (r.hbfMu / LN2);
      const strokeBeforeStart = !Number.isNaN(strokeAge) && strokeAge < ageStart;
      const mult = S.mortality.modern_care_factor * (wbc > 15 ? S.mortality.hr_wbc_above_15 : 1) * Math.pow(S.mortality.hr_per_doubling_hbf, log2HbfDev)
        * (strokeBeforeStart ? S.mortality.hr_stroke : 1) * (onHu ? S.mortality.hu_hr : 1);
      const cumHaz = ((mult * A) / B) * (Math.exp(B * ageAlive) - Math.exp(B * ageStart));
      const ed = -Math.log(rng.uniformOpen());
      let ageEnd = ageAlive;
      if (ed < cumHaz) {
        ageEnd = Math.log(Math.exp(B * ageStart) + (ed * B) / (mult * A)) / B;
        c.died[i] = 1;
      }
      if (!Number.isNaN(strokeAge) && strokeAge > ageEnd) strokeAge = NaN;
      c.stroke[i] = Number.isNaN(strokeAge) ? 0 : 1;
      c.strokeAge[i] = Number.isNaN(strokeAge) ? NaN : round(strokeAge, 1);
      c.age[i] = ageEnd;
      c.followup[i] = ageEnd - ageStart;
      c.endOffsetDays[i] = Math.round((ageAlive - ageEnd) * 365.25);

      // --- events: VOC in the last 12 months (negative binomial), ACS over follow-up (Poisson) --------------
      const hbDev = hbNative - r.hb[0];
      const hbfDev = Math.log2(hbf) - r.hbfMu / LN2;
      let mu = r.voc * bandValue(voc.age_factors, ageEnd) * Math.pow(voc.irr_per_doubling_hbf, hbfDev) * Math.pow(voc.irr_per_g_dl_hb, hbDev) * (onHu ? voc.hu_direct_irr : 1);
      if (!female && ageEnd >= 15 && ageEnd < 25) mu *= voc.male_15_25_factor;
      if (transfused) mu *= 0.6;
      c.voc12m[i] = rng.negativeBinomial(mu, voc.dispersion_k);
      const acsMult = r.acs * Math.pow(acs.irr_per_doubling_hbf, hbfDev) * Math.pow(acs.irr_per_g_dl_hb, hbDev) * Math.pow(acs.irr_per_1e9_wbc, wbc - r.wbc[0]) * (transfused ? 0.6 : 1);
      c.acsCount[i] = rng.poisson(acsMult * (onHu ? acs.hu_direct_irr : 1) * integrateBands(acs.age_factors, ageStart, ageEnd));
      const before = acsMult * integrateBands(acs.age_factors, 0, ageStart);
      c.acsEver[i] = c.acsCount[i] > 0 || rng.uniform() < 1 - Math.exp(-before) ? 1 : 0;
    }
  }
  return c;
}

/** Error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
