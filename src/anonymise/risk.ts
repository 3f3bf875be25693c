/**
 * Re-identification risk from equivalence-class sizes (records, or patients under patient-level
 * protection). Attacker models after El Emam, "Guide to the De-Identification of Personal
 * Health Information" (2013) and ARX:
 *  - prosecutor: the attacker knows the target is in the data; record risk 1/|class|;
 *  - journalist: the target is in a population the data were sampled from with fraction π;
 *    the population class is estimated as |class|/π (at least |class|); record risk 1/that;
 *  - marketer: the share of records re-identified when every record is matched at once:
 *    (1/n) Σ over classes of |class|/F, with F the population class size as for the journalist.
 * Population uniqueness comes from the native Pitman, Zayatz, SNB and Dankar estimators.
 */
import { loadAddon, callNative } from '../native/addon';

/** Population uniqueness by model, as shares of the population. */
export interface PopulationModels {
  samplingFraction: number;
  pitman: number;
  zayatz: number;
  snb: number;
  dankar: number;
  /** Which model Dankar et al.'s rule picked ("none" when there are no sample uniques). */
  dankarModel: string;
}

/** Risk figures of one table (see docs/anonymisation.md for every field). */
export interface RiskSummary {
  records: number;
  equivalenceClasses: number;
  averageProsecutor: number;
  highestProsecutor: number;
  /** Share of records whose prosecutor risk exceeds `recordRiskThreshold`. */
  recordsAtRisk: number;
  recordRiskThreshold: number;
  journalist: { average: number; highest: number; recordsAtRisk: number };
  marketer: number;
  sampleUniqueness: number;
  uniqueRecords: number;
  /** Dankar et al.'s estimate at the policy's sampling fraction. */
  populationUniqueness: number;
  populationModels: PopulationModels;
}

/**
 * Risk figures from class sizes.
 * @example riskFromClassSizes([1, 2, 5], { samplingFraction: 0.1, recordRiskThreshold: 0.2 })
 */
export function riskFromClassSizes(sizes: ArrayLike<number>, opts: { samplingFraction: number; recordRiskThreshold: number }): RiskSummary {
  let n = 0, classes = 0, uniques = 0, minSize = Infinity, atRisk = 0, jSum = 0, jMax = 0, jAtRisk = 0, marketer = 0;
  const pi = opts.samplingFraction;
  for (let i = 0; i < sizes.length; i++) {
    const s = sizes[i];
    if (s <= 0) continue;
    n += s;
    classes += 1;
    if (s === 1) uniques += 1;
    if (s < minSize) minSize = s;
    if (1 / s > opts.recordRiskThreshold) atRisk += s;
    const F = Math.max(s, s / pi);
    jSum += s / F;
    jMax = Math.max(jMax, 1 / F);
    if (1 / F > opts.recordRiskThreshold) jAtRisk += s;
    marketer += s / F;
  }
  const sizesF64 = Float64Array.from(sizes as ArrayLike<number>);
  const pop = n > 0 ? callNative(() => loadAddon().anonPopulationUniqueness(sizesF64, pi)) : { pitman: 0, zayatz: 0, snb: 0, dankar: 0, dankarModel: 'none' };
  return {
    records: n,
    equivalenceClasses: classes,
    averageProsecutor: n > 0 ? classes / n : 0,
    highestProsecutor: n > 0 ? 1 / minSize : 0,
    recordsAtRisk: n > 0 ? atRisk / n : 0,
    recordRiskThreshold: opts.recordRiskThreshold,
    journalist: { average: n > 0 ? jSum / n : 0, highest: jMax, recordsAtRisk: n > 0 ? jAtRisk / n : 0 },
    marketer: n > 0 ? marketer / n : 0,
    sampleUniqueness: n > 0 ? uniques / n : 0,
    uniqueRecords: uniques,
    populationUniqueness: pop.dankar,
    populationModels: { samplingFraction: pi, ...pop },
  };
}
