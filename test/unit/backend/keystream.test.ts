/**
 * The ChaCha20 keystream and the noise drawn from it: RFC 8439 test vector, native/js
 * agreement, moments, independence across calls and across worker threads, seeded
 * reproducibility.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { JsKeystream, backendStatuses } from '../../../src/backend';
import { tryLoadAddon } from '../../../src/native/addon';

const loaded = tryLoadAddon();
const native = backendStatuses().find((b) => b.name === 'cpu')?.usable ? loaded.addon : undefined;
const itNative = native ? it : it.skip;

function corr(a: Float64Array, b: Float64Array): number {
  let sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  const n = a.length;
  for (let i = 0; i < n; i++) { sa += a[i]; sb += b[i]; sab += a[i] * b[i]; saa += a[i] ** 2; sbb += b[i] ** 2; }
  const cov = sab / n - (sa / n) * (sb / n);
  return cov / Math.sqrt((saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2));
}

function moments(z: Float64Array) {
  let m1 = 0, m2 = 0, m3 = 0, m4 = 0;
  for (const v of z) { m1 += v; m2 += v * v; m3 += v ** 3; m4 += v ** 4; }
  const n = z.length;
  return { mean: m1 / n, variance: m2 / n - (m1 / n) ** 2, skew: m3 / n, kurtosis: m4 / n };
}

describe('ChaCha20 keystream', () => {
  itNative('native block function matches RFC 8439 §2.3.2', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const nonce = Uint8Array.from([0, 0, 0, 9, 0, 0, 0, 0x4a, 0, 0, 0, 0]);
    const out = Buffer.from(native!.dpChacha20Block(key, nonce, 1)).toString('hex');
    expect(out).toBe('10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e' +
      'd2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e');
  });

  itNative('native and js (node:crypto) keystreams are identical at unaligned positions', () => {
    const js = new JsKeystream(123);
    for (const [pos, len] of [[0, 64], [5, 200], [63, 1], [1000, 3000], [64 * 17 + 3, 1100]]) {
      expect(Buffer.from(native!.dpKeystreamBytes(123, pos, len)).equals(js.bytesAt(pos, len))).toBe(true);
    }
  });

  itNative('uniforms agree bit for bit; Gaussians to 1e-13', () => {
    const u = native!.dpUniformSamples(9, 5001);
    expect(Array.from(new JsKeystream(9).uniforms(5001))).toEqual(Array.from(u));
    const g = native!.dpGaussianSamples(9, 20001, 2);
    const j = new JsKeystream(9).gaussians(20001);
    let e = 0;
    for (let i = 0; i < g.length; i++) e = Math.max(e, Math.abs(g[i] - j[i]));
    expect(e).toBeLessThan(1e-13);
  });

  it.each(['js', 'native'])('%s Gaussian noise has the moments of N(0,1) and no lag-1 correlation', (which) => {
    if (which === 'native' && !native) { console.warn('skipped: native addon not loadable'); return; }
    const n = 400000;
    const z = which === 'js' ? new JsKeystream().gaussians(n) : native!.dpGaussianSamples(-1, n, 2);
    const m = moments(z);
    // Standard errors at n = 4e5: mean 0.0016, variance 0.0022, skew 0.0039, kurtosis 0.015.
    expect(Math.abs(m.mean)).toBeLessThan(0.01);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.012);
    expect(Math.abs(m.skew)).toBeLessThan(0.02);
    expect(Math.abs(m.kurtosis - 3)).toBeLessThan(0.08);
    expect(Math.abs(corr(z.subarray(0, n - 1), z.subarray(1)))).toBeLessThan(0.01);
    // Tail mass beyond 3σ: 0.0027 expected.
    const tail = z.filter((v) => Math.abs(v) > 3).length / n;
    expect(tail).toBeGreaterThan(0.0022);
    expect(tail).toBeLessThan(0.0032);
  });

  itNative('OS-keyed calls are independent; seeded calls repeat', () => {
    const a = native!.dpGaussianSamples(-1, 50000, 1), b = native!.dpGaussianSamples(-1, 50000, 1);
    expect(Math.abs(corr(a, b))).toBeLessThan(0.02);
    expect(Array.from(native!.dpGaussianSamples(4, 1000, 1))).toEqual(Array.from(native!.dpGaussianSamples(4, 1000, 2)));
    const ja = new JsKeystream().gaussians(50000), jb = new JsKeystream().gaussians(50000);
    expect(Math.abs(corr(ja, jb))).toBeLessThan(0.02);
  });

  itNative('noise drawn in several worker threads (each loading the addon) is independent', async () => {
    const addonPath = process.env.HEMASYNTH_ADDON ?? path.resolve(__dirname, '../../../build/Release/hemasynth.node');
    const code = `const { parentPort, workerData } = require('node:worker_threads');
      const a = require(workerData.addon);
      parentPort.postMessage(a.dpGaussianSamples(-1, 50000, 1));`;
    const run = () => new Promise<Float64Array>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { addon: addonPath } });
      w.once('message', (m) => { resolve(m as Float64Array); void w.terminate(); });
      w.once('error', reject);
    });
    const [a, b, c] = await Promise.all([run(), run(), run()]);
    for (const [p, q] of [[a, b], [a, c], [b, c]]) {
      expect(p.length).toBe(50000);
      expect(Math.abs(corr(p, q))).toBeLessThan(0.02);
    }
    expect(Math.abs(moments(a).variance - 1)).toBeLessThan(0.04);
  });
});
