/**
 * The federated CTGAN end to end: `hemasynth federate simulate --model ctgan` (four site
 * processes, pairwise secure aggregation) fits the encoders and code counts from noisy secure sums,
 * trains the critic by secure DP-SGD (each site's clipped critic gradients over its own real,
 * generated and interpolated rows) and the generator through the critic at the coordinator. The
 * model samples through both engines, every site's ledger holds its spend, and its fidelity is
 * that of the central DP CTGAN with the same (ε, δ), sampling rate and steps (both printed; CTGAN
 * after 40 steps is weak either way).
 */
import * as path from 'node:path';
import { simulateCohort } from '../../../src/scd/simulate';
import { FEDERATED_TEST_COLUMNS, expectOnnxMatchesNative, federatedCohort, missingRateGaps, simulateFederation, temporaryDir } from '../../support/federated-cohort';
import { loadModel } from '../../../src/models/model-file';
import { sampleModel, trainModel } from '../../../src/models/model-api';
import { fidelityRatio } from '../../../src/models/fidelity-ratio';
import { PrivacyLedger } from '../../../src/dp/ledger';

jest.setTimeout(240_000);
const tmp = temporaryDir('hemasynth-fedctgan-');
const COLUMNS = FEDERATED_TEST_COLUMNS;
const ROUNDS = 40, EPSILON = 4, SAMPLE_RATE = 0.25, PATIENTS = 3000;


test('federated CTGAN across 4 site processes: critic by secure DP-SGD, generator at the coordinator', async () => {
  const dir = tmp();
  const { cohort, schema, schemaFile, ledgers, pooled, byName } = federatedCohort(dir, { patients: PATIENTS, seed: 11, columns: COLUMNS });
  const out = path.join(dir, 'fed.hsm');
  const result = await simulateFederation({ cohort, schemaFile, ledgers }, { model: 'ctgan', out, epsilon: EPSILON, rounds: ROUNDS, options: { sampleRate: SAMPLE_RATE, seed: 3 } });
  expect(result.rounds).toBe(ROUNDS + 3); // histograms, code counts, missingness sums, one critic step per round
  const model = loadModel(out);
  expect(model.manifest.model).toBe('ctgan');
  expect(model.manifest.privacy.epsilon).toBeLessThanOrEqual(EPSILON + 1e-9);
  expect(model.manifest.privacy.epsilon).toBeGreaterThan(EPSILON * 0.9);
  const calibration = (model.manifest.generator.training as { calibration: { maxGap: number; targets: string } }).calibration;
  expect(calibration.targets).toMatch(/^DP missing rates of 3 missingness groups/);
  for (const s of ['ES1', 'FR1', 'IT1', 'NL1']) {
    const ledger = PrivacyLedger.open(path.join(ledgers, `site-${s}.arrow.ledger.json`));
    expect(ledger.entries.map((e) => e.mechanism)).toEqual(['gaussian', 'gaussian', 'gaussian', 'subsampled-gaussian']);
    expect((ledger.entries[2].parameters as { count: number }).count).toBe(5); // 3 missingness groups, the voc_12m count histogram and the row count
    expect((ledger.entries[3].parameters as { steps: number }).steps).toBe(ROUNDS);
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(EPSILON + 1e-9);
  }
  expectOnnxMatchesNative(model, 'genotype', 'hb_g_dl');
  const sample = sampleModel(model, { rows: 500, seed: 2 });
  for (const g of new Set(sample.getChild('genotype')!.toArray() as string[])) expect(byName.get('genotype')!.categories).toContain(g);

  const central = trainModel({ table: pooled, schema, model: 'ctgan', epsilon: EPSILON, delta: 1e-6, seed: 3, options: { epochs: Math.round(ROUNDS * SAMPLE_RATE), batchSize: Math.round(SAMPLE_RATE * PATIENTS), calibrate: false } });
  const fresh = simulateCohort({ patients: PATIENTS, sites: 4, seed: 99 }).patients.select(COLUMNS);
  const fedRows = sampleModel(model, { rows: PATIENTS, seed: 1 });
  const fedRatio = fidelityRatio({ training: pooled, synthetic: fedRows, fresh, schema });
  const centralRatio = fidelityRatio({ training: pooled, synthetic: sampleModel(central, { rows: PATIENTS, seed: 1 }), fresh, schema });
  process.stdout.write(`federated CTGAN fidelity ratio ${fedRatio.ratio.toFixed(3)}, central ${centralRatio.ratio.toFixed(3)}\n`);
  // Missing rates: the output biases are calibrated to the securely summed noisy missing rates.
  const gaps = missingRateGaps(pooled, fedRows, schema);
  process.stdout.write(`federated CTGAN missing rates ${gaps.map((g) => `${g.column} ${g.training.toFixed(3)}→${g.synthetic.toFixed(3)}`).join(', ')}\n`);
  expect(gaps.length).toBeGreaterThan(0);
  expect(Math.max(...gaps.map((g) => g.gap))).toBeLessThan(0.05);
  expect(fedRatio.ratio).toBeLessThan(centralRatio.ratio * 1.3 + 0.5);
});
