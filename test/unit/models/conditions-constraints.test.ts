import { parseCondition, resolveCondition, evaluateCondition, compileCondition, type ConditionColumns } from '../../../src/models/conditions';
import { parseConstraint, repairRows, applicableConstraints, withConstraintEvidence } from '../../../src/models/constraints';
import type { DiscreteColumnEncoder } from '../../../src/transform/discretiser';

const genotype: DiscreteColumnEncoder = { column: 'genotype', kind: 'categorical', output: 'dictionary', levels: 'categories', categories: ['SS', 'SC'], integer: false, nullable: false, size: 2, source: 'schema' };
const age: DiscreteColumnEncoder = { column: 'age_years', kind: 'continuous', output: 'float64', levels: 'bins', edges: [1, 10, 20, 80], integer: false, min: 1, max: 80, nullable: true, size: 4, source: 'schema' };
const voc: DiscreteColumnEncoder = { column: 'voc', kind: 'integer', output: 'int32', levels: 'bins', edges: [0, 2, 5, 11], integer: true, min: 0, max: 10, nullable: false, size: 3, source: 'schema' };

describe('conditions', () => {
  test('parses and/or/not, null tests, in-lists and comparisons', () => {
    expect(parseCondition('genotype=SC and age_years<18')).toEqual({ type: 'and', items: [
      { type: 'compare', column: 'genotype', op: '=', value: 'SC', quoted: false },
      { type: 'compare', column: 'age_years', op: '<', value: 18, quoted: false }] });
    expect(parseCondition('x is not null')).toEqual({ type: 'null', column: 'x', negated: true });
    expect(parseCondition("g in ('SS', SC)")).toEqual({ type: 'in', column: 'g', values: ['SS', 'SC'] });
    expect(parseCondition('not chronic_transfusion')).toEqual({ type: 'not', item: { type: 'truthy', column: 'chronic_transfusion' } });
    expect(() => parseCondition('age_years <')).toThrow(/Expected a value/);
    expect(() => parseCondition('')).toThrow(/Expected a condition/);
  });

  test('evaluates with SQL semantics for missing values', () => {
    const cols = new Map([['a', { numbers: Float64Array.of(1, NaN, 20) }], ['t', { numbers: Float64Array.of(1, 0, 1) }]]);
    const e = parseCondition('a < 2 or a >= 17');
    expect([0, 1, 2].map((i) => evaluateCondition(e, cols, i))).toEqual([true, false, true]);
    expect([0, 1, 2].map((i) => evaluateCondition(parseCondition('not t'), cols, i))).toEqual([false, true, false]);
  });

  test('a compiled condition equals the interpreted one on every kind of column view, missing values included', () => {
    // The same rows as copied arrays and as live views of decoded arrays (codes + validity).
    const a = Float64Array.of(1, NaN, 20, 17, 2);
    const g: (string | null)[] = ['SS', 'SC', null, 'SS', 'Sb0'];
    const t = Float64Array.of(1, 0, 1, NaN, 0);
    const copied: ConditionColumns = new Map([['a', { numbers: a }], ['g', { labels: g }], ['t', { numbers: t }]]);
    const valid = (x: ArrayLike<number>) => Uint8Array.from(Array.from(x), (v) => (Number.isNaN(v) ? 0 : 1));
    const categories = ['SS', 'SC', 'Sb0'];
    const live: ConditionColumns = new Map([
      ['a', { values: Int32Array.from(a, (v) => (Number.isNaN(v) ? 99 : v)), valid: valid(a) }],
      ['g', { codes: Int32Array.from(g, (v) => (v === null ? 1 : categories.indexOf(v))), valid: Uint8Array.from(g, (v) => (v === null ? 0 : 1)), categories }],
      ['t', { values: Float64Array.from(t, (v) => (Number.isNaN(v) ? 5 : v)), valid: valid(t) }],
    ]);
    const texts = ['a < 2 or a >= 17', 'not t', 't', 'a is null', 'g is not null', "g in ('SS', Sb0)", 'g = SC', 'g != SC', 'a = 17 and not g = SS', 'a in (20, 2)', 't = true', 't != yes', 'a = x', 'g > SC'];
    for (const text of texts) {
      const e = parseCondition(text);
      const want = [0, 1, 2, 3, 4].map((i) => evaluateCondition(e, copied, i));
      for (const cols of [copied, live]) {
        const holds = compileCondition(e, cols);
        expect([text, [0, 1, 2, 3, 4].map((i) => holds(i))]).toEqual([text, want]);
        expect([text, [0, 1, 2, 3, 4].map((i) => evaluateCondition(e, cols, i))]).toEqual([text, want]);
      }
    }
    // Hand-checked: SQL semantics (a comparison with a missing value is false, so is its negation's operand).
    expect([0, 1, 2, 3, 4].map(compileCondition(parseCondition('a < 2 or a >= 17'), live))).toEqual([true, false, true, true, false]);
    expect([0, 1, 2, 3, 4].map(compileCondition(parseCondition("not g = SS"), live))).toEqual([false, true, true, false, true]);
    expect(() => compileCondition(parseCondition('zz < 1'), live)).toThrow(/known column.*"zz"/);
  });

  test('resolves to per-code evidence weights: fractions of bins and whole integers', () => {
    const r = resolveCondition('genotype=SC and age_years<15 and voc>=3', [genotype, age, voc]);
    expect(Array.from(r.evidence.get(0)!)).toEqual([0, 1]);
    const a = r.evidence.get(1)!;
    expect(a[0]).toBe(1);
    expect(a[1]).toBeCloseTo(0.5, 12); // [10, 20) ∩ (-inf, 15)
    expect(a[2]).toBe(0);
    expect(a[3]).toBe(0); // missing never satisfies a comparison
    const v = r.evidence.get(2)!;
    expect(Array.from(v)).toEqual([0, expect.closeTo(2 / 3, 12), 1]); // {2,3,4}: 3 and 4 allowed
    expect(r.restrictions.get(1)).toMatchObject({ hi: 15, hiOpen: true });
    // Two comparisons on one column weigh a bin by the fraction of the intersection, once.
    const twice = resolveCondition('age_years>12 and age_years<15 and age_years is not null', [age]).evidence.get(0)!;
    expect(Array.from(twice)).toEqual([0, expect.closeTo(0.3, 12), 0, 0]);
  });

  test('a tilted or tail bin weighs the allowed part by its decoded mass, and says which part of its CDF it is', () => {
    // [10, 20) decodes with density ∝ 1 − 0.9(2u − 1): most of its mass below 15.
    const x: DiscreteColumnEncoder = { column: 'x', kind: 'continuous', output: 'float64', levels: 'bins', edges: [0, 10, 20, 30], integer: false, min: 0, max: 30, nullable: false, size: 3, source: 'schema', tilts: [0, -0.9, 0] };
    const r = resolveCondition('x>15', [x]);
    const F = (u: number, t: number) => t * u * u + (1 - t) * u;
    expect(r.evidence.get(0)![1]).toBeCloseTo(1 - F(0.5, -0.9), 12); // 0.275, not 0.5
    expect(Array.from(r.cellRanges.get(0)!)).toEqual([0, 0, expect.closeTo(F(0.5, -0.9), 12), 1, 0, 1]);
    // An outer bin 3× its neighbour's width decodes as an exponential tail: [30, 60) with scale 10.
    const y: DiscreteColumnEncoder = { column: 'y', kind: 'continuous', output: 'float64', levels: 'bins', edges: [20, 30, 60], integer: false, min: 20, max: 60, nullable: false, size: 2, source: 'schema' };
    const tail = resolveCondition('y<40', [y]).evidence.get(0)!;
    expect(tail[1]).toBeCloseTo(Math.expm1(-1) / Math.expm1(-3), 12); // 0.666, not 1/3
  });

  test('an unsatisfiable condition fails at once with a clear message', () => {
    expect(() => resolveCondition('genotype=XX', [genotype])).toThrow(/can never hold.*\["SS","SC"\]/);
    expect(() => resolveCondition('age_years<0', [age])).toThrow(/can never hold: column "age_years" has values in \[1, 80\]/);
    expect(() => resolveCondition('age_years>50 and age_years<40', [age])).toThrow(/can never hold/);
    expect(() => resolveCondition('nope=1', [age])).toThrow(/Expected a modelled column in --where but received "nope"/);
    expect(() => resolveCondition('genotype=SC or age_years<3', [genotype, age])).toThrow(/joined by "and"/);
  });
});

