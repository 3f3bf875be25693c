// Anonymeter and SDMetrics reference values (../shared/reference/privacy-risk-vectors.json).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { wilsonSuccessRate, residualRisk } from '../../../src/evaluate/privacy/anonymeter-statistics';
import { linkabilityAttack } from '../../../src/evaluate/privacy/linkability';
import { distanceToClosestRecord } from '../../../src/evaluate/privacy/distance-to-closest-record';
import { EvalTable } from '../../../src/evaluate/table-columns';
import { encodeMixedRows, mixedEncoding, nearestNeighbours } from '../../../src/evaluate/privacy/mixed-distance';

const vectors = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../../shared/reference/privacy-risk-vectors.json'), 'utf8'));
const stats = vectors.anonymeter_statistics;

function numericTable(cols: Record<string, number[]>): EvalTable {
  const names = Object.keys(cols);
  return { nRows: cols[names[0]].length, columns: names.map((name) => ({ name, kind: 'numeric' as const, values: Float64Array.from(cols[name]), integer: true })) };
}

function close(actual: number, expected: number, c: { atol?: number; rtol?: number }) {
  const tol = c.atol ?? Math.abs(expected) * (c.rtol ?? 1e-9);
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol + 1e-15);
}

describe('Wilson success rate', () => {
  for (const c of stats.wilson_success_rate.cases) {
    it(`n=${c.n} s=${c.successes} level=${c.confidence_level}`, () => {
      const r = wilsonSuccessRate(c.n, c.successes, c.confidence_level);
      close(r.rate, c.rate, c);
      close(r.error, c.error, c);
    });
  }
  it('rejects impossible counts with a clear message', () => {
    expect(() => wilsonSuccessRate(10, 11)).toThrow('Expected an integer in [0, 10] for the number of successes but received 11');
  });
});

describe('residual risk', () => {
  for (const c of stats.residual_risk.cases) {
    it(`attack ${c.attack} control ${c.control}`, () => {
      const r = residualRisk({ rate: c.attack, error: c.attack_error }, { rate: c.control, error: c.control_error });
      close(r.risk, c.risk, { atol: c.atol ?? 1e-12 });
      if (c.error !== undefined) close(r.error, c.error, { atol: c.atol });
    });
  }
});

describe('linkability toy case (Anonymeter tests)', () => {
  const toy = stats.linkability_toy;
  const ori = numericTable(toy.original);
  const syn = numericTable(toy.synthetic);
  for (const c of toy.cases) {
    it(`n_neighbors=${c.n_neighbors} level=${c.confidence_level}`, () => {
      const r = linkabilityAttack(ori, syn, null, { auxColumns: toy.auxiliary_columns, nAttacks: 4, nNeighbors: c.n_neighbors, confidenceLevel: c.confidence_level });
      close(r.risk, c.risk, { atol: c.atol ?? 1e-12 });
      if (c.ci) {
        close(r.interval[0], c.ci[0], { atol: c.atol });
        close(r.interval[1], c.ci[1], { atol: c.atol });
      }
    });
  }
});

describe('DCR (SDMetrics single column)', () => {
  const c = vectors.dcr.single_column;
  it('scales by the real range', () => {
    const real = numericTable({ x: c.real });
    const syn = numericTable({ x: c.synthetic });
    const r = distanceToClosestRecord(real, null, syn);
    close(r.syntheticToTrain.min, c.expected_dcr, { atol: 1e-12 });
  });
  it('native and reference k-NN agree on mixed data with missing values and ties', () => {
    const n = 300;
    const mk = (seed: number, rows: number): EvalTable => {
      let s = seed;
      const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
      return {
        nRows: rows,
        columns: [
          { name: 'a', kind: 'numeric', integer: false, values: Float64Array.from({ length: rows }, () => (rnd() < 0.1 ? NaN : Math.round(rnd() * 20))) },
          { name: 'b', kind: 'numeric', integer: false, values: Float64Array.from({ length: rows }, () => rnd() * 3) },
          { name: 'c', kind: 'categorical', categories: ['x', 'y', 'z'], codes: Int32Array.from({ length: rows }, () => Math.floor(rnd() * 4) - 1) },
        ],
      };
    };
    const q = mk(1, n), r = mk(2, 700);
    const enc = mixedEncoding([q, r]);
    const a = nearestNeighbours(encodeMixedRows(q, enc), encodeMixedRows(r, enc), enc, 3, { backend: 'js' });
    const b = nearestNeighbours(encodeMixedRows(q, enc), encodeMixedRows(r, enc), enc, 3, { backend: 'native', threads: 2 });
    for (let i = 0; i < a.distance.length; i++) expect(b.distance[i]).toBeCloseTo(a.distance[i], 12);
    expect(Array.from(b.index)).toEqual(Array.from(a.index));
  });
});
