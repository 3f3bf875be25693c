#include "marginal/copula_sampler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "common/parallel.h"
#include "marginal/rng.h"

namespace hemasynth::marginal {

std::vector<int32_t> sample_copula(const double* L, int64_t d, const double* B, int64_t k, const double* zc, int64_t zc_len,
                                   const double* cdf, int64_t cdf_len, const int32_t* cdf_offsets, int64_t rows,
                                   int32_t seed, int threads) {
  if (zc_len != rows * k) throw Error("zc", "Expected rows x k conditioned latents");
  for (int64_t j = 0; j < d; ++j) {
    if (cdf_offsets[j] < 0 || cdf_offsets[j + 1] > cdf_len || cdf_offsets[j + 1] <= cdf_offsets[j]) throw Error("cdfOffsets", "Expected increasing offsets inside cdf");
  }
  std::vector<int32_t> out(static_cast<size_t>(checked_mul(static_cast<size_t>(rows), static_cast<size_t>(d), "rows x d")), 0);
  int64_t blocks = (rows + kSamplingBlockRows - 1) / kSamplingBlockRows;
  parallel_for(static_cast<size_t>(blocks), threads, 1, [&](size_t b0, size_t b1, int) {
    std::vector<double> g(static_cast<size_t>(d)), z(static_cast<size_t>(d));
    for (size_t blk = b0; blk < b1; ++blk) {
      SamplingRng rng(seed, static_cast<int64_t>(blk));
      int64_t r0 = static_cast<int64_t>(blk) * kSamplingBlockRows, r1 = std::min(rows, r0 + kSamplingBlockRows);
      for (int64_t i = r0; i < r1; ++i) {
        for (int64_t j = 0; j < d; ++j) {
          double u1 = (static_cast<double>(rng.next_u32()) + 1.0) / 4294967297.0;
          double u2 = rng.uniform();
          g[j] = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
        }
        for (int64_t j = 0; j < d; ++j) {
          const double* row = L + j * d;
          double s = 0;
          for (int64_t t = 0; t <= j; ++t) s += row[t] * g[t];
          const double* brow = B + j * k;
          const double* zr = zc + i * k;
          for (int64_t t = 0; t < k; ++t) s += brow[t] * zr[t];
          z[j] = s;
        }
        for (int64_t j = 0; j < d; ++j) {
          double u = 0.5 * std::erfc(-z[j] / 1.4142135623730951);
          const double* c = cdf + cdf_offsets[j];
          int32_t n = cdf_offsets[j + 1] - cdf_offsets[j];
          int32_t pos = 0;
          while (pos < n - 1 && u >= c[pos]) ++pos;
          out[j * rows + i] = pos;
        }
      }
    }
  });
  return out;
}

}  // namespace hemasynth::marginal
