/**
 * The latent prior a non-private TVAE samples from: a Gaussian fitted to the aggregate posterior
 * of the training rows ("ex-post density estimation", Ghosh et al. 2020, "From Variational to
 * Deterministic Autoencoders", §4), instead of the N(0, I) the VAE was trained towards.
 *
 * Why: a VAE decodes prior noise, not the aggregate posterior it was trained on, and the two
 * differ where the KL term did not pull the encoder all the way (the "prior hole", Rezende &
 * Viola 2018). Sampling z ~ N(m, C), with m the mean of the posterior means and C their
 * covariance plus the mean posterior variance (the aggregate posterior's first two moments),
 * decodes noise the decoder has seen. Measured at the published budget (300 epochs, batch 500,
 * training seed 3, 1,500 synthetic rows, fidelity ratio of src/models/fidelity-ratio.ts): 1.92
 * against 2.34 on cohort 7, 1.46 against 1.95 on cohort 21, 1.67 against 2.10 on cohort 5. It
 * does not bring back the dependence TVAE misses on the 280-column cohort
 * (docs/neural-generators.md).
 *
 * The Gaussian enters the stored decoder as its first layer, z = m + L ε with C = L Lᵀ, so the
 * sampling input stays N(0, I) noise and the native, ONNX and calibration paths run unchanged.
 * The layer holds two moments of the encoded training table, no row. Under DP it would need its
 * own noisy release; DP trainings keep N(0, I).
 */
import type { BackendName } from '../../backend/availability';
import { UsageError } from '../../errors';
import type { LayerSpec } from '../../nn/spec';
import { cholesky } from '../copula/copula-fit';
import { nativeRunner, networkParameterCount, type GeneratorNetworkSpec } from '../neural/generator-network';

/**
 * Most training rows encoded for the prior's moments (evenly spaced): two moments of a
 * 128-dimensional latent are estimated well from far fewer rows than a large table has, and
 * encoding 1,000,000 rows would hold a gigabyte of encoder outputs.
 */
export const LATENT_PRIOR_ROWS = 20000;

/**
 * At most `most` rows of a row-major table (`rows` × `width`), evenly spaced; the table itself
 * when it is small enough.
 * @example evenlySpacedRows(x, 1_000_000, 300, 20000).count // 20000
 */
export function evenlySpacedRows(x: Float32Array, rows: number, width: number, most: number): { rows: Float32Array; count: number } {
  if (rows <= most) return { rows: x, count: rows };
  const out = new Float32Array(most * width);
  for (let k = 0; k < most; k++) {
    const i = Math.floor((k * rows) / most);
    out.set(x.subarray(i * width, (i + 1) * width), k * width);
  }
  return { rows: out, count: most };
}

/** Variance added to the diagonal so the fitted covariance stays positive definite. */
const JITTER = 1e-6;

/**
 * The first decoder layer that maps N(0, I) noise to N(m, C), from the encoder's outputs on the
 * training rows (row-major, `rows` × 2·embedding: posterior means, then log-variances).
 * @example const { layer, parameters } = fittedLatentPrior(encoderOutput, 1500, 128)
 */
export function fittedLatentPrior(encoded: Float32Array, rows: number, embedding: number): { layer: LayerSpec; parameters: Float32Array; mean: Float64Array; covariance: Float64Array } {
  const e = embedding, w = 2 * e;
  if (!(rows > 0) || encoded.length !== rows * w) throw new UsageError(`Expected ${rows} rows of ${w} encoder outputs but received ${encoded.length} values`);
  const mean = new Float64Array(e), variance = new Float64Array(e), cov = new Float64Array(e * e);
  for (let i = 0; i < rows; i++) for (let a = 0; a < e; a++) { mean[a] += encoded[i * w + a] / rows; variance[a] += Math.exp(encoded[i * w + e + a]) / rows; }
  const d = new Float64Array(e);
  for (let i = 0; i < rows; i++) {
    for (let a = 0; a < e; a++) d[a] = encoded[i * w + a] - mean[a];
    for (let a = 0; a < e; a++) for (let b = 0; b <= a; b++) cov[a * e + b] += (d[a] * d[b]) / rows;
  }
  for (let a = 0; a < e; a++) {
    cov[a * e + a] += variance[a] + JITTER;
    for (let b = 0; b < a; b++) cov[b * e + a] = cov[a * e + b];
  }
  const L = cholesky(cov, e);
  if (!L) throw new UsageError('Expected a positive-definite aggregate posterior covariance for the TVAE latent prior but received a singular one');
  // A linear layer computes y = x W + b with W in×out row-major (docs/nn.md): W[i][o] = L[o][i].
  const parameters = new Float32Array(e * e + e);
  for (let i = 0; i < e; i++) for (let o = i; o < e; o++) parameters[i * e + o] = L[o * e + i];
  parameters.set(mean, e * e);
  return { layer: { type: 'linear', outputs: e }, parameters, mean, covariance: cov };
}

/**
 * The decoder with the fitted prior as its first layer: the encoder (its layers and parameters)
 * runs over at most LATENT_PRIOR_ROWS evenly spaced training rows (row-major, `rows` × `width`),
 * and the aggregate posterior's Gaussian is prepended to the decoder network and its parameters.
 * @example const { network, parameters } = withFittedLatentPrior(decoder, weights, encoder, x, n, layout.width, 128, { backend: 'cpu' })
 */
export function withFittedLatentPrior(decoder: GeneratorNetworkSpec, decoderParameters: Float32Array, encoder: { layers: LayerSpec[]; parameters: Float32Array }, x: Float32Array, rows: number, width: number, embedding: number, run: { backend?: BackendName | 'auto'; threads?: number }): { network: GeneratorNetworkSpec; parameters: Float32Array } {
  const encoderNet: GeneratorNetworkSpec = { inputs: [{ name: 'rows', width }], layers: encoder.layers, outputWidth: 2 * embedding };
  const { rows: sample, count } = evenlySpacedRows(x, rows, width, LATENT_PRIOR_ROWS);
  const encoded = nativeRunner(encoderNet, encoder.parameters.subarray(0, networkParameterCount(encoderNet)), run).run([sample], count);
  const prior = fittedLatentPrior(encoded, count, embedding);
  const parameters = new Float32Array(prior.parameters.length + decoderParameters.length);
  parameters.set(prior.parameters);
  parameters.set(decoderParameters, prior.parameters.length);
  return { network: { ...decoder, layers: [prior.layer, ...decoder.layers] }, parameters };
}
