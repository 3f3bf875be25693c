/**
 * Fixed combinations (fixed-combinations.ts): `(a, b) in ((x1, y1), ...)` parsed, checked against
 * the schema, checked on tables, and repaired in synthetic rows with the fewest changes.
 */
import { tableFromArrays } from 'apache-arrow';
import { constraintViolationRows, parseConstraint, repairRows, schemaConstraintProblems, withConstraintEvidence, type RepairColumns } from '../../../src/models/constraints';
import { resolveCondition } from '../../../src/models/conditions';
import type { DiscreteColumnEncoder } from '../../../src/transform/discretiser';
import type { TableSchema } from '../../../src/data/schema';
import { SamplingRandom } from '../../../src/models/sampling-random';

const TEXT = "(country, city, vip) in ((FR, Paris, true), (FR, Lyon, false), (IT, 'Roma Capitale', true), (IT, Milan, false))";
const schema: TableSchema = {
  version: 1,
  columns: [
    { name: 'country', kind: 'categorical', categories: ['FR', 'IT'] },
    { name: 'city', kind: 'categorical', categories: ['Paris', 'Lyon', 'Roma Capitale', 'Milan'] },
    { name: 'vip', kind: 'boolean' },
    { name: 'n', kind: 'integer', min: 0, max: 5 },
    { name: 'x', kind: 'continuous' },
  ],
  constraints: [TEXT],
} as TableSchema;

describe('parsing', () => {
  test('columns and combinations, quoted values kept whole', () => {
    expect(parseConstraint(TEXT)).toEqual({ type: 'combinations', text: TEXT, columns: ['country', 'city', 'vip'], tuples: [['FR', 'Paris', 'true'], ['FR', 'Lyon', 'false'], ['IT', 'Roma Capitale', 'true'], ['IT', 'Milan', 'false']] });
    expect(parseConstraint(`(a, b) in (("it's", "say ""hi"""))`)).toMatchObject({ tuples: [["it's", 'say "hi"']] });
  });
  test.each([
    ['(a) in ((1))', 'a combination needs at least two columns'],
    ['(a, b) in ((1, 2), (3))', 'combination 2 has 1 value for 2 columns'],
    ['(a, b) in ((1, 2)) x', 'unexpected "x" after the combinations'],
    ['(a, b) in ()', 'no combinations are listed'],
    ['(a, b) on ((1, 2))', '"in" expected after the columns'],
    ["(a, 'b') in ((1, 2))", '"b" is not a column name'],
    ['(a, b) in ((1, 2)', 'the text ends where'],
  ])('%s is refused: %s', (text, why) => {
    expect(() => parseConstraint(text)).toThrow(`Expected a fixed-combinations constraint of the form "(a, b) in ((x1, y1), (x2, y2))" but received ${JSON.stringify(text)}: ${why}`);
  });
});

test('schema problems: kinds, values, repeated columns', () => {
  const problems = schemaConstraintProblems({ ...schema, constraints: [TEXT, '(country, n) in ((FR, 7))', '(country, n) in ((FR, 1.5))', '(country, x) in ((FR, 1))', '(country, city) in ((FR, Rome))', '(country, vip) in ((FR, maybe))', '(country, country) in ((FR, FR))', '(country, nope) in ((FR, 1))'] });
  expect(problems.map((p) => [p.index, p.problem])).toEqual([
    [1, 'combination 1 gives "n" the value "7"; it takes whole numbers in [0, 5]'],
    [2, 'combination 1 gives "n" the value "1.5"; it takes whole numbers in [0, 5]'],
    [3, 'column "x" of kind continuous'],
    [4, 'combination 1 gives "city" the value "Rome", not one of its categories ("Paris", "Lyon", "Roma Capitale", "Milan")'],
    [5, 'combination 1 gives "vip" the value "maybe"; a boolean takes true or false'],
    [6, '"country" appears more than once'],
    [7, expect.stringContaining('unknown column "nope"')],
  ]);
});

