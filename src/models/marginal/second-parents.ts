/**
 * Second parents for the tree model: 3-way cliques over a junction tree of treewidth 2.
 *
 * A tree (MST) keeps one dependency per column; clinical columns often depend on two (Hb on
 * genotype and hydroxyurea, TCD velocity on genotype and age). Each non-root node j with tree
 * parent p may take a second parent q adjacent to p (p's own parent, or a child of p earlier in
 * the order), so {j, p, q} is a triangle over an existing edge: the graph stays chordal, its
 * cliques (the families) form a junction tree, the model stays decomposable and both forward
 * sampling and exact conditioning (tree-sampler.ts) stay linear in the number of columns.
 *
 * Choice: with 1,500 rows a 3-way table of 17 × 17 × 5 cells has about one row per cell, so a
 * full conditional table overfits and the BIC penalty (Schwarz 1978) rejects every candidate.
 * The table is therefore shrunk towards the tree's P(j | p) (a Dirichlet prior of weight α per
 * (p, q) cell centred on P(j | p)), and a candidate is kept when that shrunk table predicts
 * held-out rows better than P(j | p) does: two-fold cross-validated log-likelihood gain
 * (Stone 1974), each fold's tables estimated on the other fold, α chosen among a few values by
 * the same criterion. The best candidate with a positive gain becomes the second parent.
 *
 * Scope: exact counts only (explicitly non-private training). At finite ε the 3-way tables of
 * this cohort (1,500 rows, ~280 columns) are dominated by noise, so DP training keeps the tree.
 */
import type { EncodedColumns } from './contingency';
import { measureMarginals } from './contingency';
import type { TreeModel } from './tree-estimation';

/** Options of {@link addSecondParents}. */
export interface SecondParentOptions {
  /** Prior weights α tried (default 2, 8, 32, 128). */
  pseudoCounts?: readonly number[];
  /** Largest 3-way table considered, in cells (default 8192). */
  maxCells?: number;
}

/** Every other row of coded columns, from row `first` (interleaved folds: the table may be sorted by site or date). */
function fold(enc: EncodedColumns, first: number): EncodedColumns {
  const rows = (enc.rows - first + 1) >> 1;
  return {
    codes: enc.codes.map((c) => {
      const out = new Int32Array(rows);
      for (let i = 0; i < rows; i++) out[i] = c[first + 2 * i];
      return out;
    }),
    sizes: enc.sizes,
    rows,
  };
}

/**
 * Held-out log-likelihood gain of P(j | p, q), shrunk with weight α towards P(j | p), over
 * P(j | p), both estimated from `train` counts and scored on `test` counts (sp × sq × sj tables).
 */
function heldOutGain(train: Float64Array, test: Float64Array, sp: number, sq: number, sj: number, alpha: number): number {
  let gain = 0;
  for (let a = 0; a < sp; a++) {
    const base = new Float64Array(sj);
    let na = 0;
    for (let b = 0; b < sq; b++) for (let x = 0; x < sj; x++) { base[x] += train[(a * sq + b) * sj + x]; na += train[(a * sq + b) * sj + x]; }
    // P(j | p = a) with a flat prior of one row (so held-out codes never get probability 0).
    for (let x = 0; x < sj; x++) base[x] = (base[x] + 1 / sj) / (na + 1);
    for (let b = 0; b < sq; b++) {
      const row = (a * sq + b) * sj;
      let nab = 0;
      for (let x = 0; x < sj; x++) nab += train[row + x];
      for (let x = 0; x < sj; x++) {
        const t = test[row + x];
        if (t > 0) gain += t * Math.log((train[row + x] + alpha * base[x]) / (nab + alpha) / base[x]);
      }
    }
  }
  return gain;
}

/**
 * The candidate second parents of every node: its parent's parent and its parent's children
 * that precede it in the order.
 * @example secondParentCandidates(tree)[5] // [2, 4]
 */
export function secondParentCandidates(tree: TreeModel): number[][] {
  const d = tree.sizes.length;
  const pos = new Int32Array(d);
  tree.order.forEach((j, t) => { pos[j] = t; });
  const children: number[][] = Array.from({ length: d }, () => []);
  for (const j of tree.order) if (tree.parent[j] >= 0) children[tree.parent[j]].push(j);
  return Array.from({ length: d }, (_, j) => {
    const p = tree.parent[j];
    if (p < 0) return [];
    const out: number[] = [];
    if (tree.parent[p] >= 0) out.push(tree.parent[p]);
    for (const c of children[p]) if (c !== j && pos[c] < pos[j]) out.push(c);
    return out;
  });
}

/**
 * Adds BIC-selected second parents to a tree fitted on exact counts (non-private training).
 * @example const model = addSecondParents(tree, encoded) // model.parent2[j] is -1 or a column
 */
export function addSecondParents(tree: TreeModel, enc: EncodedColumns, opts: SecondParentOptions = {}): TreeModel {
  const d = tree.sizes.length;
  const alphas = opts.pseudoCounts ?? [2, 8, 32, 128];
  const maxCells = opts.maxCells ?? 8192;
  const n = enc.rows;
  const candidates = secondParentCandidates(tree);
  const triples: Array<[number, number, number]> = [];
  candidates.forEach((qs, j) => {
    const p = tree.parent[j];
    for (const q of qs) if (tree.sizes[p] * tree.sizes[q] * tree.sizes[j] <= maxCells) triples.push([p, q, j]);
  });
  const parent2 = new Array<number>(d).fill(-1);
  const tables = tree.tables.map((t) => t);
  if (triples.length === 0 || n < 4) return { ...tree, parent2, tables };
  const foldA = measureMarginals(fold(enc, 0), triples);
  const foldB = measureMarginals(fold(enc, 1), triples);
  const best = new Map<number, { q: number; gain: number; k: number; alpha: number }>();
  triples.forEach(([p, q, j], k) => {
    const sp = tree.sizes[p], sq = tree.sizes[q], sj = tree.sizes[j];
    for (const alpha of alphas) {
      const gain = heldOutGain(foldA[k], foldB[k], sp, sq, sj, alpha) + heldOutGain(foldB[k], foldA[k], sp, sq, sj, alpha);
      const cur = best.get(j);
      if (gain > 0 && (!cur || gain > cur.gain)) best.set(j, { q, gain, k, alpha });
    }
  });
  for (const [j, { q, k, alpha }] of best) {
    const p = tree.parent[j];
    const sp = tree.sizes[p], sq = tree.sizes[q], sj = tree.sizes[j];
    const c = new Float64Array(sp * sq * sj);
    for (let i = 0; i < c.length; i++) c[i] = foldA[k][i] + foldB[k][i];
    const tp = tree.tables[j]; // P(j | p), sp × sj
    const cond = new Float64Array(sp * sq * sj);
    for (let r = 0; r < sp * sq; r++) {
      const a = Math.floor(r / sq);
      let nab = 0;
      for (let x = 0; x < sj; x++) nab += c[r * sj + x];
      for (let x = 0; x < sj; x++) cond[r * sj + x] = (c[r * sj + x] + alpha * tp[a * sj + x]) / (nab + alpha);
    }
    parent2[j] = q;
    tables[j] = cond;
  }
  return { ...tree, parent2, tables };
}
