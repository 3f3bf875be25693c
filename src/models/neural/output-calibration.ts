/**
 * Calibration of a neural generator's code marginals, the missing code included: after training,
 * the biases of the sampling network's last linear layer are moved so that the mean softmax of
 * every column's code logits, over the same inputs sampling draws (prior noise for TVAE, noise
 * and conditions for CTGAN), equals a target distribution.
 *
 * Why. Sampling draws each column's code from softmax(logits) (row-layout.ts readRawOutput), so
 * the expected frequency of a code, and in particular the missing rate of a column, is the mean
 * softmax over the sampling inputs. A VAE decodes prior noise, not the aggregate posterior it was
 * trained on (the "prior hole" of Rezende & Viola 2018), and a GAN generator at a short budget
 * misses rare modes, so both leave 1-way marginals off; on the 280-column SCD cohort TVAE at 30
 * epochs put the 69%-missing laboratory columns at 38%. Missingness is modelled explicitly by
 * the missing code of every nullable column (its indicator output); calibration makes the
 * indicator's rate the real one while keeping what the network learned about which rows are
 * missing together (the shift is one constant per code, so the ranking of rows by their missing
 * logit, and thus the joint missingness pattern, is unchanged).
 *
 * The update is iterative proportional fitting on the logits: b_k ← b_k + log(t_k / p̄_k), which
 * converges in a few rounds because the mean softmax is monotone in each bias. Only the final
 * bias changes, so the pre-bias outputs are computed once and the rounds run in JavaScript.
 *
 * Targets. Without DP the exact code frequencies of the training table (every code). Under DP
 * only the missing codes move, to the noisy missing rate of the column's missingness group
 * (missingness-groups.ts, charged to the ledger with the rest of the plan); the value codes keep
 * the network's proportions. Per-column histograms would need noise of hundreds of counts per
 * code on a few hundred columns, which would make the marginals worse, not better.
 */
import { UsageError } from '../../errors';
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import { nativeRunner, type GeneratorNetworkSpec } from './generator-network';
import type { RawOutputLayout } from './row-layout';

/** Rows of sampling inputs the calibration averages over. */
export const CALIBRATION_ROWS = 4096;

/** Smallest target probability: a code never seen keeps a tiny mass instead of an infinite bias. */
const FLOOR = 1e-6;

/**
 * Mean softmax of each column's logits over raw network outputs (row-major, `rows` rows).
 * @example meanCodeProbabilities(raw, 4096, encoders, layout)
 */
export function meanCodeProbabilities(raw: Float32Array, rows: number, encoders: readonly DiscreteColumnEncoder[], out: RawOutputLayout, bias?: readonly Float64Array[]): Float64Array[] {
  const W = out.width;
  if (raw.length !== rows * W) throw new UsageError(`Expected ${rows * W} raw output values but received ${raw.length}`);
  return encoders.map((e, j) => {
    const size = e.size, lo = out.logitOffsets[j];
    const b = bias?.[j];
    const mean = new Float64Array(size);
    const p = new Float64Array(size);
    for (let i = 0; i < rows; i++) {
      const base = i * W + lo;
      let m = -Infinity;
      for (let k = 0; k < size; k++) { p[k] = raw[base + k] + (b ? b[k] : 0); if (p[k] > m) m = p[k]; }
      let sum = 0;
      for (let k = 0; k < size; k++) { p[k] = Math.exp(p[k] - m); sum += p[k]; }
      for (let k = 0; k < size; k++) mean[k] += p[k] / sum;
    }
    for (let k = 0; k < size; k++) mean[k] /= rows;
    return mean;
  });
}

/** What {@link calibrateOutputBias} returns. */
export interface OutputCalibration {
  /** The network parameters with the calibrated last-layer bias. */
  parameters: Float32Array;
  /** Mean code probabilities before calibration (per column). */
  before: Float64Array[];
  /** Largest |mean probability − target| over all codes after calibration. */
  maxGap: number;
}

/**
 * Moves the last linear layer's biases so each column's mean code probability over the given
 * sampling inputs equals `targets` (a probability vector per column). The network must end in a
 * linear layer whose output is the raw layout (TVAE's decoder and CTGAN's generator do).
 * @example calibrateOutputBias(net, params, raw, encoders, [noise], 4096, targets).parameters
 */
