/**
 * A DP tree's tables made consistent with the schema's "x is null when W" constraints, as the
 * copula's marginals are (copula/null-when-support.ts): where NOT W's share of W's column y under
 * the tree is below what x's present rate needs, the repair nulls x beyond its model rate. At
 * ε = 1 on cohort 7 (training seeds 1–20), stroke age came out missing in every synthetic row in
 * 3 trainings (93.3% real), the tree having given the stroke column almost no mass.
 *
 * Each row of y's conditional table (one per parent level; the root's marginal) is mixed with
 * itself restricted to NOT W by one λ (null-when-mixing.ts), so y's share of NOT W reaches the need
 * while its dependence on its parent and its children's tables are kept. Post-processing of the
 * fitted model: no data, no budget. Networks with several parents (non-private) are left alone.
 */
import { missingCode, type DiscreteColumnEncoder } from '../../transform/discretiser';
import { nullWhenSupport, type Constraint } from '../constraints';
import { mixTowardSupport, shareNeeded } from '../null-when-mixing';
import { familyParents, nodeMarginal, parentLevelMaps, parentLevelWeights, type TreeModel } from './tree-estimation';

/** Each node's marginal and the weights of its table's rows (its parent's level distribution). */
function treeMarginals(tree: TreeModel): { marginal: Float64Array[]; rowWeights: Float64Array[] } {
  const levels = parentLevelMaps(tree);
  const marginal: Float64Array[] = new Array(tree.sizes.length);
  const rowWeights: Float64Array[] = new Array(tree.sizes.length);
  for (const j of tree.order) {
    rowWeights[j] = parentLevelWeights(tree, levels, marginal, j);
    marginal[j] = nodeMarginal(tree.tables[j], rowWeights[j], tree.sizes[j]);
  }
  return { marginal, rowWeights };
}

/**
 * Raises, in place, NOT W's share under the tree for each "null when" constraint to what its
 * column's present rate needs (see the header).
 * @example supportTreeNullWhen(tree, encoders, applicableConstraints(schema, columns))
 */
export function supportTreeNullWhen(tree: TreeModel, encoders: readonly DiscreteColumnEncoder[], constraints: readonly Constraint[]): void {
  if (tree.sizes.some((_, j) => familyParents(tree, j).length > 1)) return;
  for (const c of constraints) {
    const support = c.type === 'null-when' ? nullWhenSupport(c, encoders) : null;
    const x = c.type === 'null-when' ? encoders.findIndex((e) => e.column === c.column) : -1;
    if (!support || x < 0 || !encoders[x].nullable) continue;
    const { marginal, rowWeights } = treeMarginals(tree);
    const y = support.column, size = tree.sizes[y];
    const missY = encoders[y].nullable ? missingCode(encoders[y]) : -1;
    const my = missY >= 0 ? marginal[y][missY] : 0;
    if (!(my < 1)) continue;
    const need = shareNeeded(1 - marginal[x][missingCode(encoders[x])], my, missY >= 0 ? support.weights[missY] : 0);
    const table = tree.tables[y];
    const rows = Array.from(rowWeights[y], (_, r) => table.subarray(r * size, (r + 1) * size));
    // The missing code is the last: the present cells are the first size − 1 (or all).
    mixTowardSupport(rows, missY >= 0 ? size - 1 : size, support.weights, rowWeights[y], need);
  }
}
