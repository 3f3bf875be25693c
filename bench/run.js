#!/usr/bin/env node
// npm run bench -- SUITE | all   (writes bench/results/SUITE.json)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { writeResults, machine } = require('./lib');

function runSuite(name) {
  const suite = require(path.join(__dirname, 'suites', `${name}.js`));
  const results = [];
  const skipped = [];
  for (const trial of suite.trials) {
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
  const targets = suite.targets ? suite.targets(results, machine()) : [];
  const { out, file } = writeResults(suite.suite ?? name, [...results, ...skipped], targets);
  for (const t of targets) process.stderr.write(`  target ${t.name}: ${t.value} (${t.target}) ${t.met ? 'met' : 'NOT MET'}\n`);
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  return out;
}

const arg = process.argv[2];
const available = fs.readdirSync(path.join(__dirname, 'suites')).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort();
if (!arg || (arg !== 'all' && !available.includes(arg))) {
  process.stderr.write(`usage: npm run bench -- SUITE|all\nsuites: ${available.join(', ')}\n`);
  process.exit(2);
}
for (const name of arg === 'all' ? available : [arg]) {
  process.stderr.write(`suite ${name}\n`);
  runSuite(name);
}
