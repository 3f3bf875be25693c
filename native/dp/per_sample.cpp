#include "dp/per_sample.h"

#include <cmath>

namespace hemasynth {

namespace {
// Σ x_j² in binary64 with 8 independent partial sums: the lanes map onto one vector register,
// so the loop vectorises without reassociating a single accumulator (no -ffast-math needed).
inline double sum_squares(const float* x, size_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; ++k) acc[k] += static_cast<double>(x[j + k]) * x[j + k];
  double s = 0.0;
  for (; j < n; ++j) s += static_cast<double>(x[j]) * x[j];
  for (int k = 0; k < 8; ++k) s += acc[k];
  return s;
}
}  // namespace

void add_linear_ghost_sqnorms(const float* a, size_t in, const float* g, size_t out, size_t rows, double* sqnorm) {
  for (size_t i = 0; i < rows; ++i) {
    const double na = sum_squares(a + i * in, in);
    const double ng = sum_squares(g + i * out, out);
    sqnorm[i] += na * ng + ng;
  }
}

void add_layer_norm_sqnorms(const float* g, const float* xhat, size_t cols, size_t rows, double* sqnorm) {
  for (size_t i = 0; i < rows; ++i) {
    double s = 0.0;
    for (size_t j = 0; j < cols; ++j) {
      const double gj = g[i * cols + j];
      const double w = gj * xhat[i * cols + j];
      s += w * w + gj * gj;
    }
    sqnorm[i] += s;
  }
}

void clip_factors(const double* sqnorm, size_t rows, double max_norm, double* factor) {
  for (size_t i = 0; i < rows; ++i) {
    const double n = std::sqrt(sqnorm[i]);
    factor[i] = n > max_norm ? max_norm / n : 1.0;
  }
}

}  // namespace hemasynth
