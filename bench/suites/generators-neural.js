// Neural generators (issue 5, part B): TVAE and CTGAN on the native core, the companion of
// generators.js (marginal, copula), same cohort and the same fidelity ratio (src/models
// fidelityRatio: mean TVD of all 1-way and 2-way marginals against a FRESH cohort, divided by the
// same for the training cohort). For each model and epsilon in {inf, 3, 1} on the 1,500-patient
// simulated cohort (all 280 modelled columns): fit time, fidelity ratio, V1-V13 checks passed,
// epsilon spent; sampling rows/s with the native engine and with onnxruntime-node (the same
// model, the same seed).
//
// Also: the missing-rate gap of every fit (max over columns of |synthetic - real|), fit time on
// a 1,000,000-row x 50-column table (fixed steps) and on the --wide cohort (~600 columns).
//
// Budget: a fit trial repeats its fit 6 times (warm-up + 5), so its epochs are cut from the
// published 300 to HEMASYNTH_BENCH_TVAE_EPOCHS (default 30) and HEMASYNTH_BENCH_CTGAN_EPOCHS
// (default 5): fit times scale linearly with epochs. The quality of a generator is reported by the
// "default training" trials (the generators' own defaults, fitted once; see defaultTrial), not by
// these short fits.
'use strict';
const { bigTable } = require('../fixtures/big-table');
const path = require('node:path');
const { find, target, missingGap: missingGapOf } = require('../lib');

const dist = path.join(__dirname, '..', '..', 'dist');
const lib = () => ({ scd: require(path.join(dist, 'scd')), models: require(path.join(dist, 'models')), checks: require(path.join(dist, 'evaluate', 'clinical', 'scd-checks')), arrow: require('apache-arrow') });
const EPOCHS = { tvae: Number(process.env.HEMASYNTH_BENCH_TVAE_EPOCHS || 30), ctgan: Number(process.env.HEMASYNTH_BENCH_CTGAN_EPOCHS || 5) };
// TVAE: batch 100 at lr 2e-3 for this short budget (the published 500 / 1e-3 are meant for 300
// epochs: measured at 30 epochs on this cohort, batch 100 / lr 2e-3 gives fidelity ratio 2.9
// against 3.9 for batch 250 / lr 1e-3 at about the same fit time). CTGAN: the published batch.
const BATCH = { tvae: 100, ctgan: 500 };
const LR = { tvae: 2e-3 };
const epsLabel = (e) => (e === Infinity ? 'inf' : String(e));
const cohort = (l, seed) => l.scd.simulateCohort({ patients: 1500, sites: 4, seed });
const train = (l, sim, model, epsilon) => l.models.trainModel({ table: sim.patients, schema: sim.schema, model, epsilon, delta: 1e-6, seed: 3, options: { epochs: EPOCHS[model], batchSize: BATCH[model], ...(LR[model] ? { learningRate: LR[model] } : {}), backend: 'cpu' } });

function fitTrial(model, epsilon) {
  return {
    name: `fit ${model} eps=${epsLabel(epsilon)} 1500 patients ${EPOCHS[model]} epochs`,
    backend: 'cpu', mode: 'repeat', reps: 5, unit: 's',
    setup: async () => { const l = lib(); return { l, sim: cohort(l, 7) }; },
    run: async (s) => { s.model = train(s.l, s.sim, model, epsilon); },
    extra: async (s) => quality(s.l, s.sim, s.model),
  };
}

// What a fit is worth: fidelity ratio against a fresh cohort, V1-V13 on one 1,500-row sample,
// missing-rate gap, and the training it had.
function quality(l, sim, model) {
  const fresh = cohort(l, 99);
  const syn = l.models.sampleModel(model, { rows: 1500, seed: 1 });
  const fr = l.models.fidelityRatio({ training: sim.patients, synthetic: syn, fresh: fresh.patients, schema: sim.schema });
  const checks = l.checks.runScdChecks(syn);
  // V1-V13 on three 1,500-row samples (one sample's count moves by a few checks from seed to seed).
  const threeSamples = [1, 2, 3].map((seed) => (seed === 1 ? checks : l.checks.runScdChecks(l.models.sampleModel(model, { rows: 1500, seed }))).filter((c) => c.passed).length);
  const t = model.manifest.generator.training;
  return {
    columns: model.manifest.encoders.length, epochs: t.epochs, steps: t.steps, batchSize: t.batchSize,
    epsilonSpent: model.manifest.privacy.epsilon, noiseMultiplier: t.dp ? t.dp.noiseMultiplier : null,
    fidelityRatio: fr.ratio, meanTvdSynthetic: fr.synthetic, meanTvdTraining: fr.training,
    checksPassed: checks.filter((c) => c.passed).length, checksPassedIds: checks.filter((c) => c.passed).map((c) => c.id).join(','),
    checksPassedThreeSamples: threeSamples.join(','), panelLossWeight: t.panelLossWeight, tiedMissingGroups: (model.manifest.generator.tiedMissing || []).length,
    ...missingGap(l, sim.patients, syn, model),
    // The model's own missing rates, measured on 15,000 rows: on 1,500 the sampling noise alone
    // (about 1.2 points of standard deviation at a 64% rate, so about 3.7 points at the worst of
    // 280 columns) takes most of the 5-point allowance.
    ...Object.fromEntries(Object.entries(missingGap(l, sim.patients, l.models.sampleModel(model, { rows: 15000, seed: 2 }), model)).map(([k, v]) => [`${k}15000Rows`, v])),
  };
}

