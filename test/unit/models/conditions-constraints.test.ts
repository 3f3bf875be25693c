import { parseCondition, resolveCondition, evaluateCondition, compileCondition, type ConditionColumns } from '../../../src/models/conditions';
import { parseConstraint, repairRows, applicableConstraints, withConstraintEvidence, constraintBoundsProblem, parseSchemaConstraints, schemaConstraintProblems, type Constraint, type RepairColumns } from '../../../src/models/constraints';
import type { TableSchema } from '../../../src/data/schema';
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

  test('"in (...)" and "!=" on an integer column: the codes of values that have one of their own', () => {
    // Counts 0–3 one code each, then 4–9 in one code, missing last.
    const n: DiscreteColumnEncoder = { column: 'n', kind: 'integer', output: 'int32', levels: 'bins', edges: [0, 1, 2, 3, 4, 10], integer: true, min: 0, max: 9, nullable: true, size: 6, source: 'schema' };
    expect(Array.from(resolveCondition('n in (1, 3)', [n]).evidence.get(0)!)).toEqual([0, 1, 0, 1, 0, 0]);
    expect(Array.from(resolveCondition('n != 0', [n]).evidence.get(0)!)).toEqual([0, 1, 1, 1, 1, 0]); // missing: no
    expect(Array.from(resolveCondition('n != 0 and n < 3', [n]).evidence.get(0)!)).toEqual([0, 1, 1, 0, 0, 0]);
    expect(resolveCondition('n in (1, 3)', [n]).restrictions.size).toBe(0);
    // Values outside the bounds never match; all of them: the condition cannot hold.
    expect(Array.from(resolveCondition('n in (2, 50)', [n]).evidence.get(0)!)).toEqual([0, 0, 1, 0, 0, 0]);
    expect(() => resolveCondition('n in (50, 60)', [n])).toThrow(/can never hold/);
    // A value sharing its code with others cannot be told apart from them.
    expect(() => resolveCondition('n in (1, 5)', [n])).toThrow(/received 5, which the model keeps with 4–9 in one code.*n >= 4 and n <= 9/);
    expect(() => resolveCondition('n != 7', [n])).toThrow(/"!=" on integer column "n"/);
    expect(() => resolveCondition('n in (1.5)', [n])).toThrow(/whole numbers for integer column "n"/);
    // A continuous column: a range instead.
    expect(() => resolveCondition('age_years in (3, 4)', [age])).toThrow(/continuous column "age_years".*age_years >= 3 and age_years <= 4/);
    expect(() => resolveCondition('age_years != 5', [age])).toThrow(/continuous column "age_years".*probability 0/);
    // Rows are checked the same way (condition-after-repair): numbers compared as numbers.
    const cols = new Map([['n', { numbers: Float64Array.of(1, 3, NaN, 0) }]]);
    expect([0, 1, 2, 3].map((i) => evaluateCondition(parseCondition('n in (1, 3.0)'), cols, i))).toEqual([true, true, false, false]);
    expect([0, 1, 2, 3].map((i) => compileCondition(parseCondition('n != 0'), cols)(i))).toEqual([true, true, false, false]);
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

/** A column of the repair tests: bounds, integer grid, nullability. */
interface Spec { name: string; min?: number; max?: number; integer?: boolean; nullable?: boolean }

/** Repair columns over the given values (NaN = missing), with copied condition views kept in step. */
function repairColumns(specs: readonly Spec[], values: Record<string, number[]>): RepairColumns & { arrays: Map<string, { values: Float64Array; valid: Uint8Array }> } {
  const arrays = new Map<string, { values: Float64Array; valid: Uint8Array }>();
  const cols: RepairColumns = { numbers: new Map(), validity: new Map(), conditionColumns: new Map() };
  for (const s of specs) {
    const v = values[s.name];
    const a = { values: Float64Array.from(v, (x) => (Number.isNaN(x) ? 0 : x)), valid: Uint8Array.from(v, (x) => (Number.isNaN(x) ? 0 : 1)) };
    arrays.set(s.name, a);
    cols.numbers.set(s.name, { ...a, integer: s.integer ?? false, min: s.min, max: s.max });
    cols.validity.set(s.name, a.valid);
    cols.conditionColumns.set(s.name, { numbers: Float64Array.from(v) });
  }
  return { ...cols, arrays };
}

/** Small deterministic PRNG (mulberry32) for the property tests. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const holdsExactly = (op: string, a: number, b: number) => (op === '<=' ? a <= b : op === '<' ? a < b : op === '>=' ? a >= b : a > b);

/** Every row of the columns satisfies every constraint exactly (sums in column order, as checkers add), within bounds and grids. */
function expectAllHold(constraints: readonly Constraint[], specs: readonly Spec[], cols: ReturnType<typeof repairColumns>, rows: number, label = ''): void {
  const bad: string[] = [];
  const get = (n: string, i: number) => { const a = cols.arrays.get(n)!; return a.valid[i] ? a.values[i] : NaN; };
  for (let i = 0; i < rows; i++) {
    for (const s of specs) {
      const v = get(s.name, i);
      if (Number.isNaN(v)) continue;
      if ((s.min !== undefined && v < s.min) || (s.max !== undefined && v > s.max) || (s.integer && !Number.isInteger(v))) bad.push(`${label} row ${i}: ${s.name}=${v} outside its bounds/grid`);
      if (cols.conditionColumns.get(s.name)!.numbers![i] !== v) bad.push(`${label} row ${i}: condition view of ${s.name} out of step`);
    }
    for (const c of constraints) {
      if (c.type === 'sum') {
        let sum = 0;
        for (const n of c.columns) { const v = get(n, i); if (!Number.isNaN(v)) sum += v; }
        if (!holdsExactly(c.op, sum, c.bound)) bad.push(`${label} row ${i}: ${c.text} with sum ${sum} (${c.columns.map((n) => `${n}=${get(n, i)}`).join(', ')})`);
      } else if (c.type === 'compare-columns') {
        const a = get(c.left, i), b = get(c.right, i);
        if (!Number.isNaN(a) && !Number.isNaN(b) && !holdsExactly(c.op, a, b)) bad.push(`${label} row ${i}: ${c.text} with ${a}, ${b}`);
      }
    }
  }
  expect(bad.slice(0, 5)).toEqual([]);
}

describe('constraint repair: exact, within bounds, every constraint together', () => {
  test('the audit case: "hb_g_dl + hbf_pct <= 10" with hb_g_dl >= 3 leaves no row above 10 (no clamp after scaling, no rounding overshoot)', () => {
    const specs: Spec[] = [{ name: 'hb_g_dl', min: 3, max: 17 }, { name: 'hbf_pct', min: 0, max: 50 }];
    const rnd = prng(7);
    const rows = 20000;
    const hb = Array.from({ length: rows }, () => 3 + 14 * rnd());
    const hbf = Array.from({ length: rows }, () => (rnd() < 0.5 ? 50 * rnd() : Math.round(500 * rnd()) / 10));
    // The audit's rows: hb at its minimum after scaling (3, 8.51 summed to 11.51 before).
    hb[0] = 3; hbf[0] = 8.51; hb[1] = 3.01; hbf[1] = 49.99; hb[2] = 17; hbf[2] = 50;
    const cols = repairColumns(specs, { hb_g_dl: hb, hbf_pct: hbf });
    const c = parseConstraint('hb_g_dl + hbf_pct <= 10');
    const changed = repairRows([c], cols, rows);
    expect(changed.get(c.text)).toBeGreaterThan(rows / 2);
    expectAllHold([c], specs, cols, rows);
    // Only the part above the lower bound moves: hb stays >= 3 and the row sums to 10 (or just below).
    const a = cols.arrays.get('hb_g_dl')!.values, b = cols.arrays.get('hbf_pct')!.values;
    expect(a[0]).toBe(3);
    expect(a[0] + b[0]).toBeLessThanOrEqual(10);
    expect(a[0] + b[0]).toBeGreaterThan(10 - 1e-12);
    expect(a[2]).toBeCloseTo(3 + 14 * (7 / 64), 12); // each term keeps 7/64 of its room above the bound (rooms 14 and 50, excess 57)
  });

  test('property: random sums (<=, <, >=, >), bounds, integer columns, missing terms: every repaired row satisfies its constraint exactly', () => {
    const rnd = prng(11);
    const ops = ['<=', '<', '>=', '>'];
    let feasible = 0;
    for (let trial = 0; trial < 400; trial++) {
      const k = 1 + Math.floor(rnd() * 4);
      const specs: Spec[] = Array.from({ length: k }, (_, j) => {
        const integer = rnd() < 0.4;
        const min = rnd() < 0.15 ? undefined : (integer ? Math.round : (x: number) => x)(-20 + 40 * rnd());
        const max = rnd() < 0.15 ? undefined : (min ?? -20) + (integer ? Math.round(60 * rnd()) : 60 * rnd());
        return { name: `c${j}`, min, max, integer, nullable: rnd() < 0.3 };
      });
      const op = ops[Math.floor(rnd() * 4)];
      const bound = rnd() < 0.5 ? Math.round(-30 + 130 * rnd()) : Math.round((-30 + 130 * rnd()) * 100) / 100;
      const c = parseConstraint(`${specs.map((s) => s.name).join(' + ')} ${op} ${bound}`);
      if (constraintBoundsProblem(c, (n) => { const s = specs.find((x) => x.name === n)!; return { integer: !!s.integer, min: s.min, max: s.max, nullable: !!s.nullable }; })) continue;
      feasible++;
      const rows = 40;
      const values: Record<string, number[]> = {};
      for (const s of specs) {
        const lo = s.min ?? -50, hi = s.max ?? 150;
        values[s.name] = Array.from({ length: rows }, () => {
          if (s.nullable && rnd() < 0.2) return NaN;
          const v = lo + (hi - lo) * rnd();
          return s.integer ? Math.min(Math.max(Math.round(v), Math.ceil(lo)), Math.floor(hi)) : v;
        });
      }
      const cols = repairColumns(specs, values);
      repairRows([c], cols, rows);
      expectAllHold([c], specs, cols, rows, `trial ${trial} (${c.text}; ${JSON.stringify(specs)})`);
    }
    expect(feasible).toBeGreaterThan(150);
  });

  test('the simulator\'s constraints together with a user sum and integer columns hold exactly on random rows', () => {
    const specs: Spec[] = [
      { name: 'hbs_pct', min: 0, max: 100 }, { name: 'hbf_pct', min: 0, max: 50 }, { name: 'hba2_pct', min: 0.5, max: 9 }, { name: 'hba_pct', min: 0, max: 100 },
      { name: 'hb_g_dl', min: 3, max: 17 }, { name: 'age_years', min: 1, max: 80 }, { name: 'stroke_age_years', min: 0, max: 80, integer: true },
      { name: 'followup_years', min: 0, max: 60 }, { name: 'stroke', min: 0, max: 1, integer: true },
    ];
    const constraints = ['hbs_pct + hbf_pct + hba2_pct + hba_pct <= 100', 'hb_g_dl + hbf_pct <= 10', 'stroke_age_years is null when not stroke', 'stroke_age_years <= age_years', 'followup_years <= age_years'].map(parseConstraint);
    const rnd = prng(5);
    const rows = 5000;
    const values: Record<string, number[]> = {};
    for (const s of specs) values[s.name] = Array.from({ length: rows }, () => { const v = s.min! + (s.max! - s.min!) * rnd(); return s.integer ? Math.round(v) : rnd() < 0.3 ? Math.round(v * 10) / 10 : v; });
    const cols = repairColumns(specs, values);
    repairRows(constraints, cols, rows);
    expectAllHold(constraints, specs, cols, rows);
    const st = cols.arrays.get('stroke')!, sa = cols.arrays.get('stroke_age_years')!;
    for (let i = 0; i < rows; i++) if (st.values[i] !== 1) expect(sa.valid[i]).toBe(0);
  });

  test('a repair that breaks an earlier one is undone on the next pass: a sum pushes x above y, y is raised to x\'s minimum', () => {
    const specs: Spec[] = [{ name: 'x', min: 5, max: 20 }, { name: 'y', min: 0, max: 20 }];
    const constraints = ['x <= y', 'x + y <= 10'].map(parseConstraint);
    // row 0: x <= y holds, the sum (14) does not; scaling toward the bounds gives x 5.56 > y 4.44
    const cols = repairColumns(specs, { x: [6, 12], y: [8, 2] });
    repairRows(constraints, cols, 2);
    expectAllHold(constraints, specs, cols, 2);
    expect(Array.from(cols.arrays.get('x')!.values)).toEqual([5, 5]);
    expect(Array.from(cols.arrays.get('y')!.values)).toEqual([5, 5]);
  });

  test('integer columns stay whole: a column below a continuous one is floored, a strict bound steps one past', () => {
    const specs: Spec[] = [{ name: 'n', min: 0, max: 100, integer: true }, { name: 'a', min: 0, max: 100 }, { name: 'm', min: 0, max: 10, integer: true }];
    const constraints = ['n <= a', 'n + m < 7'].map(parseConstraint);
    const cols = repairColumns(specs, { n: [40, 6, 3], a: [12.7, 50, 50], m: [0, 1, 9] });
    repairRows(constraints, cols, 3);
    expectAllHold(constraints, specs, cols, 3);
    // row 0: n floored to 12, then the sum moves to 7 and one step below; row 1: 6 + 1 = 7 steps n down;
    // row 2: 3 + 9 keeps 7/12 of each, floored (1.75, 5.25 -> 1, 5)
    expect(Array.from(cols.arrays.get('n')!.values)).toEqual([6, 5, 1]);
    expect(Array.from(cols.arrays.get('m')!.values)).toEqual([0, 1, 5]);
  });

  test('constraints that cannot hold are refused with a clear message, never answered with violating rows', () => {
    // bounds: 3 + 0 > 2
    const specs: Spec[] = [{ name: 'hb_g_dl', min: 3, max: 17 }, { name: 'hbf_pct', min: 0, max: 50 }];
    const c = parseConstraint('hb_g_dl + hbf_pct <= 2');
    expect(() => repairRows([c], repairColumns(specs, { hb_g_dl: [5], hbf_pct: [1] }), 1)).toThrow(/Expected column bounds that allow constraint "hb_g_dl \+ hbf_pct <= 2" but received a row where hb_g_dl=3, hbf_pct=0: every term is at its minimum/);
    // each possible alone, impossible together: the repairs undo each other until the pass limit
    const x: Spec[] = [{ name: 'x', min: 0, max: 10 }];
    expect(() => repairRows(['x >= 5', 'x <= 3'].map(parseConstraint), repairColumns(x, { x: [4] }), 1)).toThrow(/Expected schema constraints that can hold together but received row 1 .*"x >= 5".*still failed after 8 passes.*x=/);
    // a comparison whose bounds leave no room
    const lr: Spec[] = [{ name: 'l', min: 10, max: 20 }, { name: 'r', min: 0, max: 5 }];
    expect(() => repairRows([parseConstraint('l <= r')], repairColumns(lr, { l: [12], r: [3] }), 1)).toThrow(/Expected column bounds that allow constraint "l <= r"/);
  });
});

describe('schema constraints checked against the schema (parseSchemaConstraints)', () => {
  const schema = (constraints: string[]): TableSchema => ({
    version: 1,
    columns: [
      { name: 'hb_g_dl', kind: 'continuous', role: 'feature', min: 3, max: 17 },
      { name: 'hbf_pct', kind: 'continuous', role: 'feature', min: 0, max: 50 },
      { name: 'voc', kind: 'integer', role: 'feature', min: 0, max: 10, nullable: false },
      { name: 'genotype', kind: 'categorical', role: 'feature', categories: ['SS', 'SC'] },
      { name: 'stroke', kind: 'boolean', role: 'feature' },
    ],
    constraints,
  });

  test('a valid set parses; each wrong constraint is named by index and text with what is wrong', () => {
    expect(parseSchemaConstraints(schema(['hb_g_dl + hbf_pct <= 10', 'voc <= hbf_pct', 'hbf_pct is null when genotype = SC and not stroke']))).toHaveLength(3);
    const problems = schemaConstraintProblems(schema(['hb_g_dl + hbf_pct <= 10', 'hb_g_dl +* 3', 'b < 3', 'hb_g_dl + genotype <= 4', 'hb_g_dl + hbf_pct <= 2', 'voc is null when stroke', 'hbf_pct is null when genotype = XX', 'voc > 10', 'hbf_pct + hbf_pct <= 4']));
    expect(problems.map((p) => [p.index, p.text])).toEqual([[1, 'hb_g_dl +* 3'], [2, 'b < 3'], [3, 'hb_g_dl + genotype <= 4'], [4, 'hb_g_dl + hbf_pct <= 2'], [5, 'voc is null when stroke'], [6, 'hbf_pct is null when genotype = XX'], [7, 'voc > 10'], [8, 'hbf_pct + hbf_pct <= 4']]);
    expect(problems[0].problem).toMatch(/none of these forms/);
    expect(problems[1].problem).toMatch(/unknown column "b" \(the schema's columns: hb_g_dl, hbf_pct, voc, genotype, stroke\)/);
    expect(problems[2].problem).toMatch(/column "genotype" of kind categorical/);
    expect(problems[3].problem).toMatch(/minimums \(hb_g_dl min 3; hbf_pct min 0\) already make the sum 3, above 2/);
    expect(problems[4].problem).toMatch(/"voc" has "nullable": false/);
    expect(problems[5].problem).toMatch(/"XX" is not a category of "genotype"/);
    expect(problems[6].problem).toMatch(/maximum \(voc max 10\) allows a sum of at most 10, not above 10/);
    expect(problems[7].problem).toMatch(/"hbf_pct" appears more than once/);
    expect(() => parseSchemaConstraints(schema(['hb_g_dl <= 17', 'nosuch < 3']), 'cohort.schema.json')).toThrow(/^Expected a constraint on columns of the schema for file "cohort.schema.json", field "constraints\[1\]" but received "nosuch < 3": unknown column "nosuch"/);
    expect(() => parseSchemaConstraints(schema(['hb_g_dl + hbf_pct <= 2']), 's.json')).toThrow(/field "constraints\[0\]" but received "hb_g_dl \+ hbf_pct <= 2": the columns' minimums/);
  });
});