export function calibrateOutputBias(
  net: GeneratorNetworkSpec, parameters: Float32Array, raw: RawOutputLayout, encoders: readonly DiscreteColumnEncoder[],
  inputs: readonly Float32Array[], rows: number, targets: ((network: Float64Array[]) => readonly Float64Array[]) | readonly Float64Array[],
  opts: { backend?: 'js' | 'cpu' | 'cuda' | 'auto'; threads?: number; rounds?: number } = {},
): OutputCalibration {
  const last = net.layers[net.layers.length - 1];
  if (!last || last.type !== 'linear' || last.outputs !== raw.width) throw new UsageError(`Expected a network ending in a linear layer of ${raw.width} outputs for calibration but received ${JSON.stringify(last)?.slice(0, 60)}`);
  const W = raw.width;
  const biasAt = parameters.length - W;
  const zeroed = parameters.slice();
  zeroed.fill(0, biasAt);
  const runner = nativeRunner(net, zeroed, { backend: opts.backend ?? 'auto', threads: opts.threads });
  let pre: Float32Array;
  try { pre = runner.run(inputs, rows); } finally { runner.close(); }
  const bias = encoders.map((e, j) => Float64Array.from({ length: e.size }, (_, k) => parameters[biasAt + raw.logitOffsets[j] + k]));
  const before = meanCodeProbabilities(pre, rows, encoders, raw, bias);
  const t = typeof targets === 'function' ? targets(before) : targets;
  if (t.length !== encoders.length) throw new UsageError(`Expected ${encoders.length} calibration targets but received ${t.length}`);
  encoders.forEach((e, j) => {
    if (t[j].length !== e.size || t[j].some((v) => !(v >= 0 && v <= 1))) throw new UsageError(`Expected ${e.size} probabilities as the calibration target of column "${e.column}" but received ${Array.from(t[j]).slice(0, 8).join(', ')}`);
  });
  let mean = before;
  let maxGap = Infinity;
  for (let round = 0; round < (opts.rounds ?? 8) && maxGap > 1e-3; round++) {
    encoders.forEach((e, j) => {
      for (let k = 0; k < e.size; k++) {
        const step = Math.log(Math.max(FLOOR, t[j][k]) / Math.max(FLOOR * 1e-3, mean[j][k]));
        bias[j][k] = Math.max(-40, Math.min(40, bias[j][k] + Math.max(-12, Math.min(12, step))));
      }
    });
    mean = meanCodeProbabilities(pre, rows, encoders, raw, bias);
    maxGap = 0;
    encoders.forEach((e, j) => { for (let k = 0; k < e.size; k++) maxGap = Math.max(maxGap, Math.abs(mean[j][k] - t[j][k])); });
  }
  const out = parameters.slice();
  encoders.forEach((e, j) => { for (let k = 0; k < e.size; k++) out[biasAt + raw.logitOffsets[j] + k] = bias[j][k]; });
  return { parameters: out, before, maxGap };
}

/**
 * Writes log-probability starting biases into the last linear layer of a parameter vector whose
 * network ends in the raw layout (`biasAt` = index of the first output bias): each column's
 * logits start at log(target) (centred), so training starts from the right 1-way marginals and
 * spends its steps on the dependence between columns (CTGAN does the same from its counts).
 * @example startBiases(params, params.length - raw.width, raw, encoders, targets)
 */
export function startBiases(parameters: Float32Array, biasAt: number, raw: RawOutputLayout, encoders: readonly DiscreteColumnEncoder[], targets: readonly Float64Array[]): void {
  if (!(biasAt >= 0 && biasAt + raw.width <= parameters.length)) throw new UsageError(`Expected the output biases inside ${parameters.length} parameters but received offset ${biasAt}`);
  encoders.forEach((e, j) => {
    const logs = Array.from(targets[j], (t) => Math.log(Math.max(FLOOR, t)));
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    for (let k = 0; k < e.size; k++) parameters[biasAt + raw.logitOffsets[j] + k] = logs[k] - mean;
  });
}
