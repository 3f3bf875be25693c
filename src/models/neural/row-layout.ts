/**
 * The row layout shared by the neural generators: every modelled column becomes a span of code
 * logits (one per category, interval or mode, the missing code included, so missingness is
 * modelled rather than imputed) followed, for numeric columns, by the within-mode scalar α of
 * mode-specific normalisation. Training rows are encoded to this layout (one-hot + α); the
 * networks' raw outputs are read back through it into codes and positions, then decoded by the
 * transform layer.
 */
import type { Table } from 'apache-arrow';
import { UsageError } from '../../errors';
import { decodeColumn, type DecodedColumn, type ValueRestriction } from '../../transform/decode';
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import { alphaToPosition, modeSpecificEncode, needsAlpha } from '../../transform/mode-specific-normalisation';
import { SAMPLING_BLOCK_ROWS, SamplingRandom } from '../sampling-random';

/** One column's place in the encoded row and in a network's raw output. */
export interface ColumnSpan {
  column: string;
  /** Number of codes (logits). */
  size: number;
  /** First logit in the encoded (one-hot) row. */
  offset: number;
  /** Position of α in the encoded row, or −1. */
  alphaOffset: number;
}

/** The layout of encoded rows. */
export interface RowLayout {
  spans: ColumnSpan[];
  /** Width of an encoded row. */
  width: number;
}

/**
 * Lays out the encoded row for a list of encoders.
 * @example rowLayout(encoders).width
 */
export function rowLayout(encoders: readonly DiscreteColumnEncoder[]): RowLayout {
  let at = 0;
  const spans = encoders.map((e) => {
    if (!(Number.isInteger(e.size) && e.size >= 1)) throw new UsageError(`Expected an encoder with at least one code for column "${e.column}" but received size ${e.size}`);
    const offset = at;
    at += e.size;
    const alphaOffset = needsAlpha(e) ? at++ : -1;
    return { column: e.column, size: e.size, offset, alphaOffset };
  });
  return { spans, width: at };
}

/**
 * Encodes a table to row-major float32 rows (one-hot codes + α) and returns the codes too.
 * Call only after the ledger paid for the encoders (see privacy-budget.ts).
 * @example const { rows } = encodeRows(table, encoders, rowLayout(encoders))
 */
export function encodeRows(table: Table, encoders: readonly DiscreteColumnEncoder[], layout: RowLayout): { rows: Float32Array; codes: Int32Array[] } {
  const n = table.numRows;
  const w = layout.width;
  const rows = new Float32Array(n * w);
  const codes: Int32Array[] = [];
  const alphas: (Float32Array | null)[] = [];
  encoders.forEach((e, j) => {
    const { codes: c, alpha } = modeSpecificEncode(table, e);
    codes.push(c);
    alphas.push(layout.spans[j].alphaOffset >= 0 ? alpha : null);
  });
  // One row-major pass over the output (column by column would stride through all of it once per column).
  const m = encoders.length;
  const offsets = Int32Array.from(layout.spans, (s) => s.offset);
  const alphaOffsets = Int32Array.from(layout.spans, (s) => s.alphaOffset);
  for (let i = 0; i < n; i++) {
    const base = i * w;
    for (let j = 0; j < m; j++) {
      rows[base + offsets[j] + codes[j][i]] = 1;
      const a = alphas[j];
      if (a) rows[base + alphaOffsets[j]] = a[i];
    }
  }
  return { rows, codes };
}

/** How a network's raw output row maps onto the layout. */
export interface RawOutputLayout {
  /** Width of a raw output row. */
  width: number;
  /** Per column: offset of its logits in the raw row. */
  logitOffsets: number[];
  /** Per column: offset of α's raw value(s) in the raw row, or −1. */
  alphaOffsets: number[];
  /**
   * How α is read: 'gaussian' (TVAE: a mean, α ~ N(μ, alphaSigma²) truncated to [−1, 1]) or
   * 'tanh' (CTGAN: α = tanh(raw)).
   */
  alpha: 'gaussian' | 'tanh';
  /** Scale of α's Gaussian ('gaussian' only). */
  alphaSigma?: number;
}

