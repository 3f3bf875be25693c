/**
 * The stratified Gaussian copula (src/models/copula/copula-strata.ts): the choice of the
 * strata (auto's split tree, named columns and their combinations), the mixture model file, the genotype contrasts it keeps that one copula
 * loses, conditioning through the strata, DP with a named column; and the tied missingness
 * latents of a panel (copulaCorrelation).
 */
import { simulateCohort } from '../../../src/scd';
import { modelFromBytes, modelToBytes, sampleModel, trainModel } from '../../../src/models';
import { decodeAll } from '../../../src/models/model-api';
import { copulaCorrelation } from '../../../src/models/copula/copula-fit';
import { excessDependence, resolveStrata, rowsByLevel, type CopulaStratum } from '../../../src/models/copula/copula-strata';
import { encodeTable, fitDiscretisation, missingCode, type DiscreteColumnEncoder } from '../../../src/transform/discretiser';
import { generatorByName } from '../../../src/models/registry';
import type { SampledCodes } from '../../../src/models/generator';
import { readLabels, readNumbers } from '../../../src/transform/column-values';
import { SCD_CHECK_COLUMNS, runScdChecks } from '../../../src/evaluate/clinical/scd-checks';
import { SamplingRandom } from '../../../src/models/sampling-random';
import type { TableSchema } from '../../../src/data/schema';
import { tableFromArrays, type Table } from 'apache-arrow';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../support/run-cli';
import { writeArrowFile } from '../../../src/data/arrow-file';
import { withEmbeddedSchema } from '../../../src/data/table-io';
import { loadModel } from '../../../src/models';

const sim = simulateCohort({ patients: 1500, sites: 4, seed: 21 });

/** Mean of a numeric column per level of a categorical one. */
function meansBy(t: ReturnType<typeof sampleModel>, by: string, value: string): Record<string, number> {
  const g = readLabels(t, by), v = readNumbers(t, value);
  const acc: Record<string, [number, number]> = {};
  g.forEach((k, i) => { if (k === null || !Number.isFinite(v[i])) return; acc[k] ??= [0, 0]; acc[k][0] += v[i]; acc[k][1]++; });
  return Object.fromEntries(Object.entries(acc).map(([k, [s, n]]) => [k, s / n]));
}

