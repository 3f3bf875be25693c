// Single-precision matrix product C = op(A)·op(B) (+ C when accumulate) (+ bias per column),
// row-major. op(X) is X or its transpose. Blocked (Goto/van de Geijn packing), AVX-512
// micro-kernel when the compiler targets it, multi-threaded over row blocks of C.
#pragma once
#include <cstddef>
#include <vector>

namespace hemasynth {

struct GemmShape {
  size_t m = 0, n = 0, k = 0;  // C is m×n, op(A) is m×k, op(B) is k×n
  bool trans_a = false;        // A stored k×m when true
  bool trans_b = false;        // B stored n×k when true
};

// Packing buffers reused across calls by one owner (e.g. a trainer), so repeated products do
// not map and fault fresh pages each time. Not shareable between concurrent calls.
struct GemmWorkspace {
  std::vector<std::vector<float>> a;  // packed A panels, one per worker thread
  std::vector<std::vector<float>> b;  // packed B, shared by all workers (one entry)
};

// Checks nothing about buffer sizes (callers in native/ pass sizes they computed);
// use gemm_checked from bindings.
void gemm_f32(const GemmShape& s, const float* a, const float* b, float* c, bool accumulate,
              const float* bias, int threads, GemmWorkspace* workspace = nullptr);

// Same with explicit buffer lengths: throws hemasynth::Error naming the operand that is too short.
void gemm_f32_checked(const GemmShape& s, const float* a, size_t a_len, const float* b, size_t b_len,
                      float* c, size_t c_len, bool accumulate, const float* bias, size_t bias_len, int threads,
                      GemmWorkspace* workspace = nullptr);

}  // namespace hemasynth
