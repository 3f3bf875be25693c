/**
 * The `tvae` generator: a tabular variational autoencoder (Xu et al. 2019, "Modeling Tabular
 * Data using Conditional GAN", §5 TVAE) on the native core, with DP-SGD on the whole VAE.
 *
 * Architecture and defaults follow the published implementation (SDV ctgan.TVAE): encoder
 * D → 128 → 128 → (μ, log σ²) of a 128-dimensional latent, decoder 128 → 128 → 128 → output,
 * ReLU, Adam (lr 1e-3, weight decay 1e-5), batch 500, 300 epochs, reconstruction weighted by
 * loss_factor 2 against the KL term. Encoding: one-hot codes (categories, modes, missing) plus
 * the within-mode α of mode-specific normalisation; the decoder outputs code logits (cross
 * entropy) and, per α, a mean under a Gaussian likelihood of fixed scale σ = 1:
 * (α − μ)²/(2σ²). The published model learns one σ per column, initialised at 0.1 and clamped to
 * [0.01, 1]; the position of a value inside its quantile mode is nearly unpredictable from the
 * other columns (α is close to uniform on [−1, 1]), so the learned σ heads for its upper clamp.
 * Measured on the SCD cohort (1,000 patients, 60 epochs): σ = 0.1 weights α 100× against the
 * code cross-entropies, the latent code is spent on within-mode positions and genotype → HbS is
 * barely learned (SC − SS HbS difference −7 points vs −28.6 real), σ = 1 gives −13 (−22.6 at
 * 150 epochs). A learned per-row variance (Gaussian NLL) collapsed the posterior. Sampling draws
 * α from N(μ, σ²) truncated to [−1, 1]. Without DP the decoder samples its latent from a Gaussian
 * fitted to the aggregate posterior of the training rows, not from N(0, I) (latent-prior.ts:
 * fidelity ratio 1.46–1.92 against 1.95–2.34 on three cohorts); option `latentPrior: 'standard'`
 * keeps N(0, I), which DP trainings always use.
 *
 * Privacy: encoder and decoder are one model and one privacy unit: each training row is one
 * sample; its reconstruction loss and its KL term are clipped together (docs/nn.md), Poisson
 * sampling at q = batch/N, σ calibrated with the ledger's accountant (PRV) for the target ε
 * together with the normaliser's DP quantiles, and the ledger charged before the data is read.
 * Only the decoder is stored in the model (sampling needs nothing else).
 *
 * Missingness and 1-way marginals. Every nullable column's span ends in its missing code, so
 * the decoder outputs a missing indicator per column. After training, the decoder's output
 * biases are calibrated (neural/output-calibration.ts) so the mean code probabilities over prior
 * noise equal the exact code frequencies (non-private) or, under DP, so each column's missing
 * rate equals the noisy rate of its missingness group and the columns that "null when"
 * constraints read match their noisy histograms (neural/missingness-groups.ts, their own share of
 * ε, default 25%, charged with the rest of the plan before the table is read). The decoder also
 * starts from these marginals (output biases at the log frequencies). Measured on the 280-column
 * SCD cohort at 30 epochs, 1,500 synthetic rows: max missing-rate gap over all columns 0.315 →
 * 0.031 (ε = ∞) and 0.667 → 0.068 (ε = 3; the residual is the Gaussian noise of the group
 * rates). Option `calibrate: false` turns it off.
 */
import { InputError, UsageError } from '../../errors';
import { createTrainer } from '../../nn/create';
import type { LayerSpec, LossTermSpec, ModelSpec } from '../../nn/spec';
import { codeCounts, DiscreteColumnEncoder, fitDiscretisation, planDiscretisation, quantileColumnCount, requireModelledColumns } from '../../transform/discretiser';
import type { GeneratorDefinition, HemasynthModel, TrainContext, TrainedParts } from '../generator';
import { SamplingRandom } from '../sampling-random';
import { encodeRows, rowLayout, type RawOutputLayout, type RowLayout } from '../neural/row-layout';
import { chargeNeuralPlan, defaultMissingnessShare } from '../neural/privacy-budget';
import { NEURAL_OPTIONS, intOption, neuralOptions, numberOption, requireUsableBackend } from '../neural/training-options';
import { networkParameterCount, type GeneratorNetworkSpec } from '../neural/generator-network';
import { withFittedLatentPrior } from './latent-prior';
import { noiseRows, sampleNeuralColumns, type NeuralSamplingPlan } from '../neural/neural-sampling';
import { attachOnnxGraph } from '../onnx/onnx-export';
import { CALIBRATION_ROWS, calibrateOutputBias, startBiases } from '../neural/output-calibration';
import { dpMarginalTargets, type DpMarginals } from '../neural/missingness-groups';
import { measureCentralDpMarginals, planCentralDpMarginals } from '../neural/central-missing-release';
import { checkTiedGroups, panelColumns, tiedColumnGroups } from '../neural/tied-missingness';