// Quality with the generators' default training (CTGAN: the published 300 epochs, batch 500,
// lr 2e-4; TVAE: the published batch 500 and lr 1e-3 for at least 3,000 steps, 1,000 epochs on
// this cohort, with the assay panels' loss weighted 0.1: src/models/tvae/tvae-generator.ts), at
// eps = inf, 10, 3, 1. One fit takes about 1 to 3 min on the 2-core machine, too long to repeat 6
// times, so the fit runs once in setup and its wall time is reported as fitSecondsOnce; the timed
// repetitions are sampling 1,500 rows from it. The short trials above keep the repeated fit timings.
function defaultTrial(model, epsilon) {
  return {
    name: `default training ${model} eps=${epsLabel(epsilon)} 1500 patients (timed: sampling 1500 rows)`,
    backend: 'cpu', mode: 'repeat', reps: 5, unit: 's',
    setup: async () => {
      const l = lib();
      const sim = cohort(l, 7);
      const t0 = process.hrtime.bigint();
      const m = l.models.trainModel({ table: sim.patients, schema: sim.schema, model, epsilon, delta: 1e-6, seed: 3, options: { backend: 'cpu' } });
      return { l, sim, model: m, fitSeconds: Number(process.hrtime.bigint() - t0) / 1e9 };
    },
    run: async (s) => { s.l.models.sampleModel(s.model, { rows: 1500, seed: 1 }); },
    extra: async (s) => ({ fitSecondsOnce: s.fitSeconds, ...quality(s.l, s.sim, s.model) }),
  };
}

// Missing-rate gaps over the model's columns (bench/lib.js).
const missingGap = (l, real, syn, model) => missingGapOf(real, syn, model.manifest.encoders.map((e) => e.column));

// Fit time on a big table: 1,000,000 rows x 50 columns (bench/fixtures/big-table.js, as generators.js:
// 25 correlated bounded continuous, 25 five-level categorical), a fixed number of training steps
// (epochs do not fit a 5-rep trial: one epoch is 2,000 steps). Reports steps/s and rows/s of the
// whole fit (normaliser, encoding of all rows, training, calibration).
const BIG_STEPS = Number(process.env.HEMASYNTH_BENCH_BIG_STEPS || 100);
function bigTableTrial(model) {
  const n = 1_000_000, batch = 500;
  return {
    name: `fit ${model} eps=inf 1000000x50 ${BIG_STEPS} steps`,
    backend: 'cpu', mode: 'repeat', reps: 5, unit: 's',
    setup: async () => {
      const l = lib();
      return { l, ...bigTable() };
    },
    run: async (s) => {
      const t0 = process.hrtime.bigint();
      s.model = s.l.models.trainModel({ table: s.table, schema: s.schema, model, epsilon: Infinity, seed: 3, options: { epochs: 1, maxSteps: BIG_STEPS, batchSize: batch, backend: 'cpu' } });
      s.last = Number(process.hrtime.bigint() - t0) / 1e9;
    },
    extra: async (s) => ({
      rows: n, columns: 50, steps: s.model.manifest.generator.training.steps, batchSize: batch,
      encodedWidth: s.model.manifest.generator.layout.width,
      stepsPerSecondLastRep: s.model.manifest.generator.training.steps / s.last,
      rowsPerSecondLastRep: n / s.last,
      note: 'rowsPerSecond: table rows fitted per second of the whole fit (normaliser, encoding, training steps, calibration)',
    }),
  };
}

