/**
 * The federated tvae, ctgan, copula and secure DP-SGD tasks without a network: option validation,
 * checkpoint and restore of the coordinator state, the plan's noise calibration, and the secure
 * DP-SGD update equal to one central DP-SGD (SGD) step on the pooled gradient sums.
 */
import { simulateCohort } from '../../../src/scd/simulate';
import type { TableSchema } from '../../../src/data/schema';
import { TvaeCoordinatorTask } from '../../../src/federated/tasks/tvae';
import { CopulaCoordinatorTask } from '../../../src/federated/tasks/copula';
import { CtganCoordinatorTask } from '../../../src/federated/tasks/ctgan';
import { SecureDpSgdCoordinatorTask, encodedSensitivity, COUNT_WEIGHT } from '../../../src/federated/tasks/secure-dp-sgd';

const sim = simulateCohort({ patients: 200, sites: 2, seed: 5 });
const byName = new Map(sim.schema.columns.map((c) => [c.name, c]));
const schema: TableSchema = { version: 1, columns: ['sex', 'genotype', 'hb_g_dl', 'voc_12m'].map((n) => byName.get(n)!) };
const base = { epsilon: 3, delta: 1e-6, sites: ['a', 'b', 'c'], threshold: 2, distributedDp: true, schemaHint: schema };

test('tvae: the histogram round, then learning rounds whose plan carries the encoders; checkpoint and restore keep the global model', () => {
  const task = new TvaeCoordinatorTask({ ...base, rounds: 3, options: { seed: 1, embeddingDim: 8, compressDims: [16], decompressDims: [16] } });
  expect(task.rounds).toBe(4);
  const h = task.planRound(0);
  expect((h.plan as { stage: string }).stage).toBe('histograms');
  expect(h.noiseSigmaPerSite).toBeGreaterThan(0);
  task.absorbRound(0, new Float64Array(h.vectorLength).fill(3), { round: 0, contributors: ['a', 'b'], dropped: ['c'] });
  const p1 = task.planRound(1);
  const plan1 = p1.plan as { stage: string; encoders: unknown[]; training: { protocol: string; noiseMultiplier: number; localSteps: number } };
  expect(plan1.stage).toBe('learn');
  expect(plan1.encoders.length).toBe(4);
  expect(plan1.training.protocol).toBe('secure-dp-sgd');
  expect(plan1.training.localSteps).toBe(1);
  // Distributed noise: each site adds σ·Δ/√t in encoded units.
  expect(p1.noiseSigmaPerSite).toBeCloseTo((plan1.training.noiseMultiplier * encodedSensitivity(1, p1.vectorLength)) / Math.sqrt(2), 6);
  const sum = new Float64Array(p1.vectorLength);
  sum[0] = 7.5; sum[p1.vectorLength - 1] = COUNT_WEIGHT * 120;
  task.absorbRound(1, sum, { round: 1, contributors: ['a', 'b', 'c'], dropped: [] });
  const saved = JSON.parse(JSON.stringify(task.checkpoint()));
  const again = new TvaeCoordinatorTask({ ...base, rounds: 3, options: { seed: 1, embeddingDim: 8, compressDims: [16], decompressDims: [16] } });
  again.restore(saved);
  const a = task.planRound(2).plan as { learner: { parameters: string } }, b = again.planRound(2).plan as { learner: { parameters: string } };
  expect(b.learner.parameters).toBe(a.learner.parameters);
  expect(() => again.restore({})).toThrow(/checkpoint/);
});

test('tvae: bad options and a non-private federation are refused with the option named', () => {
  expect(() => new TvaeCoordinatorTask({ ...base, rounds: 2, options: { protocol: 'gossip' } })).toThrow(/protocol/);
  expect(() => new TvaeCoordinatorTask({ ...base, rounds: 2, options: { localSteps: 3 } })).toThrow(/localSteps/);
  expect(() => new TvaeCoordinatorTask({ ...base, rounds: 2, options: { sampleRate: 2 } })).toThrow(/sampleRate/);
  expect(() => new TvaeCoordinatorTask({ ...base, rounds: 2, options: { compressDims: [0] } })).toThrow(/compressDims/);
  expect(() => new TvaeCoordinatorTask({ ...base, epsilon: Infinity, rounds: 2 })).toThrow(/finite epsilon/);
  // Without secure aggregation, federated averaging with local noise is the default.
  const local = new TvaeCoordinatorTask({ ...base, distributedDp: false, rounds: 2, options: { embeddingDim: 8, compressDims: [16], decompressDims: [16] } });
  local.absorbRound(0, new Float64Array(local.planRound(0).vectorLength).fill(1), { round: 0, contributors: ['a', 'b', 'c'], dropped: [] });
  expect((local.planRound(1).plan as { training: { protocol: string; localSteps: number } }).training).toMatchObject({ protocol: 'fedavg', localSteps: 5 });
});

