// Anonymisation speed: time to the optimum (k = 5, 4% suppression, non-uniform entropy, all nine
// attributes quasi-identifiers) on ARX's Adult data (30,162 rows), on the same data replicated
// to 1,000,000 rows, on 1,000,000 rows resampled from it with perturbed values (realistic
// class sizes: see resampledRows), and risk assessment on 1,000,000 rows. Requires the compiled
// library (dist/) and ../shared/reference/arx-adult.
// Published figure for context: ARX's Flash finds the Adult 5-anonymity optimum in about 28 ms
// (Kohlmayer et al., CBMS 2014, Java, their 2014 hardware).
// Each timed run starts from integer-coded rows: native grouping of the rows plus the search.
// Besides wall-clock times, `cpuSeconds` gives the process CPU time of one run (median of 5),
// which the load of a shared machine inflates far less, and `loadAverage` the 1-minute load.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { find, target } = require('../lib');

const ROOT = path.join(__dirname, '..', '..');
const DATA = path.join(ROOT, '..', 'shared', 'reference', 'arx-adult', 'adult.csv');
const POLICY = path.join(ROOT, 'examples', 'adult', 'k5-s4.json');
const ROWS_1M = 1_000_000;
const ARX_PUBLISHED_MS = 28;

function lib() {
  return { anon: require(path.join(ROOT, 'dist', 'anonymise')), addon: require(path.join(ROOT, 'dist', 'native', 'addon')).loadAddon() };
}

// Deterministic generator for benchmark data (mulberry32); not a privacy mechanism.
function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// 1,000,000 rows drawn with replacement from Adult; each age moves by a uniform -2..+2 years
// (kept within the observed 17..90), and each other attribute is, with probability 0.1, taken
// from another random row. Replication alone makes every class at least 33 records large;
// this keeps many small classes instead (about 198,000 distinct tuples, 11% of the records
// unique), closer to a real population of that size.
function resampledRows(table, n) {
  const rnd = mulberry32(20141);
  const cols = {};
  for (const c of table.columns) cols[c] = new Array(n);
  const ages = table.values.age.map(Number);
  let lo = Infinity, hi = -Infinity;
  for (const a of ages) { lo = Math.min(lo, a); hi = Math.max(hi, a); }
  for (let i = 0; i < n; i++) {
    const r = Math.floor(rnd() * table.rowCount);
    for (const c of table.columns) cols[c][i] = table.values[c][r];
    const a = ages[r] + Math.floor(rnd() * 5) - 2;
    cols.age[i] = String(Math.min(hi, Math.max(lo, a)));
    for (const c of table.columns) if (c !== 'age' && rnd() < 0.1) cols[c][i] = table.values[c][Math.floor(rnd() * table.rowCount)];
  }
  return cols;
}

// Encoded Adult problem. `rows` > 30162 replicates the rows cyclically; `resample` draws them
// as resampledRows does.
function prepare(rows, resample = false) {
  const { anon, addon } = lib();
  let table = anon.readDelimitedTable(DATA, { delimiter: ';' });
  if (resample) table = anon.fromColumns(resampledRows(table, rows));
  const policy = anon.loadPolicy(POLICY);
  const problem = anon.encodeProblem(table, policy, { dataFile: DATA });
  const q = problem.qis.length;
  const n = rows ?? table.rowCount;
  const columns = new Int32Array(n * q);
  for (let j = 0; j < q; j++) {
    const codes = problem.qiEncodings[j].rowCodes;
    for (let i = 0; i < n; i++) columns[j * n + i] = codes[i % codes.length];
  }
  return { anon, addon, policy, problem, columns, n, q };
}

// From integer-coded rows to the optimum: group rows natively, then search the lattice.
function searchFromRows(s) {
  const g = s.addon.anonGroupRows(s.columns, s.n, s.q);
  const r = s.addon.anonSearch({ ...s.problem.spec, codes: g.codes, counts: g.counts });
  if (!r.found) throw new Error('no optimum');
  return { ...r, combos: g.counts.length };
}

function riskFromRows(s) {
  const g = s.addon.anonGroupRows(s.columns, s.n, s.q);
  const spec = { ...s.problem.spec, codes: g.codes, counts: g.counts, models: [{ kind: 0, a: 1, b: 0, sensitive: -1 }], suppressionLimit: 0 };
  const a = s.addon.anonAssign(spec, new Int32Array(s.q));
  return s.anon.riskFromClassSizes(a.classUnits, { samplingFraction: 0.01, recordRiskThreshold: 0.2 });
}

function cpuSeconds(fn, reps = 5) {
  const samples = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    samples.push((c.user + c.system) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(reps / 2)];
}

function searchExtra(s) {
  const r = searchFromRows(s);
  let unique = 0;
  const g = s.addon.anonGroupRows(s.columns, s.n, s.q);
  for (const c of g.counts) if (c === 1) unique++;
  return {
    levels: Array.from(r.levels), checks: r.checks, latticeSize: r.latticeSize, suppressed: r.evaluation.suppressed,
    distinctTuples: r.combos, uniqueRecords: unique, cpuSeconds: cpuSeconds(() => searchFromRows(s)), loadAverage: os.loadavg()[0],
  };
}

const missing = () => (fs.existsSync(DATA) ? null : `reference data not found at ${DATA}`);

module.exports = {
  suite: 'anonymise',
  trials: [
    {
      name: 'adult k5 s4 optimum (30162 rows)', backend: 'cpu', mode: 'repeat', reps: 15, skip: missing,
      setup: async () => prepare(),
      run: async (s) => { searchFromRows(s); },
      extra: async (s) => ({ ...searchExtra(s), arxPublishedMs: ARX_PUBLISHED_MS }),
    },
    {
      name: 'adult x33 k5 s4 optimum (1000000 rows)', backend: 'cpu', mode: 'repeat', reps: 5, skip: missing,
      setup: async () => prepare(ROWS_1M),
      run: async (s) => { searchFromRows(s); },
      extra: async (s) => searchExtra(s),
    },
    {
      name: 'adult resampled k5 s4 optimum (1000000 rows)', backend: 'cpu', mode: 'repeat', reps: 5, skip: missing,
      setup: async () => prepare(ROWS_1M, true),
      run: async (s) => { searchFromRows(s); },
      extra: async (s) => searchExtra(s),
    },
    {
      name: 'risk assessment (1000000 rows)', backend: 'cpu', mode: 'repeat', reps: 5, skip: missing,
      setup: async () => prepare(ROWS_1M),
      run: async (s) => { riskFromRows(s); },
      extra: async (s) => { const r = riskFromRows(s); return { averageProsecutor: r.averageProsecutor, populationUniqueness: r.populationUniqueness }; },
    },
  ],
  targets: (results) => [
    target('Adult k=5, 4% suppression: time to optimum (s)', find(results, 'adult k5 s4 optimum (30162 rows)', 'cpu')?.median, '<=', 0.05),
    target('Adult x33 (1,000,000 rows) k=5, 4%: time to optimum (s)', find(results, 'adult x33 k5 s4 optimum (1000000 rows)', 'cpu')?.median, '<=', 3),
    target('Adult resampled (1,000,000 rows) k=5, 4%: time to optimum (s)', find(results, 'adult resampled k5 s4 optimum (1000000 rows)', 'cpu')?.median, '<=', 3),
  ],
};
