// Federated generators (issue 6): marginal, copula, tvae and ctgan trained across 4 simulated hospitals
// (one process per site, pairwise secure aggregation over mutual TLS on loopback, distributed
// discrete Gaussian noise) against the same generator trained centrally on the pooled rows at
// the same (epsilon, delta): wall time of a whole federation, and the fidelity ratio of both
// (mean TVD of 1-way and 2-way marginals against a fresh cohort, over that of the training
// cohort; 1.0 = as good as real data). 3,000 patients, 11 clinical columns. With visits: the same
// federation with the visits round first (follow-up column added), and the federated visits
// model's statistics against the central non-private fit on the pooled tables.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { visitsPerYear, missingGap: missingGapOf } = require('../lib');

const dist = path.join(__dirname, '..', '..', 'dist');
const COLUMNS = ['sex', 'genotype', 'alpha_thal_deletions', 'hydroxyurea', 'chronic_transfusion', 'stroke', 'died', 'age_years', 'hb_g_dl', 'hbf_pct', 'voc_12m'];
const PATIENTS = 3000;

function lib() {
  return {
    scd: require(path.join(dist, 'scd', 'simulate')),
    sim: require(path.join(dist, 'federated', 'simulation')),
    file: require(path.join(dist, 'models', 'model-file')),
    api: require(path.join(dist, 'models', 'model-api')),
    fid: require(path.join(dist, 'models', 'fidelity-ratio')),
    visits: require(path.join(dist, 'visits', 'visit-model')),
    noise: require(path.join(dist, 'dp', 'noise')),
  };
}

function federationTrial(model, epsilon, cfg) {
  const columns = cfg.visits ? [...COLUMNS, 'followup_years'] : COLUMNS;
  return {
    name: `federated ${model} eps=${epsilon} 4 sites ${PATIENTS} patients${cfg.visits ? ' with visits' : ''}`,
    backend: 'cpu',
    mode: 'repeat',
    reps: 5,
    unit: 's',
    setup: async () => {
      const l = lib();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hemasynth-bench-fed-${model}-`));
      const sim = l.scd.simulateCohort({ patients: PATIENTS, sites: 4, seed: 11 });
      l.scd.writeSimulation(path.join(dir, 'cohort'), sim);
      const byName = new Map(sim.schema.columns.map((c) => [c.name, c]));
      const schema = { version: 1, name: 'scd subset', columns: columns.map((n) => byName.get(n)) };
      return { l, dir, sim, schema, runs: 0 };
    },
    run: async (s) => {
      s.runs++;
      s.out = path.join(s.dir, `fed-${s.runs}.hsm`);
      // A fresh ledger folder per run: each federation spends each site's whole budget.
      const ledgerDir = path.join(s.dir, `ledgers-${s.runs}`);
      fs.mkdirSync(ledgerDir);
      await s.l.sim.runFederatedSimulation({ dataDir: path.join(s.dir, 'cohort'), model, epsilon, delta: 1e-6, out: s.out, schema: s.schema, ledgerDir, log: () => {}, ...(cfg.rounds ? { rounds: cfg.rounds } : {}), options: cfg.options, ...(cfg.visits ? { visits: true } : {}) });
    },
    extra: async (s) => {
      const fed = s.l.file.loadModel(s.out);
      const pooled = s.sim.patients.select(columns);
      const central = s.l.api.trainModel({ table: pooled, schema: s.schema, model, epsilon, delta: 1e-6, seed: 3, options: cfg.central });
      const fresh = s.l.scd.simulateCohort({ patients: PATIENTS, sites: 4, seed: 99 }).patients.select(columns);
      const ratio = (m) => s.l.fid.fidelityRatio({ training: pooled, synthetic: s.l.api.sampleModel(m, { rows: PATIENTS, seed: 1 }), fresh, schema: s.schema }).ratio;
      // Largest gap between a column's synthetic and real missing rate (15,000 synthetic rows).
      const missingGap = (m) => missingGapOf(pooled, s.l.api.sampleModel(m, { rows: 15000, seed: 2 }), columns).missingMaxGap;
      const out = { rounds: cfg.rounds ?? null, epsilonSpent: fed.manifest.privacy.epsilon, fidelityRatioFederated: ratio(fed), fidelityRatioCentral: ratio(central), missingMaxGapFederated: missingGap(fed), missingMaxGapCentral: missingGap(central) };
      if (!cfg.visits) return out;
      const v = fed.manifest.visits;
      const synthetic = s.l.api.sampleModel(fed, { rows: PATIENTS, seed: 1 });
      const real = s.l.visits.fitVisitModel({ patients: s.sim.patients, patientsSchema: s.sim.schema, visits: s.sim.visits, visitsSchema: s.sim.visitsSchema, privacy: null, noise: new s.l.noise.CryptoRandom() });
      const lab = (spec, name) => spec.labs.find((l) => l.column === name);
      return {
        ...out, visitLabs: v.labs.map((l) => l.column).join(','), perYear: v.perYear, perYearReal: real.perYear,
        visitsPerYearSynthetic: visitsPerYear(synthetic, s.l.visits.sampleModelVisits(fed, synthetic, { seed: 1 })), visitsPerYearReal: visitsPerYear(s.sim.patients, s.sim.visits),
        hbAutocorrelation: lab(v, 'hb_g_dl').autocorrelation, hbAutocorrelationReal: lab(real, 'hb_g_dl').autocorrelation,
        maxAutocorrelationGap: Math.max(...v.labs.map((l) => Math.abs(l.autocorrelation - lab(real, l.column).autocorrelation))),
      };
    },
    teardown: async (s) => fs.rmSync(s.dir, { recursive: true, force: true }),
  };
}

module.exports = {
  suite: 'federated-generators',
  trials: [
    federationTrial('marginal', 4, { options: { bins: 8 }, central: { bins: 8 } }),
    federationTrial('copula', 4, { central: {} }),
    // The visits round first (10% of epsilon), the copula calibrated on the rest.
    federationTrial('copula', 4, { central: {}, visits: true }),
    // 40 secure DP-SGD steps at q = 0.25; central: 10 epochs of batch 750 = the same 40 steps.
    federationTrial('tvae', 4, { rounds: 40, options: { sampleRate: 0.25 }, central: { epochs: 10, batchSize: 750 } }),
    // 40 critic steps at q = 0.25 (the generator steps at the coordinator); central: the same 40
    // steps. Both calibrate their output biases to DP missing rates at the end (the federation
    // does since 285d585; the central run here had `calibrate: false` until then, hence its
    // 45.7-point missing gap in the results of f5879f4).
    federationTrial('ctgan', 4, { rounds: 40, options: { sampleRate: 0.25 }, central: { epochs: 10, batchSize: 750 } }),
  ],
};
