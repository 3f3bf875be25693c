/**
 * The `ctgan` generator: a conditional tabular GAN (Xu et al. 2019) with a WGAN-GP critic
 * (Gulrajani et al. 2017) on the native core, DP-SGD on the critic.
 *
 * Architecture and defaults follow the published implementation (SDV ctgan.CTGAN): noise 128,
 * generator 256-256, critic 256-256 with LeakyReLU(0.2) and dropout 0.5, PacGAN packing of 10
 * rows (Lin et al. 2018), gradient-penalty weight 10, Adam (lr 2e-4, β = (0.5, 0.9), weight
 * decay 1e-6), batch 500, 300 epochs, one critic step per generator step, Gumbel-softmax (τ 0.2)
 * on discrete spans and tanh on α, the conditional vector with training-by-sampling and the
 * generator's cross-entropy "cond loss". Two deliberate differences, both forced by DP-SGD on
 * the native core: (1) the generator's residual blocks add their input (width kept) with layer
 * normalisation instead of concatenating it after batch normalisation (the core refuses batch
 * normalisation because it mixes samples; the generator is not clipped, but one layer set keeps
 * native, ONNX and DP paths identical); (2) under DP, pac is 1 (see below).
 *
 * Privacy (DP-CTGAN in the style of Fang et al. 2022 and of the DP-SGD critic of Xie et al.
 * 2018): only the critic reads real rows. A critic sample is a triple of rows, the real row, a
 * generated row and their interpolate (docs/nn.md), clipped as one, so a record's influence
 * through the Wasserstein term and the gradient penalty is bounded by C. Real rows are
 * Poisson-sampled with a ChaCha20 keystream (the ledger's CSPRNG) at q = batch/N, and each
 * carries a condition taken from itself (a uniformly chosen discrete column and its own code), so
 * nothing but the record enters its sample. With pac > 1 a critic sample would pack several
 * records, and adding or removing one record would shift the packing of the others, breaking the
 * per-sample sensitivity the accountant assumes: under DP pac is therefore 1. The generator is
 * trained only on the critic's input gradients and on noisy code counts of every column
 * (post-processing: they set its initial output biases to the log frequencies and drive the
 * conditional vector), with no DP noise of its own. Noisy counts and the normaliser's quantiles
 * are charged with DP-SGD before the table is read.
 *
 * After training the generator's output biases are calibrated (neural/output-calibration.ts) so
 * the mean code probabilities over the sampling inputs (noise and sampled conditions) equal the
 * exact code frequencies (non-private) or, under DP, so each missing rate equals the noisy rate
 * of its missingness group and the columns "null when" constraints read match their noisy
 * histograms (neural/missingness-groups.ts, charged with the plan): missingness is an explicit
 * output whose rate is the real one. Option `calibrate: false` turns it off.
 */
import { InputError, UsageError } from '../../errors';
import type { Backend } from '../../backend/backend';
import { resolveHostOps } from '../../backend/resolve';
import { createTrainer } from '../../nn/create';
import type { LayerSpec, ModelSpec } from '../../nn/spec';
import type { Trainer } from '../../nn/trainer';
import { DiscreteColumnEncoder, fitDiscretisation, planDiscretisation, quantileColumnCount, requireModelledColumns } from '../../transform/discretiser';
import type { GeneratorDefinition, HemasynthModel, TrainContext, TrainedParts } from '../generator';
import { SamplingRandom, samplingSeed } from '../sampling-random';
import { encodeRows, rowLayout, type RawOutputLayout, type RowLayout } from '../neural/row-layout';
import { chargeNeuralPlan, defaultMissingnessShare } from '../neural/privacy-budget';
import { NEURAL_OPTIONS, intOption, neuralOptions, requireUsableBackend } from '../neural/training-options';
import { networkModelSpec, type GeneratorNetworkSpec } from '../neural/generator-network';
import { noiseRows, sampleNeuralColumns, type NeuralSamplingPlan } from '../neural/neural-sampling';
import { attachOnnxGraph } from '../onnx/onnx-export';
import { CALIBRATION_ROWS, calibrateOutputBias } from '../neural/output-calibration';
import { dpMarginalTargets } from '../neural/missingness-groups';
import { measureCentralDpMarginals, planCentralDpMarginals } from '../neural/central-missing-release';

