import { simulateCohort } from '../../../src/scd';
import { CryptoRandom } from '../../../src/dp/noise';
import { binPosition, decodeColumn, decodedTable, outerBinTails, truncatedExponential, truncatedExponentialCdf } from '../../../src/transform/decode';
import { countEdges, type DiscreteColumnEncoder } from '../../../src/transform/discretiser';
import { binOf, encodeTable, fitDiscretisation, isModelledColumn, missingCode, planDiscretisation } from '../../../src/transform/discretiser';
import { readNumbers } from '../../../src/transform/column-values';
import { SamplingRandom } from '../../../src/models/sampling-random';
import type { TableSchema } from '../../../src/data/schema';
import { tableFromArrays } from 'apache-arrow';

const sim = simulateCohort({ patients: 400, sites: 2, seed: 11 });

describe('discretiser', () => {
  test('plans only modelled columns; small integer ranges are free, other numbers need quantiles', () => {
    const plan = planDiscretisation(sim.schema);
    const names = plan.map((p) => p.column.name);
    expect(names).not.toContain('patient_id');
    expect(names).not.toContain('date_of_birth');
    expect(plan.find((p) => p.column.name === 'snp_001')?.needs).toBe('none');
    expect(plan.find((p) => p.column.name === 'hb_g_dl')?.needs).toBe('quantiles');
    expect(plan.find((p) => p.column.name === 'genotype')?.needs).toBe('none');
    expect(sim.schema.columns.filter(isModelledColumn).length).toBe(plan.length);
  });

  test('outer intervals far wider than their neighbour decode as an exponential tail; binPosition inverts the decoder', () => {
    // The voc_12m edges of a 1,500-patient cohort: [6, 101) holds the top 3% of patients.
    expect(outerBinTails([0, 1, 2, 3, 6, 101])).toEqual([{ bin: 0, scale: -1 }, { bin: 4, scale: 3 }]);
    // Quantile bins of similar width, point bins and a single interval keep uniform decoding.
    expect(outerBinTails([0, 1, 2, 3, 4])).toEqual([{ bin: 0, scale: -1 }, { bin: 3, scale: -1 }]);
    expect(outerBinTails([0, 0, 5, 5])).toEqual([{ bin: -1, scale: -1 }, { bin: -1, scale: -1 }]);
    expect(outerBinTails([-50, 0, 1, 2])).toEqual([{ bin: 0, scale: 1 }, { bin: 2, scale: -1 }]);
    // The truncated exponential and its CDF are inverse to each other and stay inside [0, w).
    for (const u of [0, 0.1, 0.5, 0.9, 0.999999]) {
      const x = truncatedExponential(u, 95, 3);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(95);
      expect(truncatedExponentialCdf(x, 95, 3)).toBeCloseTo(u, 9);
    }
    const voc: DiscreteColumnEncoder = { column: 'voc', kind: 'integer', output: 'int32', levels: 'bins', edges: [0, 1, 2, 3, 6, 101], integer: true, min: 0, max: 100, nullable: false, size: 5, source: 'exact-quantiles' };
    const rng = new SamplingRandom(4, 1);
    const top = decodeColumn(voc, new Int32Array(20000).fill(4), () => rng.next()).values;
    const meanTop = Array.from(top).reduce((a, b) => a + b, 0) / top.length;
    // 6 + E[floor(Exp(3))] = 6 + 1/(e^(1/3) - 1) ≈ 8.53; a uniform draw over 6..100 gave 53.
    expect(meanTop).toBeGreaterThan(8.2);
    expect(meanTop).toBeLessThan(8.9);
    // binPosition gives the position that decodes back to the value, in tails and elsewhere.
    const tails = outerBinTails(voc.edges as number[]);
    for (const v of [0, 4, 6, 7, 9, 30, 100]) {
      const bin = v >= 6 ? 4 : v >= 3 ? 3 : v;
      const u = binPosition(v, (voc.edges as number[])[bin], (voc.edges as number[])[bin + 1], true, bin, tails);
      expect(decodeColumn(voc, Int32Array.of(bin), () => u).values[0]).toBe(v);
    }
    const x: DiscreteColumnEncoder = { ...voc, column: 'x', kind: 'continuous', output: 'float64', integer: false, edges: [-40, 0, 1, 2, 3], min: -40, max: 3 };
    const xt = outerBinTails(x.edges as number[]);
    // (deeper than ~35 scales into a tail a position rounds to the bin end in double precision)
    for (const v of [-20.5, -3, -0.2, 0.5, 2.9]) {
      const bin = v < 0 ? 0 : Math.floor(v) + 1;
      const u = binPosition(v, (x.edges as number[])[bin], (x.edges as number[])[bin + 1], false, bin, xt);
      expect(decodeColumn(x, Int32Array.of(bin), () => u).values[0]).toBeCloseTo(v, 6);
    }
  });

  test('count columns without quantiles get geometric edges with zero as its own code', () => {
    expect(countEdges(100, 6)).toEqual([0, 1, 3, 7, 16, 41, 101]);
    expect(countEdges(100, 10)).toEqual([0, 1, 2, 3, 5, 8, 13, 22, 37, 61, 101]);
    expect(countEdges(100, 2)).toEqual([0, 1, 101]);
    expect(countEdges(100, 1)).toEqual([0, 101]);
    const schema: TableSchema = { version: 1, columns: [{ name: 'n', kind: 'integer', role: 'quasi-identifier', min: 0, max: 100 }, { name: 'bp', kind: 'integer', role: 'quasi-identifier', min: 60, max: 260 }] };
    const [n, bp] = fitDiscretisation(sim.patients, schema, { histogramSigma: 1 }, { bins: 6, numericEdges: 'equal-width' });
    expect(n.edges).toEqual([0, 1, 3, 7, 16, 41, 101]);
    // other integers keep equal-width bins
    expect(bp.edges).toEqual([60, 94, 127, 161, 194, 228, 261]);
    // counts need no DP quantiles: public geometric edges whenever training is private
    const counts: TableSchema = { version: 1, columns: [sim.schema.columns.find((c) => c.name === 'voc_12m')!] };
    expect(planDiscretisation(counts)[0].needs).toBe('none');
    const [dp] = fitDiscretisation(sim.patients, counts, { histogramSigma: 2, rng: CryptoRandom.fromSeed(4) }, { bins: 12 });
    expect([dp.source, dp.edges]).toEqual(['schema', countEdges(100, 12)]);
    // non-private with the data: exact edges, one code per observed value
    const [exact] = fitDiscretisation(sim.patients, counts, { histogramSigma: null });
    const observed = [...new Set(readNumbers(sim.patients, 'voc_12m'))].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
    expect([exact.source, exact.edges]).toEqual(['exact-quantiles', [...observed, 101]]);
  });

  test('binOf finds the interval [e_b, e_b+1) and clamps outside values', () => {
    const e = [0, 1, 2, 5];
    expect([binOf(e, -3), binOf(e, 0), binOf(e, 0.99), binOf(e, 1), binOf(e, 4.9), binOf(e, 5), binOf(e, 99)]).toEqual([0, 0, 0, 1, 2, 2, 2]);
  });

  test('encode then decode keeps values in their bin, integers whole, categories valid, bounds held', () => {
    const encoders = fitDiscretisation(sim.patients, sim.schema, { histogramSigma: 2, rng: CryptoRandom.fromSeed(1) });
    const codes = encodeTable(sim.patients, encoders);
    const rng = new SamplingRandom(5);
    const decoded = encoders.map((e, j) => decodeColumn(e, codes[j], () => rng.next()));
    encoders.forEach((e, j) => {
      expect(Math.max(...codes[j])).toBeLessThan(e.size);
      if (e.levels !== 'bins') return;
      const orig = readNumbers(sim.patients, e.column);
      for (let i = 0; i < codes[j].length; i++) {
        if (codes[j][i] === missingCode(e)) { expect(Number.isNaN(orig[i])).toBe(true); expect(decoded[j].valid[i]).toBe(0); continue; }
        const v = decoded[j].values[i];
        expect(decoded[j].valid[i]).toBe(1);
        if (e.integer) expect(Number.isInteger(v)).toBe(true);
        if (e.min !== undefined) expect(v).toBeGreaterThanOrEqual(e.min);
        if (e.max !== undefined) expect(v).toBeLessThanOrEqual(e.max);
        expect(binOf(e.edges as number[], v)).toBe(codes[j][i]);
      }
    });
    const table = decodedTable(decoded);
    expect(table.numRows).toBe(400);
    const g = table.getChild('genotype')!;
    for (let i = 0; i < 400; i++) expect(['SS', 'Sb0', 'SC', 'Sb+', 'other']).toContain(g.get(i));
    const snp = table.getChild('snp_001')!;
    for (let i = 0; i < 400; i++) { const v = snp.get(i); if (v !== null) expect([0, 1, 2]).toContain(v); }
  });

  test('small integer columns get one code per value from the schema (no budget)', () => {
    const [enc] = fitDiscretisation(sim.patients, { version: 1, columns: [sim.schema.columns.find((c) => c.name === 'alpha_thal_deletions')!] }, { histogramSigma: 10, rng: CryptoRandom.fromSeed(2) });
    expect(enc.edges).toEqual([0, 1, 2, 3]);
    expect(enc.source).toBe('schema');
    expect(enc.size).toBe(4); // 3 values + missing
  });

  test('a DP discretiser refuses categories that are not in the schema; non-private reads them', () => {
    const schema: TableSchema = { version: 1, columns: [{ name: 'genotype', kind: 'categorical', role: 'feature' }] };
    expect(() => fitDiscretisation(sim.patients, schema, { histogramSigma: 10, rng: CryptoRandom.fromSeed(3) })).toThrow(/Expected categories in the schema for column "genotype"/);
    const [enc] = fitDiscretisation(sim.patients, schema, { histogramSigma: null });
    expect(enc.categories).toEqual(['SC', 'SS', 'Sb+', 'Sb0', 'other'].sort());
    expect(enc.source).toBe('data');
  });

  test('a missing value in a non-nullable column is an error naming row and column', () => {
    const schema: TableSchema = { version: 1, columns: [{ name: 'lic_mg_g', kind: 'continuous', role: 'feature', min: 0, max: 80, nullable: false }] };
    const encoders = fitDiscretisation(sim.patients, schema, { histogramSigma: null });
    expect(() => encodeTable(sim.patients, encoders)).toThrow(/column "lic_mg_g".*missing value|missing value.*lic_mg_g|row \d+, column "lic_mg_g"/);
  });

  test('an integer column without a declared maximum keeps its largest values: the last edge is the observed maximum, in an interval of its own', () => {
    // 0..999 skewed low (many distinct values: quantile edges). Before, the top edge was the 0.99
    // quantile and every row above it decoded to that quantile.
    const x = Int32Array.from({ length: 3000 }, (_, i) => Math.floor(((i * 7919) % 3000 / 3000) ** 2 * 1000));
    const max = x.reduce((a, b) => Math.max(a, b), 0);
    const schema: TableSchema = { version: 1, columns: [{ name: 'x', kind: 'integer', role: 'feature', min: 0, nullable: false }] };
    const [e] = fitDiscretisation(tableFromArrays({ x }), schema, { histogramSigma: null });
    const edges = e.edges as number[];
    expect(edges.slice(-2)).toEqual([max, max + 1]);
    // The rows between the 0.99 quantile and the maximum keep an interval that reaches up to it.
    expect(edges[edges.length - 3]).toBeLessThan(max);
  });
});
