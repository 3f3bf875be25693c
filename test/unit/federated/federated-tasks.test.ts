/**
 * The federated tvae, ctgan, copula and secure DP-SGD tasks without a network: option validation,
 * checkpoint and restore of the coordinator state, the plan's noise calibration, the secure
 * DP-SGD update equal to one central DP-SGD (SGD) step on the pooled gradient sums, and the
 * missingness round (a site's exact sums after its ledger charge; the coordinator's output
 * calibration to the summed missing rate).
 */
import * as path from 'node:path';
import { simulateCohort } from '../../../src/scd/simulate';
import type { TableSchema } from '../../../src/data/schema';
import { writeArrowFile } from '../../../src/data/arrow-file';
import { PrivacyLedger } from '../../../src/dp/ledger';
import { loadModel } from '../../../src/models/model-file';
import { sampleModel } from '../../../src/models/model-api';
import { TvaeCoordinatorTask, TvaeSiteTask } from '../../../src/federated/tasks/tvae';
import { CopulaCoordinatorTask, CopulaSiteTask } from '../../../src/federated/tasks/copula';
import { PANEL_SCORE_WEIGHT, squaredScoreClip, type CopulaMarginals } from '../../../src/models/copula/copula-fit';
import { MarginalCoordinatorTask } from '../../../src/federated/tasks/marginal';
import { treeOf } from '../../../src/models/marginal/marginal-generator';
import { CtganCoordinatorTask } from '../../../src/federated/tasks/ctgan';
import { FederatedDiscretisation } from '../../../src/federated/tasks/federated-discretisation';
import { FederatedMissingness, siteMissingnessVector } from '../../../src/federated/tasks/federated-missingness';
import { groupMissingSums } from '../../../src/models/neural/missingness-groups';
import { encodeRows, rowLayout } from '../../../src/models/neural/row-layout';
import { binOf, isModelledColumn } from '../../../src/transform/discretiser';
import { readNumbers } from '../../../src/transform/column-values';
import { missingRate, temporaryDir } from '../../support/federated-cohort';
import { SecureDpSgdCoordinatorTask, encodedSensitivity, COUNT_WEIGHT } from '../../../src/federated/tasks/secure-dp-sgd';

const sim = simulateCohort({ patients: 200, sites: 2, seed: 5 });
const byName = new Map(sim.schema.columns.map((c) => [c.name, c]));
const schema: TableSchema = { version: 1, columns: ['sex', 'genotype', 'hb_g_dl', 'voc_12m'].map((n) => byName.get(n)!) };
const base = { epsilon: 3, delta: 1e-6, sites: ['a', 'b', 'c'], threshold: 2, distributedDp: true, schemaHint: schema };
const small = { seed: 1, embeddingDim: 8, compressDims: [16], decompressDims: [16] };
const tmp = temporaryDir('hemasynth-fedtasks-');
/** A summed voc_12m code histogram of 200 rows (most without a crisis), as the missingness round carries it. */
const vocHistogram = (codes: number) => Array.from({ length: codes }, (_, k) => [120, 50, 20, 10][k] ?? 0);

