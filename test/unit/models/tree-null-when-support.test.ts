/**
 * A DP tree's tables made consistent with "x is null when W" (marginal/null-when-support.ts) and
 * the shared mixing step (null-when-mixing.ts).
 */
import { nullWhenCase } from '../../support/null-when-case';
import { parseConstraint } from '../../../src/models/constraints';
import { mixTowardSupport, shareNeeded } from '../../../src/models/null-when-mixing';
import { supportTreeNullWhen } from '../../../src/models/marginal/null-when-support';
import type { TreeModel } from '../../../src/models/marginal/tree-estimation';
import type { DiscreteColumnEncoder } from '../../../src/transform/discretiser';

const boolean = (column: string, nullable: boolean) => ({ column, kind: 'boolean', output: 'bool', levels: 'categories', categories: ['false', 'true'], integer: false, nullable, size: nullable ? 3 : 2, source: 'schema' } as DiscreteColumnEncoder);

describe('mixTowardSupport', () => {
  test('one row: NOT W raised to the need, the other levels scaled by one factor', () => {
    const q = Float64Array.of(0.6, 0.3, 0.1);
    expect(mixTowardSupport([q], 3, [0, 0, 1], [1], 0.25)).toBeGreaterThan(0);
    expect(q[2]).toBeCloseTo(0.25, 12);
    expect(q[0] / q[1]).toBeCloseTo(2, 12);
    expect(q[0] + q[1] + q[2]).toBeCloseTo(1, 12);
    // Already enough: unchanged.
    const r = Float64Array.of(0.5, 0.5);
    expect(mixTowardSupport([r], 2, [0, 1], [1], 0.3)).toBe(0);
    expect(Array.from(r)).toEqual([0.5, 0.5]);
  });
  test('rows of a conditional table: each row keeps its present mass and missing cell; the weighted share reaches the need', () => {
    // Two parent levels (weights 0.7, 0.3); codes: false, true, missing.
    const rows = [Float64Array.of(0.9, 0.0, 0.1), Float64Array.of(0.7, 0.1, 0.2)];
    const weights = [0.7, 0.3];
    mixTowardSupport(rows, 2, [0, 1, 0], weights, 0.2);
    const present = rows.map((row) => row[0] + row[1]);
    expect(present[0]).toBeCloseTo(0.9, 12);
    expect(present[1]).toBeCloseTo(0.8, 12);
    expect(rows[0][2]).toBe(0.1);
    const share = (weights[0] * rows[0][1] + weights[1] * rows[1][1]) / (weights[0] * present[0] + weights[1] * present[1]);
    expect(share).toBeCloseTo(0.2, 12);
  });
  test('the share needed counts NOT W on a missing value', () => {
    expect(shareNeeded(0.1, 0, 0)).toBe(0.1);
    expect(shareNeeded(0.3, 0.2, 1)).toBeCloseTo(0.125, 12); // (0.3 − 0.2) / 0.8
    expect(shareNeeded(0.95, 0.1, 0)).toBe(1);
  });
});

test('a tree: the stroke column\u2019s root marginal is raised to stroke age\u2019s present rate', () => {
  const encoders = [boolean('stroke', false), boolean('stroke_age_known', true)];
  // stroke → stroke_age_known: present in 50% of rows whatever stroke (its table ignores it).
  const tree: TreeModel = { sizes: [2, 3], parent: [-1, 0], order: [0, 1], total: 1000, tables: [Float64Array.of(0.99, 0.01), Float64Array.of(0.25, 0.25, 0.5, 0.25, 0.25, 0.5)] };
  supportTreeNullWhen(tree, encoders, [parseConstraint('stroke_age_known is null when not stroke')]);
  expect(tree.tables[0][1]).toBeCloseTo(0.5, 12);
  expect(Array.from(tree.tables[1])).toEqual([0.25, 0.25, 0.5, 0.25, 0.25, 0.5]);
});

// Cohort 7, training seed 9 at ε = 1: the tree gave the stroke column no mass (0.0% of synthetic
// patients against 6.7%), so stroke age was missing in every row (93.3% real).
test('DP marginal at ε = 1: stroke age keeps its missing rate where the tree lost the strokes', () => {
  const { gap, conditionShare } = nullWhenCase('marginal', 9, 'stroke_age_years', 'stroke');
  expect(gap).toBeLessThan(0.05);
  expect(conditionShare).toBeGreaterThan(0.03);
}, 60000);
