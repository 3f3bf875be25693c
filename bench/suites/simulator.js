// SCD reference cohort simulator throughput: patients per second for 1,500 and 50,000 patients
// (normal mode: ~285 columns plus visits), the --wide mode (~600 columns), and simulation plus
// writing every Arrow file. Issue 2 target: > 20,000 patients/s in normal mode.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { target, find } = require('../lib');

function lib() {
  return require(path.join(__dirname, '..', '..', 'dist', 'scd'));
}

function trial(name, patients, opts = {}) {
  return {
    name,
    backend: 'js',
    mode: 'repeat',
    reps: 5,
    unit: 'patients/s',
    setup: async () => ({ scd: lib(), patients, out: opts.write ? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scd-')) : null }),
    run: async (s) => {
      const sim = s.scd.simulateCohort({ patients: s.patients, sites: 4, seed: 7, wide: Boolean(opts.wide) });
      if (s.out) s.scd.writeSimulation(s.out, sim);
    },
    rate: (seconds, s) => s.patients / seconds,
    extra: async (s) => {
      const sim = s.scd.simulateCohort({ patients: Math.min(s.patients, 1500), sites: 4, seed: 7, wide: Boolean(opts.wide) });
      return { columns: sim.patients.numCols };
    },
    teardown: async (s) => { if (s.out) fs.rmSync(s.out, { recursive: true, force: true }); },
  };
}

module.exports = {
  suite: 'simulator',
  trials: [
    trial('simulate 1500 patients', 1500),
    trial('simulate 50000 patients', 50000),
    trial('simulate 1500 patients --wide', 1500, { wide: true }),
    trial('simulate 50000 patients --wide', 50000, { wide: true }),
    trial('simulate and write 50000 patients', 50000, { write: true }),
  ],
  targets: (results) => [
    target('normal mode patients/s (50,000 patients)', find(results, 'simulate 50000 patients', 'js')?.median, '>=', 20000),
  ],
};
