/**
 * Sampling a tree model, unconditionally or given evidence. Evidence (a weight in [0, 1] per code
 * of some columns, from a `--where` condition) is absorbed exactly by belief propagation
 * (Pearl 1988): upward messages m_c(x_p) = Σ_x P(x | x_p) e_c(x) Π_k m_k(x), then each table is
 * reweighted, P'(x | x_p) ∝ P(x | x_p) e_c(x) Π_k m_k(x), and the root's by the same product. The
 * reweighted tree is the exact conditional distribution; forward sampling it needs no rejection.
 * P(evidence) = Σ_x P(x_root) e(x) Π m(x); zero means the condition cannot hold.
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
  const msgIn: Float64Array[] = tree.sizes.map((s, j) => (evidence.get(j) ? Float64Array.from(evidence.get(j) as Float64Array) : new Float64Array(s).fill(1)));
  const tables = tree.tables.map((t) => Float64Array.from(t));
  let probability = 1;
  // Children before parents: the reverse of the topological order.
  for (let t = d - 1; t >= 0; t--) {
    const j = tree.order[t];
    const p = tree.parent[j];
    const s = tree.sizes[j];
    const phi = msgIn[j];
    const tab = tables[j];
    if (p < 0) {
      let z = 0;
      for (let x = 0; x < s; x++) { tab[x] *= phi[x]; z += tab[x]; }
      probability *= z;
      if (z > 0) for (let x = 0; x < s; x++) tab[x] /= z;
      continue;
    }
    const sp = tree.sizes[p];
    const up = msgIn[p];
    for (let xp = 0; xp < sp; xp++) {
      let z = 0;
      for (let x = 0; x < s; x++) { const v = tab[xp * s + x] * phi[x]; tab[xp * s + x] = v; z += v; }
      up[xp] *= z;
      if (z > 0) for (let x = 0; x < s; x++) tab[xp * s + x] /= z;
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
 * Forward-samples `rows` rows: codes per column. Native when the addon is loaded; the TypeScript
 * loop (the reference) gives identical codes for the same seed.
 * @example sampleTree(tree, 1000, 42)[0] // Int32Array of column 0's codes
 */
export function sampleTree(tree: TreeModel, rows: number, seed: number, opts: { threads?: number; engine?: 'native' | 'js' } = {}): Int32Array[] {
  const d = tree.sizes.length;
  const native = opts.engine === 'js' ? null : marginalNative();
  if (native) {
    const { cpt, offsets } = flattenTree(tree);
    const flat = native.marginalSampleTree(Int32Array.from(tree.order), Int32Array.from(tree.parent), Int32Array.from(tree.sizes), cpt, offsets, rows, seed, opts.threads ?? 0);
    return Array.from({ length: d }, (_, j) => flat.subarray(j * rows, (j + 1) * rows));
  }
  if (!Number.isInteger(rows) || rows < 0) throw new UsageError(`Expected a whole number of rows >= 0 but received ${rows}`);
  const out = Array.from({ length: d }, () => new Int32Array(rows));
  for (let r0 = 0, blk = 0; r0 < rows; r0 += SAMPLING_BLOCK_ROWS, blk++) {
    const rng = new SamplingRandom(seed, blk);
    const r1 = Math.min(rows, r0 + SAMPLING_BLOCK_ROWS);
    for (let i = r0; i < r1; i++) {
      for (let t = 0; t < d; t++) {
        const j = tree.order[t];
        const p = tree.parent[j];
        const s = tree.sizes[j];
        const tab = tree.tables[j];
        const base = p >= 0 ? out[p][i] * s : 0;
        const u = rng.next();
        let k = 0;
        let acc = tab[base];
        while (u >= acc && k < s - 1) acc += tab[base + ++k];
        out[j][i] = k;
      }
    }
  }
  return out;
}