test('tvae: the histogram and missingness rounds, then learning rounds whose plan carries the encoders; checkpoint and restore keep the global model', () => {
  const task = new TvaeCoordinatorTask({ ...base, rounds: 3, options: small });
  expect(task.rounds).toBe(5);
  const h = task.planRound(0);
  expect((h.plan as { stage: string }).stage).toBe('histograms');
  expect(h.noiseSigmaPerSite).toBeGreaterThan(0);
  task.absorbRound(0, new Float64Array(h.vectorLength).fill(3), { round: 0, contributors: ['a', 'b'], dropped: ['c'] });
  // hb_g_dl is the one nullable column: one group sum; voc_12m is a count column: its code
  // histogram; then the row count.
  const m = task.planRound(1);
  const mPlan = m.plan as { stage: string; encoders: Array<{ size: number }>; missingness: { groups: number[][]; condition: number[] }; mechanism: { noiseMultiplier: number; count: number } };
  expect(mPlan.stage).toBe('missingness');
  expect(mPlan.missingness).toEqual({ groups: [[2]], condition: [3] });
  const vocCodes = mPlan.encoders[3].size;
  expect(m.vectorLength).toBe(2 + vocCodes);
  expect(mPlan.mechanism.count).toBe(3);
  // σ/√t per site, on the encoded sensitivity: each fractional group sum is rounded once (scale + 1).
  expect(m.noiseSigmaPerSite! / (m.format.scale + 1)).toBeCloseTo(mPlan.mechanism.noiseMultiplier / Math.sqrt(2), 9);
  // The coordinator's ledger charged all of it: histograms, missingness, DP-SGD, within ε.
  const ledger = (task.checkpoint() as { ledger: unknown }).ledger;
  expect(PrivacyLedger.fromJSON(ledger).entries.map((e) => e.mechanism)).toEqual(['gaussian', 'gaussian', 'subsampled-gaussian']);
  expect(PrivacyLedger.fromJSON(ledger).spent().epsilon).toBeLessThanOrEqual(3 + 1e-9);
  expect(() => task.planRound(2)).toThrow(/missing rates are not measured/);
  task.absorbRound(1, Float64Array.from([60, ...vocHistogram(vocCodes), 200]), { round: 1, contributors: ['a', 'b'], dropped: ['c'] });
  const p1 = task.planRound(2);
  const plan1 = p1.plan as { stage: string; encoders: unknown[]; training: { protocol: string; noiseMultiplier: number; localSteps: number } };
  expect(plan1.stage).toBe('learn');
  expect(plan1.encoders.length).toBe(4);
  expect(plan1.training.protocol).toBe('secure-dp-sgd');
  expect(plan1.training.localSteps).toBe(1);
  // Distributed noise: each site adds σ·Δ/√t in encoded units.
  expect(p1.noiseSigmaPerSite).toBeCloseTo((plan1.training.noiseMultiplier * encodedSensitivity(1, p1.vectorLength)) / Math.sqrt(2), 6);
  const sum = new Float64Array(p1.vectorLength);
  sum[0] = 7.5; sum[p1.vectorLength - 1] = COUNT_WEIGHT * 120;
  task.absorbRound(2, sum, { round: 2, contributors: ['a', 'b', 'c'], dropped: [] });
  const saved = JSON.parse(JSON.stringify(task.checkpoint()));
  const again = new TvaeCoordinatorTask({ ...base, rounds: 3, options: small });
  again.restore(saved);
  const a = task.planRound(3).plan as { learner: { parameters: string } }, b = again.planRound(3).plan as { learner: { parameters: string } };
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
  // Without calibration there is no missingness round.
  const local = new TvaeCoordinatorTask({ ...base, distributedDp: false, rounds: 2, options: { embeddingDim: 8, compressDims: [16], decompressDims: [16], calibrate: false } });
  expect(local.rounds).toBe(3);
  local.absorbRound(0, new Float64Array(local.planRound(0).vectorLength).fill(1), { round: 0, contributors: ['a', 'b', 'c'], dropped: [] });
  expect((local.planRound(1).plan as { training: { protocol: string; localSteps: number } }).training).toMatchObject({ protocol: 'fedavg', localSteps: 5 });
  expect(() => new TvaeCoordinatorTask({ ...base, rounds: 2, options: { calibrate: 'yes' } })).toThrow(/calibrate/);
  expect(() => new TvaeCoordinatorTask({ ...base, rounds: 2, options: { missingnessShare: 0.9 } })).toThrow(/missingnessShare/);
});