/** Sampling seed of the calibration noise (post-processing: any fixed seed). */
const CALIBRATION_SEED = 0x7ae5ca1;

/** Published TVAE defaults, and ours where they depart from them (panelLossWeight, minDefaultSteps; see below). */
export const TVAE_DEFAULTS = { epochs: 300, batchSize: 500, learningRate: 1e-3, weightDecay: 1e-5, compressDims: [128, 128], decompressDims: [128, 128], embeddingDim: 128, lossFactor: 2, alphaSigma: 1, panelLossWeight: 0.1, minDefaultSteps: 3000 } as const;

/**
 * Why the two departures (option `panelLossWeight`, and the default epochs raised to reach
 * `minDefaultSteps` optimizer steps; an explicit `epochs` is kept as given). On the 280-column SCD
 * cohort the 240 columns of the SNP array and the metabolomics run (assay panels: schema sources
 * of at least PANEL_MIN_COLUMNS columns) hold most of the reconstruction loss, and the latent is
 * spent on them: at the published 300 epochs (900 steps of 500 rows) the synthetic clinical
 * columns were independent (LDH–reticulocyte 0.02 against 0.59). Weighting the panels' loss terms
 * 0.1 and training 3,000 steps, with the panels' missingness tied (neural/tied-missingness.ts),
 * measured non-private on cohorts 7, 21 and 5 (1,500 synthetic rows against a fresh cohort, checks
 * V1–V13 on three samples): fidelity ratio 1.34, 1.10 and 1.72 against 1.51, 1.45 and 1.29 with the
 * ties alone, and 6–7, 1–3 and 3–4 checks per sample against 0–1. Under DP (cohort 7) the same
 * defaults gave 5.81 at ε = 3 and 6.94 at ε = 1 against 6.54 and 7.28 with the ties alone at 900
 * steps. The panel weight alone at 900 steps did little (1.71, one check), and weights of 0.03
 * and 0.01 kept more checks at 3,000 steps but gave up the panels (ratios 1.86 and 2.66).
 */

/** The decoder's raw output layout: per column its logits, then the mean of α. */
export function tvaeRawLayout(layout: RowLayout, alphaSigma: number = TVAE_DEFAULTS.alphaSigma): RawOutputLayout {
  let at = 0;
  const logitOffsets: number[] = [], alphaOffsets: number[] = [];
  for (const s of layout.spans) {
    logitOffsets.push(at);
    at += s.size;
    if (s.alphaOffset >= 0) { alphaOffsets.push(at); at += 1; } else alphaOffsets.push(-1);
  }
  return { width: at, logitOffsets, alphaOffsets, alpha: 'gaussian', alphaSigma };
}

/**
 * The whole VAE as one model description (encoder, reparameterisation, decoder) and where the
 * decoder starts.
 * @example tvaeModelSpec(rowLayout(encoders), 128).spec.layers.length
 */
export function tvaeModelSpec(layout: RowLayout, embedding: number, dims: { compress: readonly number[]; decompress: readonly number[] } = { compress: TVAE_DEFAULTS.compressDims, decompress: TVAE_DEFAULTS.decompressDims }, lossFactor: number = TVAE_DEFAULTS.lossFactor, klWeight = 1, alphaSigma: number = TVAE_DEFAULTS.alphaSigma, columnWeights?: ArrayLike<number>): { spec: ModelSpec; decoderStart: number; decoder: LayerSpec[]; raw: RawOutputLayout } {
  const raw = tvaeRawLayout(layout, alphaSigma);
  const encoder: LayerSpec[] = [];
  for (const d of dims.compress) encoder.push({ type: 'linear', outputs: d }, { type: 'relu' });
  encoder.push({ type: 'linear', outputs: 2 * embedding });
  const decoder: LayerSpec[] = [];
  for (const d of dims.decompress) decoder.push({ type: 'linear', outputs: d }, { type: 'relu' });
  decoder.push({ type: 'linear', outputs: raw.width });
  const terms: LossTermSpec[] = [];
  layout.spans.forEach((s, j) => {
    const w = lossFactor * (columnWeights ? columnWeights[j] : 1);
    terms.push({ kind: 'crossEntropy', outputOffset: raw.logitOffsets[j], targetOffset: s.offset, width: s.size, weight: w });
    // (α − μ)²/(2σ²) with the published σ: a Gaussian likelihood of fixed scale (see the file comment).
    if (s.alphaOffset >= 0) terms.push({ kind: 'mse', outputOffset: raw.alphaOffsets[j], targetOffset: s.alphaOffset, width: 1, weight: w / (2 * alphaSigma ** 2) });
  });
  const layers: LayerSpec[] = [...encoder, { type: 'gaussianSample', size: embedding, klWeight }, ...decoder];
  return { spec: { inputSize: layout.width, layers, loss: { targetSize: layout.width, terms } }, decoderStart: encoder.length + 1, decoder, raw };
}

