/**
 * Default risk thresholds of the automatic privacy level, with their sources. Each can be
 * overridden in the policy's "thresholds".
 */
export interface RiskThresholds {
  /** Highest prosecutor risk (1 / smallest class) allowed: singling out. */
  highestProsecutor: number;
  /** Share of records unique in the release allowed: singling out. */
  sampleUniqueness: number;
  /** Average prosecutor risk allowed: linkability. */
  averageProsecutor: number;
  /** Estimated share of population uniques allowed: linkability. */
  populationUniqueness: number;
  /** Record-level risk above which a record counts as "at risk" in recordsAtRisk. */
  recordRisk: number;
  /** Fewest distinct sensitive values per class: inference. */
  minDistinctL: number;
  /** Largest equal-distance t-closeness distance per class: inference. */
  maxTCloseness: number;
}

export const DEFAULT_THRESHOLDS: RiskThresholds = {
  highestProsecutor: 0.2,
  sampleUniqueness: 0,
  averageProsecutor: 0.09,
  populationUniqueness: 0.01,
  recordRisk: 0.2,
  minDistinctL: 2,
  maxTCloseness: 0.2,
};

/** Where each default comes from (quoted in the report and in docs/anonymisation.md). */
export const THRESHOLD_SOURCES: Record<keyof RiskThresholds, string> = {
  highestProsecutor: 'El Emam K. Guide to the De-Identification of Personal Health Information (CRC, 2013): 0.2 (smallest class of 5) for data shared with trusted recipients',
  sampleUniqueness: 'Article 29 Working Party Opinion 05/2014 on anonymisation techniques: a record unique in the release can be singled out',
  averageProsecutor: 'European Medicines Agency, External guidance on the implementation of Policy 0070 (2018): 0.09 average re-identification risk for clinical reports',
  populationUniqueness: 'hemasynth default (no regulatory figure): at most 1% of the population estimated unique (Dankar et al. 2012 decision rule)',
  recordRisk: 'El Emam K. (2013): records with a prosecutor risk above 0.2 count as at risk',
  minDistinctL: 'Machanavajjhala et al., l-Diversity, ICDE 2006: a class with one sensitive value discloses it (homogeneity attack)',
  maxTCloseness: 'Li, Li & Venkatasubramanian, t-Closeness, ICDE 2007 (0.2 as in their experiments)',
};