test('missingness round: a site charges its ledger, then sends its exact group sums and row count; a malformed plan is refused', async () => {
  const dir = tmp();
  const dataFile = path.join(dir, 'site.arrow'), ledgerFile = path.join(dir, 'site.ledger.json');
  const rows = sim.patients.select(schema.columns.map((c) => c.name));
  writeArrowFile(dataFile, rows);
  const task = new TvaeCoordinatorTask({ ...base, rounds: 1, options: small });
  task.absorbRound(0, new Float64Array(task.planRound(0).vectorLength).fill(3), { round: 0, contributors: ['a', 'b'], dropped: [] });
  const plan = task.planRound(1).plan as { stage: string; mechanism: unknown; missingness: unknown };
  const site = new TvaeSiteTask({ site: 'a', dataFile, ledgerFile });
  const v = await site.localVector(plan, { round: 1, attempt: 0, site: 'a', contributors: 3 });
  const voc = readNumbers(rows, 'voc_12m'), vocEdges = (plan as unknown as { encoders: Array<{ column: string; edges: number[] }> }).encoders[3].edges;
  const vocCounts = new Array(vocEdges.length - 1).fill(0);
  for (const x of voc) vocCounts[binOf(vocEdges, x)]++;
  expect(Array.from(v)).toEqual([Math.round(missingRate(rows, 'hb_g_dl') * rows.numRows), ...vocCounts, rows.numRows]);
  expect(v[0]).toBeGreaterThan(0);
  const entries = PrivacyLedger.open(ledgerFile).entries;
  expect(entries.map((e) => e.parameters)).toEqual([expect.objectContaining(plan.mechanism as object)]);
  // A retried attempt of the round is not charged again.
  await site.localVector(plan, { round: 1, attempt: 1, site: 'a', contributors: 3 });
  expect(PrivacyLedger.open(ledgerFile).entries.length).toBe(1);
  await expect(site.localVector({ ...plan, missingness: { groups: [[0]], condition: [] } }, { round: 1, attempt: 2, site: 'a', contributors: 3 })).rejects.toThrow(/malformed missingness plan/);
});