/** Sampling seed of the calibration inputs (post-processing: any fixed seed). */
const CALIBRATION_SEED = 0xc7a5ca1;
import { validateNeuralModel, withTiedMissingness } from '../tvae/tvae-generator';
import { tiedColumnGroups } from '../neural/tied-missingness';
import { conditionalVector, samplingConditions, trainingConditions, type ConditionalVector } from './conditional-vector';

/** Published CTGAN defaults. */
export const CTGAN_DEFAULTS = {
  epochs: 300, batchSize: 500, learningRate: 2e-4, beta1: 0.5, beta2: 0.9, weightDecay: 1e-6,
  embeddingDim: 128, generatorDims: [256, 256], discriminatorDims: [256, 256], pac: 10, discriminatorSteps: 1,
  gradientPenalty: 10, gumbelTau: 0.2, leakySlope: 0.2, dropout: 0.5,
} as const;

/**
 * The generator network: noise and condition in, raw span logits and α pre-activations out.
 * @example ctganGeneratorNetwork(128, cv.width, layout.width)
 */
export function ctganGeneratorNetwork(embedding: number, conditionWidth: number, outputWidth: number, dims: readonly number[] = CTGAN_DEFAULTS.generatorDims): GeneratorNetworkSpec {
  const layers: LayerSpec[] = [{ type: 'linear', outputs: dims[0] }, { type: 'layerNorm' }, { type: 'relu' }];
  for (let i = 1; i < dims.length; i++) {
    if (dims[i] === dims[i - 1]) layers.push({ type: 'residual', layers: [{ type: 'linear', outputs: dims[i] }, { type: 'layerNorm' }, { type: 'relu' }] });
    else layers.push({ type: 'linear', outputs: dims[i] }, { type: 'layerNorm' }, { type: 'relu' });
  }
  layers.push({ type: 'linear', outputs: outputWidth });
  return { inputs: [{ name: 'noise', width: embedding }, ...(conditionWidth > 0 ? [{ name: 'condition', width: conditionWidth }] : [])], layers, outputWidth };
}

/**
 * The WGAN-GP critic over packed rows (pac × (data + condition)), three rows per sample.
 * @example ctganCriticSpec(10 * (D + C))
 */
export function ctganCriticSpec(inputWidth: number, dims: readonly number[] = CTGAN_DEFAULTS.discriminatorDims): ModelSpec {
  const layers: LayerSpec[] = [];
  for (const d of dims) layers.push({ type: 'linear', outputs: d }, { type: 'leakyRelu', slope: CTGAN_DEFAULTS.leakySlope }, { type: 'dropout', rate: CTGAN_DEFAULTS.dropout });
  layers.push({ type: 'linear', outputs: 1 });
  return {
    inputSize: inputWidth,
    layers,
    loss: { targetSize: 2, rowsPerSample: 3, terms: [
      { kind: 'linear', outputOffset: 0, targetOffset: 0, width: 1 },
      { kind: 'gradientPenalty', outputOffset: 0, targetOffset: 1, width: 1, weight: CTGAN_DEFAULTS.gradientPenalty },
    ] },
  };
}

/**
 * Applies the generator's output activations: Gumbel-softmax (τ) on each span, through the
 * backend's kernel (keystream noise, one seed per span and call), tanh on α.
 */
function activate(raw: Float32Array, rows: number, layout: RowLayout, tau: number, rng: SamplingRandom, ops: Backend): Float32Array {
  const W = layout.width;
  const out = new Float32Array(raw.length);
  for (const s of layout.spans) {
    const span = new Float32Array(rows * s.size);
    for (let i = 0; i < rows; i++) span.set(raw.subarray(i * W + s.offset, i * W + s.offset + s.size), i * s.size);
    const soft = ops.gumbelSoftmax(span, rows, s.size, tau, rng.nextUint32());
    for (let i = 0; i < rows; i++) {
      out.set(soft.subarray(i * s.size, (i + 1) * s.size), i * W + s.offset);
      if (s.alphaOffset >= 0) out[i * W + s.alphaOffset] = Math.tanh(raw[i * W + s.alphaOffset]);
    }
  }
  return out;
}

