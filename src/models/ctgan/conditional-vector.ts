/**
 * CTGAN's conditional vector (Xu et al. 2019, §4.3): the concatenated one-hot spans of the
 * discrete columns (categorical, ordinal, boolean; the missing code included), with exactly one
 * code set. Training-by-sampling picks a discrete column uniformly, then one of its codes with
 * probability ∝ log(1 + frequency), and trains the generator to produce that code (the "cond
 * loss"); at sampling time a column is picked uniformly and a code ∝ frequency (the published
 * `sample_original_condvec`), or the code a `--where` condition allows.
 *
 * Under DP the frequencies are noisy counts bought through the ledger (Gaussian mechanism,
 * sensitivity 1 per column under add/remove); the critic's real rows are Poisson-sampled and
 * each carries a condition taken from the row itself (see ctgan-generator.ts).
 */
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import { SAMPLING_BLOCK_ROWS, SamplingRandom } from '../sampling-random';

/** The conditional-vector layout and code frequencies (stored in the model manifest). */
export interface ConditionalVector {
  /** Encoder index of each discrete column. */
  columns: number[];
  /** Offset of each discrete column's span in the vector. */
  offsets: number[];
  sizes: number[];
  width: number;
  /** Per discrete column: code probabilities (noisy under DP, clamped and normalised). */
  frequencies: number[][];
}

/**
 * The conditional vector of a list of encoders, with code frequencies from (noisy) counts.
 * @example conditionalVector(encoders, counts)
 */
export function conditionalVector(encoders: readonly DiscreteColumnEncoder[], counts: (j: number) => number[]): ConditionalVector {
  const columns: number[] = [], offsets: number[] = [], sizes: number[] = [], frequencies: number[][] = [];
  let at = 0;
  encoders.forEach((e, j) => {
    if (e.levels !== 'categories' || e.size < 2) return;
    columns.push(j);
    offsets.push(at);
    sizes.push(e.size);
    at += e.size;
    const c = counts(j).map((x) => Math.max(0, x));
    const total = c.reduce((s, x) => s + x, 0);
    frequencies.push(total > 0 ? c.map((x) => x / total) : c.map(() => 1 / c.length));
  });
  return { columns, offsets, sizes, width: at, frequencies };
}

function pickWeighted(weights: ArrayLike<number>, u: number): number {
  let sum = 0;
  for (let k = 0; k < weights.length; k++) sum += weights[k];
  let x = u * sum, k = 0;
  while (k < weights.length - 1 && x >= weights[k]) { x -= weights[k]; k++; }
  return k;
}

/**
 * Training-by-sampling: `rows` conditions, each a (discrete column, code) with the column uniform
 * and the code ∝ log(1 + frequency·N); returns the one-hot vectors and the picks.
 * @example trainingConditions(cv, 500, rng, 1000)
 */
export function trainingConditions(cv: ConditionalVector, rows: number, rng: SamplingRandom, n: number): { vectors: Float32Array; column: Int32Array; code: Int32Array } {
  const vectors = new Float32Array(rows * cv.width);
  const column = new Int32Array(rows), code = new Int32Array(rows);
  const logs = cv.frequencies.map((f) => f.map((p) => Math.log1p(p * n)));
  for (let i = 0; i < rows; i++) {
    const c = Math.min(cv.columns.length - 1, Math.floor(rng.next() * cv.columns.length));
    const k = pickWeighted(logs[c], rng.next());
    column[i] = c;
    code[i] = k;
    vectors[i * cv.width + cv.offsets[c] + k] = 1;
  }
  return { vectors, column, code };
}

/** Stream numbers of the condition PRNG at sampling time. */
const CONDITION_STREAM_BASE = 0x50000000;

/**
 * Conditions for sampling rows [firstRow, firstRow + rows): with `evidence` on discrete columns
 * (a `--where`), the first such column with its code drawn ∝ frequency × allowed weight; else a
 * uniform column and a code ∝ frequency. Independent of chunking (one stream per block).
 * @example samplingConditions(cv, seed, 0, 100, null)
 */
export function samplingConditions(cv: ConditionalVector, seed: number, firstRow: number, rows: number, evidence: ReadonlyMap<number, Float64Array> | null): Float32Array {
  const out = new Float32Array(rows * cv.width);
  if (cv.width === 0) return out;
  const forced = evidence ? cv.columns.findIndex((j) => evidence.has(j)) : -1;
  const weights = forced >= 0 ? cv.frequencies[forced].map((p, k) => (p > 0 ? p : 1e-12) * (evidence!.get(cv.columns[forced]) as Float64Array)[k]) : null;
  let rng: SamplingRandom | null = null;
  for (let i = 0; i < rows; i++) {
    const g = firstRow + i;
    if (rng === null || g % SAMPLING_BLOCK_ROWS === 0) rng = new SamplingRandom(seed, CONDITION_STREAM_BASE + Math.floor(g / SAMPLING_BLOCK_ROWS));
    const c = forced >= 0 ? forced : Math.min(cv.columns.length - 1, Math.floor(rng.next() * cv.columns.length));
    const k = pickWeighted(weights ?? cv.frequencies[c], rng.next());
    out[i * cv.width + cv.offsets[c] + k] = 1;
  }
  return out;
}
