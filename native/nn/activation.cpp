#include "nn/activation.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace hemasynth {

void activation_forward(Activation kind, const float* x, float* y, size_t n, float slope) {
  switch (kind) {
    case Activation::ReLU:
      for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case Activation::LeakyReLU:
      for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
      break;
    case Activation::Tanh:
      for (size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
      break;
    case Activation::Sigmoid:
      // Two branches so exp never overflows: 1/(1+e^-x) for x ≥ 0, e^x/(1+e^x) otherwise.
      for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (v >= 0.0f) y[i] = 1.0f / (1.0f + std::exp(-v));
        else { const float e = std::exp(v); y[i] = e / (1.0f + e); }
      }
      break;
  }
}

void activation_backward(Activation kind, const float* x, const float* y, const float* dy, float* dx, size_t n,
                         float slope) {
  switch (kind) {
    case Activation::ReLU:
      for (size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
      break;
    case Activation::LeakyReLU:
      for (size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : slope * dy[i];
      break;
    case Activation::Tanh:
      for (size_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
      break;
    case Activation::Sigmoid:
      for (size_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
      break;
  }
}

void softmax_rows(const float* x, float* y, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float mx = -INFINITY;
    for (size_t j = 0; j < cols; ++j) mx = std::max(mx, xr[j]);
    double sum = 0.0;
    for (size_t j = 0; j < cols; ++j) { yr[j] = std::exp(xr[j] - mx); sum += yr[j]; }
    const float inv = static_cast<float>(1.0 / sum);
    for (size_t j = 0; j < cols; ++j) yr[j] *= inv;
  }
}

void gumbel_softmax_rows(const float* x, const double* uniforms, float* y, size_t rows, size_t cols, double tau) {
  std::vector<float> z(cols);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t j = 0; j < cols; ++j) {
      // u ∈ [0,1): shift by half a grid step so ln never sees 0 or 1.
      const double u = uniforms[r * cols + j] + 0x1p-54;
      const double g = -std::log(-std::log(u));
      z[j] = static_cast<float>((static_cast<double>(x[r * cols + j]) + g) / tau);
    }
    softmax_rows(z.data(), y + r * cols, 1, cols);
  }
}

}  // namespace hemasynth
