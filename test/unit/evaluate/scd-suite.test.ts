// The built-in sickle-cell suite on simulated cohorts: V1–V13 and the SCD analyses run on
// the real and the synthetic table; a cohort with shuffled columns loses the associations.
import { Table, Vector, vectorFromArray } from 'apache-arrow';
import { simulateCohort } from '../../../src/scd/simulate';
import { SCD_CHECK_COLUMNS } from '../../../src/evaluate/clinical/scd-checks';
import { evaluateSynthetic } from '../../../src/evaluate/evaluate';
import { SeededSampler } from '../../../src/evaluate/statistics/random';

// The columns the suite reads: the whole 285-column table would only slow the test down.
const cohort = (seed: number) => simulateCohort({ patients: 1200, sites: 1, seed }).patients.select([...SCD_CHECK_COLUMNS]);

function shuffleColumns(t: Table, seed: number): Table {
  const rng = new SeededSampler(seed);
  const cols: Record<string, Vector> = {};
  for (const f of t.schema.fields) {
    const v = t.getChild(f.name)!;
    cols[f.name] = vectorFromArray(Array.from(rng.sample(t.numRows, t.numRows), (i) => v.get(i)) as never[], f.type);
  }
  return new Table(cols);
}

it('runs V1–V13 and the SCD analyses on real and synthetic data; shuffled columns fail the analyses', () => {
  const train = cohort(1), holdout = cohort(2), synthetic = cohort(3);
  const opts = { train, holdout, nAttacks: 50, seed: 3, scd: 'auto' as const };
  const fair = evaluateSynthetic({ ...opts, synthetic });
  const checks = fair.clinical.filter((c) => c.kind === 'check');
  expect(checks.map((c) => c.id)).toEqual(['V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'V7', 'V8', 'V9', 'V10', 'V11', 'V12', 'V13']);
  for (const c of checks) expect(typeof (c as { real: { passed: boolean } }).real.passed).toBe('boolean');
  const analyses = fair.clinical.filter((c) => c.kind === 'glm');
  expect(analyses.map((c) => [c.id, c.passed])).toEqual([['scd-voc-hbf', true], ['scd-hb-hbf', true], ['scd-ldh-genotype', true]]);
  const shuffled = evaluateSynthetic({ ...opts, synthetic: shuffleColumns(synthetic, 5) });
  expect(shuffled.clinical.filter((c) => c.kind === 'glm').map((c) => [c.id, c.passed])).toEqual([['scd-voc-hbf', false], ['scd-hb-hbf', false], ['scd-ldh-genotype', false]]);
  const passed = (r: typeof fair) => r.clinical.filter((c) => c.kind === 'check' && c.passed).length;
  expect(passed(shuffled)).toBeLessThan(passed(fair));
  expect(shuffled.fidelity.verdict.flagged).toBe(true);
});
