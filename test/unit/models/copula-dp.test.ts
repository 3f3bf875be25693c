/**
 * The DP copula's correlation release: the assay panels' latents weighted down
 * (copulaScoreWeights) so that the clinical correlations carry less noise.
 */
import { simulateCohort } from '../../../src/scd';
import { sampleModel, trainModel } from '../../../src/models';
import { checkV5 } from '../../../src/evaluate/clinical';
import { copulaMarginals, copulaScoreSum, copulaScoreWeights, PANEL_SCORE_WEIGHT } from '../../../src/models/copula/copula-fit';
import { latentCorrelations } from '../../../src/models/copula/latent-correlation';
import { encodeTable, fitDiscretisation } from '../../../src/transform/discretiser';
import { measureMarginals } from '../../../src/models/marginal/contingency';

describe('DP copula: panel weights', () => {
  const sim = simulateCohort({ patients: 1500, sites: 4, seed: 7 });

  test('the SNP array and the metabolomics run weigh PANEL_SCORE_WEIGHT; clinical columns and small assays 1', () => {
    const encoders = fitDiscretisation(sim.patients, sim.schema, { histogramSigma: null });
    const codes = encodeTable(sim.patients, encoders);
    const counts = measureMarginals({ codes, sizes: encoders.map((e) => e.size), rows: sim.patients.numRows }, encoders.map((_, j) => [j]));
    const m = copulaMarginals(encoders, counts);
    const w = copulaScoreWeights(encoders, sim.schema, m);
    const d = encoders.length;
    const weightOf = (name: string, missing = false) => {
      const j = encoders.findIndex((e) => e.column === name);
      return w[missing ? d + m.missingLatents.indexOf(j) : j];
    };
    expect(PANEL_SCORE_WEIGHT).toBe(0.1);
    for (const c of ['snp_001', 'snp_200', 'met_01', 'met_40']) {
      expect(weightOf(c)).toBe(0.1);
      expect(weightOf(c, true)).toBe(0.1);
    }
    // the four HbF QTLs are clinical columns; the pre-treatment baselines one small assay (2 columns)
    for (const c of ['hb_g_dl', 'rs11886868', 'ldh_u_l', 'hbf_baseline_pct', 'mcv_baseline_fl']) expect(weightOf(c)).toBe(1);
    expect(weightOf('ldh_u_l', true)).toBe(1);
    expect(w.filter((x) => x === 0.1).length).toBeGreaterThan(400);

    // Without noise the weights divide out: the weighted sum gives about the same correlations
    // (the rows clipped differ).
    const rows = sim.patients.numRows;
    const plain = copulaScoreSum(encoders, codes, rows, m);
    const weighted = copulaScoreSum(encoders, codes, rows, m, w);
    expect(weighted.clip).toBeCloseTo(Math.sqrt(w.reduce((s, x) => s + x * x, 0)), 12);
    const a = encoders.findIndex((e) => e.column === 'ldh_u_l'), b = encoders.findIndex((e) => e.column === 'retic_pct');
    const ra = latentCorrelations(plain.sum, m, null), rb = latentCorrelations(weighted.sum, m, null, w);
    expect(ra[a * plain.dl + b]).toBeGreaterThan(0.3);
    expect(Math.abs(rb[a * plain.dl + b] - ra[a * plain.dl + b])).toBeLessThan(0.1);
  });

  // Measured over three cohorts × three samples: with every latent weighted 1 the hemolysis
  // cluster (V5) failed in all nine samples at ε = 10 (its correlations thresholded away).
  test('at ε = 10 the hemolysis cluster survives (V5)', () => {
    const model = trainModel({ table: sim.patients, schema: sim.schema, model: 'copula', epsilon: 10, delta: 1e-6, seed: 3 });
    const r = checkV5(sampleModel(model, { rows: 1500, seed: 1 }));
    expect(r.statistics.r_ldh_retic).toBeGreaterThan(0.3);
    expect(r.passed).toBe(true);
  }, 60000);
});
