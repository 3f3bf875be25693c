/**
 * k-way marginal distances. Every column is discretised with edges taken from the training
 * table (numbers: up to 10 quantile bins; categories: their codes; missing: its own bin),
 * and the total variation distance between the k-way contingency tables is averaged over
 * column subsets. The NIST k-marginal score (NIST CRC Data and Metrics Archive, SDNist:
 * 1000 × (1 − mean TVD), i.e. (2 − mean L1)/2 × 1000) puts it on the scale of the NIST
 * Differential Privacy Temporal Map Challenge.
 */
import { sortedPresent } from '../../transform/column-values';
import type { EvalColumn, EvalTable } from '../table-columns';
import { SeededSampler } from '../statistics/random';
import { totalVariation } from './univariate';

/** Bin edges of one column learned from the training table. */
export interface Discretiser {
  column: string;
  /** Numeric: upper edges (value <= edge[b] goes to bin b+1); categorical: null. */
  edges: number[] | null;
  /** Number of bins including the missing bin 0. */
  bins: number;
  labels: string[];
}

/** Learns the bins of a column from training values. */
export function fitDiscretiser(c: EvalColumn, maxBins = 10): Discretiser {
  if (c.kind === 'categorical') return { column: c.name, edges: null, bins: c.categories.length + 1, labels: ['(missing)', ...c.categories] };
  const v = sortedPresent(c.values);
  const edges: number[] = [];
  for (let q = 1; q <= maxBins && v.length; q++) {
    const e = v[Math.min(v.length - 1, Math.ceil((q * v.length) / maxBins) - 1)];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(3));
  const labels = ['(missing)', ...edges.map((e, i) => (i === 0 ? `≤ ${fmt(e)}` : `(${fmt(edges[i - 1])}, ${fmt(e)}]`))];
  // Values above the last training edge (synthetic extrapolation) get their own bin.
  labels.push(`> ${fmt(edges[edges.length - 1] ?? 0)}`);
  return { column: c.name, edges, bins: edges.length + 2, labels };
}

/** Bin index of every row (0 = missing). */
export function discretise(c: EvalColumn, d: Discretiser): Int32Array {
  const n = c.kind === 'numeric' ? c.values.length : c.codes.length;
  const out = new Int32Array(n);
  if (c.kind === 'categorical') {
    for (let i = 0; i < n; i++) out[i] = c.codes[i] + 1;
    return out;
  }
  const e = d.edges!;
  for (let i = 0; i < n; i++) {
    const v = c.values[i];
    if (Number.isNaN(v)) { out[i] = 0; continue; }
    let lo = 0, hi = e.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (e[m] >= v) hi = m; else lo = m + 1; }
    out[i] = lo + 1;
  }
  return out;
}

/** Counts of the joint bins of `cols` (each an array of bin indices with `sizes` bins). */
function jointCounts(cols: Int32Array[], sizes: number[]): Map<number, number> | Float64Array {
  const n = cols[0].length;
  const cells = sizes.reduce((a, b) => a * b, 1);
  // Dense counts when the table is small enough: a typed array beats a hash map by far.
  if (cells <= 1 << 20) {
    const c = new Float64Array(cells);
    for (let i = 0; i < n; i++) {
      let key = 0;
      for (let k = 0; k < cols.length; k++) key = key * sizes[k] + cols[k][i];
      c[key]++;
    }
    return c;
  }
  const m = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    let key = 0;
    for (let k = 0; k < cols.length; k++) key = key * sizes[k] + cols[k][i];
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

/**
 * TVD between the k-way marginals of two discretised tables on the columns `subset`.
 * @example marginalDistance([binsA0, binsA1], [binsB0, binsB1], [3, 4])
 */
export function marginalDistance(a: Int32Array[], b: Int32Array[], sizes: number[]): number {
  const ca = jointCounts(a, sizes), cb = jointCounts(b, sizes);
  if (ca instanceof Float64Array && cb instanceof Float64Array) return totalVariation(ca, cb);
  const ma = ca as Map<number, number>, mb = cb as Map<number, number>;
  const keys = [...new Set([...ma.keys(), ...mb.keys()])];
  return totalVariation(keys.map((k) => ma.get(k) ?? 0), keys.map((k) => mb.get(k) ?? 0));
}

/** Mean (and worst) k-way marginal TVD of `other` against `train`, with the NIST score. */
export interface KMarginalResult {
  k: number;
  subsets: number;
  meanTvd: number;
  maxTvd: number;
  nistScore: number;
}

/**
 * k-way marginal distances over every column subset of size k, or `maxSubsets` of them drawn
 * with a fixed seed when there are more (the same subsets for every table compared).
 */
export function kWayMarginals(train: EvalTable, others: EvalTable[], k: number, opts: { maxSubsets?: number; seed?: number } = {}): KMarginalResult[] {
  const d = train.columns.length;
  const disc = train.columns.map((c) => fitDiscretiser(c));
  const bins = (t: EvalTable) => t.columns.map((c, j) => discretise(c, disc[j]));
  const bt = bins(train), bo = others.map(bins);
  const subsets: number[][] = [];
  const all = (start: number, acc: number[]) => {
    if (acc.length === k) { subsets.push([...acc]); return; }
    for (let j = start; j < d; j++) { acc.push(j); all(j + 1, acc); acc.pop(); }
  };
  const maxSubsets = opts.maxSubsets ?? 300;
  let total = 1;
  for (let i = 0; i < k; i++) total = (total * (d - i)) / (i + 1);
  if (k > d) return others.map(() => ({ k, subsets: 0, meanTvd: 0, maxTvd: 0, nistScore: 1000 }));
  if (total <= maxSubsets) all(0, []);
  else {
    const rng = new SeededSampler(opts.seed ?? 6);
    const seen = new Set<string>();
    while (subsets.length < maxSubsets) {
      const s = Array.from(rng.sample(d, k)).sort((x, y) => x - y);
      const key = s.join(',');
      if (!seen.has(key)) { seen.add(key); subsets.push(s); }
    }
  }
  return bo.map((b) => {
    let sum = 0, max = 0;
    for (const s of subsets) {
      const tvd = marginalDistance(s.map((j) => bt[j]), s.map((j) => b[j]), s.map((j) => disc[j].bins));
      sum += tvd;
      max = Math.max(max, tvd);
    }
    const mean = subsets.length ? sum / subsets.length : 0;
    return { k, subsets: subsets.length, meanTvd: mean, maxTvd: max, nistScore: 1000 * (1 - mean) };
  });
}
