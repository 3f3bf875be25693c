/** Declarations of bindings/tensor.cpp. */
export interface TensorBindings {
  /** wraps hemasynth::sum_f64 (threads 0 = all cores) */
  sumF64(x: Float64Array, threads: number): number;
}
