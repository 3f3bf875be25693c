// What this build of the core was compiled with, for `hemasynth info`.
#pragma once
#include <string>

namespace hemasynth {

struct BuildInfo {
  std::string compiler;
  std::string build_type;
  std::string arch_flags;     // e.g. "-march=native"
  std::string simd;           // widest vector extension compiled in: avx512f, avx2, sse4.2, neon, none
  int simd_width_bits;        // 512, 256, 128 or 0
  int hardware_threads;
  bool cuda_compiled;
  std::string cuda_archs;     // CMAKE_CUDA_ARCHITECTURES, empty without CUDA
};

BuildInfo build_info();

// CUDA at run time: number of usable devices, or 0 with the reason.
struct CudaStatus {
  int device_count = 0;
  std::string reason;         // why CUDA is not usable, empty when usable
  std::string device_name;    // first device
  int compute_capability = 0; // e.g. 90
  size_t memory_bytes = 0;
};
CudaStatus cuda_status();

}  // namespace hemasynth
