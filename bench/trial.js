// Runs one trial of one suite in this process and prints its result as JSON on the last line.
'use strict';
const path = require('node:path');
const Benchmark = require('benchmark');
const { stats } = require('./lib');

async function main() {
  const [suiteName, trialName] = process.argv.slice(2);
  const suite = require(path.join(__dirname, 'suites', `${suiteName}.js`));
  const trial = suite.trials.find((t) => t.name + '|' + t.backend === trialName);
  if (!trial) throw new Error(`no trial ${trialName} in suite ${suiteName}`);
  const state = trial.setup ? await trial.setup() : undefined;
  const reps = Math.max(5, trial.reps ?? 5);
  let samples;
  if ((trial.mode ?? 'repeat') === 'benchmark') {
    samples = await new Promise((resolve, reject) => {
      const b = new Benchmark(trial.name, {
        defer: true,
        minSamples: reps,
        maxTime: trial.maxTime ?? 3,
        fn: (deferred) => Promise.resolve(trial.run(state)).then(() => deferred.resolve(), reject),
        onComplete: () => resolve(b.stats.sample),
        onError: (e) => reject(e.target.error),
      });
      b.run({ async: true });
    });
  } else {
    await trial.run(state); // warm-up
    samples = [];
    for (let i = 0; i < reps; i++) {
      const t0 = process.hrtime.bigint();
      await trial.run(state);
      samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  const unit = trial.unit ?? 's';
  const values = trial.rate ? samples.map((s) => trial.rate(s, state)) : samples;
  const st = stats(values);
  const extra = trial.extra ? await trial.extra(state) : {};
  process.stdout.write('\n' + JSON.stringify({ name: trial.name, backend: trial.backend, median: st.median, min: st.min, max: st.max, reps: st.samples, unit, ...extra }) + '\n');
  if (trial.teardown) await trial.teardown(state);
}

main().catch((e) => {
  process.stderr.write(`trial failed: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
