// Neural generators (issue 5, part B): TVAE and CTGAN on the native core, the companion of
// generators.js (marginal, copula), same cohort and the same fidelity ratio (src/models
// fidelityRatio: mean TVD of all 1-way and 2-way marginals against a FRESH cohort, divided by the
// same for the training cohort). For each model and epsilon in {inf, 3, 1} on the 1,500-patient
// simulated cohort (all 280 modelled columns): fit time, fidelity ratio, V1-V13 checks passed,
// epsilon spent; sampling rows/s with the native engine and with onnxruntime-node (the same
// model, the same seed).
//
// Budget: a trial repeats its fit 6 times (warm-up + 5), so the epochs are cut from the published
// 300 to HEMASYNTH_BENCH_TVAE_EPOCHS (default 30) and HEMASYNTH_BENCH_CTGAN_EPOCHS (default 5):
// fit times scale linearly with epochs; the fidelity of these short runs is a lower bound on what
// the published budget gives.
'use strict';
const path = require('node:path');
const { find, target } = require('../lib');

const dist = path.join(__dirname, '..', '..', 'dist');
const lib = () => ({ scd: require(path.join(dist, 'scd')), models: require(path.join(dist, 'models')), checks: require(path.join(dist, 'evaluate', 'clinical', 'scd-checks')) });
const EPOCHS = { tvae: Number(process.env.HEMASYNTH_BENCH_TVAE_EPOCHS || 30), ctgan: Number(process.env.HEMASYNTH_BENCH_CTGAN_EPOCHS || 5) };
const BATCH = { tvae: 250, ctgan: 500 };
const epsLabel = (e) => (e === Infinity ? 'inf' : String(e));
const cohort = (l, seed) => l.scd.simulateCohort({ patients: 1500, sites: 4, seed });
const train = (l, sim, model, epsilon) => l.models.trainModel({ table: sim.patients, schema: sim.schema, model, epsilon, delta: 1e-6, seed: 3, options: { epochs: EPOCHS[model], batchSize: BATCH[model], backend: 'cpu' } });

function fitTrial(model, epsilon) {
  return {
    name: `fit ${model} eps=${epsLabel(epsilon)} 1500 patients ${EPOCHS[model]} epochs`,
    backend: 'cpu', mode: 'repeat', reps: 5, unit: 's',
    setup: async () => { const l = lib(); return { l, sim: cohort(l, 7) }; },
    run: async (s) => { s.model = train(s.l, s.sim, model, epsilon); },
    extra: async (s) => {
      const fresh = cohort(s.l, 99);
      const syn = s.l.models.sampleModel(s.model, { rows: 1500, seed: 1 });
      const fr = s.l.models.fidelityRatio({ training: s.sim.patients, synthetic: syn, fresh: fresh.patients, schema: s.sim.schema });
      const checks = s.l.checks.runScdChecks(syn);
      const t = s.model.manifest.generator.training;
      return {
        columns: s.model.manifest.encoders.length, epochs: t.epochs, steps: t.steps, batchSize: t.batchSize,
        epsilonSpent: s.model.manifest.privacy.epsilon, noiseMultiplier: t.dp ? t.dp.noiseMultiplier : null,
        fidelityRatio: fr.ratio, meanTvdSynthetic: fr.synthetic, meanTvdTraining: fr.training,
        checksPassed: checks.filter((c) => c.passed).length, checksPassedIds: checks.filter((c) => c.passed).map((c) => c.id).join(','),
      };
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
    sampleTrial('tvae', 'native'), sampleTrial('tvae', 'onnx'),
    sampleTrial('ctgan', 'native'), sampleTrial('ctgan', 'onnx'),
  ],
  targets: (results) => {
    const rate = (m, e) => find(results, `sample ${m} 50000 rows engine=${e}`, 'cpu')?.median;
    const fr = (m) => find(results, `fit ${m} eps=inf 1500 patients ${EPOCHS[m]} epochs`, 'cpu')?.fidelityRatio;
    return [
      // Stated for the neural generators by the issue through "the best generator at eps=inf has fidelity ratio < 1.3".
      target('tvae eps=inf fidelity ratio (short bench budget)', fr('tvae'), '<=', 1.3),
      target('ctgan eps=inf fidelity ratio (short bench budget)', fr('ctgan'), '<=', 1.3),
      // ONNX sampling is an alternative engine: it should not be slower than half the native one.
      target('tvae onnx/native sampling rate', rate('tvae', 'onnx') / rate('tvae', 'native'), '>=', 0.5),
      target('ctgan onnx/native sampling rate', rate('ctgan', 'onnx') / rate('ctgan', 'native'), '>=', 0.5),
    ];
  },
};
