/**
 * The cuda backend: CUDA kernels (native/cuda/ops.cu) for matrix products (cuBLAS when linked,
 * else a tiled kernel), activations and their gradients, softmax, Gumbel-softmax, layer
 * normalisation, losses, ghost norms and keystream Gaussians. Usable only when the addon was
 * built with CUDA and a GPU is visible; otherwise constructing it throws BackendUnavailableError
 * with the reason ("no GPU" here).
 *
 * createTrainer() returns a {@link CudaTrainer}: parameters, optimizer state and work buffers
 * live on the GPU and each step runs there whole (native/cuda/trainer.h), with the same keystream
 * use as the cpu trainer, so seeded cuda and cpu runs agree to float32 rounding. Models with a
 * gradient penalty or several rows per sample are refused with the reason (the cpu trainer
 * runs them); {@link cudaTrainerUnsupportedReason} tells beforehand.
 *
 * Every op of the Backend interface runs on the device; each call copies its operands in and its
 * result out, so for small arrays between native steps the cpu backend is faster (resolveHostOps).
 */
import type { ActivationKind, Backend, MatmulShape } from './backend';
import { BackendUnavailableError } from '../errors';
import { callNative, loadAddon, type NativeAddon } from '../native/addon';
import type { NativeCudaTrainerInfo } from '../native/cuda-trainer';
import { resolveThreads, type TrainerOptions } from '../nn/options';
import type { LossTermSpec, ModelSpec } from '../nn/spec';
import { encodeLossTerms } from './js';
import { backendStatuses } from './availability';
import { NativeTrainer } from './native-trainer';

const ACTIVATION_CODES: Record<ActivationKind, number> = { relu: 2, leakyRelu: 3, tanh: 4, sigmoid: 5 };

/** Why cuda cannot be used here, or null when it can. */
export function cudaUnavailableReason(): string | null {
  const s = backendStatuses().find((b) => b.name === 'cuda');
  if (!s || s.usable) return null;
  return s.reason || 'no GPU';
}

/**
 * Why the cuda trainer cannot train `model`, or null when it can: it computes neither the
 * WGAN-GP gradient penalty nor samples of several rows (the cpu trainer does both).
 * @example cudaTrainerUnsupportedReason(critic) // "gradient penalty (WGAN-GP): ..."
 */
export function cudaTrainerUnsupportedReason(model: ModelSpec): string | null {
  const terms = Array.isArray(model?.loss?.terms) ? model.loss.terms : [];
  if (terms.some((t) => t?.kind === 'gradientPenalty')) {
    return 'the cuda trainer does not compute gradient penalties (WGAN-GP critics); train this model with the cpu backend';
  }
  if ((model?.loss?.rowsPerSample ?? 1) !== 1) {
    return 'the cuda trainer takes one row per sample; train models with loss.rowsPerSample > 1 with the cpu backend';
  }
  return null;
}

/** The cuda backend (see the file comment for what it runs). */
export class CudaBackend implements Backend {
  readonly name = 'cuda' as const;
  readonly threads: number;
  private readonly addon: NativeAddon;

  /** @throws BackendUnavailableError when CUDA is not usable here (e.g. "no GPU"). */
  constructor(options: { threads?: number } = {}) {
    const why = cudaUnavailableReason();
    if (why !== null) throw new BackendUnavailableError(`cuda backend unusable: ${why}`);
    this.addon = loadAddon();
    this.threads = resolveThreads(options.threads);
  }

  matmul(a: Float32Array, b: Float32Array, s: MatmulShape, bias?: Float32Array, out?: Float32Array): Float32Array {
    const c = callNative(() => this.addon.cudaMatmulF32(a, b, s.m, s.k, s.n, !!s.transA, !!s.transB, bias ?? null));
    if (!out) return c;
    out.set(c);
    return out;
  }

  activation(kind: ActivationKind, x: Float32Array, slope = 0.2): Float32Array {
    return callNative(() => this.addon.cudaActivationF32(ACTIVATION_CODES[kind], x, slope));
  }

  activationBackward(kind: ActivationKind, x: Float32Array, y: Float32Array, dy: Float32Array, slope = 0.2): Float32Array {
    return callNative(() => this.addon.cudaActivationBackwardF32(ACTIVATION_CODES[kind], x, y, dy, slope));
  }

  softmax(x: Float32Array, rows: number, cols: number): Float32Array {
    return callNative(() => this.addon.cudaSoftmaxF32(x, rows, cols));
  }

  gumbelSoftmax(logits: Float32Array, rows: number, cols: number, tau: number, seed: number): Float32Array {
    return callNative(() => this.addon.cudaGumbelSoftmaxF32(logits, rows, cols, tau, seed));
  }

  layerNorm(x: Float32Array, rows: number, cols: number, gain: Float32Array, bias: Float32Array, eps = 1e-5): Float32Array {
    return callNative(() => this.addon.cudaLayerNormF32(x, rows, cols, gain, bias, eps));
  }

  loss(terms: LossTermSpec[], output: Float32Array, outputColumns: number, target: Float32Array, targetColumns: number): { loss: Float64Array; gradient: Float32Array } {
    const { codes, weights } = encodeLossTerms(terms, outputColumns, targetColumns);
    return callNative(() => this.addon.cudaLossF32(codes, weights, output, outputColumns, target, targetColumns));
  }

  linearGhostNorms(a: Float32Array, inputs: number, g: Float32Array, outputs: number): Float64Array {
    return callNative(() => this.addon.dpLinearGhostNorms(a, inputs, g, outputs, true));
  }

  gaussianNoise(count: number, seed?: number): Float64Array {
    // OS-keyed noise is drawn by the host keystream; seeded noise on the device (same values).
    if (seed === undefined) return callNative(() => this.addon.dpGaussianSamples(-1, count, this.threads));
    return callNative(() => this.addon.dpCudaGaussianSamples(seed, count));
  }

  /**
   * A trainer whose whole step runs on the GPU.
   * @example new CudaBackend().createTrainer(mlp, { seed: 1, dp: { noiseMultiplier: 1.1, maxGradNorm: 1, sampleRate: 0.01, expectedBatchSize: 100 } })
   * @throws BackendUnavailableError for models the cuda trainer does not run (see cudaTrainerUnsupportedReason)
   */
  createTrainer(model: ModelSpec, options: TrainerOptions = {}): CudaTrainer {
    return new CudaTrainer(this.addon, model, options);
  }
}

/** A trainer whose parameters, optimizer state and work buffers live on the GPU. */
export class CudaTrainer extends NativeTrainer {
  readonly backend = 'cuda' as const;

  /** @throws BackendUnavailableError for models the cuda trainer does not run (see cudaTrainerUnsupportedReason) */
  constructor(addon: NativeAddon, model: ModelSpec, options: TrainerOptions = {}) {
    super(addon, 'cuda', model, options, 0, (m) => {
      const why = cudaTrainerUnsupportedReason(m);
      if (why !== null) throw new BackendUnavailableError(`cuda backend: ${why}`);
    });
  }

  /** The GPU the trainer runs on. */
  get deviceName(): string {
    return (this.info() as NativeCudaTrainerInfo).deviceName;
  }
}
