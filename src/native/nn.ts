/** Declarations of bindings/nn.cpp. One method per exported native function. */

/** An opaque native trainer (a Napi::External freed by the garbage collector). */
export type NativeTrainerHandle = { readonly __nativeTrainer: unique symbol };

export interface NativeTrainerInfo {
  parameterCount: number;
  inputSize: number;
  outputSize: number;
  targetSize: number;
  rowsPerSample: number;
  layerInputWidths: number[];
  keystreamPosition: number;
  seeded: boolean;
  optimizerSteps: number;
}

export interface NnBindings {
  /** wraps hemasynth::loss_per_sample */
  nnLossF32(lossCodes: Int32Array, lossWeights: Float64Array, output: Float32Array, outputColumns: number, target: Float32Array, targetColumns: number): { loss: Float64Array; gradient: Float32Array };
  /** wraps hemasynth::Trainer::Trainer; seed -1 keys the keystream from the OS */
  nnCreateTrainer(inputSize: number, layerCodes: Int32Array, layerParams: Float64Array, lossCodes: Int32Array, lossWeights: Float64Array, targetSize: number, options: Float64Array, seed: number): NativeTrainerHandle;
  /** wraps the hemasynth::Trainer accessors */
  nnTrainerInfo(h: NativeTrainerHandle): NativeTrainerInfo;
  /** wraps hemasynth::Trainer::step */
  nnTrainerStep(h: NativeTrainerHandle, x: Float32Array, y: Float32Array, rows: Int32Array | null): { loss: number; batchSize: number };
  /** wraps hemasynth::Trainer::poisson_step */
  nnTrainerPoissonStep(h: NativeTrainerHandle, x: Float32Array, y: Float32Array): { loss: number; batchSize: number };
  /** wraps hemasynth::Trainer::forward (startLayer is a flat layer index) */
  /** With `out` (rows × outputSize values) the output is written there and `out` returned. */
  nnTrainerForward(h: NativeTrainerHandle, x: Float32Array, startLayer: number, training: boolean, out?: Float32Array | null): Float32Array;
  /** wraps hemasynth::Trainer::gradient */
  nnTrainerGradient(h: NativeTrainerHandle, x: Float32Array, y: Float32Array): { loss: number; gradient: Float32Array };
  /** wraps hemasynth::Trainer::inspect_clipping */
  nnTrainerInspectClipping(h: NativeTrainerHandle, x: Float32Array, y: Float32Array): { loss: number; norms: Float64Array; clippedSum: Float32Array };
  /** wraps hemasynth::Trainer::input_gradient */
  nnTrainerInputGradient(h: NativeTrainerHandle, x: Float32Array, y: Float32Array): { loss: number; inputGradient: Float32Array };
  /** wraps hemasynth::Trainer::step_with_output_gradient */
  nnTrainerStepWithOutputGradient(h: NativeTrainerHandle, x: Float32Array, outputGradient: Float32Array): void;
  /** wraps hemasynth::Trainer::parameters (a copy) */
  nnTrainerGetParameters(h: NativeTrainerHandle): Float32Array;
  /** wraps hemasynth::Trainer::set_parameters */
  nnTrainerSetParameters(h: NativeTrainerHandle, p: Float32Array): void;
  /** wraps hemasynth::Trainer::set_threads */
  nnTrainerSetThreads(h: NativeTrainerHandle, threads: number): void;
  /** wraps hemasynth::Trainer::step / poisson_step in an AsyncProgressWorker */
  nnTrainerTrain(h: NativeTrainerHandle, x: Float32Array, y: Float32Array, steps: number, poisson: boolean, batchSize: number, progressEvery: number, onProgress: ((p: { step: number; loss: number; batchSize: number }) => void) | null): Promise<{ steps: number; meanLoss: number; lastLoss: number }>;
}
