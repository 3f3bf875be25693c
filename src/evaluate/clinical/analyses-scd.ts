/**
 * Built-in GLM analyses for sickle-cell cohorts (columns of the hemasynth SCD data model).
 * Each restates a published association also checked by V1–V13 (shared design
 * scd-reference, Part 2), as a regression whose estimates are compared between real and
 * synthetic data; an analysis runs only when its columns are present.
 */
import type { ClinicalAnalysis } from './analyses';
import type { EvalTable } from '../table-columns';

/** The SCD analyses (Platt et al. 1991 for crises vs HbF; Steinberg 2005 for HbF and haemoglobin). */
export const SCD_ANALYSES: readonly ClinicalAnalysis[] = [
  { id: 'scd-voc-hbf', title: 'Vaso-occlusive crises fall with HbF (Platt 1991)', outcome: 'voc_12m', family: 'poisson', covariates: ['hbf_pct', 'genotype', 'age_years'], compare: ['hbf_pct'], expectedSign: { hbf_pct: -1 }, source: 'Platt OS et al., NEJM 1991;325:11-16' },
  { id: 'scd-hb-hbf', title: 'Haemoglobin rises with HbF', outcome: 'hb_g_dl', family: 'gaussian', covariates: ['hbf_pct', 'genotype', 'sex'], compare: ['hbf_pct'], expectedSign: { hbf_pct: 1 }, source: 'Steinberg MH, Br J Haematol 2005;129:465-481' },
  { id: 'scd-ldh-genotype', title: 'Haemolysis (LDH) by genotype', outcome: 'ldh_u_l', family: 'gaussian', covariates: ['genotype', 'age_years'], compare: ['genotype'], source: 'Kato GJ et al., Blood 2006;107:2279-2285' },
];

/** The built-in analyses whose columns all exist in `t`. */
export function applicableScdAnalyses(t: EvalTable): ClinicalAnalysis[] {
  const names = new Set(t.columns.map((c) => c.name));
  return SCD_ANALYSES.filter((a) => names.has(a.outcome) && a.covariates.every((c) => names.has(c)));
}
