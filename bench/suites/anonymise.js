// Anonymisation speed: time to the optimum (k = 5, 4% suppression, non-uniform entropy, all nine
// attributes quasi-identifiers) on ARX's Adult data (30,162 rows) and on the same data
// replicated to 1,000,000 rows, and risk assessment on 1,000,000 rows. Requires the compiled
// library (dist/) and ../shared/reference/arx-adult.
// Published figure for context: ARX's Flash finds the Adult 5-anonymity optimum in about 28 ms
// (Kohlmayer et al., CBMS 2014, Java, their 2014 hardware).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { find, target } = require('../lib');

const ROOT = path.join(__dirname, '..', '..');
const DATA = path.join(ROOT, '..', 'shared', 'reference', 'arx-adult', 'adult.csv');
const POLICY = path.join(ROOT, 'examples', 'adult', 'k5-s4.json');
const ROWS_1M = 1_000_000;
const ARX_PUBLISHED_MS = 28;

function lib() {
  return { anon: require(path.join(ROOT, 'dist', 'anonymise')), addon: require(path.join(ROOT, 'dist', 'native', 'addon')).loadAddon() };
}

// Encoded Adult problem; `rows` > 30162 replicates the rows cyclically.
function prepare(rows) {
  const { anon, addon } = lib();
  const table = anon.readDelimitedTable(DATA, { delimiter: ';' });
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
  return r;
}

function riskFromRows(s) {
  const g = s.addon.anonGroupRows(s.columns, s.n, s.q);
  const spec = { ...s.problem.spec, codes: g.codes, counts: g.counts, models: [{ kind: 0, a: 1, b: 0, sensitive: -1 }], suppressionLimit: 0 };
  const a = s.addon.anonAssign(spec, new Int32Array(s.q));
  return s.anon.riskFromClassSizes(a.classUnits, { samplingFraction: 0.01, recordRiskThreshold: 0.2 });
}

const missing = () => (fs.existsSync(DATA) ? null : `reference data not found at ${DATA}`);

module.exports = {
  suite: 'anonymise',
  trials: [
    {
      name: 'adult k5 s4 optimum (30162 rows)', backend: 'cpu', mode: 'repeat', reps: 7, skip: missing,
      setup: async () => prepare(),
      run: async (s) => { searchFromRows(s); },
      extra: async (s) => { const r = searchFromRows(s); return { levels: Array.from(r.levels), checks: r.checks, latticeSize: r.latticeSize, arxPublishedMs: ARX_PUBLISHED_MS }; },
    },
    {
      name: 'adult x33 k5 s4 optimum (1000000 rows)', backend: 'cpu', mode: 'repeat', reps: 5, skip: missing,
      setup: async () => prepare(ROWS_1M),
      run: async (s) => { searchFromRows(s); },
      extra: async (s) => { const r = searchFromRows(s); return { levels: Array.from(r.levels), suppressed: r.evaluation.suppressed }; },
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
  ],
};
