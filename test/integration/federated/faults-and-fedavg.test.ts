/**
 * Over the real gRPC/mutual-TLS transport (sites in-process, for speed): a slow site times out
 * and the round completes without it; a coordinator that restarts resumes from its checkpoint;
 * a site that drops its connection rejoins at the next round; two-server secure aggregation
 * sums exactly; distributed discrete Gaussian noise reaches the sum with the expected variance;
 * federated averaging of DP-SGD updates equals the size-weighted plaintext average.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFederationPki, loadPartyCredentials } from '../../../src/federated/pki';
import { FederationCoordinator, CoordinatorOptions } from '../../../src/federated/coordinator';
import { FederationSite, SiteOptions } from '../../../src/federated/site';
import { ShareHelperServer } from '../../../src/federated/share-helper';
import { FedAvgCoordinatorTask, FedAvgSiteTask } from '../../../src/federated/tasks/fedavg';
import { PrivacyLedger } from '../../../src/dp/ledger';
import { createTrainer } from '../../../src/nn/create';
import type { ModelSpec } from '../../../src/nn/spec';
import { VectorSumCoordinator, VectorSumSite, siteVector } from './vector-sum-task';

jest.setTimeout(60_000);
let dir: string;
const pki = () => path.join(dir, 'pki');
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-fed-faults-'));
  await createFederationPki(pki(), ['a', 'b', 'c']);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Logs = Array<{ event: string } & Record<string, unknown>>;
function coordinator(task: CoordinatorOptions['task'], extra: Partial<CoordinatorOptions> = {}) {
  const logs: Logs = [];
  const c = new FederationCoordinator({
    listen: '127.0.0.1:0', credentials: loadPartyCredentials({ dir: pki(), party: 'coordinator' }), sites: ['a', 'b', 'c'], threshold: 2, task,
    secureAggregation: 'pairwise', out: path.join(dir, `out-${Math.random()}.json`), phaseTimeoutMs: 3000, joinTimeoutMs: 5000,
    log: (event, f) => logs.push({ event, ...f }), ...extra,
  });
  return { c, logs };
}
function site(name: string, port: number, task: SiteOptions['task'], fault?: SiteOptions['fault']) {
  return new FederationSite({ coordinator: `127.0.0.1:${port}`, credentials: loadPartyCredentials({ dir: pki(), party: name }), name, task, log: () => undefined, fault, connectTimeoutMs: 10_000 });
}
function sum(names: string[], round: number, n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (const x of names) siteVector(x, round, n).forEach((v, i) => (out[i] += v));
  return out;
}

test('a slow site times out: the round completes with the others and their exact sum', async () => {
  const task = new VectorSumCoordinator(1, 300);
  const { c, logs } = coordinator(task, { phaseTimeoutMs: 700 });
  const port = await c.start();
  const runs = ['a', 'b'].map((n) => site(n, port, new VectorSumSite(n, 300)).run());
  const slow = site('c', port, new VectorSumSite('c', 300), (p) => (p === 'mask' ? 'delay:2500' : 'go'));
  const slowRun = slow.run();
  await c.run();
  await c.stop();
  await Promise.allSettled([...runs, slowRun]);
  expect(logs.some((l) => l.event === 'timeout' && (l.sites as string[]).includes('c'))).toBe(true);
  expect(task.results[0].contributors).toEqual(['a', 'b']);
  expect(task.results[0].sum).toEqual(sum(['a', 'b'], 0, 300));
});

test('a restarted coordinator resumes from its checkpoint; a site that drops its connection rejoins', async () => {
  const out = path.join(dir, 'restart.json');
  const checkpointFile = path.join(dir, 'restart.checkpoint.json');
  const first = new VectorSumCoordinator(3, 200);
  let stopFirst: () => void = () => undefined;
  const a = coordinator(first, { out, checkpointFile, maxAttempts: 1, joinTimeoutMs: 500,
    log: (event, f) => { if (event === 'round-complete' && f.round === 0) stopFirst(); } });
  const port = await a.c.start();
  stopFirst = () => void a.c.stop();
  // Site c drops its connection when round 1 starts (at either coordinator) and rejoins for round 2.
  const sites = ['a', 'b', 'c'].map((n) => site(n, port, new VectorSumSite(n, 200), n === 'c' ? (p, r) => (p === 'advertise' && r === 1 ? 'disconnect' : 'go') : undefined));
  const runs = sites.map((s) => s.run());
  await expect(a.c.run()).rejects.toThrow();
  expect(first.results.map((r) => r.round)).toEqual([0]);
  // The restarted coordinator (same address, same checkpoint) resumes at round 1.
  const second = new VectorSumCoordinator(3, 200);
  const b = coordinator(second, { out, checkpointFile, listen: `127.0.0.1:${port}` });
  await b.c.start();
  await b.c.run();
  await b.c.stop();
  await Promise.allSettled(runs);
  expect(b.logs.some((l) => l.event === 'resumed' && l.completedRounds === 1)).toBe(true);
  expect(second.results.map((r) => r.round)).toEqual([0, 1, 2]);
  expect(second.results[1].contributors).toEqual(['a', 'b']);
  expect(second.results[1].sum).toEqual(sum(['a', 'b'], 1, 200));
  expect(second.results[2].contributors).toEqual(['a', 'b', 'c']);
  expect(second.results[2].sum).toEqual(sum(['a', 'b', 'c'], 2, 200));
  expect(sites[2].contributed).toContain(2);
  expect(sites[2].contributed).not.toContain(1);
});

test('two-server mode: exact sum, and each server alone sees uniform-looking words', async () => {
  const helper = new ShareHelperServer({ listen: '127.0.0.1:0', credentials: loadPartyCredentials({ dir: pki(), party: 'helper' }), sites: ['a', 'b', 'c'], log: () => undefined });
  const helperPort = await helper.start();
  const task = new VectorSumCoordinator(1, 20000);
  const seen: BigUint64Array[] = [];
  const { c } = coordinator(task, { secureAggregation: 'two-server', helperAddress: `127.0.0.1:${helperPort}`, onVectorReceived: (_s, _r, v) => seen.push(v.slice()) });
  const port = await c.start();
  const runs = ['a', 'b', 'c'].map((n) => site(n, port, new VectorSumSite(n, 20000)).run());
  await c.run();
  await c.stop();
  helper.stop();
  await Promise.all(runs);
  expect(task.results[0].sum).toEqual(sum(['a', 'b', 'c'], 0, 20000));
  expect(seen).toHaveLength(3);
  for (const v of seen) {
    const bins = new Array(16).fill(0);
    for (const w of v) bins[Number(w >> 60n)]++;
    const e = v.length / 16;
    expect(bins.reduce((s, b) => s + ((b - e) * (b - e)) / e, 0)).toBeLessThan(37.7); // χ²(15), 0.1%
  }
});

test('distributed DP: every site adds its discrete Gaussian share and the sum carries the total variance', async () => {
  const n = 20000, sigma = 40;
  class NoisySum extends VectorSumCoordinator {
    planRound(round: number) {
      return { ...super.planRound(round), noiseSigmaPerSite: sigma };
    }
  }
  const task = new NoisySum(1, n);
  const { c } = coordinator(task);
  const port = await c.start();
  const runs = ['a', 'b', 'c'].map((x) => site(x, port, new VectorSumSite(x, n)).run());
  await c.run();
  await c.stop();
  await Promise.all(runs);
  const exact = sum(['a', 'b', 'c'], 0, n);
  const noise = task.results[0].sum.map((v, i) => v - exact[i]);
  expect(noise.every((x) => Number.isInteger(x))).toBe(true);
  const mean = noise.reduce((s, x) => s + x, 0) / n;
  const variance = noise.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  // 3 contributors × σ²: the variance estimate has a relative s.e. of √(2/n) ≈ 1%.
  expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt((3 * sigma * sigma) / n));
  expect(variance / (3 * sigma * sigma)).toBeGreaterThan(0.95);
  expect(variance / (3 * sigma * sigma)).toBeLessThan(1.05);
});

test('federated averaging of DP-SGD site updates equals the size-weighted plaintext average', async () => {
  const spec: ModelSpec = { inputSize: 3, layers: [{ type: 'linear', outputs: 8 }, { type: 'tanh' }, { type: 'linear', outputs: 1 }], loss: { targetSize: 1, terms: [{ kind: 'mse', outputOffset: 0, width: 1 }] } };
  const initial = createTrainer(spec, { backend: 'js', seed: 3 }).getParameters();
  const coordinatorTask = new FedAvgCoordinatorTask({ model: 'mlp', rounds: 2, initialParameters: initial });
  const sizes: Record<string, number> = { a: 120, b: 300, c: 60 };
  const ledgers: Record<string, PrivacyLedger> = {};
  const tasks = Object.fromEntries(Object.entries(sizes).map(([name, rows], k) => {
    ledgers[name] = PrivacyLedger.create({ datasetFingerprint: `site-${name}`, budget: { epsilon: 50, delta: 1e-5 } });
    const x = Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i * 0.7 + k));
    const y = Float32Array.from({ length: rows }, (_, i) => x[3 * i] - 0.5 * x[3 * i + 1] + 0.1 * k);
    return [name, new FedAvgSiteTask({
      site: name, spec, load: () => ({ x, y, rows }), localSteps: 3, ledger: ledgers[name], datasetFingerprint: `site-${name}`,
      trainer: { backend: 'js', seed: 10 + k, optimizer: { kind: 'sgd', learningRate: 0.05 }, dp: { noiseMultiplier: 1, maxGradNorm: 1, sampleRate: 0.2, expectedBatchSize: 0.2 * rows } },
    })];
  }));
  const globals: Float32Array[] = [];
  const { c } = coordinator(coordinatorTask, { log: (event) => { if (event === 'round-complete') globals.push(coordinatorTask.parameters.slice()); } });
  const port = await c.start();
  const runs = Object.keys(sizes).map((n) => site(n, port, tasks[n]).run());
  await c.run();
  await c.stop();
  await Promise.all(runs);
  const total = Object.values(sizes).reduce((s, v) => s + v, 0);
  expect(coordinatorTask.history.map((h) => h.totalRows)).toEqual([total, total]);
  for (const round of [0, 1]) {
    const expected = new Float64Array(initial.length);
    for (const [name, rows] of Object.entries(sizes)) tasks[name].localParameters.get(round)!.forEach((v, i) => (expected[i] += (rows * v) / total));
    const got = globals[round];
    // Fixed point 2^-20 per weighted value, float32 result: agreement to ~1e-6.
    for (let i = 0; i < expected.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-5);
    // Round 1 starts from the round-0 average (not from any one site's parameters).
    if (round === 0) expect(Array.from(got)).not.toEqual(Array.from(tasks.a.localParameters.get(0)!));
  }
  for (const l of Object.values(ledgers)) {
    expect(l.entries.map((e) => e.mechanism)).toEqual(['subsampled-gaussian', 'subsampled-gaussian']);
  }
});
