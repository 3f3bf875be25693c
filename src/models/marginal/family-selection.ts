/**
 * Structure and tables of a non-private marginal model: a Bayesian network whose nodes have up
 * to k parents, chosen greedily from exact counts.
 *
 * Why not a tree: a tree keeps one dependency per column, and the maximum spanning tree of this
 * cohort is a hub on HbS%, so the clinical associations that involve a third column are lost
 * (α-thalassaemia → Hb within a genotype, the QTL SNPs → HbF, ferritin → liver iron; 1 of the 13
 * checks V1–V13 passed at ε = ∞). Clinical columns depend on several others at once (VOC rate on
 * genotype, age, hydroxyurea and HbF). Nor a decomposable model (parents forming a clique): the
 * causes of a column are often independent of each other (genotype, α-thalassaemia and the QTL
 * SNPs of HbF), so a clique constraint forbids exactly the parent sets that matter; measured on
 * the cohort (seed 7, with an earlier held-out score) it kept 0 of 13 checks. Conditioning stays exact on any network (tree-sampler.ts).
 *
 * Search (PrivBayes's greedy network, Zhang et al. 2017, here on exact counts): columns are
 * placed one at a time; at each step the unplaced column whose best parent set among the placed
 * columns gains most is placed with it; when none gains, the most connected unplaced column
 * starts a new component. A column's parents are drawn from its `candidatesPerNode` most
 * relevant columns (pairwise score below), which keeps the search linear in the columns.
 * Measured and not adopted: hill climbing from the greedy network (add, remove or swap a parent
 * while the score rises and the graph stays acyclic) raised the score and moved the fidelity
 * ratio by under 0.02, but kept 22 of the 13 checks summed over eight cohorts (seeds 7, 21, 5,
 * 11, 3, 13, 17, 29) against 29 for the greedy network.
 *
 * Score: the plug-in information the parents carry about the column, n·I(x; parents), less the
 * Miller–Madow bias of that estimate (half the degrees of freedom of the table's occupied part,
 * Miller 1955), so an independent parent set scores about 0 and a large sparse table pays for
 * its cells. A penalty of the full degrees of freedom (AIC) kept 0–3 of the 13 checks over four
 * cohorts, against 1–6 with half; counting only occupied cells (structural zeros free) kept 24
 * over the eight cohorts against 29.
 *
 * Parents enter coarsened: an ordered column with more than four levels is a parent through four
 * runs of its levels of about equal mass (parentGroupsOf). The column's own table keeps all its
 * levels. Measured on the cohort (seeds 7, 21, 5, 11): 4, 1, 6 and 4 of 13 checks; on seed 7, 1
 * with the full 17 levels as parents, whose 3-parent tables have about 3 rows per configuration.
 *
 * Tables: counts over (parent groups, x), shrunk level by level towards the table without the
 * last parent, down to the exact marginal (a Dirichlet prior of TABLE_PSEUDO_COUNT rows; MacKay &
 * Peto 1995's hierarchical smoothing). Sampling and conditioning read parents at their groups
 * too (tree-sampler.ts), so tables and conditioning messages stay small.
 *
 * Scope: exact counts (explicitly non-private training). Under DP the 4-way tables of this cohort
 * would be noise, so DP training keeps the MST tree (marginal-generator.ts).
 */
import { UsageError } from '../../errors';
import type { EncodedColumns } from './contingency';
import { flattenCodes, measureMarginals } from './contingency';
import type { TreeModel } from './tree-estimation';

/** Options of {@link selectFamilies}. */
export interface FamilySelectionOptions {
  /** Most parents per column, k (default 3). */
  maxParents?: number;
  /** Largest family table considered, in cells (default 65,536). */
  maxCells?: number;
  /**
   * Parents are drawn from each column's most relevant others (pairwise score, dependent or not:
   * two independent causes of a column are dependent given it), this many (default 8).
   */
  candidatesPerNode?: number;
  /** Rows the search reads, evenly spaced (default 50,000): the final tables use every row. */
  searchRows?: number;
  /**
   * Per column, the group of each code when the column is a parent (coarser than the column's
   * own codes, see {@link parentGroupsOf}); identity where absent.
   */
  parentGroups?: Array<Int32Array | null>;
}

