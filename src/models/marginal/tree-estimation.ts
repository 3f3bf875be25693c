/**
 * Estimation of a tree-structured graphical model from noisy marginals (the estimation step of
 * MST, McKenna, Miklau & Sheldon 2021, "Winning the NIST Contest: A scalable and general approach
 * to differentially private synthetic data"). On a tree, the maximum-entropy distribution with
 * given consistent node and edge marginals is P(x) = Π_edges P_ij / Π_nodes P_i^(deg_i - 1), so the
 * Private-PGM estimate reduces to making the noisy clique marginals consistent:
 * 1. each node marginal is the inverse-variance weighted mean of its own noisy 1-way measurement
 *    and of the projections of the incident noisy 2-way measurements (generalised least squares
 *    per node), projected onto {x >= 0, Σx = N̂} (Euclidean projection onto the scaled simplex,
 *    Duchi et al. 2008);
 * 2. each edge marginal starts from its noisy counts clipped at zero and is fitted to the two node
 *    marginals by iterative proportional fitting (Deming & Stephan 1940), the I-projection onto
 *    the consistent tables.
 * Everything here is post-processing of the noisy measurements: no data is read.
 */
import { UsageError } from '../../errors';

/** A noisy (or exact) marginal measurement. */
export interface MarginalMeasurement {
  /** Column indices (1 or 2). */
  clique: number[];
  /** Noisy counts, row-major over the clique's codes. */
  counts: Float64Array;
  /** Standard deviation of the noise on each count (0 for exact counts). */
  sigma: number;
}

/**
 * A fitted graphical model over coded columns, as a Bayesian network: a tree (a root per
 * connected component, a parent per node), optionally with further parents per node.
 */
export interface TreeModel {
  sizes: number[];
  /** parent[j] = -1 for roots. */
  parent: number[];
  /**
   * Optional further parents of each node (empty for none), after `parent[j]`: every parent
   * precedes its node in the order. Conditioning stays exact for any such network
   * (tree-sampler.ts).
   */
  extraParents?: number[][];
  /**
   * Optional parent groups: where `parentGroups[c]` is set, column c enters the tables of its
   * children (and conditioning messages) through the group of its code, not the code itself.
   */
  parentGroups?: Array<number[] | null>;
  /** Topological order (parents first). */
  order: number[];
  /** Per node: P(node) for roots, P(node | parents) row-major (mixed radix over the parents' levels, `parent` most significant, then node code) otherwise. */
  tables: Float64Array[];
  /** Estimated total count N̂ (a DP estimate). */
  total: number;
}

/**
 * The parents of node j in table order: [parent, ...extraParents], or [] for a root.
 * @example familyParents({ parent: [-1, 0, 1], extraParents: [[], [], [0]] }, 2) // [1, 0]
 */
export function familyParents(tree: Pick<TreeModel, 'parent' | 'extraParents'>, j: number): number[] {
  const p = tree.parent[j];
  if (p < 0) return [];
  const extra = tree.extraParents?.[j];
  return extra && extra.length > 0 ? [p, ...extra] : [p];
}

/** Levels of column c as a parent: its number of groups, or its size where it has none. */
export function parentLevels(tree: Pick<TreeModel, 'sizes' | 'parentGroups'>, c: number): number {
  const g = tree.parentGroups?.[c];
  return g ? g.reduce((m, v) => Math.max(m, v + 1), 0) : tree.sizes[c];
}

/** Per column, the level of each code as a parent (the identity where it has no groups). */
export function parentLevelMaps(tree: Pick<TreeModel, 'sizes' | 'parentGroups'>): Int32Array[] {
  return tree.sizes.map((s, c) => {
    const g = tree.parentGroups?.[c];
    return g ? Int32Array.from(g) : Int32Array.from({ length: s }, (_, k) => k);
  });
}

/**
 * The weights of a single-parent node's table rows: its parent's levels under the parent's
 * marginal (`marginal[p]`, already computed in topological order); one row of weight 1 for a root.
 * @example parentLevelWeights(tree, parentLevelMaps(tree), marginal, j)
 */
export function parentLevelWeights(tree: Pick<TreeModel, 'parent' | 'sizes' | 'parentGroups'>, levels: readonly Int32Array[], marginal: readonly Float64Array[], j: number): Float64Array {
  const p = tree.parent[j];
  if (p < 0) return Float64Array.of(1);
  const weights = new Float64Array(parentLevels(tree, p));
  marginal[p].forEach((v, c) => { weights[levels[p][c]] += v; });
  return weights;
}

/**
 * A node's marginal from its table (`weights.length` rows of `size` cells) and its rows' weights.
 * @example nodeMarginal(tree.tables[j], parentLevelWeights(tree, levels, marginal, j), tree.sizes[j])
 */
export function nodeMarginal(table: ArrayLike<number>, weights: ArrayLike<number>, size: number): Float64Array {
  const out = new Float64Array(size);
  for (let r = 0; r < weights.length; r++) for (let c = 0; c < size; c++) out[c] += weights[r] * table[r * size + c];
  return out;
}

