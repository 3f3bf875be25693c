// CSV -> Arrow conversion throughput (MB/s of CSV text) and peak memory (to show streaming).
//   npm run bench -- csv-arrow
// Fixtures are generated once into the OS temp folder by scripts/make-wide-csv.js:
//   (a) 100,000 rows x 20 mixed-type columns, converted with schema inference (two passes);
//   (b) 1,000,000 rows x 100 numeric columns (~840 MB), the large-input case, converted
//       with a declared schema (one pass) and with inference (two passes, the CLI default).
// Baseline in the same run: csv-parse (the usual Node CSV parser) tokenising the same file into
// string arrays, without typing or writing: what a csv-parse based reader pays before doing any
// work. Our reader tokenizes with its own scanner (src/data/csv-tokenizer.ts). Peak RSS is the trial process's maxRSS (resourceUsage),
// so it covers warm-up and every repetition: streaming shows as RSS far below the file size.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { find, target } = require('../lib');

const ROOT = path.join(__dirname, '..', '..');
const data = () => require(path.join(ROOT, 'dist', 'data'));

function fixture(name, rows, cols, kind) {
  const file = path.join(os.tmpdir(), `hemasynth-bench-${name}.csv`);
  if (!fs.existsSync(file)) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'make-wide-csv.js'), '--rows', String(rows), '--cols', String(cols), '--kind', kind, '--seed', '1', '--out', file], { stdio: 'inherit' });
  }
  return { file, bytes: fs.statSync(file).size, rows, cols };
}

const MIXED = ['mixed-100k-20', 100_000, 20, 'mixed'];
const WIDE = ['numeric-1m-100', 1_000_000, 100, 'numeric'];

function peak() {
  return { peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
}

function mbPerSecond(seconds, state) {
  return state.bytes / 1e6 / seconds;
}

function convertTrial(name, spec, withSchema) {
  return {
    name,
    backend: 'js',
    mode: 'repeat',
    reps: 5,
    unit: 'MB/s',
    async setup() {
      const fx = fixture(...spec);
      const out = path.join(os.tmpdir(), `hemasynth-bench-${spec[0]}.arrow`);
      const schema = withSchema
        ? { version: 1, columns: Array.from({ length: fx.cols }, (_, c) => ({ name: `x${c}`, kind: 'continuous', role: 'feature' })) }
        : undefined;
      return { ...fx, out, schema };
    },
    async run(s) {
      const r = await data().convertFile(s.file, s.out, { schema: s.schema });
      if (r.rows !== s.rows) throw new Error(`converted ${r.rows} rows, expected ${s.rows}`);
    },
    rate: mbPerSecond,
    extra: async (s) => ({ csvBytes: s.bytes, rows: s.rows, columns: s.cols, arrowBytes: fs.statSync(s.out).size, ...peak() }),
    teardown: (s) => fs.rmSync(s.out, { force: true }),
  };
}

module.exports = {
  suite: 'csv-arrow',
  trials: [
    {
      name: 'csv-parse tokenise only mixed-100k-20',
      backend: 'baseline',
      mode: 'repeat',
      reps: 5,
      unit: 'MB/s',
      async setup() {
        return fixture(...MIXED);
      },
      async run(s) {
        const { parse } = require('csv-parse');
        let n = 0;
        for await (const _ of fs.createReadStream(s.file, { highWaterMark: 1 << 20 }).pipe(parse({ relax_column_count: true }))) n++;
        if (n !== s.rows + 1) throw new Error(`parsed ${n} records`);
      },
      rate: mbPerSecond,
      extra: async () => peak(),
    },
    convertTrial('csv->arrow mixed-100k-20 inferred', MIXED, false),
    convertTrial('csv->arrow numeric-1m-100 declared schema', WIDE, true),
    convertTrial('csv->arrow numeric-1m-100 inferred', WIDE, false),
  ],
  targets(results) {
    const base = find(results, 'csv-parse tokenise only mixed-100k-20', 'baseline');
    const mixed = find(results, 'csv->arrow mixed-100k-20 inferred', 'js');
    const wide = find(results, 'csv->arrow numeric-1m-100 declared schema', 'js');
    const rows = [];
    if (base && mixed && !mixed.error) {
      // Our conversion reads the text twice (inference, then typed conversion) and writes Arrow,
      // yet should not be slower than csv-parse reading it once without typing.
      rows.push(target('mixed 100k x 20: conversion MB/s (2 passes, typed, written) / csv-parse tokenise-only MB/s', mixed.median / base.median, '>=', 0.5));
    }
    const wideInferred = find(results, 'csv->arrow numeric-1m-100 inferred', 'js');
    for (const w of [wide, wideInferred]) {
      if (w && !w.error) rows.push(target(`${w.name}: streaming, peak RSS MiB / CSV MiB`, w.peakRssMiB / (w.csvBytes / 2 ** 20), '<=', 0.5));
    }
    return rows;
  },
};
