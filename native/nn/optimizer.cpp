#include "nn/optimizer.h"

#include <cmath>

namespace hemasynth {

void Optimizer::update(float* p, const float* g, size_t n) {
  ++t_;
  const float lr = static_cast<float>(cfg_.lr), wd = static_cast<float>(cfg_.weight_decay);
  if (cfg_.kind == OptimizerKind::SGD) {
    for (size_t i = 0; i < n; ++i) p[i] -= lr * (g[i] + wd * p[i]);
    return;
  }
  const float b1 = static_cast<float>(cfg_.beta1), b2 = static_cast<float>(cfg_.beta2);
  const double bc1 = 1.0 - std::pow(cfg_.beta1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(cfg_.beta2, static_cast<double>(t_));
  const float step = static_cast<float>(cfg_.lr / bc1);
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  const float eps = static_cast<float>(cfg_.eps);
  const bool decoupled = cfg_.kind == OptimizerKind::AdamW;
  float* m = m_.data();
  float* v = v_.data();
  for (size_t i = 0; i < n; ++i) {
    float gi = g[i];
    if (!decoupled) gi += wd * p[i];
    else p[i] -= lr * wd * p[i];
    m[i] = b1 * m[i] + (1.0f - b1) * gi;
    v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
    p[i] -= step * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
  }
}

}  // namespace hemasynth
