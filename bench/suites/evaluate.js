// Evaluation speed: the full evaluation (fidelity, utility, privacy attacks, clinical GLM) of
// 50,000 synthetic rows against 50,000 real training rows and a 12,500-row real holdout (an
// 80/20 split), 30 columns; and exact nearest-neighbour search alone (50,000 x 50,000 x 30,
// mixed Gower distance). Backends: native threads in one thread, the piscina pool (sections
// in parallel workers, workers x native threads = cores), and the TypeScript reference k-NN
// (timed on 500 queries and scaled, a full run would take hours).
// Targets (issue 8): full evaluation < 60 s and exact NN search < 5 s on this machine.
// Requires the compiled library (dist/) and the native addon.
'use strict';
const path = require('node:path');
const { find, target } = require('../lib');

const dist = (m) => require(path.join(__dirname, '..', '..', 'dist', m));
const ROWS = 50000;
const HOLDOUT = 12500;
const COLUMNS = 30;

// A synthetic cohort: 15 continuous columns from 3 latent factors, 5 counts, 10 categories.
function cohort(n, seed) {
  const arrow = require('apache-arrow');
  let s = seed >>> 0;
  const u = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 4294967296; };
  const g = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const cols = {};
  const latent = Array.from({ length: 3 }, () => Float64Array.from({ length: n }, g));
  for (let j = 0; j < 15; j++) cols[`x${j}`] = arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (u() < 0.02 ? null : latent[j % 3][i] * (1 + j / 10) + g())), new arrow.Float64());
  for (let j = 0; j < 5; j++) cols[`n${j}`] = arrow.vectorFromArray(Int32Array.from({ length: n }, (_, i) => Math.floor(Math.exp(0.5 + 0.4 * latent[j % 3][i]) * u() * 3)), new arrow.Int32());
  for (let j = 0; j < 10; j++) {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f'].slice(0, 2 + (j % 5));
    cols[`c${j}`] = arrow.vectorFromArray(Array.from({ length: n }, (_, i) => levels[Math.min(levels.length - 1, Math.floor(levels.length * (0.5 + 0.5 * Math.tanh(latent[j % 3][i] + g()))))]), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
  }
  return new arrow.Table(cols);
}

async function fullSetup() {
  const ev = dist('evaluate');
  const train = cohort(ROWS, 1), holdout = cohort(HOLDOUT, 2), synthetic = cohort(ROWS, 3);
  if (train.numCols !== COLUMNS) throw new Error(`expected ${COLUMNS} columns`);
  const analyses = [{ id: 'n0-x', outcome: 'n0', family: 'poisson', covariates: ['x0', 'x1', 'c0'] }, { id: 'x3-c', outcome: 'x3', family: 'gaussian', covariates: ['x4', 'c1', 'c2'] }];
  return { ev, input: { train, holdout, synthetic, target: 'c1', analyses, nAttacks: 500, seed: 1 } };
}

async function nnSetup() {
  const ev = dist('evaluate');
  const [a, b] = ev.alignTables([{ label: 'train', table: cohort(ROWS, 1) }, { label: 'synthetic', table: cohort(ROWS, 3) }]);
  const enc = ev.mixedEncoding([a, b]);
  return { ev, enc, ref: ev.encodeMixedRows(a, enc), query: ev.encodeMixedRows(b, enc) };
}

const noAddon = () => {
  try { require(process.env.HEMASYNTH_ADDON || path.join(__dirname, '..', '..', 'build', 'Release', 'hemasynth.node')); return null; } catch (e) { return `native addon not loadable: ${e.message}`; }
};

module.exports = {
  suite: 'evaluate',
  trials: [
    { name: 'full evaluation 50k x 30', backend: 'cpu', mode: 'repeat', reps: 5, skip: noAddon, setup: fullSetup,
      run: async (st) => { st.last = st.ev.evaluateSynthetic(st.input); },
      extra: async (st) => ({ timings: st.last.timings }) },
    { name: 'full evaluation 50k x 30', backend: 'cpu+pool', mode: 'repeat', reps: 5, skip: noAddon, setup: fullSetup,
      run: async (st) => { st.last = await st.ev.evaluateSyntheticInPool(st.input); },
      extra: async (st) => ({ timings: st.last.timings }) },
    { name: 'exact NN 50k x 50k x 30 k=1', backend: 'cpu', mode: 'repeat', reps: 5, skip: noAddon, setup: nnSetup,
      run: async (st) => { st.ev.nearestNeighbours(st.query, st.ref, st.enc, 1, { backend: 'native', threads: 0 }); } },
    { name: 'exact NN 50k x 50k x 30 k=1', backend: 'cpu-1thread', mode: 'repeat', reps: 5, skip: noAddon, setup: nnSetup,
      run: async (st) => { st.ev.nearestNeighbours(st.query, st.ref, st.enc, 1, { backend: 'native', threads: 1 }); } },
    { name: 'exact NN 50k x 50k x 30 k=1', backend: 'js', mode: 'repeat', reps: 5, setup: nnSetup,
      // 500 queries timed, scaled to 50,000: the reference loop is linear in the queries.
      run: async (st) => { st.ev.nearestNeighbours({ ...st.query, n: 500 }, st.ref, st.enc, 1, { backend: 'js' }); },
      rate: (seconds) => seconds * (ROWS / 500) },
  ],
  targets: (results) => {
    const full = find(results, 'full evaluation 50k x 30', 'cpu')?.median;
    const pool = find(results, 'full evaluation 50k x 30', 'cpu+pool')?.median;
    const nn = find(results, 'exact NN 50k x 50k x 30 k=1', 'cpu')?.median;
    const nn1 = find(results, 'exact NN 50k x 50k x 30 k=1', 'cpu-1thread')?.median;
    const js = find(results, 'exact NN 50k x 50k x 30 k=1', 'js')?.median;
    return [
      target('full evaluation 50k x 30, best of in-thread and pool (s)', pool !== undefined && full !== undefined ? Math.min(full, pool) : full ?? pool, '<=', 60),
      target('exact NN search 50k x 50k x 30 (s)', nn, '<=', 5),
      target('native NN vs TypeScript reference (speed-up)', js !== undefined && nn !== undefined ? js / nn : undefined, '>=', 20),
      target('native NN threads scaling (1 thread / all threads)', nn1 !== undefined && nn !== undefined ? nn1 / nn : undefined, '>=', 1.3),
    ];
  },
};
