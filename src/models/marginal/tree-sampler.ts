/**
 * Sampling a tree model (or its treewidth-2 extension where a node has a second parent adjacent
 * to its first), unconditionally or given evidence. Evidence (a weight in [0, 1] per code of some
 * columns, from a `--where` condition) is absorbed exactly by backward variable elimination
 * (Pearl 1988; Koller & Friedman 2009, ch. 9): in reverse topological order each node's table is
 * reweighted, P'(x | pa) ∝ P(x | pa) e(x) Π m(x, ·), and its normaliser Z(pa) is passed up as a
 * message over its parents (over a parent pair it is kept by the later of the two, whose family
 * holds the pair). The reweighted tables are the exact conditional distribution; forward
 * sampling it needs no rejection. P(evidence) is the product of the roots' normalisers; zero
 * means the condition cannot hold.
 */
import { UsageError } from '../../errors';
import { marginalNative } from '../../native/marginal';
import { SAMPLING_BLOCK_ROWS, SamplingRandom } from '../sampling-random';
import type { TreeModel } from './tree-estimation';

/**
 * The tree conditioned on evidence, and P(evidence) under the model.
 * @example conditionTree(tree, new Map([[2, Float64Array.of(0, 1, 0)]])).probability
 */
export function conditionTree(tree: TreeModel, evidence: ReadonlyMap<number, Float64Array>): { tree: TreeModel; probability: number } {
  const d = tree.sizes.length;
  const parent2 = tree.parent2 ?? new Array<number>(d).fill(-1);
  const unary: Float64Array[] = tree.sizes.map((s, j) => (evidence.get(j) ? Float64Array.from(evidence.get(j) as Float64Array) : new Float64Array(s).fill(1)));
  // Messages over a (node, other) pair, kept at the later node of the pair; `other` is one of its
  // parents (a second parent is always adjacent to the first), so the pair lies in its family.
  const pairIn: Array<Array<{ other: number; m: Float64Array }>> = Array.from({ length: d }, () => []);
  const pos = new Int32Array(d);
  tree.order.forEach((j, t) => { pos[j] = t; });
  const tables = tree.tables.map((t) => Float64Array.from(t));
  let probability = 1;
  // Children before parents: the reverse of the topological order.
  for (let t = d - 1; t >= 0; t--) {
    const j = tree.order[t];
    const p = tree.parent[j], q = parent2[j];
    const s = tree.sizes[j];
    const sp = p >= 0 ? tree.sizes[p] : 1, sq = q >= 0 ? tree.sizes[q] : 1;
    const phi = unary[j];
    const tab = tables[j];
    const msgs = pairIn[j];
    for (const msg of msgs) if (msg.other !== p && msg.other !== q) throw new UsageError(`Expected a message over a node's family but node ${j} received one over column ${msg.other}`);
    const z = new Float64Array(sp * sq);
    for (let xp = 0; xp < sp; xp++) {
      for (let xq = 0; xq < sq; xq++) {
        const row = (xp * sq + xq) * s;
        let zr = 0;
        for (let x = 0; x < s; x++) {
          let v = tab[row + x] * phi[x];
          for (const msg of msgs) v *= msg.m[x * tree.sizes[msg.other] + (msg.other === p ? xp : xq)];
          tab[row + x] = v;
          zr += v;
        }
        z[xp * sq + xq] = zr;
        if (zr > 0) for (let x = 0; x < s; x++) tab[row + x] /= zr;
      }
    }
    if (p < 0) probability *= z[0];
    else if (q < 0) for (let xp = 0; xp < sp; xp++) unary[p][xp] *= z[xp];
    else if (pos[p] > pos[q]) pairIn[p].push({ other: q, m: z });
    else {
      const m = new Float64Array(sp * sq);
      for (let xp = 0; xp < sp; xp++) for (let xq = 0; xq < sq; xq++) m[xq * sp + xp] = z[xp * sq + xq];
      pairIn[q].push({ other: p, m });
    }
  }
  return { tree: { ...tree, tables }, probability };
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
    const parent2 = tree.parent2 ? Int32Array.from(tree.parent2) : new Int32Array(d).fill(-1);
    const flat = native.marginalSampleTree(Int32Array.from(tree.order), Int32Array.from(tree.parent), parent2, Int32Array.from(tree.sizes), cpt, offsets, rows, seed, opts.threads ?? 0);
    return Array.from({ length: d }, (_, j) => flat.subarray(j * rows, (j + 1) * rows));
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
      const p = tree.parent[j], q = tree.parent2 ? tree.parent2[j] : -1;
      const s = tree.sizes[j];
      const sq = q >= 0 ? tree.sizes[q] : 1;
      const th = thresholds[j];
      const dst = out[j];
      const pc = p >= 0 ? out[p] : null;
      const qc = q >= 0 ? out[q] : null;
      for (let i = r0; i < r1; i++) {
        const base = pc ? (pc[i] * sq + (qc ? qc[i] : 0)) * s : 0;
        const x = strata[i - r0];
        let k = 0;
        while (k < s - 1 && x >= th[base + k]) k++;
        dst[i] = k;
      }
    }
  }
  return out;
}
