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
    expect(progress[progress.length - 1]).toBe(400);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    // The interval fired throughout the run (a blocked loop would give ~0 ticks).
    expect(ticks).toBeGreaterThan(Math.min(20, elapsed / 5 / 4));
    expect(t.gradient(x, y).loss).toBeLessThan(before * 0.8);
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
