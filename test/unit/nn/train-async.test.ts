/** Long training runs leave the event loop free and report progress. */
import { JsBackend, backendStatuses } from '../../../src/backend';
import { CpuBackend } from '../../../src/backend/cpu';
import type { ModelSpec } from '../../../src/nn';
import { testData } from './models';

const cpuUsable = backendStatuses().find((b) => b.name === 'cpu')?.usable ?? false;
const model: ModelSpec = {
  inputSize: 32,
  layers: [{ type: 'linear', outputs: 128 }, { type: 'relu' }, { type: 'linear', outputs: 128 }, { type: 'relu' }, { type: 'linear', outputs: 8 }],
  loss: { targetSize: 8, terms: [{ kind: 'mse', outputOffset: 0, width: 8 }] },
};

describe('train() off the main thread', () => {
  (cpuUsable ? it : it.skip)('cpu: timers keep firing while a DP run trains on the libuv pool, progress arrives, the loss falls', async () => {
    const N = 2000;
    const x = testData(N * 32, 1);
    const y = new Float32Array(N * 8);
    for (let i = 0; i < N; i++) for (let j = 0; j < 8; j++) y[i * 8 + j] = 0.5 * x[i * 32 + j] - 0.25 * x[i * 32 + j + 8];
    const t = new CpuBackend({ threads: 1 }).createTrainer(model, {
      seed: 3, optimizer: { kind: 'adam', learningRate: 3e-3 },
      dp: { noiseMultiplier: 0.5, maxGradNorm: 1, sampleRate: 0.1, expectedBatchSize: 200 },
    });
    const before = t.gradient(x, y).loss;
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 5);
    const progress: number[] = [];
    const t0 = Date.now();
    const run = t.train(x, y, { steps: 400, progressEvery: 50, onProgress: (p) => progress.push(p.step) });
    expect(() => t.getParameters()).toThrow(/busy/);
    const summary = await run;
    const elapsed = Date.now() - t0;
    clearInterval(timer);
    expect(summary.steps).toBe(400);
    expect(progress).toEqual([50, 100, 150, 200, 250, 300, 350, 400]);
    // The interval fired throughout the run (a blocked loop would give ~0 ticks).
    expect(ticks).toBeGreaterThan(Math.min(20, elapsed / 5 / 4));
    expect(t.gradient(x, y).loss).toBeLessThan(before * 0.8);
  });

  (cpuUsable ? it : it.skip)('cpu: every progress event arrives, in order, even when steps are much faster than the event loop', async () => {
    // Tiny steps (microseconds each): a coalescing progress channel would drop most events.
    const tiny: ModelSpec = { inputSize: 2, layers: [{ type: 'linear', outputs: 1 }], loss: { targetSize: 1, terms: [{ kind: 'mse', outputOffset: 0, width: 1 }] } };
    const t = new CpuBackend({ threads: 1 }).createTrainer(tiny, { seed: 1 });
    const seen: number[] = [];
    await t.train(testData(8 * 2, 4), testData(8, 5), { steps: 3000, batchSize: 8, progressEvery: 1, onProgress: (p) => seen.push(p.step) });
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
  });

  it('js: the reference yields between steps and reports progress', async () => {
    const N = 100;
    const x = testData(N * 32, 2), y = testData(N * 8, 3);
    const t = new JsBackend().createTrainer(model, { seed: 1 });
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 1);
    const seen: number[] = [];
    await t.train(x, y, { steps: 20, batchSize: 50, progressEvery: 5, onProgress: (p) => seen.push(p.step) });
    clearInterval(timer);
    expect(seen).toEqual([5, 10, 15, 20]);
    expect(ticks).toBeGreaterThan(0);
  });
});