/** A selected structure: the placement order and each column's parents (most relevant first). */
export interface FamilyStructure {
  order: number[];
  parents: number[][];
  /** Per column, its parent groups (identity where null). */
  parentGroups: Array<Int32Array | null>;
}

/**
 * The coded columns extended by their parent groups: column d + j holds column j's group codes
 * (a copy of the codes where j has no groups), so a family is counted as one clique.
 */
function withGroups(enc: EncodedColumns, groups: ReadonlyArray<Int32Array | null>): EncodedColumns {
  const d = enc.sizes.length;
  const codes = [...enc.codes];
  const sizes = [...enc.sizes];
  for (let j = 0; j < d; j++) {
    const g = groups[j];
    if (!g) { codes.push(enc.codes[j]); sizes.push(enc.sizes[j]); continue; }
    codes.push(Int32Array.from(enc.codes[j], (c) => g[c]));
    sizes.push(g.reduce((m, v) => Math.max(m, v + 1), 0));
  }
  return { codes, sizes, rows: enc.rows };
}

/**
 * Parent groups of ordered columns: a column with more than `groups` ordered levels enters its
 * children's tables through `groups` runs of consecutive levels of about equal mass (its missing
 * code, if any, a group of its own). Why: a child of three 17-level parents has 4,913 parent
 * configurations, about 3 rows each on 1,500 rows, so its table would be noise; four levels per
 * parent keep an ordered association at 64. The runs are of the whole column's mass, so an
 * association inside a small subgroup is lost: the transfused patients' ferritin falls in the
 * top run, and ferritin → liver iron among them (check V11) is not kept.
 * @example parentGroupsOf([Float64Array.of(10, 10, 10, 10, 10, 10, 10, 10, 5)], [true], [true], 4)[0] // [0,0,1,1,2,2,3,3,4]
 */
export function parentGroupsOf(counts: readonly Float64Array[], ordered: readonly boolean[], nullable: readonly boolean[], groups: number): Array<Int32Array | null> {
  return counts.map((c, j) => {
    const levels = c.length - (nullable[j] ? 1 : 0);
    if (!ordered[j] || levels <= groups) return null;
    let total = 0;
    for (let k = 0; k < levels; k++) total += c[k];
    const out = new Int32Array(c.length);
    let acc = 0, g = 0;
    for (let k = 0; k < levels; k++) {
      // A level starts a new group once the groups so far hold their share of the mass.
      if (k > 0 && g < groups - 1 && acc >= ((g + 1) * total) / groups) g++;
      out[k] = g;
      acc += c[k];
    }
    if (nullable[j]) out[levels] = g + 1;
    return out;
  });
}

const DEFAULTS = { maxParents: 3, maxCells: 65536, candidatesPerNode: 8, searchRows: 50000 };
/**
 * Prior weight of the final tables' shrinkage (rows' worth, per parent configuration). Small:
 * larger weights (chosen per column by leave-one-out likelihood, 0.5–128) distort the children's
 * marginals when configurations differ in size (fidelity ratio 2.0 against 1.14 at 0.5).
 */
export const TABLE_PSEUDO_COUNT = 0.5;
/** Pairs counted per native call while scoring relevance (bounds the memory of the tables). */
const PAIR_BATCH = 20000;

/**
 * Counts of a family's table summed down to each level ℓ = 0..k (parents a₁..a_ℓ kept):
 * cells[ℓ] over (prefix code, x), rows[ℓ] over prefix codes.
 */
function levels(counts: Float64Array, parentSizes: readonly number[], s: number): { cells: Float64Array[]; rows: Float64Array[]; tail: number[] } {
  const k = parentSizes.length;
  const tail = new Array<number>(k + 1).fill(1); // tail[ℓ]: product of the sizes of parents ℓ+1..k
  for (let l = k - 1; l >= 0; l--) tail[l] = tail[l + 1] * parentSizes[l];
  const full = tail[0];
  const cells: Float64Array[] = [], rows: Float64Array[] = [];
  for (let l = 0; l <= k; l++) {
    const nr = full / tail[l];
    const c = new Float64Array(nr * s), r = new Float64Array(nr);
    for (let row = 0; row < full; row++) {
      const pr = Math.floor(row / tail[l]);
      for (let x = 0; x < s; x++) {
        const v = counts[row * s + x];
        c[pr * s + x] += v;
        r[pr] += v;
      }
    }
    cells.push(c);
    rows.push(r);
  }
  return { cells, rows, tail };
}