interface TvaeConfig {
  structure: 'tvae';
  layout: RowLayout;
  raw: RawOutputLayout;
  network: GeneratorNetworkSpec;
  embedding: number;
  samplingBackend: 'js' | 'cpu' | 'auto';
  training: Record<string, unknown>;
}

/**
 * The latent prior sampling draws from (latent-prior.ts): `fitted` (the aggregate posterior's
 * Gaussian, the default without DP) or `standard` (N(0, I), the only one under DP).
 */
function latentPriorOption(v: unknown, dp: boolean): 'fitted' | 'standard' {
  if (v === undefined) return dp ? 'standard' : 'fitted';
  if (v !== 'fitted' && v !== 'standard') throw new UsageError(`Expected option latentPrior to be "fitted" or "standard" for tvae but received ${JSON.stringify(v)}`);
  if (v === 'fitted' && dp) throw new UsageError('Expected latentPrior "standard" for a DP tvae: the fitted prior reads the training rows\' encodings outside the privacy ledger (train with --epsilon inf to use it)');
  return v;
}

function trainTvae(ctx: TrainContext): TrainedParts {
  const o = neuralOptions(ctx.options, 'tvae', TVAE_DEFAULTS);
  const embedding = intOption(ctx.options, 'embeddingDim', TVAE_DEFAULTS.embeddingDim, 1, 4096, 'tvae');
  const latentPrior = latentPriorOption(ctx.options.latentPrior, ctx.privacy !== null);
  const n = ctx.table.numRows;
  if (n === 0) throw new UsageError('Expected a training table with at least one row for tvae but received 0 rows');
  const batch = Math.min(o.batchSize, n);
  const stepsPerEpoch = Math.max(1, Math.round(n / batch));
  // Without an explicit epochs, at least minDefaultSteps steps (see TVAE_DEFAULTS).
  const epochs = ctx.options.epochs === undefined ? Math.max(o.epochs, Math.ceil(TVAE_DEFAULTS.minDefaultSteps / stepsPerEpoch)) : o.epochs;
  const steps = Math.min(epochs * stepsPerEpoch, o.maxSteps ?? Infinity);
  const panelLossWeight = numberOption(ctx.options, 'panelLossWeight', TVAE_DEFAULTS.panelLossWeight, 0, 1e6, 'tvae');
  const plan = planDiscretisation(ctx.schema, { bins: o.bins });
  requireModelledColumns(plan, ctx.schema, 'tvae');
  const q = batch / n;
  const calibrate = o.calibrate;
  // Under DP the missing rates are released per missingness group (neural/missingness-groups.ts),
  // as one clipped vector where that is cheaper (neural/central-missing-release.ts).
  const dpMarginals = calibrate ? planCentralDpMarginals(ctx.schema, plan.map((p) => p.column.name)) : null;
  const dp = ctx.privacy ? chargeNeuralPlan(ctx.privacy, { model: 'tvae', quantileColumns: quantileColumnCount(plan), countReleases: 0, missingnessReleases: dpMarginals?.releases ?? 0, missingnessShare: o.missingnessShare ?? defaultMissingnessShare(dpMarginals?.vector ?? false, ctx.privacy.target.epsilon), sampleRate: q, steps, preprocessingShare: o.preprocessingShare }) : null;
  // Only now is the table read.
  ctx.progress(0.02, 'mode-specific normalisation');
  const encoders = fitDiscretisation(ctx.table, ctx.schema, { histogramSigma: dp ? dp.quantileSigma ?? 1 : null, rng: ctx.noise }, { bins: o.bins });
  const layout = rowLayout(encoders);
  const { rows: x, codes } = encodeRows(ctx.table, encoders, layout);
  // Calibration targets, computed now (the data is read once): exact code frequencies without
  // DP, noisy group missing rates with it.
  const counts = calibrate && !dp ? codeCounts(encoders, codes) : null;
  const released = dp && dpMarginals && dpMarginals.releases > 0 ? measureCentralDpMarginals(dpMarginals, encoders, ctx.schema, codes, n, { sigma: dp.missingnessSigma as number, rng: ctx.noise }) : null;
  const lossFactor = numberOption(ctx.options, 'lossFactor', TVAE_DEFAULTS.lossFactor, 0, 1e6, 'tvae');
  const alphaSigma = numberOption(ctx.options, 'alphaSigma', TVAE_DEFAULTS.alphaSigma, 0, 1e6, 'tvae');
  const panels = panelColumns(encoders, ctx.schema);
  const { spec, decoder, raw } = tvaeModelSpec(layout, embedding, undefined, lossFactor, 1, alphaSigma, encoders.map((_, j) => (panels.has(j) ? panelLossWeight : 1)));
  const trainer = createTrainer(spec, {
    backend: o.backend,
    optimizer: { kind: 'adam', learningRate: o.learningRate, weightDecay: TVAE_DEFAULTS.weightDecay },
    ...(dp ? { dp: { noiseMultiplier: dp.noiseMultiplier, maxGradNorm: o.maxGradNorm, sampleRate: q, expectedBatchSize: q * n } } : {}),
    ...(ctx.seed !== null ? { seed: ctx.seed } : {}),
    threads: o.threads,
  });
  // Start the decoder at the known 1-way marginals (exact, or the DP missing rates with uniform
  // value codes): the output layer is the last one, so its biases end the parameter vector.
  if (counts || released) {
    const p0 = trainer.getParameters();
    const start = counts ? counts.map((c) => Float64Array.from(c, (v) => v / n)) : dpMarginalTargets(encoders, released as DpMarginals, encoders.map((e) => new Float64Array(e.size).fill(1 / e.size)));
    startBiases(p0, p0.length - raw.width, raw, encoders, start);
    trainer.setParameters(p0);
  }
  // Non-private epochs shuffle with a sampling PRNG (no privacy claim is made without DP).
  const shuffle = new SamplingRandom(ctx.seed ?? 0x7ae, 0x3000);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const every = Math.max(1, Math.floor(steps / 50));
  let lossSum = 0, lossCount = 0;
  for (let s = 0; s < steps; s++) {
    let r;
    if (dp) r = trainer.poissonStep(x, x);
    else {
      const k = s % stepsPerEpoch;
      if (k === 0) for (let i = n - 1; i > 0; i--) { const j = Math.floor(shuffle.next() * (i + 1)); const t = order[i]; order[i] = order[j]; order[j] = t; }
      r = trainer.step(x, x, order.subarray(k * batch, Math.min(n, (k + 1) * batch)));
    }
    if (r.batchSize > 0) { lossSum += r.loss; lossCount++; }
    if ((s + 1) % every === 0 || s === steps - 1) {
      ctx.progress(0.05 + 0.9 * ((s + 1) / steps), `epoch ${Math.floor(s / stepsPerEpoch) + 1}/${epochs} loss ${(lossCount ? lossSum / lossCount : 0).toFixed(3)}`);
      lossSum = 0; lossCount = 0;
    }
  }
  const all = trainer.getParameters();
  let network = tvaeDecoderNetwork(embedding, decoder, raw);
  const decoderCount = networkParameterCount(network);
  let parameters: Float32Array = all.slice(all.length - decoderCount);
  if (latentPrior === 'fitted') {
    // The encoder (the layers before the reparameterisation) once more over the training rows.
    ctx.progress(0.955, 'fitting the latent prior to the aggregate posterior');
    const encoder = { layers: spec.layers.slice(0, spec.layers.length - decoder.length - 1), parameters: all };
    ({ network, parameters } = withFittedLatentPrior(network, parameters, encoder, x, n, layout.width, embedding, { backend: o.backend, threads: o.threads }));
  }
  let calibration: Record<string, unknown> | null = null;
  if (counts || released) {
    ctx.progress(0.96, 'calibrating code marginals and missing rates');
    const noise = noiseRows(CALIBRATION_SEED, 0, CALIBRATION_ROWS, embedding);
    const targets = (net: Float64Array[]) => (counts ? counts.map((c) => Float64Array.from(c, (v) => v / n)) : dpMarginalTargets(encoders, released as DpMarginals, net));
    const cal = calibrateOutputBias(network, parameters, raw, encoders, [noise], CALIBRATION_ROWS, targets, { backend: o.backend, threads: o.threads });
    parameters = cal.parameters;
    calibration = { rows: CALIBRATION_ROWS, maxGap: cal.maxGap, targets: counts ? 'exact code frequencies' : `DP missing rates of ${released?.groups.length} missingness groups, DP histograms of ${released?.full.size} constraint-condition and count columns` };
  }
  const parts = tvaeParts(encoders, raw, network, embedding, parameters, o.backend === 'cuda' ? 'auto' : o.backend, {
      backend: trainer.backend, epochs, batchSize: batch, steps, ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}), learningRate: o.learningRate, bins: o.bins,
      compressDims: [...TVAE_DEFAULTS.compressDims], decompressDims: [...TVAE_DEFAULTS.decompressDims], embeddingDim: embedding, lossFactor, alphaSigma, latentPrior,
      panelLossWeight, panelColumns: panels.size,
      dp: dp ? { noiseMultiplier: dp.noiseMultiplier, maxGradNorm: o.maxGradNorm, sampleRate: q, steps, epsilon: dp.epsilon, missingnessSigma: dp.missingnessSigma, accountant: ctx.privacy?.ledger.accountant } : null,
      calibration,
      seeded: trainer.seeded,
  });
  // Assay panels are sampled missing together (neural/tied-missingness.ts); under DP only the
  // panels of the schema (public), without DP the sources whose columns are missing together.
  return withTiedMissingness(parts, tiedColumnGroups(encoders, ctx.schema, dp ? null : codes));
}

