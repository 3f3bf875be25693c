/**
 * The cpu backend: the native C++ core (blocked AVX-512 GEMM, multi-threaded). Thread count:
 * the `threads` option, else HEMASYNTH_THREADS, else all cores (docs/threads.md).
 */
import type { ActivationKind, Backend, MatmulShape } from './backend';
import { callNative, loadAddon, type NativeAddon } from '../native/addon';
import { encodeModel, type EncodedModel, type LossTermSpec, type ModelSpec } from '../nn/spec';
import { OPTIMIZER_CODES, resolveOptimizer, resolveThreads, validateDp, validateSeed, type TrainerOptions } from '../nn/options';
import type { StepResult, Trainer, TrainRunOptions, TrainSummary } from '../nn/trainer';
import type { NativeTrainerHandle } from '../native/nn';
import type { NativeGemmWorkspace } from '../native/tensor';
import { UsageError, describeValue } from '../errors';
import { encodeLossTerms } from './js';

const ACTIVATION_CODES: Record<ActivationKind, number> = { relu: 2, leakyRelu: 3, tanh: 4, sigmoid: 5 };

/** A trainer whose parameters and state live in a native object. */
export class CpuTrainer implements Trainer {
  readonly backend = 'cpu' as const;
  readonly parameterCount: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly targetSize: number;
  readonly seeded: boolean;
  readonly dp: boolean;
  readonly encoded: EncodedModel;
  private readonly handle: NativeTrainerHandle;

  constructor(private readonly addon: NativeAddon, model: ModelSpec, options: TrainerOptions = {}, threads = 0) {
    const e = encodeModel(model);
    const o = resolveOptimizer(options.optimizer);
    const dp = validateDp(options.dp);
    const seed = validateSeed(options.seed);
    const opts = Float64Array.from([
      OPTIMIZER_CODES[o.kind], o.learningRate, o.beta1, o.beta2, o.eps, o.weightDecay,
      dp ? 1 : 0, dp?.noiseMultiplier ?? 0, dp?.maxGradNorm ?? 1, dp?.expectedBatchSize ?? 1, dp?.sampleRate ?? 0, threads, e.rowsPerSample,
    ]);
    this.handle = callNative(() => addon.nnCreateTrainer(e.inputSize, e.layerCodes, e.layerParams, e.lossCodes, e.lossWeights, e.targetSize, opts, seed ?? -1));
    this.encoded = e;
    this.parameterCount = e.parameterCount;
    this.inputSize = e.inputSize;
    this.outputSize = e.widths[e.widths.length - 1];
    this.targetSize = e.targetSize;
    this.seeded = seed !== undefined;
    this.dp = dp !== undefined;
  }

  /** Position of the trainer's keystream in bytes (for audits and reproducibility checks). */
  get keystreamPosition(): number {
    return this.addon.nnTrainerInfo(this.handle).keystreamPosition;
  }

  step(x: Float32Array, y: Float32Array, rows?: Int32Array): StepResult {
    return callNative(() => this.addon.nnTrainerStep(this.handle, x, y, rows ?? null));
  }

  poissonStep(x: Float32Array, y: Float32Array): StepResult {
    if (!this.dp) throw new UsageError('Expected dp options with a sampleRate for poissonStep but received none');
    return callNative(() => this.addon.nnTrainerPoissonStep(this.handle, x, y));
  }

  forward(x: Float32Array, options: { startLayer?: number; training?: boolean } = {}): Float32Array {
    const top = options.startLayer ?? 0;
    const idx = this.encoded.topLevelIndex[top];
    if (idx === undefined) throw new UsageError(`Expected a top-level layer index in [0, ${this.encoded.topLevelIndex.length}) for startLayer but received ${describeValue(top)}`);
    return callNative(() => this.addon.nnTrainerForward(this.handle, x, idx, options.training ?? false));
  }

  gradient(x: Float32Array, y: Float32Array) {
    return callNative(() => this.addon.nnTrainerGradient(this.handle, x, y));
  }

  inspectClipping(x: Float32Array, y: Float32Array) {
    return callNative(() => this.addon.nnTrainerInspectClipping(this.handle, x, y));
  }

  inputGradient(x: Float32Array, y: Float32Array) {
    return callNative(() => this.addon.nnTrainerInputGradient(this.handle, x, y));
  }

