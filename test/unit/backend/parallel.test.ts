/**
 * The native kernels' worker pool (native/common/parallel.h): helpers parked between calls, one
 * pool per calling thread. Results must not depend on the thread count or on how many calls the
 * pool served before, and several Node worker threads must run kernels at once, each with its own
 * pool, and exit cleanly.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { backendStatuses } from '../../../src/backend';
import { tryLoadAddon } from '../../../src/native/addon';

const loaded = tryLoadAddon();
const native = backendStatuses().find((b) => b.name === 'cpu')?.usable ? loaded.addon : undefined;
const itNative = native ? it : it.skip;

function data(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; out[i] = (s / 2 ** 32) * 2 - 1; }
  return out;
}

// 300×200×150 is 18 MFLOP: above the product's single-thread cut-off (4 MFLOP), so it is split.
const M = 300, K = 200, N = 150;
const a = data(M * K, 1), b = data(K * N, 2), bias = data(N, 3);

describe('native worker pool', () => {
  itNative('a product is the same bit for bit on 1 to 16 threads, call after call, as the pool grows and shrinks its share', () => {
    const reference = native!.matmulF32(a, b, M, K, N, false, false, bias, 1);
    for (const threads of [2, 16, 3, 16, 1, 9, 2, 16]) {
      const c = native!.matmulF32(a, b, M, K, N, false, false, bias, threads);
      expect(Buffer.from(c.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
    }
    // Seeded keystream draws split over threads are position-addressed: equal on any count.
    expect(Array.from(native!.dpGaussianSamples(4, 5000, 7))).toEqual(Array.from(native!.dpGaussianSamples(4, 5000, 1)));
  });

  itNative('several worker threads run kernels at once, each on its own pool, and exit', async () => {
    const addonPath = process.env.HEMASYNTH_ADDON ?? path.resolve(__dirname, '../../../build/Release/hemasynth.node');
    const reference = native!.matmulF32(a, b, M, K, N, false, false, bias, 1);
    const code = `const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData.addon);
      const { a, b, bias, M, K, N } = workerData;
      let c;
      for (let i = 0; i < 40; i++) c = addon.matmulF32(a, b, M, K, N, false, false, bias, 4);
      parentPort.postMessage(c);`;
    const run = () => new Promise<Float32Array>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { addon: addonPath, a, b, bias, M, K, N } });
      let result: Float32Array | undefined;
      w.once('message', (m) => { result = m as Float32Array; });
      w.once('error', reject);
      // The worker ends by itself: its thread's pool joins its parked helpers on the way out.
      w.once('exit', (codeOut) => (codeOut === 0 && result ? resolve(result) : reject(new Error(`worker exit ${codeOut}`))));
    });
    const results = await Promise.all([run(), run(), run()]);
    for (const c of results) expect(Buffer.from(c.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
  });
});
