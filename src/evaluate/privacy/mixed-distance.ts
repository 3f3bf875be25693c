/**
 * Encodes evaluation tables for the mixed (Gower 1971) distance of the native k-NN search:
 * numeric columns weighted by 1/range over every table compared (as Anonymeter scales them),
 * categorical columns as codes (0/1 mismatch). Distances are means over columns, in [0, 1].
 */
import type { EvalTable } from '../table-columns';
import { loadAddon, tryLoadAddon, callNative } from '../../native/addon';

/** Row-major buffers of one table for the k-NN kernel. */
export interface MixedRows {
  numeric: Float64Array;
  categorical: Int32Array;
  n: number;
}

/** Which columns and weights a set of encoded tables shares. */
export interface MixedEncoding {
  numericColumns: string[];
  categoricalColumns: string[];
  numericWeight: Float64Array;
}

/** The encoding of `columns` (default all) with ranges taken over every table given. */
export function mixedEncoding(tables: EvalTable[], columns?: string[]): MixedEncoding {
  const names = columns ?? tables[0].columns.map((c) => c.name);
  const numericColumns: string[] = [];
  const categoricalColumns: string[] = [];
  const weights: number[] = [];
  for (const name of names) {
    const c = tables[0].columns.find((x) => x.name === name);
    if (!c) throw new RangeError(`Expected a column of the evaluated tables for the distance but received "${name}"`);
    if (c.kind === 'categorical') { categoricalColumns.push(name); continue; }
    let lo = Infinity, hi = -Infinity;
    for (const t of tables) {
      const col = t.columns.find((x) => x.name === name);
      if (!col || col.kind !== 'numeric') continue;
      for (const v of col.values) if (!Number.isNaN(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    }
    numericColumns.push(name);
    // A constant column cannot separate records: weight 0 (every value equals it anyway).
    weights.push(hi > lo ? 1 / (hi - lo) : 0);
  }
  return { numericColumns, categoricalColumns, numericWeight: Float64Array.from(weights) };
}

/** The row-major buffers of table `t` under `enc`. */
export function encodeMixedRows(t: EvalTable, enc: MixedEncoding): MixedRows {
  const n = t.nRows;
  const dn = enc.numericColumns.length, dc = enc.categoricalColumns.length;
  const numeric = new Float64Array(n * dn);
  const categorical = new Int32Array(n * dc);
  enc.numericColumns.forEach((name, j) => {
    const c = t.columns.find((x) => x.name === name)!;
    if (c.kind !== 'numeric') throw new RangeError(`Expected column "${name}" to be numeric in every table`);
    for (let i = 0; i < n; i++) numeric[i * dn + j] = c.values[i];
  });
  enc.categoricalColumns.forEach((name, j) => {
    const c = t.columns.find((x) => x.name === name)!;
    if (c.kind !== 'categorical') throw new RangeError(`Expected column "${name}" to be categorical in every table`);
    for (let i = 0; i < n; i++) categorical[i * dc + j] = c.codes[i];
  });
  return { numeric, categorical, n };
}

/** k nearest reference rows of every query row: indices and mean Gower distances. */
export interface NeighbourResult {
  k: number;
  index: Int32Array;
  distance: Float64Array;
}

/**
 * Exact k-nearest neighbours: native (multi-threaded, blocked) when the addon loads, else the
 * TypeScript reference loop (same distance, same tie order: lower reference index first).
 * @example nearestNeighbours(encodeMixedRows(syn, enc), encodeMixedRows(train, enc), enc, 1)
 */
export function nearestNeighbours(query: MixedRows, ref: MixedRows, enc: MixedEncoding, k: number, opts: { skipSelf?: boolean; threads?: number; backend?: 'native' | 'js' } = {}): NeighbourResult {
  const dn = enc.numericColumns.length, dc = enc.categoricalColumns.length;
  const useNative = opts.backend === 'native' || (opts.backend !== 'js' && tryLoadAddon().addon !== undefined);
  if (useNative) {
    const addon = loadAddon();
    const r = callNative(() => addon.knnMixed(query.numeric, query.categorical, query.n, ref.numeric, ref.categorical, ref.n, dn, dc, enc.numericWeight, k, opts.skipSelf ? 1 : 0, opts.threads ?? 0));
    return { k, index: r.index, distance: r.distance };
  }
  return nearestNeighboursReference(query, ref, enc, k, opts.skipSelf ?? false);
}

/** The TypeScript reference k-NN: one pair at a time, in double. */
export function nearestNeighboursReference(query: MixedRows, ref: MixedRows, enc: MixedEncoding, k: number, skipSelf = false): NeighbourResult {
  const dn = enc.numericColumns.length, dc = enc.categoricalColumns.length, d = dn + dc;
  const w = enc.numericWeight;
  const index = new Int32Array(query.n * k).fill(-1);
  const distance = new Float64Array(query.n * k).fill(Infinity);
  for (let q = 0; q < query.n; q++) {
    const bd = new Float64Array(k).fill(Infinity);
    const bi = new Int32Array(k).fill(-1);
    for (let r = 0; r < ref.n; r++) {
      if (skipSelf && r === q) continue;
      let s = 0;
      for (let j = 0; j < dn; j++) {
        const a = query.numeric[q * dn + j], b = ref.numeric[r * dn + j];
        const na = Number.isNaN(a), nb = Number.isNaN(b);
        s += na || nb ? (na && nb ? 0 : 1) : Math.abs(a - b) * w[j];
      }
      for (let j = 0; j < dc; j++) s += query.categorical[q * dc + j] !== ref.categorical[r * dc + j] ? 1 : 0;
      const v = s / d;
      if (!(v < bd[k - 1])) continue;
      let pos = k - 1;
      while (pos > 0 && v < bd[pos - 1]) { bd[pos] = bd[pos - 1]; bi[pos] = bi[pos - 1]; pos--; }
      bd[pos] = v; bi[pos] = r;
    }
    index.set(bi, q * k);
    distance.set(bd, q * k);
  }
  return { k, index, distance };
}