test('missingness with 12 groups or more: a pilot round orients them, then each site sends its clipped rare-state sums (the central release)', async () => {
  // One nullable column per schema source: one missingness group each.
  const sources = new Set<string>();
  const nullable = sim.schema.columns.filter((c) => c.nullable !== false && isModelledColumn(c) && !sources.has(String(c.source)) && sources.add(String(c.source)));
  const s3: TableSchema = { version: 1, columns: [byName.get('sex')!, ...nullable] };
  const G = nullable.length;
  expect(G).toBeGreaterThanOrEqual(12);
  const dir = tmp();
  const dataFile = path.join(dir, 'groups.arrow'), ledgerFile = path.join(dir, 'groups.ledger.json');
  const rows = sim.patients.select(s3.columns.map((c) => c.name));
  writeArrowFile(dataFile, rows);
  const task = new TvaeCoordinatorTask({ ...base, schemaHint: s3, rounds: 1, options: small });
  let r = 0;
  if ((task.planRound(0).plan as { stage: string }).stage === 'histograms') task.absorbRound(r++, new Float64Array(task.planRound(0).vectorLength).fill(3), { round: 0, contributors: ['a', 'b'], dropped: [] });
  const site = new TvaeSiteTask({ site: 'a', dataFile, ledgerFile });
  // The pilot: the groups' sums and the row count, one unit at sensitivity √(G + 1).
  const pilot = task.planRound(r);
  const pPlan = pilot.plan as { stage: string; encoders: never[]; missingness: { groups: number[][]; condition: number[] }; mechanism: { noiseMultiplier: number; count: number } };
  expect(pPlan.stage).toBe('missing-pilot');
  expect(pPlan.missingness.condition).toEqual([]);
  expect(pPlan.missingness.groups).toHaveLength(G);
  expect(pPlan.mechanism.count).toBe(1);
  expect(pilot.vectorLength).toBe(G + 1);
  expect(pilot.noiseSigmaPerSite! / (Math.sqrt(G + 1) * (pilot.format.scale + 1))).toBeCloseTo(pPlan.mechanism.noiseMultiplier / Math.sqrt(2), 9);
  const encoders = pPlan.encoders;
  const codes = encodeRows(rows, encoders, rowLayout(encoders)).codes;
  const groups = pPlan.missingness.groups.map((columns, k) => ({ key: String(k), columns }));
  const exact = groupMissingSums(groups, codes, encoders);
  const pv = await site.localVector(pilot.plan, { round: r, attempt: 0, site: 'a', contributors: 2 });
  expect(Array.from(pv)).toEqual([...Array.from(exact), rows.numRows]);
  task.absorbRound(r++, pv, { round: r - 1, contributors: ['a', 'b'], dropped: [] });
  // The main round: each group oriented to its rarer state; 9 units for the vector, then the condition columns and the row count.
  const main = task.planRound(r);
  const mPlan = main.plan as { stage: string; missingness: { groups: number[][]; condition: number[]; rareIsPresent: boolean[] }; mechanism: { noiseMultiplier: number; count: number } };
  expect(mPlan.stage).toBe('missingness');
  const rates = Array.from(exact, (x) => x / rows.numRows);
  expect(mPlan.missingness.rareIsPresent).toEqual(rates.map((x) => x > 0.5));
  expect(mPlan.missingness.rareIsPresent.some((x) => x)).toBe(true);
  expect(mPlan.mechanism.count).toBe(9 + mPlan.missingness.condition.length + 1);
  expect(main.noiseSigmaPerSite! / (main.format.scale + Math.sqrt(G) / 3)).toBeCloseTo(mPlan.mechanism.noiseMultiplier / Math.sqrt(2), 9);
  expect(main.format.scale).toBeGreaterThanOrEqual(1024);
  const mv = await site.localVector(main.plan, { round: r, attempt: 0, site: 'a', contributors: 2 });
  // Independently: per row, each group's share of its columns in the rarer state, the row's vector scaled to L2 norm ≤ 3.
  const clipped = new Float64Array(G);
  for (let i = 0; i < rows.numRows; i++) {
    const v = groups.map((g, k) => g.columns.filter((j) => (codes[j][i] === encoders[j as number]['size' as never] - 1) !== mPlan.missingness.rareIsPresent[k]).length / g.columns.length);
    const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    v.forEach((x, k) => { clipped[k] += norm > 3 ? (3 * x) / norm : x; });
  }
  Array.from(clipped).forEach((x, k) => expect(mv[k]).toBeCloseTo(x, 9));
  expect(mv[mv.length - 1]).toBe(rows.numRows);
  // The released rates (σ = 0): the rare sums turned back into missing counts, within the clipping of the exact rates.
  const missingness = new FederatedMissingness(s3, s3.columns.map((c) => c.name), true);
  const released = missingness.marginals(encoders, mv, 0, mPlan.missingness.rareIsPresent);
  released.rates.forEach((x, k) => {
    expect(x).toBeCloseTo((mPlan.missingness.rareIsPresent[k] ? rows.numRows - mv[k] : mv[k]) / rows.numRows, 12);
    expect(Math.abs(x - rates[k])).toBeLessThan(0.02);
  });
  expect(() => missingness.marginals(encoders, mv, 0, null)).toThrow(/not oriented by the pilot/);
  task.absorbRound(r++, mv, { round: r - 1, contributors: ['a', 'b'], dropped: [] });
  // The site charged both rounds; a restored coordinator rebuilds the same plan from the checkpoint.
  expect(PrivacyLedger.open(ledgerFile).entries.map((e) => (e.parameters as { count: number }).count)).toEqual([1, mPlan.mechanism.count]);
  const again = new TvaeCoordinatorTask({ ...base, schemaHint: s3, rounds: 1, options: small });
  again.restore(JSON.parse(JSON.stringify(task.checkpoint())));
  expect((again.planRound(r).plan as { learner: { parameters: string } }).learner.parameters).toBe((task.planRound(r).plan as { learner: { parameters: string } }).learner.parameters);
  // The federated CTGAN has the same two rounds after its code counts.
  const ctgan = new CtganCoordinatorTask({ ...base, schemaHint: s3, rounds: 1, options: { seed: 2, embeddingDim: 8 } });
  const stages: string[] = [];
  for (let k = 0; k < ctgan.rounds - 1; k++) {
    const p = ctgan.planRound(k);
    stages.push((p.plan as { stage: string }).stage);
    ctgan.absorbRound(k, stages[k] === 'missing-pilot' ? pv : stages[k] === 'missingness' ? mv : new Float64Array(p.vectorLength).fill(10), { round: k, contributors: ['a', 'b'], dropped: [] });
  }
  expect(stages.slice(-3)).toEqual(['counts', 'missing-pilot', 'missingness']);
});