/**
 * Penalised information gain (nats) of the parents about x, from the family's counts (parents
 * first, x last): n·I(x; parents) less half the degrees of freedom of the table's occupied part,
 * (occupied parent configurations − 1)·(occupied codes − 1) / 2, the Miller–Madow bias of the
 * plug-in estimate (Miller 1955), so an independent parent set scores about 0.
 * @example penalisedGain(counts, [3, 2], 4) // > 0 when the parents carry information about x
 */
export function penalisedGain(counts: Float64Array, parentSizes: readonly number[], s: number): number {
  const rowsN = counts.length / s;
  const byCode = new Float64Array(s);
  let n = 0, configs = 0, plugIn = 0;
  const byConfig = new Float64Array(rowsN);
  for (let r = 0; r < rowsN; r++) for (let x = 0; x < s; x++) { const c = counts[r * s + x]; byConfig[r] += c; byCode[x] += c; n += c; }
  if (!(n > 0)) return 0;
  for (let r = 0; r < rowsN; r++) {
    if (byConfig[r] <= 0) continue;
    configs++;
    for (let x = 0; x < s; x++) { const c = counts[r * s + x]; if (c > 0) plugIn += c * Math.log((c * n) / (byConfig[r] * byCode[x])); }
  }
  let codes = 0;
  for (let x = 0; x < s; x++) if (byCode[x] > 0) codes++;
  return plugIn - ((configs - 1) * (codes - 1)) / 2;
}

/**
 * The table P(x | parents) shrunk level by level (weight α towards the level below, exact
 * marginal at the bottom), row-major over the parents' codes, x last.
 * @example shrunkTable(counts, [3], 2, 4) // 3 × 2 conditional probabilities
 */
export function shrunkTable(counts: Float64Array, parentSizes: readonly number[], s: number, alpha: number): Float64Array {
  const { cells, rows, tail } = levels(counts, parentSizes, s);
  const k = parentSizes.length;
  const n = rows[0][0];
  const full = tail[0];
  const out = new Float64Array(full * s);
  const p = new Float64Array(s);
  for (let row = 0; row < full; row++) {
    for (let x = 0; x < s; x++) p[x] = n > 0 ? cells[0][x] / n : 1 / s;
    for (let l = 1; l <= k; l++) {
      const pr = Math.floor(row / tail[l]);
      const r = rows[l][pr];
      for (let x = 0; x < s; x++) p[x] = (cells[l][pr * s + x] + alpha * p[x]) / (r + alpha);
    }
    out.set(p, row * s);
  }
  return out;
}

/** Evenly spaced rows of coded columns (all of them when there are at most `limit`). */
function searchSample(enc: EncodedColumns, limit: number): EncodedColumns {
  if (enc.rows <= limit) return enc;
  const step = enc.rows / limit;
  return {
    codes: enc.codes.map((c) => Int32Array.from({ length: limit }, (_, i) => c[Math.floor(i * step)])),
    sizes: enc.sizes,
    rows: limit,
  };
}

/** `h` with every subset of at most k - 1 of `others`. */
function setsWith(h: number, others: readonly number[], k: number): number[][] {
  const out: number[][] = [];
  const walk = (from: number, acc: number[]) => {
    out.push([h, ...acc]);
    if (acc.length + 1 >= k) return;
    for (let i = from; i < others.length; i++) walk(i + 1, [...acc, others[i]]);
  };
  walk(0, []);
  return out;
}

/**
 * Greedy selection of a network with at most k parents per column (see the header).
 * @example const { order, parents } = selectFamilies(encoded) // parents[j]: most relevant first
 */
