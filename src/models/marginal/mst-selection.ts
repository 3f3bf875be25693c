/**
 * MST's private selection of the 2-way marginals (McKenna, Miklau & Sheldon 2021, Alg. 1): a
 * maximum spanning tree built Kruskal-style, each edge chosen by the exponential mechanism
 * (McSherry & Talwar 2007) among the pairs not yet connected, with the score
 * ||M_ab(D) - N̂·p_a⊗p_b||_1 (sensitivity 1 under add/remove; p from the released 1-way
 * marginals). Explicitly non-private training picks the highest score (the exact maximum tree).
 */
import type { CryptoRandom } from '../../dp/noise';

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