describe('stratified copula', () => {
  const model = trainModel({ table: sim.patients, schema: sim.schema, model: 'copula', epsilon: Infinity, seed: 3 });
  type Strata = { columns: number[]; cells: number[][]; weights: number[] };
  const strata = (model.manifest.generator as { strata: Strata }).strata;
  const column = (name: string) => model.manifest.encoders.findIndex((e) => e.column === name);
  /** The fixed columns of strata as names and category labels, e.g. "genotype=SS,chronic_transfusion=1". */
  const describe = (s: CopulaStratum[], encoders: ReadonlyArray<{ column: string; categories?: string[] }>) => s.map((x) => x.fixed.map(([j, c]) => `${encoders[j].column}=${encoders[j].categories?.[c] ?? c}`).join(',')).sort();

  test('excess dependence: ~0 for monotone or independent tables, large for a non-monotone one', () => {
    expect(excessDependence(Float64Array.of(50, 0, 0, 50), 2, 2)).toBeLessThan(0.01);
    expect(excessDependence(Float64Array.of(25, 25, 25, 25), 2, 2)).toBe(0);
    // level 1 of s goes with the high cell of j, levels 0 and 2 with the low one: no monotone copula carries it
    expect(excessDependence(Float64Array.of(100, 0, 0, 100, 100, 0), 3, 2)).toBeGreaterThan(0.2);
  });

  test('the strata: auto splits by genotype, then the SS stratum by transfusion, and nothing under DP; named columns are checked and combined', () => {
    const encoders = fitDiscretisation(sim.patients, sim.schema, { histogramSigma: null });
    const codes = encodeTable(sim.patients, encoders);
    const n = sim.patients.numRows;
    const auto = resolveStrata('auto', sim.schema, encoders, codes, n, false);
    // Genotype first; only SS has the MIN_SPLIT_ROWS for a second split, and its best column is chronic transfusion.
    expect(describe(auto, encoders)).toEqual(['genotype=SS,chronic_transfusion=false', 'genotype=SS,chronic_transfusion=true', 'genotype=Sb+', 'genotype=Sb0', 'genotype=SC', 'genotype=other'].sort());
    // The strata partition the rows, and each holds exactly the rows of its codes.
    expect(auto.reduce((t, x) => t + (x.rows as Int32Array).length, 0)).toBe(n);
    for (const x of auto) for (const i of x.rows as Int32Array) for (const [j, c] of x.fixed) expect(codes[j][i]).toBe(c);
    expect(resolveStrata(undefined, sim.schema, encoders, codes, n, true)).toEqual([{ fixed: [], rows: null }]);
    expect(resolveStrata('none', sim.schema, encoders, codes, n, false)).toEqual([{ fixed: [], rows: null }]);
    const hu = encoders.findIndex((e) => e.column === 'hydroxyurea');
    expect(resolveStrata('hydroxyurea', sim.schema, encoders, codes, n, true).map((x) => x.fixed)).toEqual([[[hu, 0]], [[hu, 1]]]);
    // Two columns: every combination under DP (10), only those with rows without.
    const both = resolveStrata('genotype, chronic_transfusion', sim.schema, encoders, codes, n, true);
    expect(both).toHaveLength(10);
    const occupied = resolveStrata('genotype,chronic_transfusion', sim.schema, encoders, codes, n, false);
    expect(occupied.length).toBe(both.filter((x) => (x.rows as Int32Array).length > 0).length);
    expect(occupied.every((x) => (x.rows as Int32Array).length > 0)).toBe(true);
    // site is a quasi-identifier, hb_g_dl numeric, alpha_thal_deletions has missing values
    for (const bad of ['site', 'hb_g_dl', 'alpha_thal_deletions', 'nope', 3, 'genotype,genotype', '']) expect(() => resolveStrata(bad, sim.schema, encoders, codes, n, false)).toThrow(/option stratifyBy .*genotype/);
    expect(() => resolveStrata('genotype,hydroxyurea,chronic_transfusion', sim.schema, encoders, codes, n, false)).toThrow(/at most 16 combinations of levels .* with 20/);
    expect(rowsByLevel(Int32Array.of(1, 0, 1, 2), 3).map((r) => Array.from(r))).toEqual([[1], [0, 2], [3]]);
  });

  test('auto stratifies only beyond chance: a level that moves ten columns up is picked, an unrelated column is not', () => {
    const n = 3000;
    const rng = new SamplingRandom(11, 0);
    const g = Array.from({ length: n }, (_, i) => ['a', 'b', 'c'][i % 3]);
    const columns: TableSchema['columns'] = [{ name: 'g', kind: 'categorical', role: 'feature', nullable: false, categories: ['a', 'b', 'c'] }];
    const data: Record<string, unknown[]> = { g };
    for (let c = 0; c < 10; c++) {
      columns.push({ name: `x${c}`, kind: 'continuous', role: 'feature', nullable: false, min: -10, max: 20 });
      // level b lifts x, levels a and c do not: not monotone in the level order
      data[`x${c}`] = g.map((v) => (v === 'b' ? 5 : 0) + rng.zigguratNormal());
    }
    const schema: TableSchema = { version: 1, columns };
    const table = tableFromArrays(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, k === 'g' ? v : Float64Array.from(v as number[])])) as never) as unknown as Table;
    const encoders = fitDiscretisation(table, schema, { histogramSigma: null });
    expect(resolveStrata('auto', schema, encoders, encodeTable(table, encoders), n, false).map((x) => x.fixed)).toEqual([[[0, 0]], [[0, 1]], [[0, 2]]]);
    // the same level column with x drawn independently of it
    const flat = tableFromArrays({ ...Object.fromEntries(columns.slice(1).map((c) => [c.name, Float64Array.from({ length: n }, () => rng.zigguratNormal())])), g } as never) as unknown as Table;
    const flatEncoders = fitDiscretisation(flat, schema, { histogramSigma: null });
    expect(resolveStrata('auto', schema, flatEncoders, encodeTable(flat, flatEncoders), n, false)).toEqual([{ fixed: [], rows: null }]);
  });

  test('the model: one copula per stratum, weights their frequencies; the file round-trips, a format-3 file still loads, bad strata are refused by field', () => {
    expect(strata.columns).toEqual([column('genotype'), column('chronic_transfusion')]);
    const genotypes = readLabels(sim.patients, 'genotype');
    const transfused = readNumbers(sim.patients, 'chronic_transfusion');
    const categories = (model.manifest.encoders[strata.columns[0]] as { categories: string[] }).categories;
    const boolCodes = (model.manifest.encoders[strata.columns[1]] as { categories: string[] }).categories;
    strata.cells.forEach(([g, t], s) => {
      const share = genotypes.filter((x, i) => x === categories[g] && (t === -1 || String(transfused[i] === 1) === boolCodes[t])).length / genotypes.length;
      expect(strata.weights[s]).toBeCloseTo(share, 9);
    });
    const loaded = modelFromBytes(modelToBytes(model), 'strata.hsm');
    expect(readNumbers(sampleModel(loaded, { rows: 300, seed: 4 }), 'hb_g_dl')).toEqual(readNumbers(sampleModel(model, { rows: 300, seed: 4 }), 'hb_g_dl'));
    const tamper = (f: (g: { strata: Record<string, unknown> & Strata }) => void) => {
      const copy = modelFromBytes(modelToBytes(model), 'copy.hsm');
      f(copy.manifest.generator as { strata: Record<string, unknown> & Strata });
      return () => modelFromBytes(modelToBytes(copy), 'bad.hsm');
    };
    // A version-2 file (one copula, no strata) still loads and samples the same.
    const single = trainModel({ table: sim.patients, schema: sim.schema, model: 'copula', epsilon: Infinity, seed: 3, options: { stratifyBy: 'none' } });
    const v2 = modelFromBytes(modelToBytes({ ...single, manifest: { ...single.manifest, formatVersion: 2 } }), 'v2.hsm');
    expect(readNumbers(sampleModel(v2, { rows: 100, seed: 4 }), 'hb_g_dl')).toEqual(readNumbers(sampleModel(single, { rows: 100, seed: 4 }), 'hb_g_dl'));
    // A version-3 file (one stratifying column as `column` and `levels`) loads and samples the same.
    const byGenotype = trainModel({ table: sim.patients, schema: sim.schema, model: 'copula', epsilon: Infinity, seed: 3, options: { stratifyBy: 'genotype' } });
    const g4 = byGenotype.manifest.generator as unknown as { strata: Strata };
    const { columns, cells, ...rest } = g4.strata;
    const v3 = modelFromBytes(modelToBytes({ ...byGenotype, manifest: { ...byGenotype.manifest, formatVersion: 3, generator: { ...byGenotype.manifest.generator, strata: { ...rest, column: columns[0], levels: cells.map((c) => c[0]) } } } }), 'v3.hsm');
    expect(readNumbers(sampleModel(v3, { rows: 100, seed: 4 }), 'hb_g_dl')).toEqual(readNumbers(sampleModel(byGenotype, { rows: 100, seed: 4 }), 'hb_g_dl'));
    expect(tamper((g) => { g.strata.weights = g.strata.weights.map((w) => w * 2); })).toThrow(/generator\.strata\.weights/);
    expect(tamper((g) => { g.strata.cells[0] = [99, -1]; })).toThrow(/generator\.strata\.cells/);
    expect(tamper((g) => { g.strata.cells[1] = [...g.strata.cells[0]]; })).toThrow(/generator\.strata\.cells/);
    expect(tamper((g) => { g.strata.columns = [column('hb_g_dl'), column('chronic_transfusion')]; })).toThrow(/generator\.strata\.columns/);
    expect(tamper((g) => { g.strata.cells.pop(); g.strata.weights.pop(); g.strata.weights[0] += 1 - g.strata.weights.reduce((a, b) => a + b, 0); })).toThrow(/weights\.cholesky/);
  });

  test('genotype contrasts kept: Hb of SC above SS as in the data, which one copula over the cohort loses', () => {
    const real = meansBy(sim.patients, 'genotype', 'hb_g_dl');
    const stratified = meansBy(sampleModel(model, { rows: 15000, seed: 1 }), 'genotype', 'hb_g_dl');
    const single = meansBy(sampleModel(trainModel({ table: sim.patients, schema: sim.schema, model: 'copula', epsilon: Infinity, seed: 3, options: { stratifyBy: 'none' } }), { rows: 15000, seed: 1 }), 'genotype', 'hb_g_dl');
    const contrast = (m: Record<string, number>) => m.SC - m.SS;
    expect(contrast(real)).toBeGreaterThan(1.5);
    expect(Math.abs(contrast(stratified) - contrast(real))).toBeLessThan(0.4);
    expect(Math.abs(contrast(single) - contrast(real))).toBeGreaterThan(0.8);
    for (const g of ['SS', 'SC', 'Sb0', 'Sb+']) expect(Math.abs(stratified[g] - real[g])).toBeLessThan(0.4);
  });

  test('clinical associations kept: the panels are fitted around the clinical correlations, not projected with them, and restored values are the rows\' own (cohort 7, 15,000 rows)', () => {
    // Before (one projection of the whole matrix, 3 standard errors and shrinkage for every
    // pair): 6 checks, ferritin–liver iron among the transfused 0.51, R²(HbF ~ QTLs) 0.098.
    const sim7 = simulateCohort({ patients: 1500, sites: 4, seed: 7 });
    const fitted = trainModel({ table: sim7.patients, schema: sim7.schema, model: 'copula', epsilon: Infinity, seed: 3 });
    const results = runScdChecks(sampleModel(fitted, { rows: 15000, seed: 9 }));
    const check = (id: string) => results.find((c) => c.id === id)!;
    expect(results.filter((c) => c.passed).length).toBeGreaterThanOrEqual(9);
    expect(check('V11').statistics.r_log_ferritin_log_lic).toBeGreaterThan(0.6);
    expect(check('V10').statistics.r2_log_hbf_qtls).toBeGreaterThan(0.13);
    expect(check('V7').statistics.r_delta_mcv_delta_hbf).toBeGreaterThan(0.28);
    // TCD velocity, present only at ages 2–16: the rows the "null when" repair makes present
    // again take their own drawn value, not another row's (before: ΔSS−SC 21.4 cm/s, r(TCD, Hb)
    // in SS children −0.39; real 30.5 and −0.54)
    expect(check('V8').statistics.delta_mean).toBeGreaterThan(26);
    expect(check('V8').statistics.r_tcd_hb_SS).toBeLessThan(-0.45);
    // the drawn codes: the "null when" columns only, equal to the codes where present, a present
    // level where the model made the column missing
    const sampled = generatorByName('copula').sampleCodes(fitted, { rows: 2000, seed: 4, condition: null, engine: 'native', threads: 1 }) as SampledCodes;
    const names = fitted.manifest.encoders.map((e) => e.column);
    const kept = names.filter((_, j) => sampled.drawnCodes?.[j]);
    expect(kept.sort()).toEqual(['hbf_baseline_pct', 'lic_mg_g', 'mcv_baseline_fl', 'stroke_age_years', 'tcd_velocity_cm_s']);
    for (const name of kept) {
      const j = names.indexOf(name), miss = missingCode(fitted.manifest.encoders[j] as DiscreteColumnEncoder);
      const codes = sampled.codes[j], drawn = sampled.drawnCodes![j]!;
      let missing = 0;
      for (let i = 0; i < codes.length; i++) {
        if (codes[i] === miss) { missing++; expect(drawn[i]).toBeLessThan(miss); } else expect(drawn[i]).toBe(codes[i]);
      }
      expect(missing).toBeGreaterThan(0);
    }
    // decoded natively as the TypeScript reference decodes them (same streams, same values), also
    // under a numeric range on one of them
    const tcd = names.indexOf('tcd_velocity_cm_s');
    const encoders = fitted.manifest.encoders as DiscreteColumnEncoder[];
    const restrictions = new Map([[tcd, { lo: 100, hi: 180 }]]);
    const native = decodeAll(encoders, sampled, 11, restrictions, 1, new Set());
    process.env.HEMASYNTH_MARGINAL_ENGINE = 'js';
    let reference: ReturnType<typeof decodeAll>;
    try { reference = decodeAll(encoders, sampled, 11, restrictions, 1, new Set()); } finally { delete process.env.HEMASYNTH_MARGINAL_ENGINE; }
    for (const name of kept) {
      const j = names.indexOf(name), a = native[j].drawn!, b = reference[j].drawn!;
      expect(a.length).toBe(2000);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b[i])));
    }
    // the range reached the drawn TCD values (in the bins it cuts), and only theirs
    const open = decodeAll(encoders, sampled, 11, new Map(), 1, new Set());
    expect(native[tcd].drawn!.some((v, i) => v !== open[tcd].drawn![i])).toBe(true);
    for (const name of kept.filter((n) => n !== 'tcd_velocity_cm_s')) expect(native[names.indexOf(name)].drawn).toEqual(open[names.indexOf(name)].drawn);
  });

  test('conditions go through the strata: the stratum column restricts them, others weigh them by the condition\'s probability', () => {
    const sc = sampleModel(model, { rows: 400, seed: 2, where: 'genotype=SC and age_years<18' });
    expect(new Set(readLabels(sc, 'genotype'))).toEqual(new Set(['SC']));
    for (const a of readNumbers(sc, 'age_years')) expect(a).toBeLessThan(18);
    // P(genotype | Hb > 10.5) from the conditioned sampler against rejection from the model.
    const conditioned = readLabels(sampleModel(model, { rows: 4000, seed: 5, where: 'hb_g_dl>10.5' }), 'genotype');
    const all = sampleModel(model, { rows: 40000, seed: 6 });
    const hb = readNumbers(all, 'hb_g_dl');
    const accepted = readLabels(all, 'genotype').filter((_, i) => hb[i] > 10.5);
    const share = (v: Array<string | null>, g: string) => v.filter((x) => x === g).length / v.length;
    for (const g of ['SS', 'SC', 'Sb+']) expect(Math.abs(share(conditioned, g) - share(accepted, g))).toBeLessThan(0.05);
    expect(share(conditioned, 'SC')).toBeGreaterThan(share(readLabels(all, 'genotype'), 'SC') + 0.1);
  });

  test('DP: a named column costs the same plan (parallel composition); auto trains one copula', () => {
    const names = new Set<string>([...SCD_CHECK_COLUMNS, 'site', 'country']);
    const schema = { ...sim.schema, columns: sim.schema.columns.filter((c) => names.has(c.name)) };
    const named = trainModel({ table: sim.patients, schema, model: 'copula', epsilon: 3, delta: 1e-6, seed: 2, options: { stratifyBy: 'genotype' } });
    const plain = trainModel({ table: sim.patients, schema, model: 'copula', epsilon: 3, delta: 1e-6, seed: 2 });
    expect(named.manifest.privacy.ledger!.entries.map((e) => e.parameters)).toEqual(plain.manifest.privacy.ledger!.entries.map((e) => e.parameters));
    expect(named.manifest.privacy.epsilon).toBeLessThanOrEqual(3);
    const w = (named.manifest.generator as { strata: { weights: number[] } }).strata.weights;
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect((plain.manifest.generator as { strata?: unknown }).strata).toBeUndefined();
    expect(sampleModel(named, { rows: 200, seed: 1 }).numRows).toBe(200);
    // Two named columns: a stratum per combination with a positive noisy count, for the same plan.
    const two = trainModel({ table: sim.patients, schema, model: 'copula', epsilon: 3, delta: 1e-6, seed: 2, options: { stratifyBy: 'genotype,chronic_transfusion' } });
    expect(two.manifest.privacy.ledger!.entries.map((e) => e.parameters)).toEqual(plain.manifest.privacy.ledger!.entries.map((e) => e.parameters));
    const s2 = (two.manifest.generator as { strata: { columns: number[]; cells: number[][]; weights: number[] } }).strata;
    expect(s2.columns.map((j) => two.manifest.encoders[j].column)).toEqual(['genotype', 'chronic_transfusion']);
    expect(s2.cells.length).toBeGreaterThanOrEqual(6);
    expect(s2.cells.length).toBeLessThanOrEqual(10);
    expect(s2.cells.every((c) => c.every((code) => code >= 0))).toBe(true);
    const synthetic = sampleModel(two, { rows: 2000, seed: 1 });
    const t = readNumbers(synthetic, 'chronic_transfusion'), realT = readNumbers(sim.patients, 'chronic_transfusion');
    const share = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(Math.abs(share(t) - share(realT))).toBeLessThan(0.04);
  });
});

