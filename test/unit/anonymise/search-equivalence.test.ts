// The lattice search (roll-up of class lists, chain bisection, predictive tagging) must give
// exactly the optimum of an exhaustive scan of the record-level check (anonAssign) over every
// node: same levels for the exact metric (ties broken by loss, generalisation steps, index), the
// same least loss for the others, and the same evaluation of the chosen node.
import { loadAddon } from '../../../src/native/addon';
import type { NativePrivacyModel, NativeSearchSpec } from '../../../src/native/anon';

// Deterministic test data (mulberry32); not a privacy mechanism.
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Binary-tree hierarchy over `card` codes: level l maps code v to v >> l, up to a single root.
function hierarchy(card: number): { gen: Int32Array; card: number; height: number } {
  let height = 1;
  while (card - 1 >> (height - 1) > 0) height++;
  const gen = new Int32Array(height * card);
  for (let l = 0; l < height; l++) for (let v = 0; v < card; v++) gen[l * card + v] = v >> l;
  return { gen, card, height };
}

function problem(seed: number, rows: number, cards: number[]): NativeSearchSpec {
  const rnd = mulberry32(seed);
  const q = cards.length;
  // Skewed values so that some classes are large and many are small.
  const columns = new Int32Array(rows * q);
  for (let j = 0; j < q; j++) for (let i = 0; i < rows; i++) columns[j * rows + i] = Math.floor(cards[j] * rnd() ** 2);
  const g = loadAddon().anonGroupRows(columns, rows, q);
  return {
    codes: g.codes, width: q, counts: g.counts, qiColumns: Int32Array.from(cards.map((_, j) => j)),
    qis: cards.map(hierarchy), sensitive: [], patientColumn: -1, models: [], suppressionLimit: 0, metric: 0,
  };
}

// Exhaustive reference: every node checked record by record, in the search's visiting order.
function exhaustive(spec: NativeSearchSpec) {
  const addon = loadAddon();
  const heights = spec.qis.map((x) => x.height);
  const total = heights.reduce((a, b) => a * b, 1);
  let best: { idx: number; loss: number; steps: number; levels: Int32Array } | null = null;
  for (let idx = 0; idx < total; idx++) {
    const levels = new Int32Array(heights.length);
    let rest = idx, steps = 0;
    heights.forEach((h, j) => { levels[j] = rest % h; rest = Math.floor(rest / h); steps += levels[j]; });
    const ev = addon.anonAssign(spec, levels).evaluation;
    if (!ev.satisfied) continue;
    const better = best === null || ev.loss < best.loss || (spec.metric === 0 && ev.loss === best.loss && (steps < best.steps || (steps === best.steps && idx < best.idx)));
    if (better) best = { idx, loss: ev.loss, steps, levels };
  }
  return best;
}

const K = (k: number): NativePrivacyModel => ({ kind: 0, a: k, b: 0, sensitive: -1 });
const cases: [string, number, number[], NativePrivacyModel[], number, number][] = [
  ['k=2, no suppression, entropy', 11, [6, 5, 8, 3], [K(2)], 0, 0],
  ['k=3, 5% suppression, entropy', 12, [7, 4, 6, 4], [K(3)], 0.05, 0],
  ['k=5, 2% suppression, entropy', 13, [9, 3, 5, 6], [K(5)], 0.02, 0],
  ['highest risk 0.25 with 3% suppression, entropy', 14, [6, 6, 4, 5], [{ kind: 8, a: 0.25, b: 0, sensitive: -1 }], 0.03, 0],
  ['k=2 and average risk 0.2, entropy', 15, [8, 4, 4, 4], [K(2), { kind: 7, a: 0.2, b: 0, sensitive: -1 }], 0, 0],
  ['k=3, 4% suppression, loss', 16, [7, 5, 6, 3], [K(3)], 0.04, 1],
  ['k=3, 4% suppression, discernibility', 17, [7, 5, 6, 3], [K(3)], 0.04, 2],
  ['k=3, 4% suppression, average class size', 18, [7, 5, 6, 3], [K(3)], 0.04, 3],
];

test.each(cases)('%s', (_name, seed, cards, models, suppressionLimit, metric) => {
  const spec = { ...problem(seed, 400, cards), models, suppressionLimit, metric };
  const ref = exhaustive(spec);
  const found = loadAddon().anonSearch(spec);
  expect(ref).not.toBeNull();
  expect(found.found).toBe(true);
  expect(found.evaluation.satisfied).toBe(true);
  // Bit-identical loss: the search sums in the record-level check's order.
  expect(found.evaluation.loss).toBe(ref!.loss);
  if (metric === 0) expect(Array.from(found.levels)).toEqual(Array.from(ref!.levels));
  // The reported evaluation is the record-level check of the chosen node.
  expect(found.evaluation).toEqual(loadAddon().anonAssign(spec, found.levels).evaluation);
  expect(found.checks).toBeLessThanOrEqual(found.latticeSize);
});

test('an unsatisfiable model reports the top of the lattice', () => {
  const spec = { ...problem(19, 200, [5, 4, 3]), models: [K(500)], suppressionLimit: 0 };
  const found = loadAddon().anonSearch(spec);
  expect(found.found).toBe(false);
  expect(Array.from(found.levels)).toEqual(spec.qis.map((x) => x.height - 1));
  expect(found.evaluation.suppressed).toBe(200);
});