describe('constraints', () => {
  test('a condition that needs a column present takes the negation of its "null when" constraints', () => {
    const tcd: DiscreteColumnEncoder = { column: 'tcd', kind: 'continuous', output: 'float64', levels: 'bins', edges: [40, 200, 320], integer: false, min: 40, max: 320, nullable: true, size: 3, source: 'schema' };
    const treated: DiscreteColumnEncoder = { column: 'treated', kind: 'boolean', output: 'bool', levels: 'categories', categories: ['false', 'true'], integer: false, nullable: true, size: 3, source: 'schema' };
    const enc = [age, tcd, treated];
    const constraints = ['tcd is null when age_years < 2 or age_years >= 15', 'age_years is null when not treated'].map(parseConstraint);
    const r = withConstraintEvidence(resolveCondition('tcd > 200', enc), constraints, enc);
    // NOT (age < 2 or age >= 15) = age >= 2 and age < 15; a missing age satisfies the constraint's
    // negation (comparisons are false on missing), so the missing code stays.
    const a = r.evidence.get(0)!;
    expect(a[0]).toBeCloseTo(8 / 9, 12); // [1, 10) ∩ [2, 15)
    expect(a[1]).toBeCloseTo(0.5, 12); // [10, 20) ∩ [2, 15)
    expect(a[2]).toBe(0);
    expect(a[3]).toBe(1);
    expect(r.restrictions.get(0)).toMatchObject({ lo: 2, hi: 15, hiOpen: true });
    expect(r.evidence.has(2)).toBe(false); // age may be missing, so "age is null when not treated" does not apply
    // Asking for age present brings in "treated" (true, not missing), and the constraint chain stops there.
    const both = withConstraintEvidence(resolveCondition('tcd > 200 and age_years > 5', enc), constraints, enc);
    expect(Array.from(both.evidence.get(2)!)).toEqual([0, 1, 0]);
    expect(both.evidence.get(0)![3]).toBe(0);
    expect(() => withConstraintEvidence(resolveCondition('tcd > 200 and age_years > 16', enc), constraints, enc)).toThrow(/tcd is null when age_years < 2.*can never hold: column "age_years"/);
    // A condition that allows tcd missing adds nothing.
    expect(withConstraintEvidence(resolveCondition('age_years > 5', enc), constraints.slice(0, 1), enc).evidence.size).toBe(1);
  });

  test('parses the simulator schema forms and refuses unknown ones', () => {
    expect(parseConstraint('hbs_pct + hbf_pct + hba2_pct <= 100')).toMatchObject({ type: 'sum', columns: ['hbs_pct', 'hbf_pct', 'hba2_pct'], op: '<=', bound: 100 });
    expect(parseConstraint('stroke_age_years <= age_years')).toMatchObject({ type: 'compare-columns', left: 'stroke_age_years', right: 'age_years' });
    expect(parseConstraint('lic_mg_g is null when not chronic_transfusion')).toMatchObject({ type: 'null-when', column: 'lic_mg_g' });
    expect(() => parseConstraint('a * b = 3')).toThrow(/Expected a constraint of the form/);
    expect(applicableConstraints({ version: 1, columns: [], constraints: ['a <= b', 'c + d <= 1'] }, ['a', 'b'])).toHaveLength(1);
  });

  test('repairs rows so every constraint holds, changing only violating rows', () => {
    const a = Float64Array.of(60, 10, 5), b = Float64Array.of(60, 20, 1), c = Float64Array.of(1, 1, 1);
    const va = Uint8Array.of(1, 1, 1), vb = Uint8Array.of(1, 1, 1), vc = Uint8Array.of(1, 1, 1);
    const t = Float64Array.of(0, 1, 0), vt = Uint8Array.of(1, 1, 1);
    const cols = {
      numbers: new Map([['a', { values: a, valid: va, integer: false, min: 0 }], ['b', { values: b, valid: vb, integer: false, min: 0 }], ['c', { values: c, valid: vc, integer: false, min: 0 }]]),
      validity: new Map([['a', va], ['b', vb], ['c', vc], ['t', vt]]),
      conditionColumns: new Map([['a', { numbers: Float64Array.from(a) }], ['b', { numbers: Float64Array.from(b) }], ['c', { numbers: Float64Array.from(c) }], ['t', { numbers: t }]]),
    };
    const changed = repairRows(['a + b <= 100', 'a <= b', 'c is null when not t'].map(parseConstraint), cols, 3);
    expect(a[0] + b[0]).toBeCloseTo(100, 9);
    expect(a[0] / b[0]).toBeCloseTo(1, 12); // proportional scaling
    expect(a[2]).toBe(1); // lowered to b
    expect(Array.from(vc)).toEqual([0, 1, 0]);
    expect(changed.get('a + b <= 100')).toBe(1);
    expect(changed.get('a <= b')).toBe(1);
    expect(changed.get('c is null when not t')).toBe(2);
    expect(a[1]).toBe(10);
  });
});