// Fit time on the --wide cohort (simulateCohort wide: about 600 modelled columns).
function wideTrial(model) {
  return {
    name: `fit ${model} eps=inf 1500 patients wide ${EPOCHS[model]} epochs`,
    backend: 'cpu', mode: 'repeat', reps: 5, unit: 's',
    setup: async () => { const l = lib(); return { l, sim: l.scd.simulateCohort({ patients: 1500, sites: 4, seed: 7, wide: true }) }; },
    run: async (s) => { s.model = s.l.models.trainModel({ table: s.sim.patients, schema: s.sim.schema, model, epsilon: Infinity, seed: 3, options: { epochs: EPOCHS[model], batchSize: BATCH[model], ...(LR[model] ? { learningRate: LR[model] } : {}), backend: 'cpu' } }); },
    extra: async (s) => {
      const t = s.model.manifest.generator.training;
      const syn = s.l.models.sampleModel(s.model, { rows: 1500, seed: 1 });
      return { columns: s.model.manifest.encoders.length, encodedWidth: s.model.manifest.generator.layout.width, epochs: t.epochs, steps: t.steps, batchSize: t.batchSize, ...missingGap(s.l, s.sim.patients, syn, s.model) };
    },
  };
}

function sampleTrial(model, engine) {
  const rows = 50000;
  return {
    name: `sample ${model} ${rows} rows engine=${engine}`,
    backend: 'cpu', mode: 'repeat', reps: 5, unit: 'rows/s',
    setup: async () => { const l = lib(); const sim = cohort(l, 7); return { l, model: l.models.trainModel({ table: sim.patients, schema: sim.schema, model, epsilon: Infinity, seed: 3, options: { epochs: 1, batchSize: BATCH[model], backend: 'cpu' } }) }; },
    run: async (s) => { s.l.models.sampleModel(s.model, { rows, seed: 5, engine }); },
    rate: (seconds) => rows / seconds,
    extra: async (s) => ({ columns: s.model.manifest.encoders.length, rawOutputWidth: s.model.manifest.generator.raw.width }),
  };
}

module.exports = {
  suite: 'generators-neural',
  trials: [
    fitTrial('tvae', Infinity), fitTrial('tvae', 3), fitTrial('tvae', 1),
    fitTrial('ctgan', Infinity), fitTrial('ctgan', 3), fitTrial('ctgan', 1),
    bigTableTrial('tvae'), bigTableTrial('ctgan'), wideTrial('tvae'), wideTrial('ctgan'),
    sampleTrial('tvae', 'native'), sampleTrial('tvae', 'onnx'),
    sampleTrial('ctgan', 'native'), sampleTrial('ctgan', 'onnx'),
    ...['tvae', 'ctgan'].flatMap((m) => [Infinity, 10, 3, 1].map((e) => defaultTrial(m, e))),
  ],
  targets: (results) => {
    const rate = (m, e) => find(results, `sample ${m} 50000 rows engine=${e}`, 'cpu')?.median;
    const trained = (m, e) => find(results, `default training ${m} eps=${e} 1500 patients (timed: sampling 1500 rows)`, 'cpu');
    return [
      // Stated for the neural generators by the issue through "the best generator at eps=inf has fidelity ratio < 1.3".
      target('tvae eps=inf fidelity ratio (default training)', trained('tvae', 'inf')?.fidelityRatio, '<=', 1.3),
      target('ctgan eps=inf fidelity ratio (default training)', trained('ctgan', 'inf')?.fidelityRatio, '<=', 1.3),
      // "missingness rates within 5 points of the real data" (every column).
      ...['tvae', 'ctgan'].flatMap((m) => ['inf', '10', '3', '1'].map((e) => target(`${m} eps=${e} max missing-rate gap (default training, 1500 rows)`, trained(m, e)?.missingMaxGap, '<=', 0.05))),
      ...['tvae', 'ctgan'].flatMap((m) => ['inf', '10', '3', '1'].map((e) => target(`${m} eps=${e} max missing-rate gap (default training, 15000 rows)`, trained(m, e)?.missingMaxGap15000Rows, '<=', 0.05))),
      // ONNX sampling is an alternative engine: it should not be slower than half the native one.
      target('tvae onnx/native sampling rate', rate('tvae', 'onnx') / rate('tvae', 'native'), '>=', 0.5),
      target('ctgan onnx/native sampling rate', rate('ctgan', 'onnx') / rate('ctgan', 'native'), '>=', 0.5),
    ];
  },
};