/** Rows of node j's table: the product of its parents' levels. */
export function familyRows(tree: Pick<TreeModel, 'parent' | 'extraParents' | 'sizes' | 'parentGroups'>, j: number): number {
  return familyParents(tree, j).reduce((r, q) => r * parentLevels(tree, q), 1);
}

/**
 * Where a model's parents break the network's rules, or null when they hold: every parent is a
 * column before its node in the order, and a node's parents are distinct.
 * @example parentViolation(tree) // null
 */
export function parentViolation(tree: Pick<TreeModel, 'parent' | 'extraParents' | 'order' | 'sizes'>): string | null {
  const d = tree.sizes.length;
  const pos = new Int32Array(d).fill(-1);
  tree.order.forEach((j, t) => { if (j >= 0 && j < d) pos[j] = t; });
  for (let j = 0; j < d; j++) {
    const ps = familyParents(tree, j);
    if (new Set(ps).size !== ps.length) return `node ${j}: repeated parent`;
    if (ps.some((q) => !(Number.isInteger(q) && q >= 0 && q < d) || pos[q] < 0 || pos[q] >= pos[j])) return `node ${j}: a parent that is not a column before it in the order`;
  }
  return null;
}

/** Euclidean projection of v onto {x >= 0, Σx = total} (Duchi, Shalev-Shwartz, Singer & Chandra 2008). */
export function projectToSimplex(v: Float64Array, total: number): Float64Array {
  const n = v.length;
  if (total <= 0) return new Float64Array(n);
  const u = Float64Array.from(v).sort().reverse();
  let cum = 0, theta = 0;
  for (let k = 0; k < n; k++) {
    cum += u[k];
    const t = (cum - total) / (k + 1);
    if (u[k] - t > 0) theta = t;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(0, v[i] - theta);
  return out;
}

function ipf(table: Float64Array, rowsTarget: Float64Array, colsTarget: Float64Array, iterations = 50): void {
  const R = rowsTarget.length, C = colsTarget.length;
  for (let it = 0; it < iterations; it++) {
    let maxErr = 0;
    for (let r = 0; r < R; r++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += table[r * C + c];
      const f = s > 0 ? rowsTarget[r] / s : 0;
      for (let c = 0; c < C; c++) table[r * C + c] *= f;
    }
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let r = 0; r < R; r++) s += table[r * C + c];
      maxErr = Math.max(maxErr, Math.abs(s - colsTarget[c]));
      const f = s > 0 ? colsTarget[c] / s : 0;
      for (let r = 0; r < R; r++) table[r * C + c] *= f;
    }
    if (maxErr < 1e-9 * (1 + rowsTarget.reduce((a, b) => a + b, 0))) break;
  }
}

/**
 * Euclidean projection of a noisy (parent × child) table onto the tables with the given row and
 * column sums and no negative cell (the transportation polytope), by Dykstra's alternating
 * projections (Boyle & Dykstra 1986) between the affine set of the margins (closed form) and the
 * non-negative orthant, then a few IPF sweeps to make the margins exact. Unlike clipping the
 * noise at zero and scaling (IPF), it keeps the structural zeros of a table: when a child is
 * missing exactly when its parent is, the noisy off-diagonal cells are pulled back to zero by
 * the margins instead of leaking mass (the leak compounds along every path of the tree).
 */
export function projectToMargins(noisy: Float64Array, rows: Float64Array, cols: Float64Array, iterations = 200): Float64Array {
  const R = rows.length, C = cols.length;
  const total = rows.reduce((a, b) => a + b, 0);
  const x = Float64Array.from(noisy);
  const p = new Float64Array(R * C);
  const a = new Float64Array(R * C);
  const rowRes = new Float64Array(R), colRes = new Float64Array(C);
  for (let it = 0; it < iterations; it++) {
    // a = projection of x onto {row sums = rows, column sums = cols}.
    rowRes.fill(0); colRes.fill(0);
    let sum = 0;
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) { const v = x[r * C + c]; rowRes[r] += v; colRes[c] += v; sum += v; }
    const g = (sum - total) / (R * C);
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) a[r * C + c] = x[r * C + c] + (rows[r] - rowRes[r]) / C + (cols[c] - colRes[c]) / R + g;
    let moved = 0;
    for (let k = 0; k < R * C; k++) {
      const b = Math.max(0, a[k] + p[k]);
      p[k] = a[k] + p[k] - b;
      moved = Math.max(moved, Math.abs(b - x[k]));
      x[k] = b;
    }
    if (moved < 1e-9 * (1 + total)) break;
  }
  const floor = 1e-9 * total / (R * C);
  for (let k = 0; k < R * C; k++) x[k] += floor;
  ipf(x, rows, cols);
  return x;
}

/** Options of {@link fitFromMeasurements}. */
export interface TreeFitOptions {
  /**
   * How an edge table is made consistent with its two node marginals: `projection` (default, see
   * {@link projectToMargins}) or `ipf` (clip the noise at zero, then iterative proportional fitting).
   */
  edgeFit?: 'projection' | 'ipf';
}

