/**
 * Calibrates a DP tree's missing rates to the released missing counts (assay-missingness.ts).
 *
 * Why: the tree's node marginals are a least-squares compromise between the noisy 1-way and 2-way
 * measurements, and only the 1-way ones carry the assays' precise missing counts, so the fitted
 * rates drifted from them: at ε = 3 the columns of one metabolomics run came out missing at 0.61
 * to 0.71 around a released 0.66. Post-processing: each nullable column's conditional missing
 * probabilities P(missing | parent level) are moved by one odds factor, found by bisection, so that
 * its marginal missing rate is the target; columns are taken in topological order, so each node
 * sees its parents' calibrated marginals.
 */
import { missingCode, type DiscreteColumnEncoder } from '../../transform/discretiser';
import { familyParents, nodeMarginal, parentLevelMaps, parentLevelWeights, type TreeModel } from './tree-estimation';

/**
 * Moves each column's missing rate to `targets[j]` (a probability; undefined or NaN: unchanged), in
 * place. Nodes with more than one parent (non-private networks) are left unchanged.
 * @example calibrateTreeMissing(tree, encoders, targets)
 */
export function calibrateTreeMissing(tree: TreeModel, encoders: readonly DiscreteColumnEncoder[], targets: ReadonlyArray<number | undefined>): void {
  const levels = parentLevelMaps(tree);
  const marginal: Float64Array[] = new Array(tree.sizes.length);
  for (const j of tree.order) {
    const parents = familyParents(tree, j);
    if (parents.length > 1) return;
    const size = tree.sizes[j];
    const table = tree.tables[j];
    // Distribution of the parent's levels (one row for a root).
    const weights = parentLevelWeights(tree, levels, marginal, j);
    const target = targets[j];
    const miss = encoders[j].nullable ? missingCode(encoders[j]) : -1;
    if (miss >= 0 && target !== undefined && Number.isFinite(target)) {
      const t = Math.min(1 - 1e-9, Math.max(1e-9, target));
      // A parent level whose column is all missing (q = 1) is moved from just below 1, its present
      // mass then spread evenly over the levels: the odds of q = 1 do not move, and at ε = 3 the
      // marginal with quantile edges had liver iron missing under both levels of its parent
      // (chronic transfusion) on cohort 21, so every synthetic row lacked it (real 92%).
      // Likewise a level never missing (q = 0) is moved from just above 0: at ε = 1 the noisy
      // 1-way marginals left some columns' missing code without mass (reticulocytes, 13.1% missing
      // in the data and released near it, came out never missing on cohort 7, training seed 5).
      const moved = (q: number, a: number) => { const qc = Math.min(Math.max(q, 1e-6), 1 - 1e-6); return (a * qc) / (a * qc + 1 - qc); };
      const rate = (a: number) => weights.reduce((s, w, r) => s + w * moved(table[r * size + miss], a), 0);
      let lo = -40, hi = 40;
      for (let it = 0; it < 80; it++) {
        const mid = (lo + hi) / 2;
        if (rate(Math.exp(mid)) < t) lo = mid; else hi = mid;
      }
      const a = Math.exp((lo + hi) / 2);
      for (let r = 0; r < weights.length; r++) {
        const q = table[r * size + miss];
        const q2 = moved(q, a);
        for (let c = 0; c < size; c++) {
          if (c === miss) table[r * size + c] = q2;
          else table[r * size + c] = q < 1 - 1e-6 ? (table[r * size + c] * (1 - q2)) / (1 - q) : (1 - q2) / (size - 1);
        }
      }
    }
    marginal[j] = nodeMarginal(table, weights, size);
  }
}