/** ∂L/∂raw from ∂L/∂activated (softmax Jacobian ÷ τ on spans, 1 − y² for tanh). */
function activationBackward(act: Float32Array, g: Float32Array, rows: number, layout: RowLayout, tau: number): Float32Array {
  const W = layout.width;
  const out = new Float32Array(g.length);
  for (let i = 0; i < rows; i++) {
    const b = i * W;
    for (const s of layout.spans) {
      let dot = 0;
      for (let k = 0; k < s.size; k++) dot += act[b + s.offset + k] * g[b + s.offset + k];
      for (let k = 0; k < s.size; k++) out[b + s.offset + k] = (act[b + s.offset + k] * (g[b + s.offset + k] - dot)) / tau;
      if (s.alphaOffset >= 0) { const y = act[b + s.alphaOffset]; out[b + s.alphaOffset] = g[b + s.alphaOffset] * (1 - y * y); }
    }
  }
  return out;
}

interface CtganConfig {
  structure: 'ctgan';
  layout: RowLayout;
  raw: RawOutputLayout;
  network: GeneratorNetworkSpec;
  embedding: number;
  conditional: ConditionalVector;
  samplingBackend: 'js' | 'cpu' | 'auto';
  training: Record<string, unknown>;
}

/** Packs rows of [data | condition] into critic rows of pac members. */
function packRows(data: Float32Array, cond: Float32Array, D: number, C: number, members: ArrayLike<number>, pac: number, out: Float32Array, outRow: number): void {
  const R = pac * (D + C);
  for (let m = 0; m < pac; m++) {
    const i = members[m];
    const at = outRow * R + m * (D + C);
    out.set(data.subarray(i * D, (i + 1) * D), at);
    if (C > 0) out.set(cond.subarray(i * C, (i + 1) * C), at + D);
  }
}

/** What the critic batch and the generator step need to know of a CTGAN. */
export interface CtganShape {
  layout: RowLayout;
  cv: ConditionalVector;
  embedding: number;
  pac: number;
}

/**
 * The critic's batch: per group of pac rows one sample of three critic rows, the packed real rows
 * (with their conditions), packed generated rows for the same conditions, and their interpolate
 * (the gradient penalty's point), with the WGAN-GP targets. An empty Poisson batch gives one
 * all-zero sample for trainer.step with no rows selected (a DP step whose update is pure noise).
 * Used by the central training and by the sites of the federated one.
 * @example const { x, y } = ctganCriticBatch(G, shape, X, realIdx, realCond, realCond, rng, ops)
 */
export function ctganCriticBatch(G: Trainer, shape: CtganShape, X: Float32Array, realIdx: Int32Array, realCond: Float32Array, fakeCond: Float32Array, rng: SamplingRandom, ops: Backend): { x: Float32Array; y: Float32Array; groups: number } {
  const { layout, cv, embedding, pac } = shape;
  const D = layout.width, C = cv.width, R = pac * (D + C);
  const groups = Math.floor(realIdx.length / pac);
  if (groups === 0) return { x: new Float32Array(3 * R), y: new Float32Array(6), groups: 0 };
  const members = new Int32Array(pac);
  const z = noiseRows(rng.nextUint32() | 0, 0, groups * pac, embedding);
  const gin = C > 0 ? interleave(z, embedding, fakeCond, C, groups * pac) : z;
  const fake = activate(G.forward(gin, { training: true }), groups * pac, layout, CTGAN_DEFAULTS.gumbelTau, rng, ops);
  const realData = new Float32Array(groups * pac * D);
  for (let i = 0; i < groups * pac; i++) realData.set(X.subarray(realIdx[i] * D, (realIdx[i] + 1) * D), i * D);
  const xc = new Float32Array(groups * 3 * R);
  const yc = new Float32Array(groups * 3 * 2);
  for (let g = 0; g < groups; g++) {
    for (let m = 0; m < pac; m++) members[m] = g * pac + m;
    packRows(realData, realCond, D, C, members, pac, xc, 3 * g);
    packRows(fake, fakeCond, D, C, members, pac, xc, 3 * g + 1);
    const eps = rng.next();
    const a = xc.subarray(3 * g * R, (3 * g + 1) * R), b = xc.subarray((3 * g + 1) * R, (3 * g + 2) * R), t = xc.subarray((3 * g + 2) * R, (3 * g + 3) * R);
    for (let k = 0; k < R; k++) t[k] = eps * a[k] + (1 - eps) * b[k];
    yc[6 * g] = -1; yc[6 * g + 2] = 1; yc[6 * g + 5] = 1;
  }
  return { x: xc, y: yc, groups };
}

