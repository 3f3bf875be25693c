/**
 * The addon keeps no static mutable state, so it must load and run in several worker threads
 * at once and be torn down with them (duckdb-node-neo's worker test is the model).
 */
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { addonCandidates, tryLoadAddon } from '../../src/native/addon';

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.addonPath);
const n = workerData.n;
const x = new Float64Array(n);
for (let i = 0; i < n; i++) x[i] = (i % 1000) * workerData.scale;
let total = 0;
for (let r = 0; r < workerData.rounds; r++) total = addon.sumF64(x, 2);
parentPort.postMessage({ total, cuda: addon.cudaStatus().deviceCount >= 0 });
`;

function runWorker(addonPath: string, scale: number): Promise<{ total: number; cuda: boolean }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(workerSource, { eval: true, workerData: { addonPath, n: 1_000_000, scale, rounds: 20 } });
    w.once('message', (m) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

describe('native addon in worker threads', () => {
  const loaded = tryLoadAddon();

  it('is built and loadable in the main thread', () => {
    expect(loaded.error).toBeUndefined();
    expect(typeof loaded.addon!.sumF64).toBe('function');
  });

  it('runs a kernel in 4 workers at once with the right results, and unloads with them', async () => {
    const addonPath = addonCandidates().find((p) => require('node:fs').existsSync(p))!;
    // sum over i of (i mod 1000) * scale for 1e6 values = 1000 * (999*1000/2) * scale
    const expected = (s: number) => 1000 * 499500 * s;
    const scales = [1, 2, 0.5, 3];
    const results = await Promise.all(scales.map((s) => runWorker(addonPath, s)));
    results.forEach((r, i) => {
      expect(r.total).toBeCloseTo(expected(scales[i]), 6);
      expect(r.cuda).toBe(true);
    });
    // A second wave after the first workers were torn down: the addon loads again cleanly.
    const again = await Promise.all(scales.map((s) => runWorker(addonPath, s)));
    again.forEach((r, i) => expect(r.total).toBeCloseTo(expected(scales[i]), 6));
  });

  // A worker terminated while it is inside the addon (piscina's destroy; an evaluate pool that
  // stops at the first bad input): an error the addon raises then can no longer reach JavaScript.
  // Built without NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS, node-addon-api threw a C++ exception
  // out of its handler and the process aborted (5 of 5 runs of this loop). In a child process, so
  // that an abort fails this test instead of killing the test worker.
  it('survives workers terminated in the middle of native calls that throw', () => {
    const addonPath = addonCandidates().find((p) => require('node:fs').existsSync(p))!;
    const script = `
      const { Worker } = require('node:worker_threads');
      const src = \`
        const { parentPort, workerData } = require('node:worker_threads');
        const addon = require(workerData.addonPath);
        const x = new Float64Array(200000).fill(1);
        parentPort.postMessage('ready');
        for (;;) { try { addon.sumF64([1, 2], 1); } catch (e) {} addon.sumF64(x, 1); }
      \`;
      (async () => {
        for (let i = 0; i < 60; i++) {
          const w = new Worker(src, { eval: true, workerData: { addonPath: process.argv[1] } });
          await new Promise((r) => w.once('message', r));
          await new Promise((r) => setTimeout(r, (i * 7) % 5));
          await w.terminate();
        }
        process.stdout.write('survived');
      })();`;
    const r = spawnSync(process.execPath, ['-e', script, addonPath], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toContain('terminate called');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('survived');
  }, 150_000);

  it('rejects wrong argument types with the field name instead of crashing', () => {
    const addon = loaded.addon!;
    expect(() => (addon.sumF64 as unknown as (x: unknown, t: number) => number)([1, 2, 3], 1)).toThrow(
      'Expected Float64Array for x but received Array',
    );
    expect(() => addon.sumF64(new Float64Array(2), -1)).toThrow(/Expected an integer in \[0, 1024\] for threads/);
  });
});
