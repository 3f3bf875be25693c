#!/usr/bin/env node
// npm run bench -- SUITE | all   (writes bench/results/SUITE.json)
// npm run bench -- SUITE --only TEXT   (reruns the trials whose name contains TEXT and merges them
//   into the suite's existing results, e.g. to remeasure one figure on a quiet machine)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { writeResults, machine } = require('./lib');

function runSuite(name, only) {
  const suite = require(path.join(__dirname, 'suites', `${name}.js`));
  const results = [];
  const skipped = [];
  for (const trial of suite.trials.filter((t) => !only || t.name.includes(only))) {
    const why = trial.skip ? trial.skip() : null;
    if (why) {
      skipped.push({ name: trial.name, backend: trial.backend, skipped: why });
      process.stderr.write(`  skip ${trial.name} [${trial.backend}]: ${why}\n`);
      continue;
    }
    process.stderr.write(`  run  ${trial.name} [${trial.backend}] ... `);
    const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'trial.js'), name, `${trial.name}|${trial.backend}`], {
      encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: process.env,
    });
    if (r.status !== 0) {
      process.stderr.write('failed\n' + r.stderr + '\n');
      results.push({ name: trial.name, backend: trial.backend, error: (r.stderr || '').split('\n').slice(0, 3).join(' ') });
      continue;
    }
    const last = r.stdout.trim().split('\n').pop();
    const res = JSON.parse(last);
    process.stderr.write(`${res.median.toPrecision(4)} ${res.unit}\n`);
    results.push(res);
  }
  if (only) {
    // Keep the other trials' figures from the last full run.
    const previous = path.join(__dirname, 'results', `${suite.suite ?? name}.json`);
    const key = (r) => `${r.name}|${r.backend}`;
    const fresh = new Set([...results, ...skipped].map(key));
    const before = fs.existsSync(previous) ? JSON.parse(fs.readFileSync(previous, 'utf8')) : { results: [] };
    // A kept figure names the commit it was measured at (the file's commit is this run's).
    const kept = before.results.filter((r) => !fresh.has(key(r))).map((r) => ({ ...r, commit: r.commit ?? before.commit, date: r.date ?? before.date }));
    results.unshift(...kept.filter((r) => !r.skipped));
    skipped.unshift(...kept.filter((r) => r.skipped));
  }
  const targets = suite.targets ? suite.targets(results, machine()) : [];
  const { out, file } = writeResults(suite.suite ?? name, [...results, ...skipped], targets);
  for (const t of targets) process.stderr.write(`  target ${t.name}: ${t.value} (${t.target}) ${t.met ? 'met' : 'NOT MET'}\n`);
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  return out;
}

const arg = process.argv[2];
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined;
if (onlyAt > 0 && !only) {
  process.stderr.write('usage: npm run bench -- SUITE --only TEXT\n');
  process.exit(2);
}
const available = fs.readdirSync(path.join(__dirname, 'suites')).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort();
if (!arg || (arg !== 'all' && !available.includes(arg))) {
  process.stderr.write(`usage: npm run bench -- SUITE|all\nsuites: ${available.join(', ')}\n`);
  process.exit(2);
}
for (const name of arg === 'all' ? available : [arg]) {
  process.stderr.write(`suite ${name}\n`);
  runSuite(name, only);
}