/**
 * One generator step through the critic (post-processing: no real row is read): generated rows
 * for training-by-sampling conditions, the critic's input gradient, the Gumbel-softmax and tanh
 * backward pass and the conditional cross-entropy ("cond loss"). Returns the generator's loss.
 * @example ctganGeneratorStep(G, critic, shape, 500, N, rng, ops)
 */
export function ctganGeneratorStep(G: Trainer, critic: Trainer, shape: CtganShape, batch: number, n: number, rng: SamplingRandom, ops: Backend): number {
  const { layout, cv, embedding, pac } = shape;
  const D = layout.width, C = cv.width, R = pac * (D + C);
  const members = new Int32Array(pac);
  const Bg = batch;
  const gGroups = Bg / pac;
  const tc = C > 0 ? trainingConditions(cv, Bg, rng, n) : null;
  const z2 = noiseRows(rng.nextUint32() | 0, 0, Bg, embedding);
  const gin2 = tc ? interleave(z2, embedding, tc.vectors, C, Bg) : z2;
  const raw2 = G.forward(gin2, { training: true });
  const act2 = activate(raw2, Bg, layout, CTGAN_DEFAULTS.gumbelTau, rng, ops);
  const samples = Math.ceil(gGroups / 3);
  const xg = new Float32Array(samples * 3 * R);
  const yg = new Float32Array(samples * 3 * 2);
  const cond2 = tc ? tc.vectors : new Float32Array(0);
  for (let g = 0; g < gGroups; g++) {
    for (let m = 0; m < pac; m++) members[m] = g * pac + m;
    packRows(act2, cond2, D, C, members, pac, xg, g);
    yg[2 * g] = -1; // the generator maximises the critic's score: loss −o(fake)
  }
  const ig = critic.inputGradient(xg, yg);
  const gAct = new Float32Array(Bg * D);
  for (let g = 0; g < gGroups; g++) for (let m = 0; m < pac; m++) {
    const src = g * R + m * (D + C), dst = (g * pac + m) * D;
    // per-row share of the mean over groups, rescaled to the generator's mean over rows
    for (let k = 0; k < D; k++) gAct[dst + k] = pac * ig.inputGradient[src + k];
  }
  const gRaw = activationBackward(act2, gAct, Bg, layout, CTGAN_DEFAULTS.gumbelTau);
  if (tc) {
    // cond loss: cross entropy between the conditioned column's raw logits and its code
    for (let i = 0; i < Bg; i++) {
      const span = layout.spans[cv.columns[tc.column[i]]];
      const base = i * D + span.offset;
      let m = -Infinity;
      for (let k = 0; k < span.size; k++) m = Math.max(m, raw2[base + k]);
      let sum = 0;
      for (let k = 0; k < span.size; k++) sum += Math.exp(raw2[base + k] - m);
      for (let k = 0; k < span.size; k++) gRaw[base + k] += Math.exp(raw2[base + k] - m) / sum - (k === tc.code[i] ? 1 : 0);
    }
  }
  G.stepWithOutputGradient(gin2, gRaw);
  return ig.loss;
}