test('a table\u2019s rows are checked: a combination not listed breaks it, a row with a missing column does not', () => {
  const table = tableFromArrays({ country: ['FR', 'IT', 'FR', null], city: ['Paris', 'Paris', 'Lyon', 'Milan'], vip: [true, true, false, true] });
  const r = constraintViolationRows(table, schema);
  expect(r.counts.get(TEXT)).toBe(1);
  expect(r.rows).toEqual([{ row: 2, constraint: TEXT, values: { country: 'IT', city: 'Paris', vip: 1 } }]);
});

describe('repair', () => {
  const c = parseConstraint(TEXT);
  /** Rows as repair columns: labels for the categories, numbers for the boolean. */
  const columnsOf = (country: (string | null)[], city: (string | null)[], vip: Float64Array): RepairColumns => ({
    numbers: new Map([['vip', { values: vip, valid: Uint8Array.from(vip, (v) => (Number.isNaN(v) ? 0 : 1)), integer: true, min: 0, max: 1 }]]),
    validity: new Map(),
    conditionColumns: new Map<string, { labels?: (string | null)[]; numbers?: Float64Array }>([['country', { labels: country }], ['city', { labels: city }], ['vip', { numbers: vip }]]),
  });
  test('a row outside the list changes the fewest columns; listed rows and rows with a missing column are untouched', () => {
    const country = ['FR', 'IT', 'IT', 'FR', null], city = ['Paris', 'Paris', 'Milan', 'Lyon', 'Lyon'];
    const vip = Float64Array.of(1, 1, 1, 0, 0);
    const changed = repairRows([c], columnsOf(country, city, vip), 5);
    expect(changed.get(TEXT)).toBe(2);
    expect([country[0], city[0], vip[0]]).toEqual(['FR', 'Paris', 1]);
    // (IT, Paris, true) is one change from (FR, Paris, true) and from (IT, Roma Capitale, true).
    expect([['FR', 'Paris', 1], ['IT', 'Roma Capitale', 1]]).toContainEqual([country[1], city[1], vip[1]]);
    // (IT, Milan, true): one change, to vip = false or to Roma Capitale.
    expect([['IT', 'Milan', 0], ['IT', 'Roma Capitale', 1]]).toContainEqual([country[2], city[2], vip[2]]);
    expect([country[3], city[3], vip[3]]).toEqual(['FR', 'Lyon', 0]);
    expect([country[4], city[4], vip[4]]).toEqual([null, 'Lyon', 0]);
  });
  test('property: random rows all end listed', () => {
    const rng = new SamplingRandom(11, 1);
    const n = 4000;
    const pick = <T>(xs: T[]) => xs[Math.floor(rng.next() * xs.length)];
    // Every tenth row is random (mostly not listed); the others are listed.
    const country: string[] = [], city: string[] = [];
    const vip = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (i % 10 === 0) { country.push(pick(['FR', 'IT'])); city.push(pick(['Paris', 'Lyon', 'Roma Capitale', 'Milan'])); vip[i] = rng.next() < 0.5 ? 1 : 0; continue; }
      const t = i % 4 === 0 ? ['IT', 'Milan', 0] : ['FR', 'Paris', 1];
      country.push(t[0] as string); city.push(t[1] as string); vip[i] = t[2] as number;
    }
    // (IT, Paris, false): one change from (IT, Milan, false) [city] and none other at one change.
    country[1] = 'IT'; city[1] = 'Paris'; vip[1] = 0;
    repairRows([c], columnsOf(country, city, vip), n);
    const listed = new Set(c.type === 'combinations' ? c.tuples.map((t) => `${t[0]}|${t[1]}|${t[2] === 'true' ? 1 : 0}`) : []);
    for (let i = 0; i < n; i++) expect(listed.has(`${country[i]}|${city[i]}|${vip[i]}`)).toBe(true);
    expect([country[1], city[1], vip[1]]).toEqual(['IT', 'Milan', 0]);
  });
  test('ties are drawn by the batch\u2019s own frequencies', () => {
    // (IT, Paris, true) is one change from (FR, Paris, true) and (IT, Roma Capitale, true); the
    // batch holds 900 of the first and 100 of the second.
    const n = 3000;
    const country: string[] = [], city: string[] = [];
    const vip = new Float64Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      if (i < 2000) { country.push('IT'); city.push('Paris'); } else if (i < 2900) { country.push('FR'); city.push('Paris'); } else { country.push('IT'); city.push('Roma Capitale'); }
    }
    repairRows([c], columnsOf(country, city, vip), n);
    const toFrance = country.slice(0, 2000).filter((x) => x === 'FR').length / 2000;
    expect(toFrance).toBeGreaterThan(0.87); // expected 901/1002 ≈ 0.90
    expect(toFrance).toBeLessThan(0.93);
  });
});

