/** Declarations of bindings/tensor.cpp. */

/** Opaque packing buffers reused across matrix products (one owner, one thread). */
export type NativeGemmWorkspace = { readonly __gemmWorkspace: unique symbol };
export interface TensorBindings {
  /** wraps hemasynth::sum_f64 (threads 0 = all cores) */
  sumF64(x: Float64Array, threads: number): number;
  /** wraps hemasynth::gemm_f32_checked: C = op(A)·op(B) (+ bias), m×n; workspace reuses packing buffers */
  matmulF32(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean, bias: Float32Array | null, threads: number, workspace?: NativeGemmWorkspace, out?: Float32Array): Float32Array;
  /** wraps new hemasynth::GemmWorkspace (an external handle freed by the garbage collector) */
  tensorCreateGemmWorkspace(): NativeGemmWorkspace;
  /** wraps hemasynth::activation_forward (kind 2 relu, 3 leakyRelu, 4 tanh, 5 sigmoid) */
  activationF32(kind: number, x: Float32Array, slope: number): Float32Array;
  /** wraps hemasynth::activation_backward */
  activationBackwardF32(kind: number, x: Float32Array, y: Float32Array, dy: Float32Array, slope: number): Float32Array;
  /** wraps hemasynth::softmax_rows */
  softmaxF32(x: Float32Array, rows: number, cols: number): Float32Array;
  /** wraps hemasynth::gumbel_softmax_rows with uniforms from the seeded keystream */
  gumbelSoftmaxF32(x: Float32Array, rows: number, cols: number, tau: number, seed: number): Float32Array;
  /** wraps hemasynth::measure_peak_gflops_f32 (tight FMA loop on every thread) */
  measurePeakGflopsF32(threads: number, iterations: number): number;
  /** wraps hemasynth::cuda::matmul_f32 (throws "built without CUDA" when absent) */
  cudaMatmulF32(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean, bias: Float32Array | null): Float32Array;
  /** wraps hemasynth::cuda::measure_peak_gflops_f32 (FMA kernel on every multiprocessor; benchmark ceiling) */
  cudaMeasurePeakGflopsF32(): number;
  /** wraps hemasynth::cuda::time_sgemm_f32: the trainer's product kernel on device-resident operands */
  cudaTimeMatmulF32(m: number, k: number, n: number, transA: boolean, transB: boolean, reps: number): { gflops: number; msPerProduct: number };
  /** wraps hemasynth::cuda::activation_f32 */
  cudaActivationF32(kind: number, x: Float32Array, slope: number): Float32Array;
  /** wraps hemasynth::cuda::activation_backward_f32 */
  cudaActivationBackwardF32(kind: number, x: Float32Array, y: Float32Array, dy: Float32Array, slope: number): Float32Array;
  /** wraps hemasynth::cuda::gumbel_softmax_f32 (keystream uniforms drawn on the GPU) */
  cudaGumbelSoftmaxF32(x: Float32Array, rows: number, cols: number, tau: number, seed: number): Float32Array;
  /** wraps hemasynth::cuda::softmax_rows_f32 */
  cudaSoftmaxF32(x: Float32Array, rows: number, cols: number): Float32Array;
  /** wraps hemasynth::cuda::layer_norm_f32 */
  cudaLayerNormF32(x: Float32Array, rows: number, cols: number, gain: Float32Array, bias: Float32Array, eps: number): Float32Array;
  /** wraps hemasynth::layer_norm_forward */
  layerNormF32(x: Float32Array, rows: number, cols: number, gain: Float32Array, bias: Float32Array, eps: number): Float32Array;
}