export function selectFamilies(encAll: EncodedColumns, opts: FamilySelectionOptions = {}): FamilyStructure {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS;
  if (!(Number.isInteger(o.maxParents) && o.maxParents >= 0)) throw new UsageError(`Expected option maxParents to be a whole number >= 0 but received ${JSON.stringify(o.maxParents)}`);
  const d = encAll.sizes.length;
  const groups = opts.parentGroups ?? new Array<Int32Array | null>(d).fill(null);
  // Columns d..2d-1: the parent groups (a parent q is counted as column d + q).
  const enc = withGroups(searchSample(encAll, o.searchRows), groups);
  const sizes = enc.sizes;
  const flat = flattenCodes(enc);
  // Relevance of q to j: the held-out gain of P(j | q); pairs too large for maxCells score 0.
  const relevance = Array.from({ length: d }, () => new Float64Array(d));
  const pairs: Array<[number, number]> = [];
  for (let q = 0; q < d; q++) for (let j = 0; j < d; j++) if (q !== j && sizes[d + q] * sizes[j] <= o.maxCells) pairs.push([d + q, j]);
  for (let at = 0; at < pairs.length; at += PAIR_BATCH) {
    const batch = pairs.slice(at, at + PAIR_BATCH);
    const counts = measureMarginals(enc, batch, { flat });
    batch.forEach(([q, j], i) => { relevance[j][q - d] = penalisedGain(counts[i], [sizes[q]], sizes[j]); });
  }
  const relevant = relevance.map((r, j) => new Set(Array.from(r.keys()).filter((q) => q !== j).sort((x, y) => r[y] - r[x] || x - y).slice(0, o.candidatesPerNode)));
  const connectivity = Array.from({ length: d }, (_, j) => relevance.reduce((s, r) => s + Math.max(0, r[j]), 0));

  const placed = new Uint8Array(d);
  const order: number[] = [];
  const parents: number[][] = Array.from({ length: d }, () => []);
  const best = Array.from({ length: d }, () => ({ gain: 0, set: [] as number[] }));
  const place = (h: number, set: number[]) => {
    placed[h] = 1;
    order.push(h);
    parents[h] = set;
    if (o.maxParents === 0) return;
    const cliques: number[][] = [];
    const owners: number[] = [];
    // New candidates: the sets that contain h, with other placed relevant columns.
    for (let j = 0; j < d; j++) {
      if (placed[j] || !relevant[j].has(h)) continue;
      const others = [...relevant[j]].filter((q) => q !== h && placed[q]);
      for (const sub of setsWith(h, others, o.maxParents)) {
        sub.sort((x, y) => relevance[j][y] - relevance[j][x] || x - y);
        if (sub.reduce((c, q) => c * sizes[d + q], sizes[j]) > o.maxCells) continue;
        cliques.push([...sub.map((q) => d + q), j]);
        owners.push(j);
      }
    }
    if (cliques.length === 0) return;
    const counts = measureMarginals(enc, cliques, { flat });
    cliques.forEach((q, i) => {
      const j = owners[i];
      const set = q.slice(0, -1).map((c) => c - d);
      const gain = penalisedGain(counts[i], set.map((c) => sizes[d + c]), sizes[j]);
      if (gain > best[j].gain) best[j] = { gain, set };
    });
  };
  while (order.length < d) {
    let next = -1;
    for (let j = 0; j < d; j++) if (!placed[j] && best[j].gain > 0 && (next < 0 || best[j].gain > best[next].gain)) next = j;
    if (next >= 0) { place(next, best[next].set); continue; }
    // No placed column helps any unplaced one: the most connected unplaced column is a new root.
    for (let j = 0; j < d; j++) if (!placed[j] && (next < 0 || connectivity[j] > connectivity[next])) next = j;
    place(next, []);
  }
  return { order, parents, parentGroups: groups };
}

/**
 * The model of a selected structure with every row counted: each column's table over its
 * parents' groups, shrunk level by level (prior weight {@link TABLE_PSEUDO_COUNT}).
 * @example const tree = fitFamilies(encoded, selectFamilies(encoded))
 */
export function fitFamilies(encFine: EncodedColumns, structure: FamilyStructure): TreeModel {
  const d = encFine.sizes.length;
  const enc = withGroups(encFine, structure.parentGroups);
  const cliques = Array.from({ length: d }, (_, j) => [...structure.parents[j].map((q) => d + q), j]);
  const counts = measureMarginals(enc, cliques);
  const tables = cliques.map((q, j) => {
    const ps = structure.parents[j].map((c) => enc.sizes[d + c]);
    return shrunkTable(counts[j], ps, enc.sizes[j], TABLE_PSEUDO_COUNT);
  });
  const parent = structure.parents.map((ps) => (ps.length > 0 ? ps[0] : -1));
  const extraParents = structure.parents.map((ps) => ps.slice(1));
  const parentGroups = structure.parentGroups.map((g) => (g ? Array.from(g) : null));
  return { sizes: [...encFine.sizes], parent, extraParents, parentGroups, order: [...structure.order], tables, total: encFine.rows };
}
