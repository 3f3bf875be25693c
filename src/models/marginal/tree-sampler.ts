/**
 * Sampling a marginal model (a Bayesian network given as conditional tables: a tree, or a network
 * whose nodes have several parents), unconditionally or given evidence. Evidence (a weight in
 * [0, 1] per code of some columns, from a `--where` condition) is absorbed exactly by variable
 * elimination in reverse topological order (Koller & Friedman 2009, ch. 9): each node's table
 * times its evidence and the messages it received, F(x, u), is split into P'(x | u) = F / Z(u)
 * and a message Z(u) over the other columns u, all earlier in the order, kept by the latest of
 * them. The conditioned model is again a network, whose node x has parents u: forward sampling
 * it draws exactly from P(· | evidence), with no rejection. A node with no evidence below it
 * sends no message (its Z is 1), so only the ancestors of the evidence change. P(evidence) is the
 * product of the messages left at no column; zero means the condition cannot hold.
 * Columns with parent groups enter tables and messages through their groups, so a message over
 * several coarsened columns stays small.
 */
import { UsageError } from '../../errors';
import { marginalNative } from '../../native/marginal';
import { SAMPLING_BLOCK_ROWS, SamplingRandom } from '../sampling-random';
import { familyParents, parentLevelMaps, parentLevels, type TreeModel } from './tree-estimation';

/** Largest table a conditioned node may get: evidence on many descendants widens its parents. */
export const MAX_CONDITIONED_CELLS = 1 << 24;

/** A message over `scope` (columns before the receiving node, or the node itself), row-major. */
interface Message { scope: number[]; m: Float64Array }

/** Row-major strides of a scope, each column with `levels[c]` values. */
function stridesOf(scope: readonly number[], levels: readonly number[]): number[] {
  const out = new Array<number>(scope.length);
  for (let k = scope.length - 1, acc = 1; k >= 0; k--) { out[k] = acc; acc *= levels[scope[k]]; }
  return out;
}

/**
 * The model conditioned on evidence, and P(evidence) under the model.
 * @example conditionTree(tree, new Map([[2, Float64Array.of(0, 1, 0)]])).probability
 */
export function conditionTree(tree: TreeModel, evidence: ReadonlyMap<number, Float64Array>): { tree: TreeModel; probability: number } {
  const d = tree.sizes.length;
  const sizes = tree.sizes;
  const levels = sizes.map((_, c) => parentLevels(tree, c)); // a column's levels as a parent or in a message
  const levelOf = parentLevelMaps(tree);
  const incoming: Message[][] = Array.from({ length: d }, () => []);
  const pos = new Int32Array(d);
  tree.order.forEach((j, t) => { pos[j] = t; });
  const tables = tree.tables.map((t) => t);
  const parents = Array.from({ length: d }, (_, j) => familyParents(tree, j));
  let probability = 1;
  // Children before parents: the reverse of the topological order.
  for (let t = d - 1; t >= 0; t--) {
    const j = tree.order[t];
    const phi = evidence.get(j);
    const msgs = incoming[j];
    if (!phi && msgs.length === 0) continue; // nothing below or at j: its table and Z = 1 stand
    const ps = parents[j];
    // The conditioned node's parents: its own, then the messages' other columns.
    const scope = [...ps];
    for (const { scope: ms } of msgs) for (const c of ms) {
      if (c === j) continue;
      if (!(pos[c] < pos[j])) throw new UsageError(`Expected a message over columns before node ${j} but received one over column ${c}`);
      if (!scope.includes(c)) scope.push(c);
    }
    const s = sizes[j];
    const rows = scope.reduce((r, c) => r * levels[c], 1);
    if (rows * s > MAX_CONDITIONED_CELLS) throw new UsageError(`Condition too complex for exact conditioning: column ${j} would need a table of ${rows * s} cells (at most ${MAX_CONDITIONED_CELLS}); condition on fewer or less dependent columns`);
    const own = tables[j];
    const ownStride = stridesOf(ps, levels).map((st) => st * s); // a parent's stride in the node's table
    // Per message: each scope column's place in this node's scope (-1: the node itself) and stride.
    const ms = msgs.map(({ scope: sc, m }) => {
      const place = sc.map((c) => (c === j ? -1 : scope.indexOf(c)));
      const st = stridesOf(sc, levels);
      const self = place.indexOf(-1);
      return { place, st, m, xStride: self >= 0 ? st[self] : 0 };
    });
    const jLevel = levelOf[j];
    const codes = new Int32Array(scope.length);
    const offs = new Int32Array(ms.length);
    const tab = new Float64Array(rows * s);
    const z = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let k = scope.length - 1, rr = r; k >= 0; k--) { codes[k] = rr % levels[scope[k]]; rr = Math.floor(rr / levels[scope[k]]); }
      let ownRow = 0;
      for (let k = 0; k < ps.length; k++) ownRow += codes[k] * ownStride[k];
      for (let k = 0; k < ms.length; k++) {
        const { place, st } = ms[k];
        let o = 0;
        for (let i = 0; i < place.length; i++) if (place[i] >= 0) o += codes[place[i]] * st[i];
        offs[k] = o;
      }
      let zr = 0;
      for (let x = 0; x < s; x++) {
        let v = own[ownRow + x] * (phi ? phi[x] : 1);
        // In a message, node j itself is at its parent level.
        for (let k = 0; k < ms.length; k++) v *= ms[k].m[offs[k] + jLevel[x] * ms[k].xStride];
        tab[r * s + x] = v;
        zr += v;
      }
      z[r] = zr;
      if (zr > 0) for (let x = 0; x < s; x++) tab[r * s + x] /= zr;
      // A parent configuration of probability 0 keeps the unconditioned row (never drawn).
      else for (let x = 0; x < s; x++) tab[r * s + x] = own[ownRow + x];
    }
    tables[j] = tab;
    parents[j] = scope;
    if (scope.length === 0) probability *= z[0];
    else {
      const latest = scope.reduce((a, b) => (pos[b] > pos[a] ? b : a));
      // Z over the scope's levels; the receiver sums it back over its own codes by level.
      incoming[latest].push({ scope, m: z });
    }
  }
  const parent = parents.map((ps) => (ps.length > 0 ? ps[0] : -1));
  const extraParents = parents.map((ps) => ps.slice(1));
  return { tree: { ...tree, parent, extraParents, tables }, probability };
}

