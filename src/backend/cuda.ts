/**
 * The cuda backend: CUDA kernels (native/cuda/ops.cu) for matrix products (cuBLAS when linked,
 * else a tiled kernel), activations, softmax, layer normalisation, ghost norms and keystream
 * Gaussians. Usable only when the addon was built with CUDA and a GPU is visible; otherwise
 * constructing it throws BackendUnavailableError with the reason ("no GPU" here).
 *
 * What it does not offer (listed in `unsupported`, and in the conformance skip list): a
 * GPU-resident trainer, the backward activation kernel, Gumbel-softmax and the loss kernels.
 * createTrainer() refuses with that reason rather than quietly training on the host.
 */
import type { ActivationKind, Backend, MatmulShape } from './backend';
import { BackendUnavailableError } from '../errors';
import { callNative, loadAddon, type NativeAddon } from '../native/addon';
import { resolveThreads } from '../nn/options';
import type { Trainer } from '../nn/trainer';
import { backendStatuses } from './availability';

const ACTIVATION_CODES: Record<ActivationKind, number> = { relu: 2, leakyRelu: 3, tanh: 4, sigmoid: 5 };

/** Why cuda cannot be used here, or null when it can. */
export function cudaUnavailableReason(): string | null {
  const s = backendStatuses().find((b) => b.name === 'cuda');
  if (!s || s.usable) return null;
  return s.reason || 'no GPU';
}

/** Ops of the Backend interface the cuda backend does not run, with the reason. */
export const CUDA_UNSUPPORTED: Readonly<Record<string, string>> = {
  activationBackward: 'no CUDA kernel for activation gradients yet; the cpu trainer computes them',
  gumbelSoftmax: 'Gumbel-softmax sampling runs on cpu (keystream uniforms on the host)',
  loss: 'loss kernels run inside the cpu trainer',
  createTrainer: 'no GPU-resident trainer in this version: train with the cpu backend',
};

function unsupported(op: string): never {
  throw new BackendUnavailableError(`cuda backend: ${op} is unavailable: ${CUDA_UNSUPPORTED[op]}`);
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

  activationBackward(): Float32Array {
    return unsupported('activationBackward');
  }

  softmax(x: Float32Array, rows: number, cols: number): Float32Array {
    return callNative(() => this.addon.cudaSoftmaxF32(x, rows, cols));
  }

  gumbelSoftmax(): Float32Array {
    return unsupported('gumbelSoftmax');
  }

  layerNorm(x: Float32Array, rows: number, cols: number, gain: Float32Array, bias: Float32Array, eps = 1e-5): Float32Array {
    return callNative(() => this.addon.cudaLayerNormF32(x, rows, cols, gain, bias, eps));
  }

  loss(): { loss: Float64Array; gradient: Float32Array } {
    return unsupported('loss');
  }

  linearGhostNorms(a: Float32Array, inputs: number, g: Float32Array, outputs: number): Float64Array {
    return callNative(() => this.addon.dpLinearGhostNorms(a, inputs, g, outputs, true));
  }

  gaussianNoise(count: number, seed?: number): Float64Array {
    // OS-keyed noise is drawn by the host keystream; seeded noise on the device (same values).
    if (seed === undefined) return callNative(() => this.addon.dpGaussianSamples(-1, count, this.threads));
    return callNative(() => this.addon.dpCudaGaussianSamples(seed, count));
  }

  createTrainer(): Trainer {
    return unsupported('createTrainer');
  }
}
