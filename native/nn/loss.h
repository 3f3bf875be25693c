// Per-sample losses over column spans of a model's output, with their gradients.
// DP-SGD clips each sample's gradient, so losses are computed per sample (never averaged
// here); the trainer decides the normalisation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hemasynth {

enum class LossKind : int {
  MSE = 1,           // w/width · Σ (o − t)²
  CrossEntropy = 2,  // −w · Σ t log softmax(o)   (t: one-hot or probabilities)
  GaussianNLL = 3,   // w · ½ Σ (s + (t − μ)² e^(−s) + ln 2π), output span = [μ (width), s = log σ² (width)]
  Linear = 4,        // w · Σ t·o   (Wasserstein critic: t = +1 for fake, −1 for real)
  GradientPenalty = 5,  // w · t · (‖∂o/∂x‖ − 1)², width 1 (WGAN-GP); computed by the trainer, skipped here
};

struct LossTerm {
  LossKind kind = LossKind::MSE;
  int64_t out_offset = 0;  // first output column
  int64_t tgt_offset = 0;  // first target column
  int64_t width = 0;       // target columns (output columns: 2·width for GaussianNLL)
  double weight = 1.0;
};

// Output columns a term reads.
inline int64_t loss_output_width(const LossTerm& t) { return t.kind == LossKind::GaussianNLL ? 2 * t.width : t.width; }

// Checks the terms against output/target widths; throws hemasynth::Error naming the term.
void validate_loss_terms(const std::vector<LossTerm>& terms, int64_t out_cols, int64_t tgt_cols);

// For rows [0, rows): loss[i] += Σ terms; dout (rows×out_cols) is overwritten with ∂loss_i/∂out_i.
void loss_per_sample(const std::vector<LossTerm>& terms, const float* out, size_t out_cols, const float* tgt,
                     size_t tgt_cols, size_t rows, double* loss, float* dout);

}  // namespace hemasynth
