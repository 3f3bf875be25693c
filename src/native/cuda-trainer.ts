/** Declarations of bindings/cuda_trainer.cpp (the GPU-resident trainer). One method per exported native function. */
import type { NativeTrainerInfo } from './nn';

/** An opaque GPU trainer (a Napi::External whose finaliser frees its device memory). */
export type NativeCudaTrainerHandle = { readonly __nativeCudaTrainer: unique symbol };

/** What cudaTrainerInfo reports: the cpu trainer's fields plus the device name. */
export interface NativeCudaTrainerInfo extends NativeTrainerInfo {
  deviceName: string;
}

export interface CudaTrainerBindings {
  /** wraps hemasynth::cuda::GpuTrainer::GpuTrainer (same arguments as nnCreateTrainer); seed -1 keys the keystream from the OS */
  cudaCreateTrainer(inputSize: number, layerCodes: Int32Array, layerParams: Float64Array, lossCodes: Int32Array, lossWeights: Float64Array, targetSize: number, options: Float64Array, seed: number): NativeCudaTrainerHandle;
  /** wraps the hemasynth::cuda::GpuTrainer accessors */
  cudaTrainerInfo(h: NativeCudaTrainerHandle): NativeCudaTrainerInfo;
  /** wraps hemasynth::cuda::GpuTrainer::step */
  cudaTrainerStep(h: NativeCudaTrainerHandle, x: Float32Array, y: Float32Array, rows: Int32Array | null): { loss: number; batchSize: number };
  /** wraps hemasynth::cuda::GpuTrainer::poisson_step */
  cudaTrainerPoissonStep(h: NativeCudaTrainerHandle, x: Float32Array, y: Float32Array): { loss: number; batchSize: number };
  /** wraps hemasynth::cuda::GpuTrainer::forward (startLayer is a flat layer index) */
  cudaTrainerForward(h: NativeCudaTrainerHandle, x: Float32Array, startLayer: number, training: boolean, out?: Float32Array | null): Float32Array;
  /** wraps hemasynth::cuda::GpuTrainer::gradient */
  cudaTrainerGradient(h: NativeCudaTrainerHandle, x: Float32Array, y: Float32Array): { loss: number; gradient: Float32Array };
  /** wraps hemasynth::cuda::GpuTrainer::inspect_clipping */
  cudaTrainerInspectClipping(h: NativeCudaTrainerHandle, x: Float32Array, y: Float32Array): { loss: number; norms: Float64Array; clippedSum: Float32Array };
  /** wraps hemasynth::cuda::GpuTrainer::input_gradient */
  cudaTrainerInputGradient(h: NativeCudaTrainerHandle, x: Float32Array, y: Float32Array): { loss: number; inputGradient: Float32Array };
  /** wraps hemasynth::cuda::GpuTrainer::step_with_output_gradient */
  cudaTrainerStepWithOutputGradient(h: NativeCudaTrainerHandle, x: Float32Array, outputGradient: Float32Array): void;
  /** wraps hemasynth::cuda::GpuTrainer::parameters (a copy from the device) */
  cudaTrainerGetParameters(h: NativeCudaTrainerHandle): Float32Array;
  /** wraps hemasynth::cuda::GpuTrainer::set_parameters */
  cudaTrainerSetParameters(h: NativeCudaTrainerHandle, p: Float32Array): void;
  /** wraps hemasynth::cuda::GpuTrainer::step / poisson_step in an AsyncProgressWorker */
  cudaTrainerTrain(h: NativeCudaTrainerHandle, x: Float32Array, y: Float32Array, steps: number, poisson: boolean, batchSize: number, progressEvery: number, onProgress: ((p: { step: number; loss: number; batchSize: number }) => void) | null): Promise<{ steps: number; meanLoss: number; lastLoss: number }>;
  /** wraps hemasynth::cuda::device_keystream_samples: kind 0 uniforms, 1 Gaussians of the seeded keystream at byte `position`, drawn on the GPU */
  cudaKeystreamSamples(seed: number, position: number, kind: number, count: number): Float64Array;
  /** wraps hemasynth::cuda::loss_f32 (the trainer's loss kernel): per-row losses and the output gradient */
  cudaLossF32(lossCodes: Int32Array, lossWeights: Float64Array, output: Float32Array, outputColumns: number, target: Float32Array, targetColumns: number): { loss: Float64Array; gradient: Float32Array };
}
