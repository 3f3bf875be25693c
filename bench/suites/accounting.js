// Privacy accounting speed: a PRV (numerical PLD) epsilon query for 10,000 DP-SGD steps, a PRV
// calibration, and the RDP equivalents for comparison. Requires the compiled library (dist/).
// Published figure for context: Opacus' PRV accountant answers the opacus-prv case
// (sigma 1.5, q 0.04, 2249 steps) with epsilon 6.7774; ours is checked in test/unit/dp.
'use strict';
const path = require('node:path');
const { find, target } = require('../lib');

const dp = () => require(path.join(__dirname, '..', '..', 'dist', 'dp'));
const query = { noiseMultiplier: 1.0, sampleRate: 0.01, steps: 10000, delta: 1e-5 };
const calib = { targetEpsilon: 8, delta: 1e-5, sampleRate: 0.04, steps: 2250 };

module.exports = {
  suite: 'accounting',
  trials: [
    { name: 'epsilon 10000 steps', backend: 'prv', mode: 'repeat', reps: 5, setup: async () => dp(), run: async (m) => { m.computeEpsilon({ accountant: 'prv', ...query }); }, extra: async (m) => ({ epsilon: m.computeEpsilon({ accountant: 'prv', ...query }).epsilon }) },
    { name: 'epsilon 10000 steps', backend: 'rdp', mode: 'benchmark', reps: 5, setup: async () => dp(), run: async (m) => { m.computeEpsilon({ accountant: 'rdp', ...query }); }, extra: async (m) => ({ epsilon: m.computeEpsilon({ accountant: 'rdp', ...query }).epsilon }) },
    { name: 'calibrate eps 8, 2250 steps', backend: 'prv', mode: 'repeat', reps: 5, setup: async () => dp(), run: async (m) => { m.calibrateNoiseMultiplier({ accountant: 'prv', ...calib }); }, extra: async (m) => ({ noiseMultiplier: m.calibrateNoiseMultiplier({ accountant: 'prv', ...calib }).noiseMultiplier }) },
    { name: 'calibrate eps 8, 2250 steps', backend: 'rdp', mode: 'repeat', reps: 5, setup: async () => dp(), run: async (m) => { m.calibrateNoiseMultiplier({ accountant: 'rdp', ...calib }); }, extra: async (m) => ({ noiseMultiplier: m.calibrateNoiseMultiplier({ accountant: 'rdp', ...calib }).noiseMultiplier }) },
  ],
  targets: (results) => [
    target('PRV epsilon query, 10000 steps (s)', find(results, 'epsilon 10000 steps', 'prv')?.median, '<=', 1),
    target('PRV calibration (s)', find(results, 'calibrate eps 8, 2250 steps', 'prv')?.median, '<=', 5),
  ],
};