  stepWithOutputGradient(x: Float32Array, outputGradient: Float32Array): void {
    callNative(() => this.addon.nnTrainerStepWithOutputGradient(this.handle, x, outputGradient));
  }

  getParameters(): Float32Array {
    return callNative(() => this.addon.nnTrainerGetParameters(this.handle));
  }

  setParameters(p: Float32Array): void {
    callNative(() => this.addon.nnTrainerSetParameters(this.handle, p));
  }

  /** Runs on the libuv thread pool (an AsyncWorker): the event loop stays free. Do not transfer x/y meanwhile. */
  async train(x: Float32Array, y: Float32Array, options: TrainRunOptions): Promise<TrainSummary> {
    const steps = options.steps;
    if (!Number.isInteger(steps) || steps < 0) throw new UsageError(`Expected an integer >= 0 for steps but received ${describeValue(steps)}`);
    const poisson = options.poisson ?? this.dp;
    if (poisson && !this.dp) throw new UsageError('Expected dp options with a sampleRate for train({poisson: true}) but received none');
    const every = options.progressEvery ?? Math.max(1, Math.floor(steps / 10));
    const batch = options.batchSize ?? 256;
    return callNative(() => this.addon.nnTrainerTrain(this.handle, x, y, steps, poisson, batch, every, options.onProgress ?? null));
  }
}

/** The native cpu backend. */
export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly threads: number;
  private readonly addon: NativeAddon;
  /** Packing buffers reused by matmul() (a backend is used from one thread). */
  private readonly workspace: NativeGemmWorkspace;

  /** @example new CpuBackend({ threads: 2 }) */
  constructor(options: { threads?: number } = {}) {
    this.addon = loadAddon();
    this.threads = resolveThreads(options.threads);
    this.workspace = this.addon.tensorCreateGemmWorkspace();
  }

  matmul(a: Float32Array, b: Float32Array, s: MatmulShape, bias?: Float32Array, out?: Float32Array): Float32Array {
    return callNative(() => this.addon.matmulF32(a, b, s.m, s.k, s.n, !!s.transA, !!s.transB, bias ?? null, this.threads, this.workspace, out));
  }

  activation(kind: ActivationKind, x: Float32Array, slope = 0.2): Float32Array {
    return callNative(() => this.addon.activationF32(ACTIVATION_CODES[kind], x, slope));
  }

  activationBackward(kind: ActivationKind, x: Float32Array, y: Float32Array, dy: Float32Array, slope = 0.2): Float32Array {
    return callNative(() => this.addon.activationBackwardF32(ACTIVATION_CODES[kind], x, y, dy, slope));
  }

  softmax(x: Float32Array, rows: number, cols: number): Float32Array {
    return callNative(() => this.addon.softmaxF32(x, rows, cols));
  }

  gumbelSoftmax(x: Float32Array, rows: number, cols: number, tau: number, seed: number): Float32Array {
    return callNative(() => this.addon.gumbelSoftmaxF32(x, rows, cols, tau, seed));
  }

  layerNorm(x: Float32Array, rows: number, cols: number, gain: Float32Array, bias: Float32Array, eps = 1e-5): Float32Array {
    return callNative(() => this.addon.layerNormF32(x, rows, cols, gain, bias, eps));
  }

  loss(terms: LossTermSpec[], output: Float32Array, outputColumns: number, target: Float32Array, targetColumns: number) {
    const { codes, weights } = encodeLossTerms(terms, outputColumns, targetColumns);
    return callNative(() => this.addon.nnLossF32(codes, weights, output, outputColumns, target, targetColumns));
  }

  linearGhostNorms(a: Float32Array, inputs: number, g: Float32Array, outputs: number): Float64Array {
    return callNative(() => this.addon.dpLinearGhostNorms(a, inputs, g, outputs, false));
  }

  gaussianNoise(count: number, seed?: number): Float64Array {
    return callNative(() => this.addon.dpGaussianSamples(seed ?? -1, count, this.threads));
  }

  createTrainer(model: ModelSpec, options: TrainerOptions = {}): CpuTrainer {
    const threads = options.threads !== undefined ? resolveThreads(options.threads) : this.threads;
    return new CpuTrainer(this.addon, model, options, threads);
  }
}
