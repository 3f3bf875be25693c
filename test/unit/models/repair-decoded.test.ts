/**
 * The constraint repair of decoded rows (repair-decoded.ts): a "null when" repair keeps the
 * model's missing rate by moving values to rows the condition allows, taking them from the rows
 * that kept one, else from the values the repair removed.
 */
import { applicableConstraints, constraintViolations, parseConstraint } from '../../../src/models/constraints';
import { repairDecoded } from '../../../src/models/repair-decoded';
import { sampleModel, trainModel } from '../../../src/models';
import { simulateCohort } from '../../../src/scd';
import { readNumbers } from '../../../src/transform/column-values';
import type { DecodedColumn } from '../../../src/transform/decode';
import type { DiscreteColumnEncoder } from '../../../src/transform/discretiser';

const flagEncoder = { column: 'flag', kind: 'boolean', output: 'bool', levels: 'categories', categories: ['false', 'true'], integer: false, nullable: false, size: 2, source: 'schema' } as DiscreteColumnEncoder;
const xEncoder = { column: 'x', kind: 'continuous', output: 'float64', levels: 'bins', edges: [0, 50, 100], integer: false, min: 0, max: 100, nullable: true, size: 3, source: 'schema' } as DiscreteColumnEncoder;

/** Ten rows: flag true in rows 0-4; x present (values 10, 20, ...) where `present` says. */
function rows(present: number[]): DecodedColumn[] {
  const flag: DecodedColumn = { encoder: flagEncoder, values: Int32Array.from({ length: 10 }, (_, i) => (i < 5 ? 1 : 0)), valid: new Uint8Array(10).fill(1) };
  const x: DecodedColumn = { encoder: xEncoder, values: Float64Array.from({ length: 10 }, (_, i) => 10 * (i + 1)), valid: Uint8Array.from({ length: 10 }, (_, i) => (present.includes(i) ? 1 : 0)) };
  return [flag, x];
}

