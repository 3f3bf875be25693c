// Benchmark harness shared by every suite (see docs/benchmarks.md and shared BENCH.md).
// A suite is bench/suites/<name>.js exporting:
//   { suite: 'name', trials: [ { name, backend, reps?, mode?: 'benchmark'|'repeat',
//       setup: async () => state, run: async (state) => void, unit?: 's', rate?: (seconds, state) => number,
//       skip?: () => string|null } ],
//     targets?: (results, machine) => [{ name, value, target, met }] }
// Each trial runs in its own process (bench/trial.js) after a warm-up; the median of >= 5
// repetitions is reported with min and max. 'benchmark' mode times with benchmark.js
// (short operations); 'repeat' mode times whole runs one by one (long jobs).
'use strict';
const os = require('node:os');
const fs = require('node:fs');
const path = require('node:path');
const { execSync } = require('node:child_process');

function machine() {
  let gpu = null;
  try {
    const addon = require(process.env.HEMASYNTH_ADDON || path.join(__dirname, '..', 'build', 'Release', 'hemasynth.node'));
    const c = addon.cudaStatus();
    if (c.deviceCount > 0) gpu = `${c.deviceName} (sm_${c.computeCapability})`;
  } catch { /* no addon: no GPU trials */ }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    gpu,
    node: process.version,
  };
}

function commit() {
  // A copy of the tree without .git (a GPU machine's) names its commit through the environment.
  if (process.env.HEMASYNTH_COMMIT) return process.env.HEMASYNTH_COMMIT;
  try {
    return execSync('git rev-parse HEAD', { cwd: path.join(__dirname, '..'), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], samples: s.length };
}

function writeResults(suite, results, targets) {
  const out = { suite, commit: commit(), date: new Date().toISOString(), machine: machine(), results, targets };
  // HEMASYNTH_BENCH_OUT keeps another machine's figures (a GPU machine's) beside this one's.
  const file = process.env.HEMASYNTH_BENCH_OUT ? path.resolve(process.env.HEMASYNTH_BENCH_OUT) : path.join(__dirname, 'results', `${suite}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  return { out, file };
}

/** Finds a result by name and backend. */
function find(results, name, backend) {
  return results.find((r) => r.name === name && (backend === undefined || r.backend === backend));
}

/** A target row: value computed from results of this run, compared with the stated bound. */
function target(name, value, op, bound) {
  const met = value !== undefined && value !== null && Number.isFinite(value) && (op === '>=' ? value >= bound : value <= bound);
  return { name, value: value ?? null, target: `${op} ${bound}`, met };
}

// Visits per year of follow-up of a (real or synthetic) cohort: visit rows over the patients'
// summed follow-up, the quantity the visits model is meant to keep (src/visits).
function visitsPerYear(patients, visits, followupColumn = 'followup_years') {
  const fu = patients.getChild(followupColumn);
  let years = 0;
  for (let i = 0; i < patients.numRows; i++) { const f = fu.get(i); if (f !== null && Number.isFinite(f)) years += f; }
  return visits.numRows / years;
}

// Missing-rate gaps of a synthetic table against the real one over `columns` (issue 5: every
// column within 5 points): the largest gap, how many columns are beyond 5 points, and the worst.
function missingGap(real, synthetic, columns) {
  const rate = (t, c) => t.getChild(c).nullCount / t.numRows;
  let max = 0, over = 0, worst = '';
  for (const c of columns) {
    const g = Math.abs(rate(synthetic, c) - rate(real, c));
    if (g > 0.05) over++;
    if (g > max) { max = g; worst = c; }
  }
  return { missingMaxGap: max, missingColumnsOver5Points: over, missingWorstColumn: worst };
}

module.exports = { machine, commit, stats, writeResults, find, target, visitsPerYear, missingGap };