function trainCtgan(ctx: TrainContext): TrainedParts {
  const o = neuralOptions(ctx.options, 'ctgan', CTGAN_DEFAULTS);
  const embedding = intOption(ctx.options, 'embeddingDim', CTGAN_DEFAULTS.embeddingDim, 1, 4096, 'ctgan');
  const requestedPac = ctx.options.pac;
  if (ctx.privacy && requestedPac !== undefined && requestedPac !== 1) {
    throw new UsageError(`Expected pac 1 for a DP ctgan (a packed critic sample would hold several records and break per-record clipping) but received ${JSON.stringify(requestedPac)}`);
  }
  const pac = ctx.privacy ? 1 : intOption(ctx.options, 'pac', CTGAN_DEFAULTS.pac, 1, 64, 'ctgan');
  const n = ctx.table.numRows;
  if (n < pac) throw new UsageError(`Expected at least pac=${pac} training rows for ctgan but received ${n}`);
  const batch = Math.max(pac, Math.floor(Math.min(o.batchSize, n) / pac) * pac);
  const stepsPerEpoch = Math.max(1, Math.round(n / batch));
  // maxSteps caps the steps (as in TVAE): a fixed budget on a large table, where an epoch is thousands of steps.
  const steps = Math.min(o.epochs * stepsPerEpoch, o.maxSteps ?? Infinity);
  const plan = planDiscretisation(ctx.schema, { bins: o.bins });
  requireModelledColumns(plan, ctx.schema, 'ctgan');
  const q = batch / n;
  // Noisy code counts of every column (one histogram per column): the conditional vector's
  // frequencies and the generator's initial output biases.
  // Under DP the missing rates are also released per missingness group (neural/missingness-groups.ts),
  // as one clipped vector where that is cheaper (neural/central-missing-release.ts).
  const dpMarginals = o.calibrate ? planCentralDpMarginals(ctx.schema, plan.map((p) => p.column.name)) : null;
  const dp = ctx.privacy ? chargeNeuralPlan(ctx.privacy, { model: 'ctgan', quantileColumns: quantileColumnCount(plan), countReleases: plan.length, missingnessReleases: dpMarginals?.releases ?? 0, missingnessShare: o.missingnessShare ?? defaultMissingnessShare(dpMarginals?.vector ?? false, ctx.privacy.target.epsilon), sampleRate: q, steps, preprocessingShare: o.preprocessingShare }) : null;
  // Only now is the table read.
  ctx.progress(0.02, 'mode-specific normalisation');
  const encoders = fitDiscretisation(ctx.table, ctx.schema, { histogramSigma: dp ? dp.quantileSigma ?? 1 : null, rng: ctx.noise }, { bins: o.bins });
  const layout = rowLayout(encoders);
  const { rows: X, codes } = encodeRows(ctx.table, encoders, layout);
  const counts = encoders.map((e, j) => {
    const c = new Array<number>(e.size).fill(0);
    for (const k of codes[j]) c[k]++;
    return dp ? c.map((x) => x + ctx.noise.gaussian(0, dp.countSigma as number)) : c;
  });
  const released = dp && dpMarginals && dpMarginals.releases > 0 ? measureCentralDpMarginals(dpMarginals, encoders, ctx.schema, codes, n, { sigma: dp.missingnessSigma as number, rng: ctx.noise }) : null;
  const cv = conditionalVector(encoders, (j) => counts[j]);
  const D = layout.width, C = cv.width, R = pac * (D + C);
  const network = ctganGeneratorNetwork(embedding, C, D);
  const optimizer = { kind: 'adam' as const, learningRate: o.learningRate, beta1: CTGAN_DEFAULTS.beta1, beta2: CTGAN_DEFAULTS.beta2, weightDecay: CTGAN_DEFAULTS.weightDecay };
  const seeded = ctx.seed !== null;
  const G: Trainer = createTrainer(networkModelSpec(network), { backend: o.backend, optimizer, ...(seeded ? { seed: ctx.seed as number } : {}), threads: o.threads });
  startAtCodeFrequencies(G, layout, counts);
  // The critic's gradient penalty needs second derivatives, which only the cpu trainer computes:
  // with cuda asked for, the generator trains on the GPU and 'auto' puts the critic on cpu.
  const critic: Trainer = createTrainer(ctganCriticSpec(R), {
    backend: o.backend === 'cuda' ? 'auto' : o.backend, optimizer, threads: o.threads,
    ...(dp ? { dp: { noiseMultiplier: dp.noiseMultiplier, maxGradNorm: o.maxGradNorm, sampleRate: q, expectedBatchSize: q * n } } : {}),
    ...(seeded ? { seed: (ctx.seed as number) + 1 } : {}),
  });
  const ops = resolveHostOps(o.backend, o.threads);
  // The generator side (noise, Gumbel, conditions) is post-processing: a sampling PRNG.
  const rng = new SamplingRandom(seeded ? (ctx.seed as number) : samplingSeed(), 0x6000);
  // Non-private training-by-sampling: rows holding each code of each discrete column.
  const rowsByCode = dp ? [] : cv.columns.map((j, c) => {
    const lists: number[][] = Array.from({ length: cv.sizes[c] }, () => []);
    codes[j].forEach((k, i) => lists[k].push(i));
    return lists.map((l) => Int32Array.from(l));
  });
  const threshold = Math.floor(q * 2 ** 32); // Poisson inclusion: uint32 < threshold (rate <= q)
  const every = Math.max(1, Math.floor(steps / 50));
  let dSum = 0, gSum = 0, count = 0;
  const shape: CtganShape = { layout, cv, embedding, pac };
  for (let s = 0; s < steps; s++) {
    // ---- critic step ----
    let realIdx: Int32Array;
    let realCond: Float32Array;
    let fakeCond: Float32Array;
    if (dp) {
      const bytes = ctx.noise.bytes(4 * n);
      const picked: number[] = [];
      for (let i = 0; i < n; i++) if (bytes.readUInt32LE(4 * i) < threshold) picked.push(i);
      realIdx = Int32Array.from(picked);
      realCond = new Float32Array(realIdx.length * C);
      if (C > 0) realIdx.forEach((r, i) => {
        const c = Math.min(cv.columns.length - 1, Math.floor(rng.next() * cv.columns.length));
        realCond[i * C + cv.offsets[c] + codes[cv.columns[c]][r]] = 1;
      });
      fakeCond = realCond;
    } else {
      const B = batch;
      if (C > 0) {
        const tc = trainingConditions(cv, B, rng, n);
        fakeCond = tc.vectors;
        // Real rows for a shuffled copy of the same conditions (CTGAN pairs c1 with fakes and c1[perm] with reals).
        const perm = Int32Array.from({ length: B }, (_, i) => i);
        for (let i = B - 1; i > 0; i--) { const j = Math.floor(rng.next() * (i + 1)); const t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
        realIdx = new Int32Array(B);
        realCond = new Float32Array(B * C);
        for (let i = 0; i < B; i++) {
          const p = perm[i];
          const list = rowsByCode[tc.column[p]][tc.code[p]];
          realIdx[i] = list.length ? list[Math.floor(rng.next() * list.length)] : Math.floor(rng.next() * n);
          realCond.set(fakeCond.subarray(p * C, (p + 1) * C), i * C);
        }
      } else {
        realIdx = Int32Array.from({ length: B }, () => Math.floor(rng.next() * n));
        fakeCond = realCond = new Float32Array(0);
      }
    }
    const cb = ctganCriticBatch(G, shape, X, realIdx, realCond, fakeCond, rng, ops);
    // An empty Poisson batch is a normal DP step: the update is pure noise (the accountant counts it).
    const dLoss = cb.groups === 0 ? (critic.step(cb.x, cb.y, new Int32Array(0)), 0) : critic.step(cb.x, cb.y).loss;
    // ---- generator step (post-processing of the critic) ----
    const gLoss = ctganGeneratorStep(G, critic, shape, batch, n, rng, ops);
    dSum += dLoss; gSum += gLoss; count++;
    if ((s + 1) % every === 0 || s === steps - 1) {
      ctx.progress(0.05 + 0.9 * ((s + 1) / steps), `epoch ${Math.floor(s / stepsPerEpoch) + 1}/${o.epochs} loss critic ${(dSum / count).toFixed(3)} generator ${(gSum / count).toFixed(3)}`);
      dSum = 0; gSum = 0; count = 0;
    }
  }
  let parameters: Float32Array = G.getParameters();
  const raw = ctganRawLayout(layout);
  // Code marginals and missing rates pinned to the (noisy) counts already released above
  // (neural/output-calibration.ts), over the inputs sampling draws: noise and sampled conditions.
  let calibration: Record<string, unknown> | null = null;
  if (o.calibrate && (!dp || released)) {
    ctx.progress(0.96, 'calibrating code marginals and missing rates');
    const inputs = [noiseRows(CALIBRATION_SEED, 0, CALIBRATION_ROWS, embedding), ...(C > 0 ? [samplingConditions(cv, CALIBRATION_SEED, 0, CALIBRATION_ROWS, null)] : [])];
    const targets = (net: Float64Array[]) => (released ? dpMarginalTargets(encoders, released, net) : counts.map((c) => Float64Array.from(c, (v) => v / n)));
    const cal = calibrateOutputBias(network, parameters, raw, encoders, inputs, CALIBRATION_ROWS, targets, { backend: o.backend, threads: o.threads });
    parameters = cal.parameters;
    calibration = { rows: CALIBRATION_ROWS, maxGap: cal.maxGap, targets: released ? `DP missing rates of ${released.groups.length} missingness groups, DP histograms of ${released.full.size} constraint-condition and count columns` : 'exact code frequencies' };
  }
  const parts = ctganParts(encoders, { layout, cv, embedding, pac }, network, parameters, o.backend === 'cuda' ? 'auto' : o.backend, {
    backend: G.backend, epochs: o.epochs, batchSize: batch, steps, ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}), learningRate: o.learningRate, bins: o.bins, pac,
    generatorDims: [...CTGAN_DEFAULTS.generatorDims], discriminatorDims: [...CTGAN_DEFAULTS.discriminatorDims], embeddingDim: embedding,
    dp: dp ? { noiseMultiplier: dp.noiseMultiplier, maxGradNorm: o.maxGradNorm, sampleRate: q, steps, epsilon: dp.epsilon, countSigma: dp.countSigma, missingnessSigma: dp.missingnessSigma, accountant: ctx.privacy?.ledger.accountant } : null,
    seeded, calibration,
  });
  // Assay panels are sampled missing together (neural/tied-missingness.ts).
  return withTiedMissingness(parts, tiedColumnGroups(encoders, ctx.schema, dp ? null : codes));
}

