/**
 * The federated TVAE end to end: `hemasynth federate simulate --model tvae` runs a coordinator and
 * four site processes (pairwise secure aggregation over mutual TLS), learns the encoders from
 * noisy summed histograms, then trains the VAE by secure DP-SGD (clipped gradient sums summed
 * securely with distributed discrete Gaussian noise, Adam at the coordinator). The model samples
 * through the native and the ONNX engines, every site's ledger holds its spend within ε, and its
 * fidelity is close to central DP training on the pooled data at the same (ε, δ), sampling rate
 * and number of steps (both figures printed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { simulateCohort } from '../../../src/scd/simulate';
import { FEDERATED_TEST_COLUMNS, expectOnnxMatchesNative, federatedCohort, missingRateGaps, simulateFederation, temporaryDir } from '../../support/federated-cohort';
import { loadModel } from '../../../src/models/model-file';
import { sampleModel, trainModel } from '../../../src/models/model-api';
import { fidelityRatio } from '../../../src/models/fidelity-ratio';
import { PrivacyLedger } from '../../../src/dp/ledger';
import { isModelledColumn } from '../../../src/transform/discretiser';
import { histogramColumns } from '../../../src/models/neural/missingness-groups';

jest.setTimeout(400_000);
const tmp = temporaryDir('hemasynth-fedtvae-');
const COLUMNS = FEDERATED_TEST_COLUMNS;
const ROUNDS = 100, EPSILON = 4, SAMPLE_RATE = 0.25, PATIENTS = 3000;


test('federated TVAE across 4 site processes reaches the fidelity of central DP training on the pooled data', async () => {
  const dir = tmp();
  const { cohort, schema, schemaFile, ledgers, pooled } = federatedCohort(dir, { patients: PATIENTS, seed: 11, columns: COLUMNS });
  const out = path.join(dir, 'fed.hsm');
  const result = await simulateFederation({ cohort, schemaFile, ledgers }, { model: 'tvae', out, epsilon: EPSILON, rounds: ROUNDS, options: { sampleRate: SAMPLE_RATE, seed: 3 } });
  expect(result.rounds).toBe(ROUNDS + 2); // the encoders' histogram round, the missingness round, then one DP-SGD step per round

  const model = loadModel(out);
  expect(model.manifest.model).toBe('tvae');
  expect(model.manifest.encoders.map((e) => (e as { column: string }).column)).toEqual(COLUMNS);
  expect(model.manifest.privacy.epsilon).toBeLessThanOrEqual(EPSILON + 1e-9);
  expect(model.manifest.privacy.epsilon).toBeGreaterThan(EPSILON * 0.9);
  const training = model.manifest.generator.training as { protocol: string; dp: { noiseMultiplier: number; stepsPerSite: number }; calibration: { maxGap: number; targets: string } };
  expect(training.protocol).toBe('secure-dp-sgd');
  // Output biases calibrated to the secure sums of the 3 missingness groups (alpha_thal_deletions, hb_g_dl, hbf_pct).
  expect(training.calibration.targets).toMatch(/^DP missing rates of 3 missingness groups/);
  expect(training.calibration.maxGap).toBeLessThan(0.01);
  expect(training.dp.stepsPerSite).toBe(ROUNDS);
  const fed = (model.manifest.training.options as { federation: { distributedDp: boolean; contributors: string[][] } }).federation;
  expect(fed.distributedDp).toBe(true);
  expect(fed.contributors.every((c) => c.length >= 3)).toBe(true);

  // Each site charged the histograms, the missingness sums (3 groups, the voc_12m count histogram and the row count) and all DP-SGD steps to its own ledger, within ε.
  for (const s of ['ES1', 'FR1', 'IT1', 'NL1']) {
    const ledger = PrivacyLedger.open(path.join(ledgers, `site-${s}.arrow.ledger.json`));
    const gaussians = ledger.entries.filter((e) => e.mechanism === 'gaussian');
    expect(gaussians.length).toBe(2);
    expect((gaussians[1].parameters as { count: number }).count).toBe(5);
    const steps = ledger.entries.filter((e) => e.mechanism === 'subsampled-gaussian');
    expect(steps.length).toBe(1); // all of the federation's steps, charged before the first one
    expect((steps[0].parameters as { steps: number }).steps).toBe(ROUNDS);
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(EPSILON + 1e-9);
  }

  // The ONNX graph in the bundle gives the native engine's rows.
  expectOnnxMatchesNative(model, 'genotype', 'hb_g_dl');

  // Central DP-SGD on the pooled rows with the same (ε, δ), sampling rate and number of steps.
  const central = trainModel({ table: pooled, schema, model: 'tvae', epsilon: EPSILON, delta: 1e-6, seed: 3, options: { epochs: Math.round(ROUNDS * SAMPLE_RATE), batchSize: Math.round(SAMPLE_RATE * PATIENTS) } });
  const fresh = simulateCohort({ patients: PATIENTS, sites: 4, seed: 99 }).patients.select(COLUMNS);
  const fedRows = sampleModel(model, { rows: PATIENTS, seed: 1 }), centralRows = sampleModel(central, { rows: PATIENTS, seed: 1 });
  const fedRatio = fidelityRatio({ training: pooled, synthetic: fedRows, fresh, schema });
  const centralRatio = fidelityRatio({ training: pooled, synthetic: centralRows, fresh, schema });
  process.stdout.write(`federated TVAE fidelity ratio ${fedRatio.ratio.toFixed(3)} (TVD ${fedRatio.synthetic.toFixed(4)}), central ${centralRatio.ratio.toFixed(3)} (TVD ${centralRatio.synthetic.toFixed(4)})\n`);
  // Missing rates: the output biases are calibrated to the securely summed noisy missing rates.
  const gaps = missingRateGaps(pooled, fedRows, schema), centralGaps = missingRateGaps(pooled, centralRows, schema);
  process.stdout.write(`federated TVAE missing rates ${gaps.map((g) => `${g.column} ${g.training.toFixed(3)}→${g.synthetic.toFixed(3)}`).join(', ')}; central ${centralGaps.map((g) => g.synthetic.toFixed(3)).join(', ')}\n`);
  expect(gaps.length).toBeGreaterThan(0);
  expect(Math.max(...gaps.map((g) => g.gap))).toBeLessThan(0.05);
  // Central runs of this configuration spread over 2.1–2.5 with the seed (measured on 6 seeds): allow that spread.
  expect(fedRatio.ratio).toBeLessThan(centralRatio.ratio * 1.3 + 0.2);
});

test('federated TVAE with 26 missingness groups: a pilot round, then the clipped vector across the site processes; every missing rate within 5 points', async () => {
  // A folder of its own: the first test's cohort and ledgers are in tmp().
  const dir = fs.mkdtempSync(path.join(tmp(), 'groups-'));
  // One nullable modelled column per schema source (one missingness group each), and sex.
  const full = simulateCohort({ patients: 10, sites: 4, seed: 12 }).schema;
  const sources = new Set<string>();
  const columns = ['sex', ...full.columns.filter((c) => c.nullable !== false && isModelledColumn(c) && !sources.has(String(c.source)) && sources.add(String(c.source))).map((c) => c.name)];
  expect(columns.length - 1).toBeGreaterThanOrEqual(12);
  const { cohort, schema, schemaFile, ledgers, pooled } = federatedCohort(dir, { patients: PATIENTS, seed: 12, columns });
  const out = path.join(dir, 'groups.hsm');
  const rounds = 10;
  const result = await simulateFederation({ cohort, schemaFile, ledgers }, { model: 'tvae', out, epsilon: EPSILON, rounds, options: { sampleRate: SAMPLE_RATE, seed: 3, embeddingDim: 16, compressDims: [32], decompressDims: [32] } });
  // The histograms, the pilot, the missingness round, then the DP-SGD steps.
  expect(result.rounds).toBe(rounds + 3);
  const model = loadModel(out);
  expect(model.manifest.privacy.epsilon).toBeLessThanOrEqual(EPSILON + 1e-9);
  const training = model.manifest.generator.training as { calibration: { targets: string } };
  expect(training.calibration.targets).toMatch(new RegExp(`^DP missing rates of ${columns.length - 1} missingness groups`));
  for (const s of ['ES1', 'FR1', 'IT1', 'NL1']) {
    const ledger = PrivacyLedger.open(path.join(ledgers, `site-${s}.arrow.ledger.json`));
    // The pilot (one unit), then the clipped vector (9 units), the condition columns' histograms and the row count.
    const counts = ledger.entries.filter((e) => e.mechanism === 'gaussian').map((e) => (e.parameters as { count: number }).count);
    expect(counts.slice(1)).toEqual([1, 9 + histogramColumns(schema, columns).length + 1]);
    expect(counts[2]).toBeLessThan(columns.length - 1);
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(EPSILON + 1e-9);
  }
  const gaps = missingRateGaps(pooled, sampleModel(model, { rows: 5000, seed: 2 }), schema);
  process.stdout.write(`federated TVAE, ${columns.length - 1} groups: largest missing-rate gap ${Math.max(...gaps.map((g) => g.gap)).toFixed(3)} (${gaps.length} columns)\n`);
  expect(gaps.length).toBeGreaterThanOrEqual(12);
  expect(Math.max(...gaps.map((g) => g.gap))).toBeLessThan(0.05);
});
