// First-order optimizers over one flat parameter vector.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hemasynth {

enum class OptimizerKind : int { SGD = 0, Adam = 1, AdamW = 2 };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::Adam;
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  // Adam: L2 penalty added to the gradient (coupled); AdamW: decoupled decay p ← p − lr·wd·p
  // (Loshchilov & Hutter 2019); SGD: L2 penalty added to the gradient.
  double weight_decay = 0.0;
};

class Optimizer {
 public:
  Optimizer(const OptimizerConfig& c, size_t n) : cfg_(c), m_(c.kind == OptimizerKind::SGD ? 0 : n, 0.0f),
                                                  v_(c.kind == OptimizerKind::SGD ? 0 : n, 0.0f) {}
  // One update of params from grad (Kingma & Ba 2015, Algorithm 1 with bias correction).
  void update(float* params, const float* grad, size_t n);
  int64_t steps() const { return t_; }
  const OptimizerConfig& config() const { return cfg_; }

 private:
  OptimizerConfig cfg_;
  std::vector<float> m_, v_;
  int64_t t_ = 0;
};

}  // namespace hemasynth
