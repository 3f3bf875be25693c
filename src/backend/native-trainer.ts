/**
 * The trainer wrapper shared by the cpu and cuda backends: both native trainers take the same
 * encoded model and options and export the same functions (bindings/trainer_bindings.h), named
 * with the prefix "nn" (cpu) or "cuda". {@link CpuTrainer} and {@link CudaTrainer} only say which.
 */
import type { BackendName } from './availability';
import { callNative, type NativeAddon } from '../native/addon';
import type { NativeTrainerHandle, NativeTrainerInfo } from '../native/nn';
import { encodeModel, type EncodedModel, type ModelSpec } from '../nn/spec';
import { OPTIMIZER_CODES, resolveOptimizer, validateDp, validateSeed, type TrainerOptions } from '../nn/options';
import type { StepResult, Trainer, TrainRunOptions, TrainSummary } from '../nn/trainer';
import { UsageError, describeValue } from '../errors';

/** The prefix of a native trainer's exported functions: nnTrainerStep (cpu), cudaTrainerStep (cuda). */
export type NativeTrainerPrefix = 'nn' | 'cuda';

type TrainerCallName =
  | 'CreateTrainer' | 'TrainerInfo' | 'TrainerStep' | 'TrainerPoissonStep' | 'TrainerForward' | 'TrainerGradient'
  | 'TrainerInspectClipping' | 'TrainerInputGradient' | 'TrainerStepWithOutputGradient' | 'TrainerGetParameters'
  | 'TrainerSetParameters' | 'TrainerTrain';

/**
 * The trainer functions without their prefix, typed as the cpu ones; the cuda ones take the same
 * arguments (an opaque handle of their own, info with extra fields).
 */
type TrainerCalls = { [K in TrainerCallName]: NativeAddon[`nn${K}`] };

/**
 * A trainer whose parameters and state live in a native object (host memory or GPU).
 * @example class CpuTrainer extends NativeTrainer { readonly backend = 'cpu' as const; }
 */
export abstract class NativeTrainer implements Trainer {
  abstract readonly backend: BackendName;
  readonly parameterCount: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly targetSize: number;
  readonly seeded: boolean;
  readonly dp: boolean;
  readonly encoded: EncodedModel;
  private readonly handle: NativeTrainerHandle;

  /**
   * @param threads host threads of the native trainer (0: the trainer's default)
   * @param refuse throws for models this trainer cannot run; called after the model is encoded
   */
  constructor(
    private readonly addon: NativeAddon,
    private readonly prefix: NativeTrainerPrefix,
    model: ModelSpec,
    options: TrainerOptions,
    threads: number,
    refuse?: (model: ModelSpec) => void,
  ) {
    const e = encodeModel(model);
    refuse?.(model);
    const o = resolveOptimizer(options.optimizer);
    const dp = validateDp(options.dp);
    const seed = validateSeed(options.seed);
    const opts = Float64Array.from([
      OPTIMIZER_CODES[o.kind], o.learningRate, o.beta1, o.beta2, o.eps, o.weightDecay,
      dp ? 1 : 0, dp?.noiseMultiplier ?? 0, dp?.maxGradNorm ?? 1, dp?.expectedBatchSize ?? 1, dp?.sampleRate ?? 0, threads, e.rowsPerSample,
    ]);
    this.handle = callNative(() => this.native('CreateTrainer')(e.inputSize, e.layerCodes, e.layerParams, e.lossCodes, e.lossWeights, e.targetSize, opts, seed ?? -1));
    this.encoded = e;
    this.parameterCount = e.parameterCount;
    this.inputSize = e.inputSize;
    this.outputSize = e.widths[e.widths.length - 1];
    this.targetSize = e.targetSize;
    this.seeded = seed !== undefined;
    this.dp = dp !== undefined;
  }

  /** The addon function `<prefix><name>`, called on the addon. */
  private native<K extends TrainerCallName>(name: K): TrainerCalls[K] {
    const fn = (this.addon as unknown as Record<string, (...args: unknown[]) => unknown>)[`${this.prefix}${name}`];
    return fn.bind(this.addon) as TrainerCalls[K];
  }

  /** What the native trainer reports about itself (sizes, keystream position, ...). */
  protected info(): NativeTrainerInfo {
    return this.native('TrainerInfo')(this.handle);
  }

  /** Position of the trainer's keystream in bytes (for audits and reproducibility checks; seeded cpu and cuda trainers agree). */
  get keystreamPosition(): number {
    return this.info().keystreamPosition;
  }

  step(x: Float32Array, y: Float32Array, rows?: Int32Array): StepResult {
    return callNative(() => this.native('TrainerStep')(this.handle, x, y, rows ?? null));
  }

  poissonStep(x: Float32Array, y: Float32Array): StepResult {
    if (!this.dp) throw new UsageError('Expected dp options with a sampleRate for poissonStep but received none');
    return callNative(() => this.native('TrainerPoissonStep')(this.handle, x, y));
  }

  forward(x: Float32Array, options: { startLayer?: number; training?: boolean; out?: Float32Array } = {}): Float32Array {
    const top = options.startLayer ?? 0;
    const idx = this.encoded.topLevelIndex[top];
    if (idx === undefined) throw new UsageError(`Expected a top-level layer index in [0, ${this.encoded.topLevelIndex.length}) for startLayer but received ${describeValue(top)}`);
    return callNative(() => this.native('TrainerForward')(this.handle, x, idx, options.training ?? false, options.out ?? null));
  }

  gradient(x: Float32Array, y: Float32Array) {
    return callNative(() => this.native('TrainerGradient')(this.handle, x, y));
  }

  inspectClipping(x: Float32Array, y: Float32Array) {
    return callNative(() => this.native('TrainerInspectClipping')(this.handle, x, y));
  }

  inputGradient(x: Float32Array, y: Float32Array) {
    return callNative(() => this.native('TrainerInputGradient')(this.handle, x, y));
  }

  stepWithOutputGradient(x: Float32Array, outputGradient: Float32Array): void {
    callNative(() => this.native('TrainerStepWithOutputGradient')(this.handle, x, outputGradient));
  }

  getParameters(): Float32Array {
    return callNative(() => this.native('TrainerGetParameters')(this.handle));
  }

  setParameters(p: Float32Array): void {
    callNative(() => this.native('TrainerSetParameters')(this.handle, p));
  }

  /** Runs on the libuv thread pool (an AsyncWorker, driving the GPU for cuda): the event loop stays free. Do not transfer x/y meanwhile. */
  async train(x: Float32Array, y: Float32Array, options: TrainRunOptions): Promise<TrainSummary> {
    const steps = options.steps;
    if (!Number.isInteger(steps) || steps < 0) throw new UsageError(`Expected an integer >= 0 for steps but received ${describeValue(steps)}`);
    const poisson = options.poisson ?? this.dp;
    if (poisson && !this.dp) throw new UsageError('Expected dp options with a sampleRate for train({poisson: true}) but received none');
    const every = options.progressEvery ?? Math.max(1, Math.floor(steps / 10));
    const batch = options.batchSize ?? 256;
    return callNative(() => this.native('TrainerTrain')(this.handle, x, y, steps, poisson, batch, every, options.onProgress ?? null));
  }
}
