/**
 * MST's domain compression (McKenna, Miklau & Sheldon 2021, §4 "compress_domain"): after the
 * noisy 1-way marginals are released, the cells of a column whose noisy count is under 3σ₁ are
 * merged into one cell before any 2-way marginal is selected or measured. A 2-way table then has
 * fewer cells, so less noise, and the mass of rare cells (which the noise would have smeared)
 * stays together. The model is fitted over the compressed codes and expanded back to the
 * original codes with the within-group shares of the (projected) noisy 1-way marginal, so the
 * model format, the encoders and sampling do not change.
 *
 * Example from the SCD cohort at ε = 1 (σ₁ ≈ 110): a SNP's codes {0, 1, 2, missing} with noisy
 * counts {300, 210, 30, 960} become {rare (0, 1, 2), missing}: the 2-way tables between SNPs are
 * 2 × 2 and carry their shared missingness, which dominates their 2-way marginals.
 * Everything here is post-processing of released noisy counts: no data is read.
 */
import type { EncodedColumns } from './contingency';
import { familyParents, type TreeModel } from './tree-estimation';

/** Per column: the compressed code of each original code, and the number of compressed codes. */
export interface DomainCompression {
  groupOf: Int32Array[];
  sizes: number[];
}

/**
 * Groups each column's codes: codes whose noisy count is at least `threshold` keep their own
 * group; the others share one (when there are at least two of them).
 * @example compressDomains([Float64Array.of(300, 20, 960)], 100).groupOf[0] // Int32Array [0, 1, 2]
 */
export function compressDomains(noisyOneWay: readonly Float64Array[], threshold: number): DomainCompression {
  const groupOf: Int32Array[] = [];
  const sizes: number[] = [];
  for (const y of noisyOneWay) {
    const rare: number[] = [];
    for (let k = 0; k < y.length; k++) if (!(y[k] >= threshold)) rare.push(k);
    const g = new Int32Array(y.length);
    if (rare.length < 2) {
      for (let k = 0; k < y.length; k++) g[k] = k;
      groupOf.push(g); sizes.push(y.length);
      continue;
    }
    // Kept codes first (in order), the merged rare group last.
    let next = 0;
    const rareSet = new Set(rare);
    for (let k = 0; k < y.length; k++) if (!rareSet.has(k)) g[k] = next++;
    for (const k of rare) g[k] = next;
    groupOf.push(g); sizes.push(next + 1);
  }
  return { groupOf, sizes };
}

/** The codes of `enc` mapped to their groups. */
export function compressCodes(enc: EncodedColumns, c: DomainCompression): EncodedColumns {
  const codes = enc.codes.map((col, j) => {
    const g = c.groupOf[j];
    const out = new Int32Array(col.length);
    for (let i = 0; i < col.length; i++) out[i] = g[col[i]];
    return out;
  });
  return { codes, sizes: [...c.sizes], rows: enc.rows };
}

/** Sums a column's (noisy) counts over its groups. */
export function compressCounts(counts: Float64Array, groupOf: Int32Array, groups: number): Float64Array {
  const out = new Float64Array(groups);
  for (let k = 0; k < counts.length; k++) out[groupOf[k]] += counts[k];
  return out;
}

/**
 * Expands a tree fitted over compressed codes to the original codes:
 * P(y | x) = P(g(y) | g(x)) · w(y | g(y)), with w the within-group shares (rows of `shares`
 * are the columns' original-code probabilities; a group with no mass gets uniform shares).
 * @example expandTree(compressedTree, compression, oneWayProbabilities, originalSizes)
 */
export function expandTree(tree: TreeModel, c: DomainCompression, shares: readonly Float64Array[], sizes: readonly number[]): TreeModel {
  const d = sizes.length;
  const within = shares.map((p, j) => {
    const g = c.groupOf[j];
    const mass = new Float64Array(c.sizes[j]);
    const members = new Float64Array(c.sizes[j]);
    for (let k = 0; k < p.length; k++) { mass[g[k]] += p[k]; members[g[k]]++; }
    return Float64Array.from(p, (v, k) => (mass[g[k]] > 0 ? v / mass[g[k]] : 1 / members[g[k]]));
  });
  const tables = tree.tables.map((t, j) => {
    const ps = familyParents(tree, j);
    const rows = ps.reduce((r, q) => r * sizes[q], 1);
    const cs = c.sizes[j];
    const out = new Float64Array(rows * sizes[j]);
    for (let x = 0; x < rows; x++) {
      // The compressed row of original parent codes x (mixed radix, first parent most significant).
      let gx = 0;
      for (let k = 0, rest = x, scale = rows; k < ps.length; k++) {
        scale /= sizes[ps[k]];
        const code = Math.floor(rest / scale);
        rest -= code * scale;
        gx = gx * c.sizes[ps[k]] + c.groupOf[ps[k]][code];
      }
      for (let y = 0; y < sizes[j]; y++) out[x * sizes[j] + y] = t[gx * cs + c.groupOf[j][y]] * within[j][y];
    }
    return out;
  });
  const extra = tree.extraParents ? { extraParents: tree.extraParents.map((e) => [...e]) } : {};
  return { sizes: [...sizes].slice(0, d), parent: [...tree.parent], ...extra, order: [...tree.order], tables, total: tree.total };
}