/**
 * Starts each span's logits at the log of its (noisy) code frequencies: the generator begins at
 * the right 1-way marginals (a column with 67% missing values would otherwise start near 1/13
 * and take thousands of steps to get there), then learns the dependence.
 * @example startAtCodeFrequencies(G, layout, counts)
 */
export function startAtCodeFrequencies(G: Trainer, layout: RowLayout, counts: ReadonlyArray<ArrayLike<number>>): void {
  const init = G.getParameters();
  const biasAt = init.length - layout.width;
  layout.spans.forEach((sp, j) => {
    const c = Array.from(counts[j], (x) => Math.max(0, x) + 0.5);
    const total = c.reduce((a, b) => a + b, 0);
    const logs = c.map((x) => Math.log(x / total));
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    for (let k = 0; k < sp.size; k++) init[biasAt + sp.offset + k] = logs[k] - mean;
  });
  G.setParameters(init);
}

/**
 * A CTGAN model's parts from its generator parameters: configuration, weights, ONNX graph. Used
 * by the central training and by the federated one.
 * @example ctganParts(encoders, shape, network, parameters, 'auto', { epochs: 300 })
 */
export function ctganParts(encoders: DiscreteColumnEncoder[], shape: CtganShape, network: GeneratorNetworkSpec, parameters: Float32Array, samplingBackend: CtganConfig['samplingBackend'], training: Record<string, unknown>): TrainedParts {
  const { layout, cv, embedding } = shape;
  const raw = ctganRawLayout(layout);
  const generator: CtganConfig = { structure: 'ctgan', layout, raw, network, embedding, conditional: cv, samplingBackend, training };
  const parts: TrainedParts = { encoders, generator: generator as unknown as Record<string, unknown>, weights: { generator: parameters } };
  attachOnnxGraph(parts, network, parameters);
  return parts;
}