/**
 * Fits the tree model from measurements of every node (1-way) and of the tree's edges (2-way).
 * The edges must form a forest over the columns. Works for counts summed across sites.
 * @example fitFromMeasurements([3, 2], [{ clique: [0], counts, sigma: 4 }, { clique: [1], counts: c1, sigma: 4 }, { clique: [0, 1], counts: c01, sigma: 6 }])
 */
export function fitFromMeasurements(sizes: readonly number[], measurements: readonly MarginalMeasurement[], opts: TreeFitOptions = {}): TreeModel {
  const d = sizes.length;
  const edges = measurements.filter((m) => m.clique.length === 2);
  for (const m of measurements) {
    if (m.clique.length < 1 || m.clique.length > 2 || m.clique.some((j) => !(j >= 0 && j < d))) throw new UsageError(`Expected 1-way or 2-way cliques over columns [0, ${d}) but received ${JSON.stringify(m.clique)}`);
    const cells = m.clique.reduce((s, j) => s * sizes[j], 1);
    if (m.counts.length !== cells) throw new UsageError(`Expected ${cells} counts for clique ${JSON.stringify(m.clique)} but received ${m.counts.length}`);
  }
  // Total: inverse-variance mean of the measurements' sums.
  let wsum = 0, tsum = 0;
  for (const m of measurements) {
    const s = m.counts.reduce((a, b) => a + b, 0);
    const v = Math.max(1e-12, m.sigma * m.sigma * m.counts.length);
    wsum += 1 / v;
    tsum += s / v;
  }
  const total = Math.max(1, tsum / wsum);
  // 1. Node marginals.
  const nodes: Float64Array[] = [];
  for (let j = 0; j < d; j++) {
    const num = new Float64Array(sizes[j]);
    let den = 0;
    const add = (est: Float64Array, variance: number) => {
      const w = 1 / Math.max(variance, 1e-12);
      for (let k = 0; k < est.length; k++) num[k] += w * est[k];
      den += w;
    };
    for (const m of measurements) {
      if (m.clique.length === 1 && m.clique[0] === j) add(m.counts, m.sigma * m.sigma);
      if (m.clique.length === 2 && m.clique.includes(j)) {
        const [a, b] = m.clique;
        const proj = new Float64Array(sizes[j]);
        for (let x = 0; x < sizes[a]; x++) for (let y = 0; y < sizes[b]; y++) proj[a === j ? x : y] += m.counts[x * sizes[b] + y];
        add(proj, m.sigma * m.sigma * sizes[a === j ? b : a]);
      }
    }
    if (den === 0) throw new UsageError(`Expected a measurement of column ${j} but received none`);
    for (let k = 0; k < num.length; k++) num[k] /= den;
    nodes.push(projectToSimplex(num, total));
  }
  // Forest structure from the edges, rooted at the lowest index of each component.
  const adj: Array<Array<{ other: number; m: MarginalMeasurement }>> = Array.from({ length: d }, () => []);
  for (const m of edges) { adj[m.clique[0]].push({ other: m.clique[1], m }); adj[m.clique[1]].push({ other: m.clique[0], m }); }
  const parent = new Array<number>(d).fill(-2);
  const order: number[] = [];
  const tables: Float64Array[] = new Array(d);
  for (let r = 0; r < d; r++) {
    if (parent[r] !== -2) continue;
    parent[r] = -1;
    tables[r] = nodes[r].map((x) => x / total);
    const queue = [r];
    while (queue.length) {
      const p = queue.shift() as number;
      order.push(p);
      for (const { other: c, m } of adj[p]) {
        if (parent[c] === -1 || parent[c] >= 0) { if (parent[p] !== c) throw new UsageError('Expected the 2-way cliques to form a forest but received a cycle'); continue; }
        parent[c] = p;
        // 2. Edge marginal consistent with both node marginals, oriented (parent, child).
        const [a, b] = m.clique;
        const sp = sizes[p], sc = sizes[c];
        const floor = 1e-6 * total / (sp * sc);
        const projection = opts.edgeFit !== 'ipf';
        let t: Float64Array = new Float64Array(sp * sc);
        for (let x = 0; x < sizes[a]; x++) for (let y = 0; y < sizes[b]; y++) {
          const v = projection ? m.counts[x * sizes[b] + y] : Math.max(0, m.counts[x * sizes[b] + y]) + floor;
          if (a === p) t[x * sc + y] = v; else t[y * sc + x] = v;
        }
        if (projection) t = projectToMargins(t, nodes[p], nodes[c]); else ipf(t, nodes[p], nodes[c]);
        const cond = new Float64Array(sp * sc);
        for (let x = 0; x < sp; x++) {
          let s = 0;
          for (let y = 0; y < sc; y++) s += t[x * sc + y];
          for (let y = 0; y < sc; y++) cond[x * sc + y] = s > 0 ? t[x * sc + y] / s : nodes[c][y] / total;
        }
        tables[c] = cond;
        queue.push(c);
      }
    }
  }
  return { sizes: [...sizes], parent, order, tables, total };
}
