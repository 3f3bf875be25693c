/**
 * Contingency tables over integer-coded columns: the only way the marginal generator reads data.
 * Measurements are plain counts, so counts from several sites add up to the counts of the union
 * (the federation issue sums them under secure aggregation). Native (multi-threaded) when the
 * addon is loaded; the TypeScript loops are the reference.
 */
import { UsageError } from '../../errors';
import { marginalNative } from '../../native/marginal';

/** Integer-coded columns: codes[j][i] in [0, sizes[j]). */
export interface EncodedColumns {
  codes: Int32Array[];
  sizes: number[];
  rows: number;
}

/** Column-major flattening for the native kernels (one copy, reused by every call). */
export function flattenCodes(enc: EncodedColumns): Int32Array {
  const flat = new Int32Array(enc.rows * enc.codes.length);
  enc.codes.forEach((c, j) => flat.set(c, j * enc.rows));
  return flat;
}

function checkEncoded(enc: EncodedColumns): void {
  if (enc.codes.length !== enc.sizes.length) throw new UsageError(`Expected one size per coded column but received ${enc.codes.length} columns and ${enc.sizes.length} sizes`);
  enc.codes.forEach((c, j) => {
    if (c.length !== enc.rows) throw new UsageError(`Expected ${enc.rows} codes in column ${j} but received ${c.length}`);
  });
}

/**
 * Counts of each clique's joint codes (row-major over the clique's columns), as integers in a
 * Float64Array. Codes outside [0, size) are an error.
 * @example measureMarginals(encoded, [[0], [0, 3]]) // [counts of col 0, 2-way counts of cols 0 and 3]
 */
export function measureMarginals(enc: EncodedColumns, cliques: readonly number[][], opts: { flat?: Int32Array; threads?: number } = {}): Float64Array[] {
  checkEncoded(enc);
  for (const q of cliques) for (const j of q) if (!(Number.isInteger(j) && j >= 0 && j < enc.codes.length)) throw new UsageError(`Expected column indices in [0, ${enc.codes.length}) in a clique but received ${JSON.stringify(q)}`);
  const native = marginalNative();
  if (native) {
    const flat = opts.flat ?? flattenCodes(enc);
    const offsets = new Int32Array(cliques.length + 1);
    cliques.forEach((q, k) => { offsets[k + 1] = offsets[k] + q.length; });
    const members = Int32Array.from(cliques.flat());
    const out = native.marginalCountCliques(flat, enc.rows, Int32Array.from(enc.sizes), members, offsets, opts.threads ?? 0);
    const result: Float64Array[] = [];
    let at = 0;
    for (const q of cliques) {
      const cells = q.reduce((s, j) => s * enc.sizes[j], 1);
      result.push(out.subarray(at, at + cells));
      at += cells;
    }
    return result;
  }
  return cliques.map((q) => countCliqueReference(enc, q));
}

/** The TypeScript reference count of one clique. */
export function countCliqueReference(enc: EncodedColumns, q: readonly number[]): Float64Array {
  const cells = q.reduce((s, j) => s * enc.sizes[j], 1);
  const out = new Float64Array(cells);
  for (let i = 0; i < enc.rows; i++) {
    let key = 0;
    for (const j of q) {
      const c = enc.codes[j][i];
      if (!(c >= 0 && c < enc.sizes[j])) throw new UsageError(`Expected codes in [0, ${enc.sizes[j]}) for column ${j} but received ${c} at row ${i + 1}`);
      key = key * enc.sizes[j] + c;
    }
    out[key]++;
  }
  return out;
}

/**
 * For every pair i < j (in the order (0,1), (0,2), ..., (1,2), ...): the L1 distance between the
 * pair's true counts and `total · p_i ⊗ p_j` (the independence estimate from released 1-way
 * marginals). MST's selection score (McKenna et al. 2021, Alg. 1): sensitivity 1 under add/remove.
 * @example pairL1Scores(encoded, probabilities, 1500.3)
 */
export function pairL1Scores(enc: EncodedColumns, probs: readonly Float64Array[], total: number, opts: { flat?: Int32Array; threads?: number } = {}): Float64Array {
  checkEncoded(enc);
  const d = enc.codes.length;
  const native = marginalNative();
  if (native) {
    const flatProbs = new Float64Array(enc.sizes.reduce((s, k) => s + k, 0));
    let at = 0;
    probs.forEach((p) => { flatProbs.set(p, at); at += p.length; });
    return native.marginalPairL1Scores(opts.flat ?? flattenCodes(enc), enc.rows, Int32Array.from(enc.sizes), flatProbs, total, opts.threads ?? 0);
  }
  const out = new Float64Array((d * (d - 1)) / 2);
  let k = 0;
  for (let a = 0; a < d; a++) {
    for (let b = a + 1; b < d; b++, k++) {
      const counts = countCliqueReference(enc, [a, b]);
      const sb = enc.sizes[b];
      let l1 = 0;
      for (let x = 0; x < enc.sizes[a]; x++) for (let y = 0; y < sb; y++) l1 += Math.abs(counts[x * sb + y] - total * probs[a][x] * probs[b][y]);
      out[k] = l1;
    }
  }
  return out;
}
