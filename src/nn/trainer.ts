/** The trainer every backend implements: one whole training step per call. */
import type { BackendName } from '../backend/availability';

/** What one step did. */
export interface StepResult {
  /**
   * Mean per-sample loss over the batch (0 for an empty batch). Computed from the raw batch:
   * it is NOT differentially private; use it for monitoring, never publish it.
   */
  loss: number;
  /** Rows in the batch (Poisson sampling makes it vary; 0 is a normal case under DP). */
  batchSize: number;
}

/** Progress of a long run. */
export interface TrainProgress {
  step: number;
  loss: number;
  batchSize: number;
}

/** Options of Trainer.train(). */
export interface TrainRunOptions {
  steps: number;
  /** Poisson-sample every batch with dp.sampleRate (required for DP accounting). Default: true when DP is on. */
  poisson?: boolean;
  /** Rows per step when not Poisson sampling (cycling through the data). Default 256. */
  batchSize?: number;
  /** Report progress every this many steps (default: every 10% of the run). */
  progressEvery?: number;
  onProgress?: (p: TrainProgress) => void;
}

/** Summary of Trainer.train(). */
export interface TrainSummary {
  steps: number;
  meanLoss: number;
  lastLoss: number;
}

/**
 * A model with its parameters, optimizer state and keystream, trained one whole step per call.
 * Arrays are row-major: `x` has inputSize columns, `y` has targetSize columns.
 */
export interface Trainer {
  readonly backend: BackendName;
  readonly parameterCount: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly targetSize: number;
  /** True when the keystream came from an explicit seed (reproducible, not for production). */
  readonly seeded: boolean;
  readonly dp: boolean;
  /** One step on rows `rows` of x/y (all rows when omitted). Under DP: clip, noise, divide by q·N. */
  step(x: Float32Array, y: Float32Array, rows?: Int32Array): StepResult;
  /** One step on a Poisson sample (rate dp.sampleRate) of the rows of x/y. */
  poissonStep(x: Float32Array, y: Float32Array): StepResult;
  /**
   * Model output for every row of x. `startLayer` (a top-level layer index) starts part-way,
   * e.g. at a VAE's decoder; outside training dropout is off and gaussianSample returns the mean.
   * With `out` (rows × outputSize values) the output is written there and `out` returned, so a
   * caller running many chunks reuses one array.
   */
  forward(x: Float32Array, options?: { startLayer?: number; training?: boolean; out?: Float32Array }): Float32Array;
  /** Mean non-private gradient and loss of a batch, without update. */
  gradient(x: Float32Array, y: Float32Array): { loss: number; gradient: Float32Array };
  /** Per-sample gradient norms and the sum of clipped per-sample gradients (NOT private: tests and audits). */
  inspectClipping(x: Float32Array, y: Float32Array): { loss: number; norms: Float64Array; clippedSum: Float32Array };
  /** Per-sample ∂loss_i/∂x_i, without update. */
  inputGradient(x: Float32Array, y: Float32Array): { loss: number; inputGradient: Float32Array };
  /** Update from a given per-sample ∂L_i/∂output_i (gradient = mean_i J_iᵀ·g_i); refused under DP. */
  stepWithOutputGradient(x: Float32Array, outputGradient: Float32Array): void;
  /** A copy of the flat parameter vector (layer order; Linear: W in×out row-major then b; LayerNorm: gain, bias). */
  getParameters(): Float32Array;
  setParameters(p: Float32Array): void;
  /** Many steps off the main thread (cpu: libuv pool; js: yields between steps), with progress. */
  train(x: Float32Array, y: Float32Array, options: TrainRunOptions): Promise<TrainSummary>;
}
