// Synthetic-data generators (issue 5): for marginal (MST) and copula at epsilon in {inf, 3, 1} on
// a 1,500-patient simulated cohort: fit time, sampling rows/s, fidelity ratio (mean TVD of all
// 1-way and 2-way marginals against a FRESH cohort, divided by the same for the training cohort)
// and how many of the V1-V13 clinical checks pass; fit time of both on a 1,000,000-row x 50-column
// table and on the --wide (~600 column) cohort, at epsilon inf and 1. Targets: marginal at epsilon 1 fits in < 60 s with
// fidelity ratio < 2; the best generator at epsilon inf has ratio < 1.3; sampling >= 200,000 rows/s.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { target, find, visitsPerYear, missingGap } = require('../lib');
const { bigTable } = require('../fixtures/big-table');

const dist = path.join(__dirname, '..', '..', 'dist');
const lib = () => ({ scd: require(path.join(dist, 'scd')), models: require(path.join(dist, 'models')), checks: require(path.join(dist, 'evaluate', 'clinical', 'scd-checks')), arrow: require('apache-arrow') });

function cohort(l, seed, wide) {
  return l.scd.simulateCohort({ patients: 1500, sites: 4, seed, wide: Boolean(wide) });
}

const epsLabel = (e) => (e === Infinity ? 'inf' : String(e));

function fitTrial(model, epsilon, opts = {}) {
  return {
    name: `fit ${model} eps=${epsLabel(epsilon)} 1500 patients${opts.wide ? ' --wide' : ''}`,
    backend: 'cpu',
    mode: 'repeat',
    reps: 5,
    unit: 's',
    setup: async () => { const l = lib(); return { l, sim: cohort(l, 7, opts.wide) }; },
    run: async (s) => { s.model = s.l.models.trainModel({ table: s.sim.patients, schema: s.sim.schema, model, epsilon, delta: 1e-6, seed: 3 }); },
    extra: async (s) => {
      if (opts.wide) return { columns: s.model.manifest.encoders.length };
      const fresh = cohort(s.l, 99);
      const same = s.l.models.sampleModel(s.model, { rows: 1500, seed: 1 });
      const large = s.l.models.sampleModel(s.model, { rows: 15000, seed: 1 });
      const fr = s.l.models.fidelityRatio({ training: s.sim.patients, synthetic: same, fresh: fresh.patients, schema: s.sim.schema });
      const frLarge = s.l.models.fidelityRatio({ training: s.sim.patients, synthetic: large, fresh: fresh.patients, schema: s.sim.schema });
      const checks = s.l.checks.runScdChecks(same);
      return {
        columns: s.model.manifest.encoders.length,
        epsilonSpent: s.model.manifest.privacy.epsilon,
        fidelityRatio: fr.ratio, fidelityRatio15000Rows: frLarge.ratio, meanTvdSynthetic: fr.synthetic, meanTvdTraining: fr.training,
        checksPassed: checks.filter((c) => c.passed).length, checksPassedIds: checks.filter((c) => c.passed).map((c) => c.id).join(','),
        // Missing-rate gaps over the modelled columns, on 15,000 synthetic rows (issue 5: within 5 points).
        ...Object.fromEntries(Object.entries(missingGap(s.sim.patients, large, s.model.manifest.encoders.map((e) => e.column))).map(([k, v]) => [`${k}15000Rows`, v])),
      };
    },
  };
}

// A fixed-combinations constraint on the cohort (genotype with hydroxyurea: SC patients listed off
// treatment only), to time its repair against the plain trial; the simulator gives 7% of SC
// patients hydroxyurea, so the repair has rows to move.
function withCombinations(schema) {
  const genotypes = schema.columns.find((c) => c.name === 'genotype').categories;
  const combos = genotypes.flatMap((g) => (g === 'SC' ? [[g, 'false']] : [[g, 'true'], [g, 'false']]));
  return { ...schema, constraints: [...(schema.constraints || []), `(genotype, hydroxyurea) in (${combos.map((t) => `('${t[0]}', ${t[1]})`).join(', ')})`] };
}

