#include "core/build_info.h"

#include <thread>

#ifndef HEMASYNTH_ARCH_FLAGS
#define HEMASYNTH_ARCH_FLAGS ""
#endif
#ifndef HEMASYNTH_CUDA_ARCHS
#define HEMASYNTH_CUDA_ARCHS ""
#endif
#ifndef HEMASYNTH_BUILD_TYPE
#define HEMASYNTH_BUILD_TYPE ""
#endif

namespace hemasynth {

BuildInfo build_info() {
  BuildInfo b;
#if defined(__clang__)
  b.compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  b.compiler = std::string("gcc ") + __VERSION__;
#else
  b.compiler = "unknown";
#endif
  b.build_type = HEMASYNTH_BUILD_TYPE;
  b.arch_flags = HEMASYNTH_ARCH_FLAGS;
#if defined(__AVX512F__)
  b.simd = "avx512f"; b.simd_width_bits = 512;
#elif defined(__AVX2__)
  b.simd = "avx2"; b.simd_width_bits = 256;
#elif defined(__SSE4_2__)
  b.simd = "sse4.2"; b.simd_width_bits = 128;
#elif defined(__ARM_NEON)
  b.simd = "neon"; b.simd_width_bits = 128;
#else
  b.simd = "none"; b.simd_width_bits = 0;
#endif
  unsigned hc = std::thread::hardware_concurrency();
  b.hardware_threads = hc == 0 ? 1 : static_cast<int>(hc);
#ifdef HEMASYNTH_WITH_CUDA
  b.cuda_compiled = true;
#else
  b.cuda_compiled = false;
#endif
  b.cuda_archs = HEMASYNTH_CUDA_ARCHS;
  return b;
}

#ifndef HEMASYNTH_WITH_CUDA
CudaStatus cuda_status() {
  CudaStatus s;
  s.reason = "built without CUDA (nvcc was not found at build time, or HEMASYNTH_CUDA=off)";
  return s;
}
#endif

}  // namespace hemasynth