/**
 * The parts with the groups of columns sampled missing together (`generator.tiedMissing`;
 * neural/tied-missingness.ts), when there are any.
 * @example withTiedMissingness(parts, tiedColumnGroups(encoders, schema, null))
 */
export function withTiedMissingness(parts: TrainedParts, groups: number[][]): TrainedParts {
  if (groups.length > 0) (parts.generator as Record<string, unknown>).tiedMissing = groups;
  return parts;
}

/**
 * The decoder of a TVAE as a sampling network: noise of the embedding's width in, raw output out.
 * @example tvaeDecoderNetwork(128, tvaeModelSpec(layout, 128).decoder, tvaeModelSpec(layout, 128).raw)
 */
export function tvaeDecoderNetwork(embedding: number, decoder: LayerSpec[], raw: RawOutputLayout): GeneratorNetworkSpec {
  return { inputs: [{ name: 'noise', width: embedding }], layers: decoder, outputWidth: raw.width };
}

/**
 * A TVAE model's parts from its decoder parameters: the generator configuration (the row layout
 * follows from the encoders), the weights and the ONNX graph. Used by the central training and by
 * the federated one (src/federated/tasks/tvae.ts).
 * @example tvaeParts(encoders, raw, network, 128, decoderParameters, 'auto', { epochs: 300 })
 */