test('secure DP-SGD: the update is one SGD step on the summed gradient divided by q·N̂', () => {
  const initial = Float32Array.from([0.5, -1, 2]);
  const task = new SecureDpSgdCoordinatorTask({
    model: 'm', rounds: 2, initialParameters: initial, optimizer: { kind: 'sgd', learningRate: 0.1, weightDecay: 0 },
    dp: { noiseMultiplier: 1.2, maxGradNorm: 1, sampleRate: 0.5 }, threshold: 2, distributedNoise: true,
  });
  const plan = task.planRound(0);
  expect(plan.vectorLength).toBe(4);
  expect(plan.noiseSigmaPerSite).toBeCloseTo((1.2 * (2 ** 20 * Math.sqrt(1 + COUNT_WEIGHT ** 2) + 2)) / Math.sqrt(2), 3);
  // 40 rows in all (γ·40 = 4): q·N̂ = 20.
  task.absorbRound(0, Float64Array.from([2, -4, 10, COUNT_WEIGHT * 40]), { round: 0, contributors: ['a', 'b'], dropped: [] });
  expect(Array.from(task.parameters)).toEqual(Array.from(Float32Array.from([0.5 - 0.1 * 0.1, -1 + 0.1 * 0.2, 2 - 0.1 * 0.5])));
  expect(task.history[0].noisyRows).toBe(40);
});

test('copula: three rounds (histograms, 1-way, correlation) with the correlation noise scaled to the encoded sensitivity', () => {
  const task = new CopulaCoordinatorTask({ ...base, rounds: 1 });
  expect(task.rounds).toBe(3);
  const h = task.planRound(0);
  task.absorbRound(0, new Float64Array(h.vectorLength).fill(2), { round: 0, contributors: ['a', 'b'], dropped: [] });
  const one = task.planRound(1);
  task.absorbRound(1, new Float64Array(one.vectorLength).fill(20), { round: 1, contributors: ['a', 'b'], dropped: [] });
  const corr = task.planRound(2);
  const dl = (Math.sqrt(8 * corr.vectorLength + 1) - 1) / 2;
  expect(Number.isInteger(dl)).toBe(true);
  const sigma = (corr.plan as { mechanism: { noiseMultiplier: number } }).mechanism.noiseMultiplier;
  expect(corr.noiseSigmaPerSite).toBeCloseTo((sigma * (2 ** 10 * dl + Math.sqrt(corr.vectorLength))) / Math.sqrt(2), 6);
  expect(() => task.finish('/nonexistent/x.hsm')).toThrow(/correlation round/);
});

test('ctgan: histograms, code counts, then critic rounds whose plan carries the generator; bad options are refused with the option named', () => {
  const opts = { seed: 2, embeddingDim: 8 };
  const task = new CtganCoordinatorTask({ ...base, rounds: 2, options: opts });
  expect(task.rounds).toBe(4);
  const h = task.planRound(0);
  task.absorbRound(0, new Float64Array(h.vectorLength).fill(3), { round: 0, contributors: ['a', 'b'], dropped: [] });
  const counts = task.planRound(1);
  expect((counts.plan as { stage: string }).stage).toBe('counts');
  task.absorbRound(1, new Float64Array(counts.vectorLength).fill(10), { round: 1, contributors: ['a', 'b'], dropped: [] });
  const learn = task.planRound(2);
  const plan = learn.plan as { stage: string; generator: string; conditional: { width: number } };
  expect(plan.stage).toBe('learn');
  expect(plan.conditional.width).toBeGreaterThan(0);
  const before = plan.generator;
  // One critic step (a zero gradient sum from 40 rows), then the generator step through the critic changes the generator.
  const sum = new Float64Array(learn.vectorLength);
  sum[learn.vectorLength - 1] = COUNT_WEIGHT * 40;
  task.absorbRound(2, sum, { round: 2, contributors: ['a', 'b'], dropped: [] });
  expect((task.planRound(3).plan as { generator: string }).generator).not.toBe(before);
  const again = new CtganCoordinatorTask({ ...base, rounds: 2, options: opts });
  again.restore(JSON.parse(JSON.stringify(task.checkpoint())));
  expect((again.planRound(3).plan as { generator: string }).generator).toBe((task.planRound(3).plan as { generator: string }).generator);
  expect(() => new CtganCoordinatorTask({ ...base, rounds: 2, options: { pac: 10 } })).toThrow(/pac 1/);
  expect(() => new CtganCoordinatorTask({ ...base, rounds: 2, options: { sampleRate: 0 } })).toThrow(/sampleRate/);
  expect(() => new CopulaCoordinatorTask({ ...base, rounds: 1, options: { bins: 1 } })).toThrow(/bins/);
});
