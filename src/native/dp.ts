/** Declarations of bindings/dp.cpp. One method per exported native function. */
export interface DpBindings {
  /** wraps hemasynth::chacha20_block (RFC 8439 §2.3: 32-byte key, 12-byte nonce, 32-bit counter) */
  dpChacha20Block(key: Uint8Array, nonce: Uint8Array, counter: number): Uint8Array;
  /** wraps hemasynth::chacha20_stream with the key of a seed */
  dpKeystreamBytes(seed: number, position: number, length: number): Uint8Array;
  /** wraps hemasynth::Keystream::gaussians (seed -1: key from the OS) */
  dpGaussianSamples(seed: number, count: number, threads: number): Float64Array;
  /** wraps hemasynth::add_linear_ghost_sqnorms (onDevice: hemasynth::cuda::linear_ghost_sqnorms) */
  dpLinearGhostNorms(a: Float32Array, inputs: number, g: Float32Array, outputs: number, onDevice: boolean): Float64Array;
  /** wraps hemasynth::cuda::gaussians (seeded keystream, position 0) */
  dpCudaGaussianSamples(seed: number, count: number): Float64Array;
  /** wraps hemasynth::Keystream::uniforms (seed -1: key from the OS) */
  /** wraps hemasynth::discrete_gaussian_fill (exact discrete Gaussian, Canonne, Kamath & Steinke 2020) */
  dpDiscreteGaussianSamples(seed: number, sigma: number, count: number, threads: number): Float64Array;
  dpUniformSamples(seed: number, count: number): Float64Array;
}