test('CLI: train --options names the stratifying column; bad JSON and unknown options exit 2', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-strata-cli-'));
  try {
    const data = path.join(dir, 'cohort.arrow');
    writeArrowFile(data, withEmbeddedSchema(simulateCohort({ patients: 400, sites: 2, seed: 4 }).patients, sim.schema));
    const out = path.join(dir, 'c.hsm');
    const r = await runCli(['train', '--data', data, '--model', 'copula', '--epsilon', 'inf', '--out', out, '--options', '{"stratifyBy": "hydroxyurea"}', '--json']);
    expect(r.code).toBe(0);
    const m = loadModel(out);
    expect((m.manifest.generator as { strata: { columns: number[] } }).strata.columns.map((j) => m.manifest.encoders[j].column)).toEqual(['hydroxyurea']);
    const bad = await runCli(['train', '--data', data, '--model', 'copula', '--epsilon', 'inf', '--out', out, '--options', '{stratifyBy: genotype}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/JSON object for --options/);
    const unknown = await runCli(['train', '--data', data, '--model', 'copula', '--epsilon', 'inf', '--out', out, '--options', '{"strata": "genotype"}']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/option of the copula generator .* but received "strata"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('tied missingness latents', () => {
  test('DP: a panel takes its mean noisy missing rate, so every panel column is within 3.5 points of its real rate at ε = 3 (the panel rate is 2.7 off at this seed; 15,000 rows add ±0.8)', () => {
    const m = trainModel({ table: sim.patients, schema: sim.schema, model: 'copula', epsilon: 3, delta: 1e-6, seed: 2 });
    const g = m.manifest.generator as { cdfOffsets: number[]; missingLatents: number[] };
    const d = m.manifest.encoders.length;
    const names = m.manifest.encoders.map((e) => (e as { column: string }).column);
    const cdf = m.weights.cdf;
    const rateOf = (name: string) => 1 - cdf[g.cdfOffsets[d + g.missingLatents.indexOf(names.indexOf(name))]];
    const snps = names.filter((n) => /^snp_\d+$/.test(n)), mets = names.filter((n) => /^met_\d+$/.test(n));
    expect(snps.length).toBe(200);
    for (const panel of [snps, mets]) expect(new Set(panel.map(rateOf)).size).toBe(1);
    const syn = sampleModel(m, { rows: 15000, seed: 1 });
    for (const c of [...snps, ...mets]) {
      const real = sim.patients.getChild(c)!.nullCount / sim.patients.numRows;
      expect(Math.abs(syn.getChild(c)!.nullCount / syn.numRows - real)).toBeLessThan(0.035);
    }
  });

  test('a tied group is one row of the correlation: members perfectly correlated, the others see the group mean', () => {
    // three fine-grained latents (1,000 equal cells: scores close to the latents) over 10^8 rows
    // (no shrinkage); latents 0, 1 tied (r 0.9 between them); latent 2 correlates 0.4 and 0.2 with them
    const n = 1e8;
    const cells = Array.from({ length: 1000 }, (_, c) => (c + 1) / 1000);
    const m = { cdfOffsets: [0, 1000, 2000, 3000], cdfs: [...cells, ...cells, ...cells], missingLatents: [], total: n };
    const S = Float64Array.of(1, 0.9, 0.4, 0, 1, 0.2, 0, 0, 1).map((v) => v * n);
    const { cholesky } = copulaCorrelation(S, m, null, [[0, 1]]);
    const R = (a: number, b: number) => [0, 1, 2].reduce((s, t) => s + cholesky[a * 3 + t] * cholesky[b * 3 + t], 0);
    expect(R(0, 1)).toBeCloseTo(1, 12);
    expect(R(0, 2)).toBeCloseTo(R(1, 2), 12);
    expect(Math.abs(R(0, 2) - 0.3)).toBeLessThan(0.01);
    for (let t = 0; t < 3; t++) expect(R(t, t)).toBeCloseTo(1, 12);
    // lower triangular
    expect([cholesky[1], cholesky[2], cholesky[5]]).toEqual([0, 0, 0]);
  });
});