describe('a --where condition on some of the columns restricts the others (withConstraintEvidence)', () => {
  const country = { column: 'country', kind: 'categorical', output: 'dictionary', levels: 'categories', categories: ['FR', 'IT'], integer: false, nullable: false, size: 2, source: 'schema' } as DiscreteColumnEncoder;
  const city = { column: 'city', kind: 'categorical', output: 'dictionary', levels: 'categories', categories: ['Paris', 'Lyon', 'Roma Capitale', 'Milan'], integer: false, nullable: false, size: 4, source: 'schema' } as DiscreteColumnEncoder;
  const vip = { column: 'vip', kind: 'boolean', output: 'bool', levels: 'categories', categories: ['false', 'true'], integer: false, nullable: true, size: 3, source: 'schema' } as DiscreteColumnEncoder;
  const encoders = [country, city, vip];
  const c = parseConstraint(TEXT);
  test('country = IT leaves the Italian cities; vip is free where it may be missing', () => {
    const r = withConstraintEvidence(resolveCondition('country = IT', encoders), [c], encoders);
    expect(Array.from(r.evidence.get(0)!)).toEqual([0, 1]);
    // vip may be missing (nullable), and a row with vip missing is not restricted: city stays free.
    expect(r.evidence.has(1)).toBe(false);
    const present = withConstraintEvidence(resolveCondition('country = IT and vip is not null', encoders), [c], encoders);
    expect(Array.from(present.evidence.get(1)!)).toEqual([0, 0, 1, 1]);
    // vip's present values follow the Italian combinations; its missing code keeps its weight (0 here).
    expect(Array.from(present.evidence.get(2)!)).toEqual([1, 1, 0]);
    const roma = withConstraintEvidence(resolveCondition("city = 'Roma Capitale' and vip is not null", encoders), [c], encoders);
    expect(Array.from(roma.evidence.get(0)!)).toEqual([0, 1]);
    expect(Array.from(roma.evidence.get(2)!)).toEqual([0, 1, 0]);
  });
  test('a condition no listed combination meets fails at once, naming both', () => {
    expect(() => withConstraintEvidence(resolveCondition('country = IT and city = Paris and vip is not null', encoders), [c], encoders))
      .toThrow(`Condition "country = IT and city = Paris and vip is not null" and the schema constraint ${JSON.stringify(TEXT)} cannot hold together: no listed combination meets the condition`);
  });
  test('vip = true leaves the combinations with vip; vip missing leaves every row free', () => {
    const r = withConstraintEvidence(resolveCondition('vip', encoders), [c], encoders);
    expect(Array.from(r.evidence.get(0)!)).toEqual([1, 1]);
    expect(Array.from(r.evidence.get(1)!)).toEqual([1, 0, 1, 0]);
    const missing = withConstraintEvidence(resolveCondition('vip is null', encoders), [c], encoders);
    expect([...missing.evidence.keys()]).toEqual([2]);
    expect(Array.from(missing.evidence.get(2)!)).toEqual([0, 0, 1]);
  });
});
