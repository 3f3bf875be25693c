/**
 * The federated Gaussian copula end to end: `hemasynth federate simulate --model copula` (four
 * site processes, pairwise secure aggregation, distributed discrete Gaussian noise) writes a
 * copula model from secure sums of 1-way counts and normal-score products whose fidelity matches
 * the central copula trained on the pooled data with the same budget; each site's ledger holds
 * one entry per round.
 */
import * as path from 'node:path';
import { simulateCohort } from '../../../src/scd/simulate';
import { federatedCohort, simulateFederation, temporaryDir } from '../../support/federated-cohort';
import { loadModel } from '../../../src/models/model-file';
import { sampleModel, trainModel } from '../../../src/models/model-api';
import { fidelityRatio } from '../../../src/models/fidelity-ratio';
import { PrivacyLedger } from '../../../src/dp/ledger';

jest.setTimeout(150_000);
const tmp = temporaryDir('hemasynth-fedcop-');
const COLUMNS = ['sex', 'genotype', 'alpha_thal_deletions', 'hydroxyurea', 'stroke', 'died', 'age_years', 'hb_g_dl', 'hbf_pct', 'hba_pct', 'voc_12m', 'ferritin_ug_l'];


test('federated copula across 4 site processes matches the central copula on the pooled data', async () => {
  const dir = tmp();
  const { cohort, schema, schemaFile, ledgers, pooled } = federatedCohort(dir, { patients: 3000, seed: 13, columns: COLUMNS });
  const out = path.join(dir, 'fed.hsm');
  const result = await simulateFederation({ cohort, schemaFile, ledgers }, { model: 'copula', out, epsilon: 2 });
  expect(result.rounds).toBe(4); // histograms, 1-way, the assays' missing counts, correlation
  const model = loadModel(out);
  expect(model.manifest.model).toBe('copula');
  expect(model.manifest.privacy.epsilon).toBeLessThanOrEqual(2 + 1e-9);
  expect(model.manifest.privacy.epsilon).toBeGreaterThan(1.8);
  for (const s of ['ES1', 'FR1', 'IT1', 'NL1']) {
    const ledger = PrivacyLedger.open(path.join(ledgers, `site-${s}.arrow.ledger.json`));
    expect(ledger.entries.map((e) => e.mechanism)).toEqual(['gaussian', 'gaussian', 'gaussian', 'gaussian']);
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(2 + 1e-9);
  }
  const fresh = simulateCohort({ patients: 3000, sites: 4, seed: 98 }).patients.select(COLUMNS);
  const central = trainModel({ table: pooled, schema, model: 'copula', epsilon: 2, delta: 1e-6, seed: 3 });
  const fedRows = sampleModel(model, { rows: 3000, seed: 1 });
  const fedRatio = fidelityRatio({ training: pooled, synthetic: fedRows, fresh, schema });
  const centralRows = sampleModel(central, { rows: 3000, seed: 1 });
  const centralRatio = fidelityRatio({ training: pooled, synthetic: centralRows, fresh, schema });
  process.stdout.write(`federated copula fidelity ratio ${fedRatio.ratio.toFixed(3)}, central ${centralRatio.ratio.toFixed(3)}\n`);
  expect(fedRatio.ratio).toBeLessThan(centralRatio.ratio * 1.25 + 0.1);
  // The correlation was learned: HbF rises with hydroxyurea in the synthetic rows as in the data.
  // (Ferritin-HbA, Pearson 0.67 in the data, was the pair checked before; it is a mixture effect
  // of the transfused that a Gaussian copula keeps only as a weak rank correlation, ~0.1 in the
  // synthetic rows, so a noise draw of the DP sums crossed any threshold that meant "learned" in
  // about 1 run in 13. HU-HbF is a rank effect the copula does keep: 0.40-0.46 central.)
  const corr = (t: typeof pooled) => {
    const a = t.getChild('hbf_pct')!, b = t.getChild('hydroxyurea')!;
    const xs: number[] = [], ys: number[] = [];
    for (let i = 0; i < t.numRows; i++) {
      const x = a.get(i), y = b.get(i);
      if (x !== null && y !== null) { xs.push(Number(x)); ys.push(Number(y)); }
    }
    const mx = xs.reduce((s, x) => s + x, 0) / xs.length, my = ys.reduce((s, y) => s + y, 0) / ys.length;
    let sxy = 0, sxx = 0, syy = 0;
    xs.forEach((x, i) => { sxy += (x - mx) * (ys[i] - my); sxx += (x - mx) ** 2; syy += (ys[i] - my) ** 2; });
    return sxy / Math.sqrt(sxx * syy);
  };
  const real = corr(pooled), synthetic = corr(fedRows), centralSynthetic = corr(centralRows);
  process.stdout.write(`corr(HbF, hydroxyurea) real ${real.toFixed(3)}, federated synthetic ${synthetic.toFixed(3)}, central synthetic ${centralSynthetic.toFixed(3)}\n`);
  // The copula attenuates it (coarse codes, DP thresholding and shrinkage) the same way centrally and federated.
  expect(real).toBeGreaterThan(0.5);
  expect(synthetic).toBeGreaterThan(0.25); // no correlation learned: 0 ± 0.02 at 3,000 rows
  expect(Math.abs(synthetic - centralSynthetic)).toBeLessThan(0.15);
});
