/**
 * MST's private selection of the 2-way marginals (McKenna, Miklau & Sheldon 2021, Alg. 1): a
 * maximum spanning tree built Kruskal-style, each edge chosen by the exponential mechanism
 * (McSherry & Talwar 2007) among the pairs not yet connected, with the score
 * ||M_ab(D) - N̂·p_a⊗p_b||_1 (sensitivity 1 under add/remove; p from the released 1-way
 * marginals). Explicitly non-private training picks the highest score (the exact maximum tree).
 */
import type { CryptoRandom } from '../../dp/noise';
import { UsageError } from '../../errors';

class DisjointSet {
  private readonly p: Int32Array;
  constructor(n: number) { this.p = Int32Array.from({ length: n }, (_, i) => i); }
  find(x: number): number { while (this.p[x] !== x) { this.p[x] = this.p[this.p[x]]; x = this.p[x]; } return x; }
  union(a: number, b: number): void { this.p[this.find(a)] = this.find(b); }
}

/**
 * Selects d-1 pairs forming a spanning tree. scores[k] is the score of the k-th pair in
 * lexicographic order (0,1), (0,2), ..., (1,2), ...
 * @example selectSpanningTree(4, scores, 0.1, rng) // [[0, 2], [1, 2], [2, 3]]
 */
export function selectSpanningTree(d: number, scores: Float64Array, epsilonEach: number | null, rng: CryptoRandom): Array<[number, number]> {
  const pairsA = new Int32Array(scores.length), pairsB = new Int32Array(scores.length);
  let k = 0;
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++, k++) { pairsA[k] = a; pairsB[k] = b; }
  const ds = new DisjointSet(d);
  const chosen: Array<[number, number]> = [];
  const alive = new Uint8Array(scores.length).fill(1);
  const weights = new Float64Array(scores.length);
  for (let round = 0; round < d - 1; round++) {
    let max = -Infinity, best = -1;
    for (let i = 0; i < scores.length; i++) {
      if (!alive[i]) continue;
      if (ds.find(pairsA[i]) === ds.find(pairsB[i])) { alive[i] = 0; continue; }
      if (scores[i] > max) { max = scores[i]; best = i; }
    }
    if (best < 0) break;
    let pick = best;
    if (epsilonEach !== null) {
      // Exponential mechanism: P(i) ∝ exp(ε·score_i / (2Δ)), Δ = 1; one uniform, inverse CDF.
      let sum = 0;
      for (let i = 0; i < scores.length; i++) {
        weights[i] = alive[i] ? Math.exp((epsilonEach / 2) * (scores[i] - max)) : 0;
        sum += weights[i];
      }
      let u = rng.uniform() * sum;
      pick = best;
      for (let i = 0; i < scores.length; i++) {
        if (!alive[i]) continue;
        u -= weights[i];
        if (u < 0) { pick = i; break; }
      }
    }
    chosen.push([pairsA[pick], pairsB[pick]]);
    ds.union(pairsA[pick], pairsB[pick]);
    alive[pick] = 0;
  }
  return chosen;
}

/** Options of {@link selectShallowTree}. */
export interface ShallowTreeOptions {
  /** Score subtracted per level of depth of the tree node an edge attaches to (counts). */
  depthPenalty: number;
  /** Most edges to select (default d - 1). */
  maxEdges?: number;
  /** Deepest level a node may have (root 0); default unlimited. */
  maxDepth?: number;
}

/**
 * A spanning tree grown Prim-style from the best pair, each edge chosen by the exponential
 * mechanism (as in {@link selectSpanningTree}, sensitivity 1) among the pairs (a in the tree,
 * b outside) with the score ||M_ab - N̂·p_a⊗p_b||_1 - depthPenalty · depth(a). The penalty
 * depends only on the edges already released, so each round is still an ε-DP selection.
 *
 * Why: a tree model passes dependence along paths, and each noisy edge loses part of it; with
 * many near-equal scores (240 omics columns sharing one missingness pattern in the SCD cohort)
 * Kruskal builds long random chains and the dependence between far ends is lost. Penalising
 * depth by the noise one more hop adds prefers shallow, star-like trees. Measured on the
 * 1,500-patient cohort with exact selection: ratio 9.2 (chain) vs 5.7 (star) at ε = 1.
 * Rounds with a single possible parent select nothing (see {@link shallowTreeSelections}).
 * @example selectShallowTree(4, scores, 0.1, rng, { depthPenalty: 50 })
 */
export function selectShallowTree(d: number, scores: Float64Array, epsilonEach: number | null, rng: CryptoRandom | null, opts: ShallowTreeOptions): Array<[number, number]> {
  const pairIndex = (a: number, b: number) => (a < b ? a * d - (a * (a + 1)) / 2 + (b - a - 1) : b * d - (b * (b + 1)) / 2 + (a - b - 1));
  const depth = new Int32Array(d).fill(-1);
  const chosen: Array<[number, number]> = [];
  const maxEdges = Math.min(d - 1, opts.maxEdges ?? d - 1);
  const inTree: number[] = [];
  const maxDepth = opts.maxDepth ?? Infinity;
  const cand = new Float64Array(d * d);
  const candA = new Int32Array(d * d), candB = new Int32Array(d * d);
  while (chosen.length < maxEdges) {
    // Candidates: (a, b) with a in the tree and b outside; before the first edge, every pair.
    let n = 0, max = -Infinity, best = -1;
    if (inTree.length === 0) {
      for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) { candA[n] = a; candB[n] = b; cand[n] = scores[pairIndex(a, b)]; n++; }
    } else {
      for (const a of inTree) for (let b = 0; b < d; b++) {
        if (depth[b] >= 0 || depth[a] >= maxDepth) continue;
        candA[n] = a; candB[n] = b; cand[n] = scores[pairIndex(a, b)] - opts.depthPenalty * depth[a]; n++;
      }
    }
    for (let i = 0; i < n; i++) if (cand[i] > max) { max = cand[i]; best = i; }
    if (best < 0) break;
    let pick = best;
    // One possible parent (e.g. the root of a star): every remaining node attaches to it, in
    // index order; nothing is selected, so nothing is read or spent.
    let forced = inTree.length > 0;
    for (let i = 1; i < n && forced; i++) if (candA[i] !== candA[0]) forced = false;
    if (forced) pick = 0;
    else if (epsilonEach !== null) {
      if (!rng) throw new UsageError('Expected a CryptoRandom for a private tree selection but received none');
      let sum = 0;
      for (let i = 0; i < n; i++) { cand[i] = Math.exp((epsilonEach / 2) * (cand[i] - max)); sum += cand[i]; }
      let u = rng.uniform() * sum;
      for (let i = 0; i < n; i++) { u -= cand[i]; if (u < 0) { pick = i; break; } }
    }
    const a = candA[pick], b = candB[pick];
    if (inTree.length === 0) { depth[a] = 0; depth[b] = 1; inTree.push(a, b); }
    else { depth[b] = depth[a] + 1; inTree.push(b); }
    chosen.push([Math.min(a, b), Math.max(a, b)]);
  }
  return chosen;
}

/**
 * How many exponential-mechanism selections {@link selectShallowTree} makes at most (what a
 * training must charge): one for a star (maxDepth 1), else one per edge.
 * @example shallowTreeSelections(280, { maxDepth: 1 }) // 1
 */
export function shallowTreeSelections(d: number, opts: { maxDepth?: number; maxEdges?: number }): number {
  const edges = Math.min(d - 1, opts.maxEdges ?? d - 1);
  if (edges <= 0) return 0;
  return opts.maxDepth === 1 ? 1 : edges;
}
