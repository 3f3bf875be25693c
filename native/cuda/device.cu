// CUDA device discovery. Built only when nvcc is found; linked with the static CUDA runtime
// so the addon loads on machines without a GPU or driver and reports why CUDA is unusable.
#include <cuda_runtime.h>

#include <string>

#include "core/build_info.h"

namespace hemasynth {

CudaStatus cuda_status() {
  CudaStatus s;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    s.reason = std::string("no usable CUDA device: ") + cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky error so later calls are not poisoned
    return s;
  }
  if (count == 0) {
    s.reason = "no CUDA device present";
    return s;
  }
  cudaDeviceProp prop;
  if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) {
    s.device_name = prop.name;
    s.compute_capability = prop.major * 10 + prop.minor;
    s.memory_bytes = prop.totalGlobalMem;
  }
  s.device_count = count;
  return s;
}

}  // namespace hemasynth