/** The generator's raw output layout: span logits at the row layout's offsets, α through tanh. */
export function ctganRawLayout(layout: RowLayout): RawOutputLayout {
  return { width: layout.width, logitOffsets: layout.spans.map((s) => s.offset), alphaOffsets: layout.spans.map((s) => s.alphaOffset), alpha: 'tanh' };
}

/** Row-wise [a | b]. */
function interleave(a: Float32Array, wa: number, b: Float32Array, wb: number, rows: number): Float32Array {
  const out = new Float32Array(rows * (wa + wb));
  for (let i = 0; i < rows; i++) {
    out.set(a.subarray(i * wa, (i + 1) * wa), i * (wa + wb));
    out.set(b.subarray(i * wb, (i + 1) * wb), i * (wa + wb) + wa);
  }
  return out;
}

/**
 * Noise and conditions in, generator out: the sampling plan of a CTGAN model.
 * @example ctganSamplingPlan(model, 7, null).inputs(0, 10).length // 2 (noise, condition)
 */
export function ctganSamplingPlan(model: HemasynthModel, seed: number, evidence: ReadonlyMap<number, Float64Array> | null): NeuralSamplingPlan {
  const g = model.manifest.generator as unknown as CtganConfig;
  return {
    net: g.network,
    parameters: model.weights.generator,
    raw: g.raw,
    inputs: (first, rows) => [noiseRows(seed, first, rows, g.embedding), ...(g.conditional.width > 0 ? [samplingConditions(g.conditional, seed, first, rows, evidence)] : [])],
  };
}

