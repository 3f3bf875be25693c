// The whole evaluation on a simulated cohort: a fair synthetic sample passes; a copying
// generator is flagged by privacy; shuffled columns are flagged by fidelity and clinical.
import { evaluateSynthetic, EvaluationReport } from '../../../src/evaluate/evaluate';
import { ClinicalAnalysis } from '../../../src/evaluate/clinical/analyses';
import { cohortColumns, cohortTable, shuffledColumns } from './cohort-fixture';

const analyses: ClinicalAnalysis[] = [
  { id: 'crises-hbf', title: 'Crisis rate falls with HbF', outcome: 'crises_per_year', family: 'poisson', covariates: ['hbf_pct', 'genotype', 'age'], compare: ['hbf_pct', 'genotype'], expectedSign: { hbf_pct: -1 } },
  { id: 'hb-genotype', title: 'Haemoglobin by genotype', outcome: 'hb_g_dl', family: 'gaussian', covariates: ['genotype', 'hbf_pct'] },
];

const n = 1500;
const trainCols = cohortColumns(n, 1);
const train = cohortTable(trainCols);
const holdout = cohortTable(cohortColumns(n, 2));
const run = (synthetic: ReturnType<typeof cohortTable>): EvaluationReport => evaluateSynthetic({ train, holdout, synthetic, target: 'hospitalised', analyses, nAttacks: 300, seed: 11, ledger: { epsilon: 3 } });

let fair: EvaluationReport, copy: EvaluationReport, shuffled: EvaluationReport;
beforeAll(() => {
  fair = run(cohortTable(cohortColumns(n, 3)));
  copy = run(train);
  shuffled = run(cohortTable(shuffledColumns(trainCols, 9)));
});

describe('a synthetic sample from the same population', () => {
  it('is not flagged by fidelity or privacy', () => {
    expect(fair.fidelity.verdict.reasons).toEqual([]);
    expect(fair.privacy.verdict.reasons).toEqual([]);
    expect(fair.privacy.membershipInference.auc).toBeGreaterThan(0.45);
    expect(fair.privacy.membershipInference.auc).toBeLessThan(0.56);
    expect(fair.privacy.distanceToClosestRecord.closerToTrainingShare!.share).toBeGreaterThan(0.4);
    expect(fair.privacy.distanceToClosestRecord.closerToTrainingShare!.share).toBeLessThan(0.6);
  });
  it('keeps utility and passes the clinical analyses', () => {
    const glm = fair.utility!.models.find((m) => m.model === 'glm')!;
    expect(glm.ratio!).toBeGreaterThan(0.9);
    expect(fair.utility!.task).toBe('binary');
    expect(fair.clinical.map((c) => [c.id, c.passed])).toEqual([['crises-hbf', true], ['hb-genotype', true]]);
  });
  it('carries the report fields the docs promise', () => {
    for (const k of ['singlingOut', 'linkability', 'inference'] as const) {
      expect(fair.privacy[k].interval).toHaveLength(2);
      expect(fair.privacy[k].risk).toBeGreaterThanOrEqual(0);
    }
    expect(fair.privacy.membershipInference.interval).toHaveLength(2);
    expect(fair.ledger).toEqual({ epsilon: 3 });
    expect(JSON.parse(JSON.stringify(fair)).fidelity.columns).toHaveLength(7);
  });
});

describe('a generator that copies its training rows', () => {
  it('is flagged by the privacy section', () => {
    const p = copy.privacy;
    expect(p.verdict.flagged).toBe(true);
    expect(p.distanceToClosestRecord.exactCopies.count).toBe(n);
    expect(p.distanceToClosestRecord.closerToTrainingShare!.share).toBeGreaterThan(0.95);
    expect(p.membershipInference.auc).toBeGreaterThan(0.95);
    expect(p.membershipInference.tprAtFpr.tpr).toBeGreaterThan(0.5);
    expect(p.singlingOut.interval[0]).toBeGreaterThan(0.1);
    expect(p.inference.risk).toBeGreaterThan(0.3);
  });
});

describe('independently shuffled columns', () => {
  it('are flagged by fidelity (associations, marginals, detection) but not per column', () => {
    const f = shuffled.fidelity;
    expect(f.verdict.flagged).toBe(true);
    for (const c of f.columns) expect(c.synthetic).toBeLessThan(1e-12); // same marginals exactly
    expect(f.pairSummary.meanDifferenceSynthetic).toBeGreaterThan(3 * f.pairSummary.meanDifferenceHoldout);
    expect(f.detection.synthetic.gbt!.auc).toBeGreaterThan(0.6);
  });
  it('fail the clinical analyses', () => {
    expect(shuffled.clinical.every((c) => !c.passed)).toBe(true);
  });
});
