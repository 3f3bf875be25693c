/**
 * The one compute-backend interface. `js` is the TypeScript reference; `cpu` runs the native
 * core; `cuda` runs CUDA kernels. Every op has a conformance test against `js`
 * (test/conformance/).
 */
import type { BackendName } from './availability';
import type { LossTermSpec, ModelSpec } from '../nn/spec';
import type { Trainer } from '../nn/trainer';
import type { TrainerOptions } from '../nn/options';

export type ActivationKind = 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid';

/** C = op(A)·op(B) (+ bias per column): op(A) is m×k, op(B) is k×n; a transposed operand is stored transposed. */
export interface MatmulShape {
  m: number;
  k: number;
  n: number;
  transA?: boolean;
  transB?: boolean;
}

/** A compute backend. */
export interface Backend {
  readonly name: BackendName;
  /** Native threads used (js: 1). */
  readonly threads: number;
  /**
   * C = op(A)·op(B) (+ bias). `out` (length m·n), when given, receives C and is returned: repeated
   * products then allocate nothing.
   * @example backend.matmul(a, b, {m: 2, k: 3, n: 4})
   */
  matmul(a: Float32Array, b: Float32Array, shape: MatmulShape, bias?: Float32Array, out?: Float32Array): Float32Array;
  activation(kind: ActivationKind, x: Float32Array, slope?: number): Float32Array;
  /** dx = dy·f'(x), given the forward input x and output y. */
  activationBackward(kind: ActivationKind, x: Float32Array, y: Float32Array, dy: Float32Array, slope?: number): Float32Array;
  softmax(x: Float32Array, rows: number, cols: number): Float32Array;
  /** softmax((x + Gumbel noise)/tau) with the noise from the seeded keystream at position 0. */
  gumbelSoftmax(x: Float32Array, rows: number, cols: number, tau: number, seed: number): Float32Array;
  layerNorm(x: Float32Array, rows: number, cols: number, gain: Float32Array, bias: Float32Array, eps?: number): Float32Array;
  /** Per-sample loss and ∂loss_i/∂output_i of loss terms. */
  loss(terms: LossTermSpec[], output: Float32Array, outputColumns: number, target: Float32Array, targetColumns: number): { loss: Float64Array; gradient: Float32Array };
  /** Per-sample squared gradient norms of a linear layer by the ghost-norm identity: ‖a_i‖²·‖g_i‖² + ‖g_i‖². */
  linearGhostNorms(a: Float32Array, inputs: number, g: Float32Array, outputs: number): Float64Array;
  /** Standard normals from the keystream (seeded, or keyed from the OS when seed is undefined). */
  gaussianNoise(count: number, seed?: number): Float64Array;
  createTrainer(model: ModelSpec, options?: TrainerOptions): Trainer;
}
