/**
 * The cpu backend: the native C++ core (blocked AVX-512 GEMM, multi-threaded). Thread count:
 * the `threads` option, else HEMASYNTH_THREADS, else all cores (docs/threads.md).
 */
import type { ActivationKind, Backend, MatmulShape } from './backend';
import { callNative, loadAddon, type NativeAddon } from '../native/addon';
import type { LossTermSpec, ModelSpec } from '../nn/spec';
import { resolveThreads, type TrainerOptions } from '../nn/options';
import type { NativeGemmWorkspace } from '../native/tensor';
import { encodeLossTerms } from './js';
import { NativeTrainer } from './native-trainer';

const ACTIVATION_CODES: Record<ActivationKind, number> = { relu: 2, leakyRelu: 3, tanh: 4, sigmoid: 5 };

/** A trainer whose parameters and state live in a native object in host memory (bindings/nn.cpp). */
export class CpuTrainer extends NativeTrainer {
  readonly backend = 'cpu' as const;

  /** @example new CpuBackend().createTrainer(mlp, { seed: 1 }) // prefer the backend's createTrainer */
  constructor(addon: NativeAddon, model: ModelSpec, options: TrainerOptions = {}, threads = 0) {
    super(addon, 'nn', model, options, threads);
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
