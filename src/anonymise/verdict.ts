/**
 * The automatic privacy level: measured risks against thresholds, one plain-language verdict
 * per criterion of the Article 29 Working Party Opinion 05/2014 on anonymisation techniques
 * (singling out, linkability, inference), and what to change when one fails.
 */
import { RiskSummary } from './risk';
import { RiskThresholds, THRESHOLD_SOURCES } from './thresholds';

/** Measures of attribute disclosure for one sensitive column (after anonymisation). */
export interface InferenceMeasure {
  column: string;
  /** Fewest distinct values of the column in a released class. */
  minDistinctL: number;
  /** Smallest entropy-l (2^entropy in bits) of a released class. */
  minEntropyL: number;
  /** Largest equal-distance EMD between a class and the whole table. */
  maxTCloseness: number;
}

export interface CriterionCheck {
  measure: string;
  value: number;
  threshold: number;
  comparison: '<=' | '>=';
  passed: boolean;
  source: string;
}

export interface CriterionVerdict {
  criterion: 'singling-out' | 'linkability' | 'inference';
  passed: boolean;
  checks: CriterionCheck[];
  explanation: string;
  /** What to change in the policy when the criterion fails (empty when it passes). */
  remedies: string[];
}

export interface PrivacyVerdict {
  /** "low-risk" when every criterion passes, else "identifiable". */
  level: 'low-risk' | 'identifiable';
  summary: string;
  criteria: CriterionVerdict[];
}

function check(measure: keyof RiskThresholds | string, value: number, threshold: number, comparison: '<=' | '>=', source: string): CriterionCheck {
  const passed = comparison === '<=' ? value <= threshold + 1e-12 : value >= threshold - 1e-12;
  return { measure, value, threshold, comparison, passed, source };
}

/**
 * Compares risk figures with thresholds and explains each WP29 criterion.
 * @example assessPrivacyLevel(report.risk.after, inference, policy.thresholds, ['age', 'sex'])
 */
export function assessPrivacyLevel(risk: RiskSummary, inference: InferenceMeasure[], t: RiskThresholds, quasiIdentifiers: string[]): PrivacyVerdict {
  const qiList = quasiIdentifiers.length ? quasiIdentifiers.join(', ') : 'none';
  const so = [
    check('highestProsecutor', risk.highestProsecutor, t.highestProsecutor, '<=', THRESHOLD_SOURCES.highestProsecutor),
    check('sampleUniqueness', risk.sampleUniqueness, t.sampleUniqueness, '<=', THRESHOLD_SOURCES.sampleUniqueness),
  ];
  const soPassed = so.every((c) => c.passed);
  const singling: CriterionVerdict = {
    criterion: 'singling-out',
    passed: soPassed,
    checks: so,
    explanation: soPassed
      ? `Every released record shares its quasi-identifiers (${qiList}) with at least ${Math.round(1 / Math.max(risk.highestProsecutor, 1e-12))} records; none can be singled out by them.`
      : `${(risk.sampleUniqueness * 100).toFixed(2)}% of records are unique on ${qiList} and the smallest class has ${risk.highestProsecutor > 0 ? Math.round(1 / risk.highestProsecutor) : 0} record(s): an attacker knowing these attributes can single out individuals.`,
    remedies: soPassed ? [] : [
      `add or raise k-anonymity to k >= ${Math.ceil(1 / t.highestProsecutor)} ("models": [{"type": "k-anonymity", "k": ${Math.ceil(1 / t.highestProsecutor)}}])`,
      'allow more record suppression ("suppressionLimit") or use coarser hierarchies for the quasi-identifiers',
      'drop quasi-identifiers that the use case does not need (minimisation)',
    ],
  };
  const li = [
    check('averageProsecutor', risk.averageProsecutor, t.averageProsecutor, '<=', THRESHOLD_SOURCES.averageProsecutor),
    check('populationUniqueness', risk.populationUniqueness, t.populationUniqueness, '<=', THRESHOLD_SOURCES.populationUniqueness),
  ];
  const liPassed = li.every((c) => c.passed);
  const linkability: CriterionVerdict = {
    criterion: 'linkability',
    passed: liPassed,
    checks: li,
    explanation: liPassed
      ? `Linking a released record to another source by ${qiList} succeeds with probability ${risk.averageProsecutor.toFixed(4)} on average, within the threshold, and an estimated ${(risk.populationUniqueness * 100).toFixed(3)}% of the population is unique.`
      : `Linking by ${qiList} succeeds with probability ${risk.averageProsecutor.toFixed(4)} on average and an estimated ${(risk.populationUniqueness * 100).toFixed(3)}% of the population is unique: records can be linked to other data about the same people.`,
    remedies: liPassed ? [] : [
      `add {"type": "average-risk", "threshold": ${t.averageProsecutor}} to the models`,
      `add {"type": "population-uniqueness", "threshold": ${t.populationUniqueness}} to the models`,
      'generalise the quasi-identifiers further or remove one of them',
    ],
  };
  const inf: CriterionCheck[] = [];
  for (const m of inference) {
    inf.push(check(`minDistinctL(${m.column})`, m.minDistinctL, t.minDistinctL, '>=', THRESHOLD_SOURCES.minDistinctL));
    inf.push(check(`maxTCloseness(${m.column})`, m.maxTCloseness, t.maxTCloseness, '<=', THRESHOLD_SOURCES.maxTCloseness));
  }
  const infPassed = inf.every((c) => c.passed);
  const failing = inference.filter((m) => m.minDistinctL < t.minDistinctL || m.maxTCloseness > t.maxTCloseness + 1e-12).map((m) => m.column);
  const inferenceVerdict: CriterionVerdict = {
    criterion: 'inference',
    passed: infPassed,
    checks: inf,
    explanation: inference.length === 0
      ? 'No sensitive attribute is declared, so attribute disclosure was not measured; declare clinical columns as "sensitive" to assess it.'
      : infPassed
        ? `Within every released class the sensitive attributes (${inference.map((m) => m.column).join(', ')}) take at least ${t.minDistinctL} values and stay close to their overall distribution.`
        : `In some classes the value of ${failing.join(', ')} can be inferred with high confidence (too few distinct values or a distribution far from the overall one).`,
    remedies: infPassed ? [] : failing.flatMap((c) => [
      `add {"type": "distinct-l-diversity", "column": "${c}", "l": ${Math.max(2, t.minDistinctL)}} or entropy l-diversity`,
      `add {"type": "t-closeness", "column": "${c}", "t": ${t.maxTCloseness}, "distance": "equal"}`,
    ]),
  };
  const criteria = [singling, linkability, inferenceVerdict];
  const ok = criteria.every((c) => c.passed);
  return {
    level: ok ? 'low-risk' : 'identifiable',
    summary: ok
      ? 'All three WP29 criteria pass with the configured thresholds: the release carries a low re-identification risk for the stated attacker models (it is not a guarantee of anonymity).'
      : `Fails: ${criteria.filter((c) => !c.passed).map((c) => c.criterion).join(', ')}. Treat the release as personal (pseudonymised) data until the remedies are applied.`,
    criteria,
  };
}
