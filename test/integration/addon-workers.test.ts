/**
 * The addon keeps no static mutable state, so it must load and run in several worker threads
 * at once and be torn down with them (duckdb-node-neo's worker test is the model).
 */
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

  it('rejects wrong argument types with the field name instead of crashing', () => {
    const addon = loaded.addon!;
    expect(() => (addon.sumF64 as unknown as (x: unknown, t: number) => number)([1, 2, 3], 1)).toThrow(
      'Expected Float64Array for x but received Array',
    );
    expect(() => addon.sumF64(new Float64Array(2), -1)).toThrow(/Expected an integer in \[0, 1024\] for threads/);
  });
});