function validateCtgan(model: HemasynthModel, file: string): void {
  validateNeuralModel(model, file, 'generator');
  const g = model.manifest.generator as unknown as Partial<CtganConfig>;
  const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
  const cv = g.conditional;
  const bad = (field: string, expected: string, got: unknown) => new InputError({ file, field }, expected, String(JSON.stringify(got)).slice(0, 80));
  if (!cv || !Array.isArray(cv.columns) || !Array.isArray(cv.frequencies) || cv.frequencies.length !== cv.columns.length) throw bad('generator.conditional', 'a conditional vector {columns, offsets, sizes, width, frequencies}', cv);
  let at = 0;
  cv.columns.forEach((j, c) => {
    if (!(Number.isInteger(j) && j >= 0 && j < encoders.length) || cv.sizes[c] !== encoders[j].size || cv.offsets[c] !== at) throw bad(`generator.conditional.columns[${c}]`, 'a discrete column of the encoders', j);
    if (cv.frequencies[c].length !== cv.sizes[c] || cv.frequencies[c].some((p) => !(p >= 0 && p <= 1))) throw bad(`generator.conditional.frequencies[${c}]`, `${cv.sizes[c]} probabilities`, cv.frequencies[c]);
    at += cv.sizes[c];
  });
  if (cv.width !== at) throw bad('generator.conditional.width', String(at), cv.width);
  const inputs = g.network?.inputs ?? [];
  if (inputs[0]?.name !== 'noise' || inputs[0]?.width !== g.embedding || (cv.width > 0 && (inputs[1]?.name !== 'condition' || inputs[1]?.width !== cv.width))) throw bad('generator.network.inputs', `noise (${g.embedding}) and condition (${cv.width})`, inputs);
}

/** The CTGAN generator. */
export const ctganGenerator: GeneratorDefinition = {
  name: 'ctgan',
  options: [...NEURAL_OPTIONS, 'embeddingDim', 'pac'],
  description: 'conditional tabular GAN (Xu et al. 2019) with a WGAN-GP critic trained by DP-SGD; conditional vector, training-by-sampling; sampling native or ONNX',
  engines: ['native', 'onnx'],
  train: trainCtgan,
  checkOptions(options, _schema, dp) {
    // Every option trainCtgan reads, before anything is charged.
    const o = neuralOptions(options, 'ctgan', CTGAN_DEFAULTS);
    intOption(options, 'embeddingDim', CTGAN_DEFAULTS.embeddingDim, 1, 4096, 'ctgan');
    if (dp && options.pac !== undefined && options.pac !== 1) {
      throw new UsageError(`Expected pac 1 for a DP ctgan (a packed critic sample would hold several records and break per-record clipping) but received ${JSON.stringify(options.pac)}`);
    }
    intOption(options, 'pac', CTGAN_DEFAULTS.pac, 1, 64, 'ctgan');
    requireUsableBackend(o.backend, 'ctgan');
  },
  validate: validateCtgan,
  sampleColumns(model, req) {
    return sampleNeuralColumns(model, req, ctganSamplingPlan(model, req.seed, req.condition?.evidence ?? null)).columns;
  },
  sampleCodes(model, req) {
    return sampleNeuralColumns(model, req, ctganSamplingPlan(model, req.seed, req.condition?.evidence ?? null)).codes;
  },
};