/** Flattens the tree's tables for the native sampler. */
export function flattenTree(tree: TreeModel): { cpt: Float64Array; offsets: Int32Array } {
  const offsets = new Int32Array(tree.sizes.length);
  let total = 0;
  tree.tables.forEach((t, j) => { offsets[j] = total; total += t.length; });
  const cpt = new Float64Array(total);
  tree.tables.forEach((t, j) => cpt.set(t, offsets[j]));
  return { cpt, offsets };
}

/**
 * Forward-samples `rows` rows: codes per column, with Latin hypercube draws per node and block
 * (every row an exact model draw; the sample's marginals closer to the model's than with
 * independent draws). Native when the addon is loaded; the TypeScript
 * loop (the reference) gives identical codes for the same seed.
 * @example sampleTree(tree, 1000, 42)[0] // Int32Array of column 0's codes
 */
export function sampleTree(tree: TreeModel, rows: number, seed: number, opts: { threads?: number; engine?: 'native' | 'js' } = {}): Int32Array[] {
  const d = tree.sizes.length;
  const native = opts.engine === 'js' ? null : marginalNative();
  if (native) {
    const { cpt, offsets } = flattenTree(tree);
    const parentStart = new Int32Array(d + 1);
    const lists = tree.sizes.map((_, j) => familyParents(tree, j));
    lists.forEach((ps, j) => { parentStart[j + 1] = parentStart[j] + ps.length; });
    const maps = parentLevelMaps(tree);
    const levelMap = new Int32Array(tree.sizes.reduce((a, b) => a + b, 0));
    maps.reduce((at, m) => { levelMap.set(m, at); return at + m.length; }, 0);
    const levels = Int32Array.from(tree.sizes, (_, c) => parentLevels(tree, c));
    return native.marginalSampleTree(Int32Array.from(tree.order), parentStart, Int32Array.from(lists.flat()), Int32Array.from(tree.sizes), levelMap, levels, cpt, offsets, rows, seed, opts.threads ?? 0);
  }
  if (!Number.isInteger(rows) || rows < 0) throw new UsageError(`Expected a whole number of rows >= 0 but received ${rows}`);
  const out = Array.from({ length: d }, () => new Int32Array(rows));
  // Integer thresholds ceil(cumulative · 2^32): a 32-bit draw x picks code k when it is below
  // the k-th threshold (exactly u = x / 2^32 < cumulative, as native/marginal/tree_sampler.cpp).
  const thresholds = tree.tables.map((tab, j) => {
    const s = tree.sizes[j];
    const t = new Float64Array(tab.length);
    for (let r = 0; r < tab.length; r += s) {
      let acc = 0;
      for (let k = 0; k < s; k++) {
        acc = k === 0 ? tab[r] : acc + tab[r + k];
        const c = Math.ceil(acc * 4294967296);
        t[r + k] = !(c >= 0) ? 0 : Math.min(c, 4294967296);
      }
    }
    return t;
  });
  const levelMaps = parentLevelMaps(tree);
  const levelCounts = tree.sizes.map((_, c) => parentLevels(tree, c));
  const strata = new Float64Array(SAMPLING_BLOCK_ROWS);
  for (let r0 = 0, blk = 0; r0 < rows; r0 += SAMPLING_BLOCK_ROWS, blk++) {
    const rng = new SamplingRandom(seed, blk);
    const r1 = Math.min(rows, r0 + SAMPLING_BLOCK_ROWS);
    const n = r1 - r0;
    for (let t = 0; t < d; t++) {
      // Latin hypercube draws, as the native sampler: one 32-bit draw in each of n strata
      // (floor((i·2^32 + r) / n), exact in doubles below 2^53), permuted by Fisher–Yates.
      for (let i = 0; i < n; i++) strata[i] = Math.floor((i * 4294967296 + rng.nextUint32()) / n);
      for (let i = n - 1; i >= 1; i--) {
        const k = Math.floor((rng.nextUint32() * (i + 1)) / 4294967296);
        const tmp = strata[i]; strata[i] = strata[k]; strata[k] = tmp;
      }
      const j = tree.order[t];
      const ps = familyParents(tree, j);
      const s = tree.sizes[j];
      const th = thresholds[j];
      const dst = out[j];
      const pcs = ps.map((q) => out[q]);
      const plv = ps.map((q) => levelMaps[q]);
      const psz = ps.map((q) => levelCounts[q]);
      for (let i = r0; i < r1; i++) {
        let row = 0;
        for (let k = 0; k < pcs.length; k++) row = row * psz[k] + plv[k][pcs[k][i]];
        const base = row * s;
        const x = strata[i - r0];
        let k = 0;
        while (k < s - 1 && x >= th[base + k]) k++;
        dst[i] = k;
      }
    }
  }
  return out;
}
