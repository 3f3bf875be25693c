// Single-precision matrix product on device buffers, C = op(A)·op(B) (+ bias per column), with
// an optional fused activation epilogue. Hand-written (cuBLAS is optional in this build):
// shared-memory tiles of 64×64 or 128×128 outputs, 8-deep k slices double-buffered through
// registers, float4 reads from shared memory, 4×4 or 8×8 outputs per thread; split-K with a
// deterministic reduction when the output has too few tiles to fill the GPU (weight gradients
// Aᵀ·G: small m·n, long k).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

#include "tensor/gemm.h"

namespace hemasynth {
namespace cuda {

// What a product's epilogue does besides adding the bias.
struct GemmEpilogue {
  const float* bias = nullptr;  // n values, added to every row
  float* post = nullptr;        // when set: post = act(C) (C keeps the pre-activation values)
  int activation = 0;           // 2 relu, 3 leakyRelu, 4 tanh, 5 sigmoid (nn/activation.h codes)
  float slope = 0.0f;
};

// Scratch for split-K partial products, owned by the caller (grown on demand).
struct GemmScratch {
  float* data = nullptr;
  size_t capacity = 0;  // floats
  GemmScratch() = default;
  GemmScratch(const GemmScratch&) = delete;
  GemmScratch& operator=(const GemmScratch&) = delete;
  ~GemmScratch();
};

// C (m×n, row-major) = op(A)·op(B): A is m×k (k×m when trans_a), B is k×n (n×k when trans_b),
// all device pointers. `sm_count` sizes the split-K decision. Throws hemasynth::Error on a
// shape that does not fit 32-bit indexing or on a CUDA error (with the call site).
void sgemm(const GemmShape& s, const float* a, const float* b, float* c, const GemmEpilogue& ep, int sm_count,
           GemmScratch& scratch, cudaStream_t stream);

// The activation of nn/activation.cpp on the device (same branches).
__device__ __forceinline__ float activation_value(int kind, float v, float slope) {
  switch (kind) {
    case 2: return v > 0.0f ? v : 0.0f;
    case 3: return v > 0.0f ? v : slope * v;
    case 4: return tanhf(v);
    default: {
      if (v >= 0.0f) return 1.0f / (1.0f + expf(-v));
      const float e = expf(v);
      return e / (1.0f + e);
    }
  }
}

// Throws hemasynth::Error("cuda", "<site>: <CUDA error>") when e is not cudaSuccess.
void check_cuda(cudaError_t e, const char* site);

}  // namespace cuda
}  // namespace hemasynth

#define HS_STR2(x) #x
#define HS_STR(x) HS_STR2(x)
// Checks a CUDA runtime call, naming the file, line and the call in the error.
#define HS_CUDA(call) ::hemasynth::cuda::check_cuda((call), __FILE__ ":" HS_STR(__LINE__) ": " #call)
// Checks a kernel launch (configuration errors surface here, faults at the next synchronisation).
#define HS_LAUNCHED(name) ::hemasynth::cuda::check_cuda(cudaGetLastError(), __FILE__ ":" HS_STR(__LINE__) ": launch of " name)
