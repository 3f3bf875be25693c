/** Declarations of bindings/info.cpp. */

/** What the native core was compiled with. */
export interface NativeBuildInfo {
  compiler: string;
  buildType: string;
  archFlags: string;
  simd: string;
  simdWidthBits: number;
  hardwareThreads: number;
  cudaCompiled: boolean;
  cudaArchs: string;
}

/** CUDA availability at run time. */
export interface NativeCudaStatus {
  deviceCount: number;
  reason: string;
  deviceName: string;
  computeCapability: number;
  memoryBytes: number;
}

export interface InfoBindings {
  /** wraps hemasynth::build_info */
  buildInfo(): NativeBuildInfo;
  /** wraps hemasynth::cuda_status */
  cudaStatus(): NativeCudaStatus;
}
