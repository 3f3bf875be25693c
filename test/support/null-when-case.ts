/**
 * A DP training of the simulated cohort (cohort 7, 1,500 patients) at ε = 1 where a noisy
 * marginal lost the condition of a "x is null when not y" constraint: x's missing-rate gap on
 * 15,000 synthetic rows, and the share of synthetic rows where y holds (the tests of the "null
 * when" support, copula and marginal).
 */
import { simulateCohort } from '../../src/scd';
import { sampleModel, trainModel } from '../../src/models';

export function nullWhenCase(model: 'copula' | 'marginal', seed: number, column: string, condition: string): { gap: number; conditionShare: number } {
  const sim = simulateCohort({ patients: 1500, sites: 4, seed: 7 });
  const m = trainModel({ table: sim.patients, schema: sim.schema, model, epsilon: 1, delta: 1e-6, seed });
  const syn = sampleModel(m, { rows: 15000, seed: 1 });
  const rate = (t: typeof syn) => t.getChild(column)!.nullCount / t.numRows;
  const holds = syn.getChild(condition)!.toArray().filter((v: boolean) => v).length;
  return { gap: Math.abs(rate(syn) - rate(sim.patients)), conditionShare: holds / syn.numRows };
}