function sampleTrial(model, opts = {}) {
  return {
    name: `sample ${model} 200000 rows${opts.combinations ? ' with a fixed-combinations constraint' : ''}`,
    backend: 'cpu',
    mode: 'repeat',
    reps: 5,
    unit: 'rows/s',
    setup: async () => { const l = lib(); const sim = cohort(l, 7); const schema = opts.combinations ? withCombinations(sim.schema) : sim.schema; return { l, model: l.models.trainModel({ table: sim.patients, schema, model, epsilon: 3, delta: 1e-6, seed: 3 }) }; },
    run: async (s) => { s.rows = s.l.models.sampleModel(s.model, { rows: 200000, seed: 5 }); },
    rate: (seconds) => 200000 / seconds,
    extra: async (s) => ({
      columns: s.model.manifest.encoders.length,
      // Rows of the last run that break any schema constraint (exact): 0 by construction.
      constraintViolations: [...s.l.models.constraintViolations(s.rows, s.model.manifest.schema, 0).values()].reduce((a, b) => a + b, 0),
    }),
  };
}

// `hemasynth sample --rows 1000000` to Arrow in a child process (the CLI as a user runs it, so
// its peak memory is its own): wall time including the write, and the child's peak resident
// memory. Sampling streams batches of SAMPLE_BATCH_ROWS rows to the file, so memory stays bounded.
function streamedSampleTrial(model) {
  const rows = 1000000;
  return {
    name: `sample ${model} ${rows} rows streamed to Arrow (CLI)`,
    backend: 'cpu',
    mode: 'repeat',
    reps: 5,
    unit: 'rows/s',
    setup: async () => {
      const l = lib();
      const sim = cohort(l, 7);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-bench-sample-'));
      const file = path.join(dir, 'model.hsm');
      l.models.saveModel(file, l.models.trainModel({ table: sim.patients, schema: sim.schema, model, epsilon: 3, delta: 1e-6, seed: 3 }));
      return { dir, file, out: path.join(dir, 'synthetic.arrow'), maxRssKiB: 0 };
    },
    run: async (s) => {
      const script = `require(${JSON.stringify(path.join(dist, 'cli', 'main'))}).main(['node', 'hemasynth', 'sample', '--model', ${JSON.stringify(s.file)}, '--rows', '${rows}', '--seed', '1', '--out', ${JSON.stringify(s.out)}, '--json'])`
        + `.then((code) => { process.stderr.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }) + '\\n'); process.exitCode = code; })`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`hemasynth sample failed: ${r.stderr}`);
      const last = r.stderr.trim().split('\n').pop();
      s.maxRssKiB = Math.max(s.maxRssKiB, JSON.parse(last).maxRssKiB);
    },
    rate: (seconds) => rows / seconds,
    extra: async (s) => {
      const bytes = fs.statSync(s.out).size;
      fs.rmSync(s.dir, { recursive: true, force: true });
      return { rows, peakMemoryMiB: Math.round(s.maxRssKiB / 1024), fileMiB: Math.round(bytes / 2 ** 20) };
    },
  };
}

function checksTrial(model, epsilon) {
  // V1-V13 on the synthetic data (one 1,500-row sample) at epsilon 10 (the other epsilons come with the fit trials).
  return {
    name: `checks ${model} eps=${epsLabel(epsilon)}`,
    backend: 'cpu', mode: 'repeat', reps: 5, unit: 's',
    setup: async () => { const l = lib(); return { l, sim: cohort(l, 7) }; },
    run: async (s) => { s.model = s.l.models.trainModel({ table: s.sim.patients, schema: s.sim.schema, model, epsilon, delta: 1e-6, seed: 3 }); },
    extra: async (s) => {
      const checks = s.l.checks.runScdChecks(s.l.models.sampleModel(s.model, { rows: 1500, seed: 1 }));
      return { checksPassed: checks.filter((c) => c.passed).length, checksPassedIds: checks.filter((c) => c.passed).map((c) => c.id).join(',') };
    },
  };
}