export function tvaeParts(encoders: DiscreteColumnEncoder[], raw: RawOutputLayout, network: GeneratorNetworkSpec, embedding: number, decoderParameters: Float32Array, samplingBackend: TvaeConfig['samplingBackend'], training: Record<string, unknown>): TrainedParts {
  const layout = rowLayout(encoders);
  const generator: TvaeConfig = { structure: 'tvae', layout, raw, network, embedding, samplingBackend, training };
  const parts: TrainedParts = { encoders, generator: generator as unknown as Record<string, unknown>, weights: { decoder: decoderParameters } };
  attachOnnxGraph(parts, network, decoderParameters);
  return parts;
}

function config(model: HemasynthModel): TvaeConfig {
  return model.manifest.generator as unknown as TvaeConfig;
}

/** Checks a loaded TVAE model's configuration against its encoders and weights. */
export function validateNeuralModel(model: HemasynthModel, file: string, weightName: string): void {
  const g = model.manifest.generator as unknown as { layout?: RowLayout; raw?: RawOutputLayout; network?: GeneratorNetworkSpec };
  const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
  const bad = (field: string, expected: string, got: unknown) => new InputError({ file, field }, expected, String(JSON.stringify(got) ?? got).slice(0, 80));
  if (!g.layout || !Array.isArray(g.layout.spans) || g.layout.spans.length !== encoders.length) throw bad('generator.layout', `a row layout of ${encoders.length} columns`, g.layout?.spans?.length);
  const expected = rowLayout(encoders);
  expected.spans.forEach((s, j) => {
    const t = g.layout!.spans[j];
    if (!t || t.column !== s.column || t.size !== s.size || t.offset !== s.offset || t.alphaOffset !== s.alphaOffset) throw bad(`generator.layout.spans[${j}]`, JSON.stringify(s), t);
  });
  const raw = g.raw;
  if (!raw || !Number.isInteger(raw.width) || !Array.isArray(raw.logitOffsets) || raw.logitOffsets.length !== encoders.length || !Array.isArray(raw.alphaOffsets) || raw.alphaOffsets.length !== encoders.length || (raw.alpha !== 'gaussian' && raw.alpha !== 'tanh')) throw bad('generator.raw', 'a raw output layout', raw);
  if (raw.alpha === 'gaussian' && !(typeof raw.alphaSigma === 'number' && raw.alphaSigma >= 0 && Number.isFinite(raw.alphaSigma))) throw bad('generator.raw.alphaSigma', 'a finite scale >= 0', raw.alphaSigma);
  encoders.forEach((e, j) => {
    const lo = raw.logitOffsets[j], ao = raw.alphaOffsets[j];
    if (!(Number.isInteger(lo) && lo >= 0 && lo + e.size <= raw.width)) throw bad(`generator.raw.logitOffsets[${j}]`, `an offset with ${e.size} logits inside ${raw.width}`, lo);
    if ((ao >= 0) !== (expected.spans[j].alphaOffset >= 0) || (ao >= 0 && ao + 1 > raw.width)) throw bad(`generator.raw.alphaOffsets[${j}]`, 'an α offset inside the output', ao);
  });
  if (!g.network || !Array.isArray(g.network.inputs) || g.network.outputWidth !== raw.width) throw bad('generator.network', `a network with output width ${raw.width}`, g.network?.outputWidth);
  let count: number;
  try { count = networkParameterCount(g.network); } catch (e) { throw bad('generator.network', 'a valid network description', (e as Error).message); }
  const w = model.weights[weightName];
  if (!(w instanceof Float32Array) || w.length !== count) throw bad(`weights.${weightName}`, `a float32 blob of ${count} values`, w?.length);
  checkTiedGroups((g as { tiedMissing?: unknown }).tiedMissing, encoders, file);
}

