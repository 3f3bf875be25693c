#include "nn/layer_norm.h"

#include <cmath>

namespace hemasynth {

void layer_norm_forward(const float* x, const float* gain, const float* bias, float* y, float* xhat, float* rstd,
                        size_t rows, size_t cols, float eps) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    double mean = 0.0;
    for (size_t j = 0; j < cols; ++j) mean += xr[j];
    mean /= static_cast<double>(cols);
    double var = 0.0;
    for (size_t j = 0; j < cols; ++j) { const double d = xr[j] - mean; var += d * d; }
    var /= static_cast<double>(cols);
    const double rs = 1.0 / std::sqrt(var + eps);
    rstd[r] = static_cast<float>(rs);
    for (size_t j = 0; j < cols; ++j) {
      const float h = static_cast<float>((xr[j] - mean) * rs);
      xhat[r * cols + j] = h;
      y[r * cols + j] = h * gain[j] + bias[j];
    }
  }
}

void layer_norm_backward_input(const float* dy, const float* xhat, const float* rstd, const float* gain, float* dx,
                               size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r) {
    const float* g = dy + r * cols;
    const float* h = xhat + r * cols;
    double m1 = 0.0, m2 = 0.0;
    for (size_t j = 0; j < cols; ++j) { const double d = static_cast<double>(g[j]) * gain[j]; m1 += d; m2 += d * h[j]; }
    m1 /= static_cast<double>(cols);
    m2 /= static_cast<double>(cols);
    for (size_t j = 0; j < cols; ++j) {
      const double d = static_cast<double>(g[j]) * gain[j];
      dx[r * cols + j] = static_cast<float>(rstd[r] * (d - m1 - h[j] * m2));
    }
  }
}

}  // namespace hemasynth
