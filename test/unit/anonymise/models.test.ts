import { anonymiseTable, buildDateHierarchy, buildIntervalHierarchy, buildMaskHierarchy, fromColumns, validatePolicy, riskFromClassSizes } from '../../../src/anonymise';

// 60 records: age 20..79, sex alternating, diagnosis correlated with age decade.
const n = 60;
const age = Array.from({ length: n }, (_, i) => String(20 + i));
const sex = Array.from({ length: n }, (_, i) => (i % 2 ? 'M' : 'F'));
const dx = Array.from({ length: n }, (_, i) => ['flu', 'cold', 'asthma', 'copd', 'diabetes', 'hiv'][Math.floor(i / 10) % 6 === 5 ? 5 : (i % 3) + Math.floor(i / 20)]);
const table = fromColumns({ age, sex, dx });
const columns = { age: { role: 'quasi', hierarchy: { type: 'interval', widths: [5, 10, 20] } }, sex: { role: 'quasi', hierarchy: { type: 'mask' } }, dx: { role: 'sensitive' } };

function classesOf(out: { values: Record<string, string[]>; rowCount: number }) {
  const m = new Map<string, string[]>();
  for (let i = 0; i < out.rowCount; i++) {
    if (out.values.age[i] === '*' && out.values.sex[i] === '*') continue;
    const k = `${out.values.age[i]}|${out.values.sex[i]}`;
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(out.values.dx[i]);
  }
  return [...m.values()];
}

test.each([
  ['distinct-l-diversity', { type: 'distinct-l-diversity', column: 'dx', l: 3 }, (v: string[]) => new Set(v).size >= 3],
  ['entropy-l-diversity', { type: 'entropy-l-diversity', column: 'dx', l: 2.5 }, (v: string[]) => {
    const c = new Map<string, number>(); v.forEach((x) => c.set(x, (c.get(x) ?? 0) + 1));
    let h = 0; for (const x of c.values()) h -= (x / v.length) * Math.log2(x / v.length);
    return h >= Math.log2(2.5) - 1e-12;
  }],
  ['recursive-cl-diversity', { type: 'recursive-cl-diversity', column: 'dx', c: 2, l: 2 }, (v: string[]) => {
    const c = new Map<string, number>(); v.forEach((x) => c.set(x, (c.get(x) ?? 0) + 1));
    const r = [...c.values()].sort((a, b) => b - a);
    return r.length >= 2 && r[0] < 2 * r.slice(1).reduce((a, b) => a + b, 0);
  }],
  ['t-closeness equal', { type: 't-closeness', column: 'dx', t: 0.3, distance: 'equal' }, (v: string[]) => {
    const g = new Map<string, number>(); dx.forEach((x) => g.set(x, (g.get(x) ?? 0) + 1 / n));
    const c = new Map<string, number>(); v.forEach((x) => c.set(x, (c.get(x) ?? 0) + 1 / v.length));
    let d = 0; for (const k of g.keys()) d += Math.abs((c.get(k) ?? 0) - g.get(k)!);
    return d / 2 <= 0.3 + 1e-9;
  }],
])('%s holds in every released class', (_name, model, holds) => {
  const policy = validatePolicy({ columns, models: [{ type: 'k-anonymity', k: 2 }, model], suppressionLimit: 0.1 });
  const { table: out, report } = anonymiseTable(table, policy);
  const classes = classesOf(out);
  expect(classes.length).toBe(report.equivalenceClasses);
  for (const v of classes) { expect(v.length).toBeGreaterThanOrEqual(2); expect(holds(v)).toBe(true); }
  expect(report.suppressedRecords).toBeLessThanOrEqual(6);
});

test('ordered and hierarchical t-closeness and risk thresholds are met', () => {
  const ordered = validatePolicy({ columns: { ...columns, dx: { role: 'sensitive' } }, models: [{ type: 't-closeness', column: 'dx', t: 0.2, distance: 'ordered' }] });
  expect(anonymiseTable(table, ordered).report.suppressedRecords).toBe(0);
  const hier = validatePolicy({ columns: { ...columns, dx: { role: 'sensitive', hierarchy: { type: 'table', rows: [['flu', 'infection', '*'], ['cold', 'infection', '*'], ['hiv', 'infection', '*'], ['asthma', 'chronic', '*'], ['copd', 'chronic', '*'], ['diabetes', 'chronic', '*']] } } }, models: [{ type: 't-closeness', column: 'dx', t: 0.15, distance: 'hierarchical' }] });
  expect(anonymiseTable(table, hier).report.suppressedRecords).toBe(0);
  const risk = validatePolicy({ columns, models: [{ type: 'average-risk', threshold: 0.1 }, { type: 'sample-uniqueness', threshold: 0 }] });
  const { report } = anonymiseTable(table, risk);
  expect(report.risk.after.averageProsecutor).toBeLessThanOrEqual(0.1);
  expect(report.risk.after.sampleUniqueness).toBe(0);
});

test('utility metrics other than entropy give optimal nodes that satisfy the model', () => {
  for (const metric of ['loss', 'discernibility', 'average-class-size']) {
    const { report } = anonymiseTable(table, validatePolicy({ columns, models: [{ type: 'k-anonymity', k: 4 }], metric, suppressionLimit: 0.05 }));
    expect(report.loss.metric).toBe(metric);
    expect(Number.isFinite(report.loss.value)).toBe(true);
    expect(report.risk.after.highestProsecutor).toBeLessThanOrEqual(0.25);
  }
});

test('hierarchy builders', () => {
  const iv = buildIntervalHierarchy(['17', '39', '90'], { widths: [5, 10] });
  expect(iv.labels.find((r) => r[0] === '39')).toEqual(['39', '[37, 42)', '[37, 47)', '*']);
  expect(buildDateHierarchy(['2021-03-04']).labels[0]).toEqual(['2021-03-04', '2021-03', '2021', '*']);
  expect(buildMaskHierarchy(['75012'], { step: 2 }).labels[0]).toEqual(['75012', '750**', '7****', '*']);
  expect(() => buildIntervalHierarchy(['x'], { widths: [5] }, 'age')).toThrow(/column "age" but received "x"/);
});

test('risk figures from class sizes', () => {
  const r = riskFromClassSizes([1, 1, 2, 4], { samplingFraction: 1, recordRiskThreshold: 0.2 });
  expect(r.averageProsecutor).toBeCloseTo(4 / 8, 12);
  expect(r.highestProsecutor).toBe(1);
  expect(r.sampleUniqueness).toBeCloseTo(2 / 8, 12);
  expect(r.recordsAtRisk).toBeCloseTo(8 / 8, 12);
  expect(r.populationUniqueness).toBeCloseTo(2 / 8, 12); // f = 1: population = sample
});