test('missingness sums are additive over sites: two sites\' vectors give the pooled group rates and condition-column histograms', () => {
  const columns = ['sex', 'age_years', 'chronic_transfusion', 'lic_mg_g', 'hb_g_dl', 'hbf_pct'];
  const s2: TableSchema = { version: 1, columns: columns.map((n) => byName.get(n)!), constraints: ['lic_mg_g is null when not chronic_transfusion'] };
  const d = new FederatedDiscretisation(s2, 6);
  const encoders = d.encoders(new Float64Array(d.histogramLength).fill(2));
  const m = new FederatedMissingness(s2, d.modelled, true);
  const { plan, vectorLength } = m.round(encoders);
  expect(plan.condition).toEqual([columns.indexOf('chronic_transfusion')]);
  const table = sim.patients.select(columns);
  const sites = [table.slice(0, 80), table.slice(80)];
  const sum = new Float64Array(vectorLength);
  for (const t of sites) siteMissingnessVector(plan, encoders, encodeRows(t, encoders, rowLayout(encoders)).codes, t.numRows, 'test').forEach((v, i) => { sum[i] += v; });
  expect(sum[vectorLength - 1]).toBe(table.numRows);
  const pooled = encodeRows(table, encoders, rowLayout(encoders)).codes;
  const released = m.marginals(encoders, sum, 0);
  const layout = m.layout(encoders);
  // The pooled table's exact rates and frequencies (σ = 0).
  expect(Array.from(released.rates)).toEqual(Array.from(groupMissingSums(layout.groups, pooled, encoders), (v) => v / table.numRows));
  expect(released.rates.some((r) => r > 0)).toBe(true);
  expect([...released.full]).toEqual(layout.condition.map((j) => {
    const f = new Float64Array(encoders[j].size);
    for (const k of pooled[j]) f[k]++;
    return [j, f.map((c) => c / table.numRows)];
  }));
  // Nothing to calibrate: no round.
  expect(new FederatedMissingness(s2, d.modelled, false).active).toBe(false);
  expect(new FederatedMissingness({ version: 1, columns: [byName.get('sex')!] }, ['sex'], true).active).toBe(false);
});

