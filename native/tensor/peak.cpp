#include "tensor/peak.h"

#include <chrono>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "common/parallel.h"

namespace hemasynth {

double measure_peak_gflops_f32(int threads, int64_t iterations) {
  const int t = resolve_threads(threads);
  std::vector<float> sink(t, 0.0f);
  const auto start = std::chrono::steady_clock::now();
  parallel_for(static_cast<size_t>(t), t, 1, [&](size_t b, size_t e, int) {
    for (size_t w = b; w < e; ++w) {
#if defined(__AVX512F__)
      // 16 accumulators hide the FMA latency (4 cycles × 2 ports × 2 = 16 in flight).
      __m512 acc[16];
      for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i) * 1e-3f);
      const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
      for (int64_t it = 0; it < iterations; ++it)
        for (int i = 0; i < 16; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
      __m512 s = acc[0];
      for (int i = 1; i < 16; ++i) s = _mm512_add_ps(s, acc[i]);
      alignas(64) float lanes_out[16];
      _mm512_store_ps(lanes_out, s);  // not _mm512_reduce_add_ps: GCC 12's header warns inside it
      float total = 0.0f;
      for (float v : lanes_out) total += v;
      sink[w] = total;
#else
      float acc[16][8];
      for (int i = 0; i < 16; ++i) for (int j = 0; j < 8; ++j) acc[i][j] = i * 1e-3f;
      for (int64_t it = 0; it < iterations; ++it)
        for (int i = 0; i < 16; ++i) for (int j = 0; j < 8; ++j) acc[i][j] = acc[i][j] * 0.999999f + 1e-7f;
      float s = 0;
      for (int i = 0; i < 16; ++i) for (int j = 0; j < 8; ++j) s += acc[i][j];
      sink[w] = s;
#endif
    }
  });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
#if defined(__AVX512F__)
  const double lanes = 16;
#else
  const double lanes = 8;
#endif
  volatile float keep = sink[0];
  (void)keep;
  return 2.0 * lanes * 16.0 * static_cast<double>(iterations) * t / secs / 1e9;
}

}  // namespace hemasynth