// One cohort's check count swings by several checks with the cohort (the bands are tight at
// 1,500 patients) and with the synthetic sample (one model: 4 to 7 checks over sampling seeds),
// so the non-private models are also scored over eight cohorts (training seed 3) and three
// 1,500-row samples each (seeds 1-3), and on one 15,000-row sample per cohort (the model's
// associations with little sampling noise); the fidelity ratio of the first sample against a
// fresh cohort (seed 99). The copula also under DP at ε = 10, 3 and 1 (one training per cohort,
// its noise drawn from training seed 3).
const COHORT_SEEDS = [7, 21, 5, 11, 3, 13, 17, 29];
const SAMPLE_SEEDS = [1, 2, 3];
function cohortsChecksTrial(model, epsilon, options, label) {
  const train = (s, sim) => s.l.models.trainModel({ table: sim.patients, schema: sim.schema, model, epsilon, delta: 1e-6, seed: 3, ...(options ? { options } : {}) });
  return {
    name: `checks ${model}${label ? ` ${label}` : ''} eps=${epsLabel(epsilon)} over ${COHORT_SEEDS.length} cohorts (timed: fit one)`,
    backend: 'cpu', mode: 'repeat', reps: 5, unit: 's',
    setup: async () => { const l = lib(); return { l, sim: cohort(l, COHORT_SEEDS[0]) }; },
    run: async (s) => { train(s, s.sim); },
    extra: async (s) => {
      const passed = [], passed15000 = [], ratios = [], failures = {};
      const fresh = cohort(s.l, 99).patients;
      const count = (t) => s.l.checks.runScdChecks(t).filter((c) => c.passed).length;
      for (const seed of COHORT_SEEDS) {
        const sim = cohort(s.l, seed);
        const m = train(s, sim);
        let sum = 0;
        for (const sampleSeed of SAMPLE_SEEDS) {
          const syn = s.l.models.sampleModel(m, { rows: 1500, seed: sampleSeed });
          const checks = s.l.checks.runScdChecks(syn);
          sum += checks.filter((c) => c.passed).length;
          for (const c of checks) if (!c.passed) failures[c.id] = (failures[c.id] ?? 0) + 1;
          if (sampleSeed === SAMPLE_SEEDS[0]) ratios.push(s.l.models.fidelityRatio({ training: sim.patients, synthetic: syn, fresh, schema: sim.schema }).ratio);
        }
        passed.push(sum);
        passed15000.push(count(s.l.models.sampleModel(m, { rows: 15000, seed: 1 })));
      }
      const total = passed.reduce((a, b) => a + b, 0);
      return {
        cohortSeeds: COHORT_SEEDS.join(','), sampleSeeds: SAMPLE_SEEDS.join(','), checksPassedTotal: total, checksPassedPerSample: total / (COHORT_SEEDS.length * SAMPLE_SEEDS.length),
        checksPassedPerCohort: passed.join(','), checksPassed15000RowsTotal: passed15000.reduce((a, b) => a + b, 0), checksPassed15000RowsPerCohort: passed15000.join(','),
        fidelityRatioMin: Math.min(...ratios), fidelityRatioMax: Math.max(...ratios), fidelityRatioMean: ratios.reduce((a, b) => a + b, 0) / ratios.length, failuresByCheck: JSON.stringify(failures),
      };
    },
  };
}

// Visits (src/visits): fit on the cohort's visits and sample them for 1,500 synthetic patients;
// the model's serial correlation and spread of Hb against the real visits', non-private and at
// the default 10% of ε = 3.
function visitsTrial(epsilon) {
  return {
    name: `visits fit and sample eps=${epsLabel(epsilon)} 1500 patients`,
    backend: 'cpu', mode: 'repeat', reps: 5, unit: 's',
    setup: async () => {
      const l = lib();
      const sim = cohort(l, 7);
      const patients = l.models.sampleModel(l.models.trainModel({ table: sim.patients, schema: sim.schema, model: 'marginal', epsilon: Infinity, seed: 3 }), { rows: 1500, seed: 1 });
      return { l, sim, patients, visits: require(path.join(dist, 'visits')), noise: require(path.join(dist, 'dp', 'noise')), plan: require(path.join(dist, 'models', 'privacy-plan')), ledger: require(path.join(dist, 'dp', 'ledger')) };
    },
    run: async (s) => {
      const privacy = epsilon === Infinity ? null : new s.plan.PrivacyPlanner(s.ledger.PrivacyLedger.create({ datasetFingerprint: 'b'.repeat(64), budget: { epsilon, delta: 1e-6 } }), { epsilon, delta: 1e-6 });
      s.spec = s.visits.fitVisitModel({ patients: s.sim.patients, patientsSchema: s.sim.schema, visits: s.sim.visits, visitsSchema: s.sim.visitsSchema, privacy, noise: s.noise.CryptoRandom.fromSeed('bench') });
      s.out = s.visits.sampleVisits(s.spec, s.patients, 1);
    },
    extra: async (s) => {
      const real = s.visits.fitVisitModel({ patients: s.sim.patients, patientsSchema: s.sim.schema, visits: s.sim.visits, visitsSchema: s.sim.visitsSchema, privacy: null, noise: new s.noise.CryptoRandom() });
      const hb = (m) => m.labs.find((x) => x.column === 'hb_g_dl');
      return {
        realVisits: s.sim.visits.numRows, syntheticVisits: s.out.numRows, perYear: s.spec.perYear, perYearReal: real.perYear,
        visitsPerYearSynthetic: visitsPerYear(s.patients, s.out), visitsPerYearReal: visitsPerYear(s.sim.patients, s.sim.visits),
        hbAutocorrelation: hb(s.spec).autocorrelation, hbAutocorrelationReal: hb(real).autocorrelation, hbSpread: hb(s.spec).spread, hbSpreadReal: hb(real).spread,
        maxAutocorrelationGap: Math.max(...s.spec.labs.map((x, j) => Math.abs(x.autocorrelation - real.labs[j].autocorrelation))),
      };
    },
  };
}