/** The TVAE generator. */
export const tvaeGenerator: GeneratorDefinition = {
  name: 'tvae',
  options: [...NEURAL_OPTIONS, 'embeddingDim', 'lossFactor', 'alphaSigma', 'latentPrior', 'panelLossWeight'],
  description: 'tabular variational autoencoder (Xu et al. 2019) with DP-SGD on encoder and decoder; sampling native or ONNX',
  engines: ['native', 'onnx'],
  train: trainTvae,
  checkOptions(options, _schema, dp) {
    // Every option trainTvae reads, before anything is charged (some are read only after the charge).
    const o = neuralOptions(options, 'tvae', TVAE_DEFAULTS);
    intOption(options, 'embeddingDim', TVAE_DEFAULTS.embeddingDim, 1, 4096, 'tvae');
    latentPriorOption(options.latentPrior, dp);
    numberOption(options, 'lossFactor', TVAE_DEFAULTS.lossFactor, 0, 1e6, 'tvae');
    numberOption(options, 'alphaSigma', TVAE_DEFAULTS.alphaSigma, 0, 1e6, 'tvae');
    numberOption(options, 'panelLossWeight', TVAE_DEFAULTS.panelLossWeight, 0, 1e6, 'tvae');
    requireUsableBackend(o.backend, 'tvae');
  },
  validate(model, file) {
    validateNeuralModel(model, file, 'decoder');
  },
  sampleColumns(model, req) {
    return sampleNeuralColumns(model, req, tvaeSamplingPlan(model, req.seed)).columns;
  },
  sampleCodes(model, req) {
    return sampleNeuralColumns(model, req, tvaeSamplingPlan(model, req.seed)).codes;
  },
};

/**
 * Noise in, decoder out: the sampling plan of a TVAE model for a sampling seed.
 * @example tvaeSamplingPlan(model, 7).inputs(0, 10)[0].length // 10 × embedding
 */
export function tvaeSamplingPlan(model: HemasynthModel, seed: number): NeuralSamplingPlan {
  const g = config(model);
  return {
    net: g.network,
    parameters: model.weights.decoder,
    raw: g.raw,
    inputs: (first, rows) => [noiseRows(seed, first, rows, g.embedding)],
  };
}