/** x after the repair, checked to be missing where flag holds and at the model's rate (7 of 10 missing). */
function repairedX(present: number[]): DecodedColumn {
  const d = rows(present);
  repairDecoded([parseConstraint('x is null when flag')], d, 7);
  const x = d[1];
  expect(Array.from(x.valid.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
  expect(x.valid.reduce((s, v) => s + (v ? 0 : 1), 0)).toBe(7);
  return x;
}

describe('repairDecoded: "x is null when flag"', () => {
  test('values removed where flag holds move to rows without flag, from the rows that kept one', () => {
    const x = repairedX([0, 1, 5]);
    // the two restored rows copy the kept value (row 5: 60)
    for (let i = 6; i < 10; i++) if (x.valid[i]) expect(x.values[i]).toBe(60);
  });

  test('where the generator drew a value for every row, a restored row takes its own drawn value', () => {
    const d = rows([0, 1, 5]);
    d[1].drawn = Float64Array.from({ length: 10 }, (_, i) => 1000 + i);
    repairDecoded([parseConstraint('x is null when flag')], d, 7);
    const x = d[1];
    expect(x.valid.reduce((s, v) => s + (v ? 0 : 1), 0)).toBe(7);
    expect(x.values[5]).toBe(60);
    const restored = [6, 7, 8, 9].filter((i) => x.valid[i]);
    expect(restored).toHaveLength(2);
    for (const i of restored) expect(x.values[i]).toBe(1000 + i);
  });

  test('when no row without flag has a value, the removed values are the donors', () => {
    // without them the column would be missing in every row
    const x = repairedX([0, 1, 2]);
    const restored = [5, 6, 7, 8, 9].filter((i) => x.valid[i]).map((i) => x.values[i]);
    expect(restored).toHaveLength(3);
    for (const v of restored) expect([10, 20, 30]).toContain(v);
  });

  test('a moved value that breaks the recipient row\'s other constraints is repaired again', () => {
    // y caps x row by row (y = 15 in rows 6-9); the donor value 60 would break x <= y there
    const d = rows([0, 1, 5]);
    const yEncoder = { ...xEncoder, column: 'y', nullable: false } as DiscreteColumnEncoder;
    const y: DecodedColumn = { encoder: yEncoder, values: Float64Array.from({ length: 10 }, (_, i) => (i >= 6 ? 15 : 100)), valid: new Uint8Array(10).fill(1) };
    repairDecoded([parseConstraint('x is null when flag'), parseConstraint('x <= y')], [...d, y], 7);
    const x = d[1];
    expect(x.valid.reduce((s, v) => s + (v ? 0 : 1), 0)).toBe(7);
    for (let i = 0; i < 10; i++) if (x.valid[i]) expect(x.values[i]).toBeLessThanOrEqual(y.values[i]);
    expect([6, 7, 8, 9].some((i) => x.valid[i] && x.values[i] === 15)).toBe(true);
  });

  test('nothing to restore: rows already allowed stay as they are', () => {
    const d = rows([5, 6]);
    repairDecoded([parseConstraint('x is null when flag')], d, 7);
    expect(Array.from(d[1].valid)).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
    expect(Array.from(d[1].values.subarray(5, 7))).toEqual([60, 70]);
  });
});

describe('repairDecoded: sums and bounds', () => {
  test('a constraint the columns\' bounds make impossible is refused before any row is repaired', () => {
    const hb = { ...xEncoder, column: 'hb', min: 3, max: 17, edges: [3, 10, 17] } as DiscreteColumnEncoder;
    const d = rows([0, 1]);
    const h: DecodedColumn = { encoder: hb, values: new Float64Array(10).fill(5), valid: new Uint8Array(10).fill(1) };
    expect(() => repairDecoded([parseConstraint('hb + x <= 2')], [...d, h], 1)).toThrow(/Expected schema constraints that the columns' bounds allow but received constraint "hb \+ x <= 2": the columns' minimums \(hb min 3; x min 0\) already make the sum 3, above 2/);
    expect(Array.from(h.values)).toEqual(new Array(10).fill(5));
  });

  test('sampled rows of DP marginal and copula models meet the simulator\'s "<= 100" and a user sum over a bounded column exactly', () => {
    const sim = simulateCohort({ patients: 600, sites: 2, seed: 3 });
    const names = new Set(['genotype', 'age_years', 'hb_g_dl', 'hbf_pct', 'hbs_pct', 'hba_pct', 'hba2_pct', 'stroke', 'stroke_age_years', 'followup_years']);
    const sums = ['hbs_pct + hbf_pct + hba2_pct + hba_pct <= 100', 'hb_g_dl + hbf_pct <= 10'];
    const schema = { ...sim.schema, columns: sim.schema.columns.filter((c) => names.has(c.name)), constraints: [...applicableConstraints(sim.schema, [...names]).map((c) => c.text), sums[1]] };
    for (const model of ['marginal', 'copula']) {
      const m = trainModel({ table: sim.patients, schema, model, epsilon: 2, delta: 1e-6, seed: 4 });
      expect(m.manifest.schema.constraints).toEqual(expect.arrayContaining([...sums, 'stroke_age_years <= age_years']));
      const t = sampleModel(m, { rows: 4000, seed: 9 });
      for (const [c, bad] of constraintViolations(t, schema, 0)) expect(`${model}: ${c}: ${bad}`).toBe(`${model}: ${c}: 0`);
      // The same, spelled out: binary sums in column order, no tolerance; hb_g_dl kept at or above 3.
      const col = (n: string) => readNumbers(t, n);
      const [hbs, hbf, hba2, hba, hb] = ['hbs_pct', 'hbf_pct', 'hba2_pct', 'hba_pct', 'hb_g_dl'].map(col);
      const v = (x: number) => (Number.isNaN(x) ? 0 : x);
      let over = 0;
      for (let i = 0; i < t.numRows; i++) {
        if (v(hbs[i]) + v(hbf[i]) + v(hba2[i]) + v(hba[i]) > 100) over++;
        if (v(hb[i]) + v(hbf[i]) > 10 || hb[i] < 3) over++;
      }
      expect(`${model}: ${over}`).toBe(`${model}: 0`);
    }
  });
});

