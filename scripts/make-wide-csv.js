#!/usr/bin/env node
// Fixture maker: writes a large synthetic CSV for the CSV → Arrow benchmark and streaming tests.
//   node scripts/make-wide-csv.js --rows 1000000 --cols 100 --kind numeric --out /tmp/wide.csv [--seed 1]
// Kinds: "numeric" (all columns continuous, 4 decimals), "mixed" (cycles through continuous,
// integer, categorical, boolean, date, identifier columns, with ~2% missing values).
// Values come from a seeded sfc32 generator, so the same arguments give the same bytes;
// this is test data, not a privacy mechanism, so a statistical PRNG is the right tool.
// Writes in 4 MiB chunks with back-pressure, so memory stays small whatever the size.
'use strict';
const fs = require('node:fs');

function parseArgs(argv) {
  const opts = { rows: 100000, cols: 20, kind: 'numeric', out: null, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--rows' || a === '--cols' || a === '--seed') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < (a === '--seed' ? 0 : 1)) usage(`Expected a positive integer for ${a} but received ${JSON.stringify(v)}`);
      opts[a.slice(2)] = n;
      i++;
    } else if (a === '--kind') {
      if (v !== 'numeric' && v !== 'mixed') usage(`Expected "numeric" or "mixed" for --kind but received ${JSON.stringify(v)}`);
      opts.kind = v;
      i++;
    } else if (a === '--out') {
      opts.out = v;
      i++;
    } else {
      usage(`Expected an option (--rows, --cols, --kind, --out, --seed) but received ${JSON.stringify(a)}`);
    }
  }
  if (!opts.out) usage('Expected --out FILE but received nothing');
  return opts;
}

function usage(msg) {
  process.stderr.write(`make-wide-csv: ${msg}\nusage: node scripts/make-wide-csv.js --rows N --cols M [--kind numeric|mixed] [--seed S] --out FILE\n`);
  process.exit(2);
}

/**
 * sfc32 (C. Doty-Humphrey's Small Fast Counting generator, PractRand-tested, period >= 2^32 and
 * about 2^127 on average) seeded from one integer; returns a float in [0, 1).
 */
function makeRandom(seed) {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next(); // mix the seed in
  return next;
}

const MIXED_KINDS = ['continuous', 'integer', 'categorical', 'boolean', 'date', 'identifier'];
const CATEGORIES = ['SS', 'SC', 'Sbeta0', 'Sbeta+', 'other'];

function header(opts) {
  const names = [];
  for (let c = 0; c < opts.cols; c++) {
    names.push(opts.kind === 'numeric' ? `x${c}` : `${MIXED_KINDS[c % MIXED_KINDS.length]}_${c}`);
  }
  return names.join(',') + '\n';
}

function cell(opts, rnd, row, c) {
  if (opts.kind === 'numeric') return ((rnd() - 0.5) * 200).toFixed(4);
  if (rnd() < 0.02) return '';
  switch (MIXED_KINDS[c % MIXED_KINDS.length]) {
    case 'continuous': return (rnd() * 100).toFixed(3);
    case 'integer': return String(Math.floor(rnd() * 1000));
    case 'categorical': return CATEGORIES[Math.floor(rnd() * CATEGORIES.length)];
    case 'boolean': return rnd() < 0.5 ? 'true' : 'false';
    case 'date': {
      const d = new Date(Date.UTC(1950, 0, 1) + Math.floor(rnd() * 25000) * 86400000);
      return d.toISOString().slice(0, 10);
    }
    default: return `P${String(row).padStart(8, '0')}-${c}`;
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const rnd = makeRandom(opts.seed);
  const out = fs.createWriteStream(opts.out);
  const write = (s) => (out.write(s) ? Promise.resolve() : new Promise((r) => out.once('drain', r)));
  await write(header(opts));
  let chunk = '';
  const cells = new Array(opts.cols);
  for (let r = 0; r < opts.rows; r++) {
    for (let c = 0; c < opts.cols; c++) cells[c] = cell(opts, rnd, r, c);
    chunk += cells.join(',') + '\n';
    if (chunk.length > 4 * 1024 * 1024) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
  process.stderr.write(`wrote ${opts.out}: ${opts.rows} rows x ${opts.cols} columns, ${fs.statSync(opts.out).size} bytes\n`);
}

main().catch((e) => {
  process.stderr.write(`make-wide-csv: ${e.message}\n`);
  process.exit(1);
});