test('tvae and ctgan: the coordinator calibrates the written model to the summed missing rate', () => {
  const dir = tmp();
  // A 40% missing rate from the secure sum (80 of 200 rows), far from where the networks start.
  const tvae = new TvaeCoordinatorTask({ ...base, rounds: 1, options: small });
  tvae.absorbRound(0, new Float64Array(tvae.planRound(0).vectorLength).fill(3), { round: 0, contributors: ['a', 'b'], dropped: [] });
  const vocCodes = (tvae.planRound(1).plan as { encoders: Array<{ size: number }> }).encoders[3].size;
  tvae.absorbRound(1, Float64Array.from([80, ...vocHistogram(vocCodes), 200]), { round: 1, contributors: ['a', 'b'], dropped: [] });
  const ctgan = new CtganCoordinatorTask({ ...base, rounds: 1, options: { seed: 2, embeddingDim: 8 } });
  const stages = ['histograms', 'counts', 'missingness'];
  stages.forEach((stage, r) => {
    const p = ctgan.planRound(r);
    expect((p.plan as { stage: string }).stage).toBe(stage);
    ctgan.absorbRound(r, stage === 'missingness' ? Float64Array.from([80, ...vocHistogram(vocCodes), 200]) : new Float64Array(p.vectorLength).fill(10), { round: r, contributors: ['a', 'b'], dropped: [] });
  });
  for (const [name, task] of [['tvae', tvae], ['ctgan', ctgan]] as const) {
    const out = path.join(dir, `${name}.hsm`);
    task.finish(out);
    const model = loadModel(out);
    const calibration = (model.manifest.generator.training as { calibration: { maxGap: number; targets: string } }).calibration;
    expect(calibration.targets).toMatch(/^DP missing rates of 1 missingness groups, DP histograms of 1 constraint-condition and count columns/);
    expect(calibration.maxGap).toBeLessThan(0.01);
    // 4,000 sampled rows: the rate's standard error is 0.8 points.
    expect(Math.abs(missingRate(sampleModel(model, { rows: 4000, seed: 3 }), 'hb_g_dl') - 0.4)).toBeLessThan(0.035);
  }
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

test('copula: four rounds (histograms, 1-way, missing counts, correlation) with the noise scaled to the encoded sensitivities', () => {
  const task = new CopulaCoordinatorTask({ ...base, rounds: 1 });
  expect(task.rounds).toBe(4);
  const h = task.planRound(0);
  task.absorbRound(0, new Float64Array(h.vectorLength).fill(2), { round: 0, contributors: ['a', 'b'], dropped: [] });
  const one = task.planRound(1);
  task.absorbRound(1, new Float64Array(one.vectorLength).fill(20), { round: 1, contributors: ['a', 'b'], dropped: [] });
  // One assay (hb_g_dl, the only nullable column); its noisy missing cell is one of its cells
  // (rate < 1/2), so the rows count where it is missing; sensitivity MISSING_ROW_CLIP = 3.
  const miss = task.planRound(2);
  const mp = miss.plan as { stage: string; groups: number[][]; rareIsPresent: boolean[]; mechanism: { noiseMultiplier: number } };
  expect(mp.stage).toBe('missing');
  expect(miss.vectorLength).toBe(1);
  expect(mp.groups).toEqual([[2]]);
  expect(mp.rareIsPresent).toEqual([false]);
  expect(miss.noiseSigmaPerSite).toBeCloseTo((mp.mechanism.noiseMultiplier * (2 ** 10 * 3 + 1)) / Math.sqrt(2), 6);
  expect(() => task.planRound(3)).toThrow(/marginals are not measured/);
  task.absorbRound(2, Float64Array.of(25), { round: 2, contributors: ['a', 'b'], dropped: [] });
  const corr = task.planRound(3);
  const dl = (Math.sqrt(8 * corr.vectorLength + 1) - 1) / 2;
  expect(Number.isInteger(dl)).toBe(true);
  const cp = corr.plan as { mechanism: { noiseMultiplier: number }; rowClip2: number; weights: number[]; margins: CopulaMarginals };
  // the plan names the squared row clip the noise is for: the rows' expected squared norm from
  // the released margins (squaredScoreClip), below the worst case Σ w² = dl
  expect(cp.rowClip2).toBeCloseTo(squaredScoreClip(cp.margins, cp.weights), 12);
  expect(cp.rowClip2).toBeLessThan(dl);
  expect(corr.noiseSigmaPerSite).toBeCloseTo((cp.mechanism.noiseMultiplier * (2 ** 10 * cp.rowClip2 + Math.sqrt(corr.vectorLength))) / Math.sqrt(2), 6);
  expect(() => task.finish('/nonexistent/x.hsm')).toThrow(/correlation round/);
  // Without a nullable column there is no missing-count round (and nothing is charged for one).
  const dense = new CopulaCoordinatorTask({ ...base, rounds: 1, schemaHint: { ...schema, columns: schema.columns.map((c) => ({ ...c, nullable: false })) } });
  expect(dense.rounds).toBe(3);
});

test('copula: a site clips its rows at the plan\u2019s squared row clip; a bad clip is refused', async () => {
  const dir = tmp();
  const dataFile = path.join(dir, 'copula-site.arrow'), ledgerFile = path.join(dir, 'copula-site.ledger.json');
  const rows = sim.patients.select(schema.columns.map((c) => c.name));
  writeArrowFile(dataFile, rows);
  const task = new CopulaCoordinatorTask({ ...base, rounds: 1 });
  const site = new CopulaSiteTask({ site: 'a', dataFile, ledgerFile });
  for (let r = 0; r < 3; r++) {
    const p = task.planRound(r);
    task.absorbRound(r, await site.localVector(p.plan, { round: r, attempt: 0, site: 'a', contributors: 2 }), { round: r, contributors: ['a'], dropped: [] });
  }
  const plan = task.planRound(3).plan as { rowClip2: number };
  const dl = (Math.sqrt(8 * task.planRound(3).vectorLength + 1) - 1) / 2;
  // the upper triangle's diagonal sums each row's squared scores: at most rows × clip² in all
  const trace = (v: Float64Array) => { let s = 0, at = 0; for (let a = 0; a < dl; a++) { s += v[at]; at += dl - a; } return s; };
  // each variant of the plan is a request of its own to a site's ledger: a fresh site each
  const fresh = (name: string) => new CopulaSiteTask({ site: 'a', dataFile, ledgerFile: path.join(dir, `copula-${name}.ledger.json`) });
  const tight = await fresh('tight').localVector({ ...plan, rowClip2: 0.5 }, { round: 3, attempt: 0, site: 'a', contributors: 2 });
  expect(trace(tight)).toBeLessThanOrEqual(rows.numRows * 0.5 + 1e-6);
  expect(trace(tight)).toBeGreaterThan(rows.numRows * 0.45);
  const planned = await site.localVector(plan, { round: 3, attempt: 0, site: 'a', contributors: 2 });
  expect(trace(planned)).toBeLessThanOrEqual(rows.numRows * plan.rowClip2 + 1e-6);
  expect(trace(planned)).toBeGreaterThan(trace(tight) * 2);
  for (const bad of [0, -1, 'x', Infinity]) expect(() => fresh(`bad${String(bad)}`).localVector({ ...plan, rowClip2: bad }, { round: 3, attempt: 0, site: 'a', contributors: 2 })).toThrow(/row clip is not a positive number/);
});

test('copula: an assay panel\u2019s latents are weighted PANEL_SCORE_WEIGHT in the correlation round; the noise follows Σ w²', () => {
  // hb_g_dl plus an 8-column SNP panel (one schema source, nullable): 1 + 8 value latents and
  // missingness latents for hb_g_dl and the panel (their noisy missing rates are 20/80 below).
  const panel = Array.from({ length: 8 }, (_, k) => ({ name: `snp_${k}`, kind: 'integer' as const, role: 'feature' as const, min: 0, max: 2, source: 'array' }));
  const task = new CopulaCoordinatorTask({ ...base, rounds: 1, schemaHint: { version: 1, columns: [byName.get('hb_g_dl')!, ...panel] } });
  for (let r = 0; r < 3; r++) {
    const p = task.planRound(r);
    task.absorbRound(r, new Float64Array(p.vectorLength).fill(20), { round: r, contributors: ['a', 'b'], dropped: [] });
  }
  const corr = task.planRound(3);
  const plan = corr.plan as { weights: number[]; mechanism: { noiseMultiplier: number }; rowClip2: number };
  const dl = (Math.sqrt(8 * corr.vectorLength + 1) - 1) / 2;
  expect(dl).toBe(18);
  // value latents in column order (hb_g_dl first), then the missingness latents in the same order
  expect(plan.weights).toEqual([1, ...Array(8).fill(PANEL_SCORE_WEIGHT), 1, ...Array(8).fill(PANEL_SCORE_WEIGHT)]);
  // the noise follows the squared row clip, at most Σ w² (the worst case)
  expect(plan.rowClip2).toBeGreaterThan(0);
  expect(plan.rowClip2).toBeLessThanOrEqual(2 + 16 * PANEL_SCORE_WEIGHT ** 2);
  expect(corr.noiseSigmaPerSite).toBeCloseTo((plan.mechanism.noiseMultiplier * (2 ** 10 * plan.rowClip2 + Math.sqrt(corr.vectorLength))) / Math.sqrt(2), 6);
});

test('marginal: a missing-count round after the 1-way one; the fitted tree is calibrated to its counts', () => {
  const task = new MarginalCoordinatorTask({ ...base, rounds: 1, options: { seed: 3 } });
  expect(task.rounds).toBe(5);
  const sigmaOf: Record<string, number> = {};
  for (let r = 0; r < task.rounds; r++) {
    const p = task.planRound(r);
    const plan = p.plan as { stage: string; groups?: number[][]; rareIsPresent?: boolean[]; mechanism: { noiseMultiplier: number } };
    sigmaOf[plan.stage] = plan.mechanism.noiseMultiplier;
    let sum = new Float64Array(p.vectorLength).fill(20);
    if (plan.stage === 'missing') {
      expect(p.vectorLength).toBe(1);
      expect(plan.groups).toEqual([[2]]);
      expect(plan.rareIsPresent).toEqual([false]);
      // σ per site: the round's σ over √threshold, times the encoded sensitivity 2^10·3 + √1
      expect(p.noiseSigmaPerSite).toBeCloseTo((plan.mechanism.noiseMultiplier / Math.sqrt(2)) * (2 ** 10 * 3 + 1), 6);
      sum = Float64Array.of(30); // hb_g_dl missing in 30 rows (its noisy 1-way cell said 20)
    }
    task.absorbRound(r, sum, { round: r, contributors: ['a', 'b'], dropped: [] });
  }
  const model = task.buildModel();
  const tree = treeOf(model);
  const enc = model.manifest.encoders as Array<{ column: string; size: number }>;
  const j = enc.findIndex((e) => e.column === 'hb_g_dl');
  // Expected: the 1-way cell (20, σ of the 1-way round) and the release (30, σ·(3 + 1/1024))
  // by inverse variance, over the noisy row count (the mean 1-way sum).
  const w1 = 1 / sigmaOf['one-way'] ** 2, w2 = 1 / (sigmaOf.missing * (3 + 1 / 1024)) ** 2;
  const total = (20 * enc.reduce((s, e) => s + e.size, 0)) / enc.length;
  const target = (20 * w1 + 30 * w2) / (w1 + w2) / total;
  const marginals: Float64Array[] = [];
  for (const c of tree.order) {
    const p = tree.parent[c], size = tree.sizes[c];
    const m = new Float64Array(size);
    if (p < 0) m.set(tree.tables[c]);
    else marginals[p].forEach((w, x) => { for (let k = 0; k < size; k++) m[k] += w * tree.tables[c][x * size + k]; });
    marginals[c] = m;
  }
  expect(marginals[j][enc[j].size - 1]).toBeCloseTo(target, 6);
  expect(target).toBeGreaterThan(20 / total + 0.005);
});

test('ctgan: histograms, code counts, missingness sums, then critic rounds whose plan carries the generator; bad options are refused with the option named', () => {
  const opts = { seed: 2, embeddingDim: 8 };
  const task = new CtganCoordinatorTask({ ...base, rounds: 2, options: opts });
  expect(task.rounds).toBe(5);
  const h = task.planRound(0);
  task.absorbRound(0, new Float64Array(h.vectorLength).fill(3), { round: 0, contributors: ['a', 'b'], dropped: [] });
  const counts = task.planRound(1);
  expect((counts.plan as { stage: string }).stage).toBe('counts');
  task.absorbRound(1, new Float64Array(counts.vectorLength).fill(10), { round: 1, contributors: ['a', 'b'], dropped: [] });
  const missing = task.planRound(2);
  expect((missing.plan as { stage: string }).stage).toBe('missingness');
  const vocCodes = (missing.plan as { encoders: Array<{ size: number }> }).encoders[3].size;
  expect(missing.vectorLength).toBe(2 + vocCodes);
  expect(() => task.absorbRound(2, new Float64Array(3), { round: 2, contributors: ['a', 'b'], dropped: [] })).toThrow(new RegExp(`summed vector of ${2 + vocCodes}`));
  task.absorbRound(2, Float64Array.from([30, ...vocHistogram(vocCodes), 200]), { round: 2, contributors: ['a', 'b'], dropped: [] });
  const learn = task.planRound(3);
  const plan = learn.plan as { stage: string; generator: string; conditional: { width: number } };
  expect(plan.stage).toBe('learn');
  expect(plan.conditional.width).toBeGreaterThan(0);
  const before = plan.generator;
  // One critic step (a zero gradient sum from 40 rows), then the generator step through the critic changes the generator.
  const sum = new Float64Array(learn.vectorLength);
  sum[learn.vectorLength - 1] = COUNT_WEIGHT * 40;
  task.absorbRound(3, sum, { round: 3, contributors: ['a', 'b'], dropped: [] });
  expect((task.planRound(4).plan as { generator: string }).generator).not.toBe(before);
  const again = new CtganCoordinatorTask({ ...base, rounds: 2, options: opts });
  again.restore(JSON.parse(JSON.stringify(task.checkpoint())));
  expect((again.planRound(4).plan as { generator: string }).generator).toBe((task.planRound(4).plan as { generator: string }).generator);
  expect(() => new CtganCoordinatorTask({ ...base, rounds: 2, options: { pac: 10 } })).toThrow(/pac 1/);
  expect(() => new CtganCoordinatorTask({ ...base, rounds: 2, options: { sampleRate: 0 } })).toThrow(/sampleRate/);
  expect(() => new CopulaCoordinatorTask({ ...base, rounds: 1, options: { bins: 1 } })).toThrow(/bins/);
});