/**
 * Reads raw network outputs into codes and positions (the TypeScript reference; the native
 * read-out, native/neural/readout.cpp through native-readout.ts, gives the same codes and the
 * positions within round-off, and is what sampling uses when the addon is loaded and the model's
 * sampling backend is not `js`). Codes are drawn from softmax(logits)
 * (CTGAN's Gumbel-softmax argmax at sampling time is the same draw), restricted to the codes a
 * `--where` condition allows (weights from resolveCondition: the distribution is renormalised
 * over them, so the condition holds exactly without rejection); α is drawn as the layout says and
 * decoded inside the code's interval, within any conditioned range.
 * Randomness: a sampling PRNG (post-processing of a trained model), one stream per column and
 * block of {@link SAMPLING_BLOCK_ROWS} rows starting at `firstRow`, so results do not depend on how
 * rows are batched.
 * @example readRawOutput(raw, rows, encoders, layout, { seed: 1, firstRow: 0 })
 */
export function readRawOutput(
  raw: Float32Array,
  rows: number,
  encoders: readonly DiscreteColumnEncoder[],
  out: RawOutputLayout,
  opts: { seed: number; firstRow: number; evidence?: ReadonlyMap<number, Float64Array>; conditionText?: string },
): { codes: Int32Array[]; positions: Float64Array[] } {
  const W = out.width;
  if (raw.length !== rows * W) throw new UsageError(`Expected ${rows * W} raw output values (${rows} rows × ${W}) but received ${raw.length}`);
  const codes: Int32Array[] = [];
  const positions: Float64Array[] = [];
  encoders.forEach((e, j) => {
    const size = e.size;
    const lo = out.logitOffsets[j], ao = out.alphaOffsets[j];
    const w = opts.evidence?.get(j);
    const c = new Int32Array(rows);
    const pos = new Float64Array(rows);
    const p = new Float64Array(size);
    let rng: SamplingRandom | null = null;
    for (let i = 0; i < rows; i++) {
      const global = opts.firstRow + i;
      if (rng === null || global % SAMPLING_BLOCK_ROWS === 0) rng = new SamplingRandom(opts.seed, Math.floor(global / SAMPLING_BLOCK_ROWS) * 4096 + j + 1);
      const base = i * W + lo;
      let m = -Infinity;
      for (let k = 0; k < size; k++) if (raw[base + k] > m) m = raw[base + k];
      let sum = 0;
      for (let k = 0; k < size; k++) { p[k] = Math.exp(raw[base + k] - m) * (w ? w[k] : 1); sum += p[k]; }
      if (!(sum > 0)) {
        // The network puts (numerically) no mass on the allowed codes: follow the condition's weights.
        sum = 0;
        for (let k = 0; k < size; k++) { p[k] = w ? w[k] : 1; sum += p[k]; }
        if (!(sum > 0)) throw new UsageError(`Condition ${JSON.stringify(opts.conditionText ?? '')} allows no value of column "${e.column}"`);
      }
      let u = rng.next() * sum, k = 0;
      while (k < size - 1 && u >= p[k]) { u -= p[k]; k++; }
      while (w && w[k] === 0 && k > 0) k--; // floating-point round-off landed on a forbidden code
      c[i] = k;
      if (ao >= 0) {
        let a: number;
        if (out.alpha === 'gaussian') {
          // N(μ, σ²) truncated to [−1, 1] by rejection (clamping would pile mass on the mode edges).
          const mu = raw[i * W + ao], sd = out.alphaSigma ?? 0;
          a = mu + sd * rng.normal();
          for (let t = 0; t < 16 && (a < -1 || a > 1); t++) a = mu + sd * rng.normal();
        } else a = Math.tanh(raw[i * W + ao]);
        pos[i] = alphaToPosition(Math.max(-1, Math.min(1, a)));
      } else pos[i] = rng.next();
    }
    codes.push(c);
    positions.push(pos);
  });
  return { codes, positions };
}

/**
 * Decodes codes and positions into columns (bounds, integers and categories restored): row i's
 * value sits at position i of its bin. The TypeScript reference of the native decode
 * (native-readout.ts decodeWithPositionsNative: marginalDecodeColumns with the positions as its
 * uniforms, the same values).
 * @example decodeWithPositions(encoders, codes, positions, restrictions)
 */
export function decodeWithPositions(encoders: readonly DiscreteColumnEncoder[], codes: Int32Array[], positions: Float64Array[], restrictions: ReadonlyMap<number, ValueRestriction>): DecodedColumn[] {
  // By row index: decodeColumn asks no uniform for a row whose bin admits a single integer, so
  // handing out positions in call order (as this did before) gave every later row of the column
  // the position of an earlier one.
  return encoders.map((e, j) => decodeColumn(e, codes[j], (i) => positions[j][i], restrictions.get(j)));
}