// The ceiling for the counts above: V1-V13 on real (simulated) cohorts of the same size. Each
// check's band leaves room for sampling noise, but at 1,500 patients not always enough, so a
// real cohort does not pass all 13 either; 20 fresh cohorts (seeds 1-20) give the distribution.
function realChecksTrial() {
  const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
  return {
    name: 'checks real cohorts 1500 patients (20 seeds; timed: simulate and check one)',
    backend: 'cpu', mode: 'repeat', reps: 5, unit: 's',
    setup: async () => ({ l: lib() }),
    run: async (s) => { s.l.checks.runScdChecks(cohort(s.l, 1).patients); },
    extra: async (s) => {
      const passed = [], failures = {};
      for (const seed of seeds) {
        const checks = s.l.checks.runScdChecks(cohort(s.l, seed).patients);
        passed.push(checks.filter((c) => c.passed).length);
        for (const c of checks) if (!c.passed) failures[c.id] = (failures[c.id] ?? 0) + 1;
      }
      return { checksPassedMean: passed.reduce((a, b) => a + b, 0) / passed.length, checksPassedMin: Math.min(...passed), checksPassedMax: Math.max(...passed), failuresByCheck: JSON.stringify(failures) };
    },
  };
}

function bigTableTrial(model, epsilon) {
  // 1,000,000 rows x 50 columns: 25 correlated continuous columns with bounds, 25 categorical (5 levels).
  return {
    name: `fit ${model} eps=${epsLabel(epsilon)} 1000000x50`,
    backend: 'cpu', mode: 'repeat', reps: 5, unit: 's',
    setup: async () => {
      const l = lib();
      return { l, ...bigTable() };
    },
    run: async (s) => { s.l.models.trainModel({ table: s.table, schema: s.schema, model, epsilon, delta: 1e-6, seed: 3 }); },
  };
}

module.exports = {
  suite: 'generators',
  trials: [
    fitTrial('marginal', Infinity), fitTrial('marginal', 3), fitTrial('marginal', 1),
    fitTrial('copula', Infinity), fitTrial('copula', 3), fitTrial('copula', 1),
    checksTrial('marginal', 10), checksTrial('copula', 10), cohortsChecksTrial('marginal', Infinity), cohortsChecksTrial('copula', Infinity), cohortsChecksTrial('copula', Infinity, { stratifyBy: 'none' }, 'unstratified'),
    cohortsChecksTrial('copula', 10), cohortsChecksTrial('copula', 3), cohortsChecksTrial('copula', 1), realChecksTrial(),
    sampleTrial('marginal'), sampleTrial('marginal', { combinations: true }), sampleTrial('copula'), streamedSampleTrial('copula'), visitsTrial(Infinity), visitsTrial(3),
    bigTableTrial('marginal', Infinity), bigTableTrial('marginal', 1), bigTableTrial('copula', Infinity), bigTableTrial('copula', 1),
    fitTrial('marginal', Infinity, { wide: true }), fitTrial('marginal', 1, { wide: true }),
    fitTrial('copula', Infinity, { wide: true }), fitTrial('copula', 1, { wide: true }),
  ],
  targets: (results) => {
    const fr = (m, e) => find(results, `fit ${m} eps=${e} 1500 patients`, 'cpu')?.fidelityRatio;
    return [
      target('marginal eps=1 fit time on 1,500 patients (s)', find(results, 'fit marginal eps=1 1500 patients', 'cpu')?.median, '<=', 60),
      target('marginal eps=1 fidelity ratio', fr('marginal', 1), '<=', 2),
      target('best generator eps=inf fidelity ratio', Math.min(fr('marginal', 'inf') ?? Infinity, fr('copula', 'inf') ?? Infinity), '<=', 1.3),
      target('marginal sampling rows/s', find(results, 'sample marginal 200000 rows', 'cpu')?.median, '>=', 200000),
      target('copula sampling rows/s', find(results, 'sample copula 200000 rows', 'cpu')?.median, '>=', 200000),
    ];
  },
};
