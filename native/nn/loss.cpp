#include "nn/loss.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"

namespace hemasynth {

namespace {
constexpr double kLn2Pi = 1.8378770664093454835606594728112;
// log σ² is clamped to this range inside the NLL so e^(−s) stays finite in float32.
constexpr float kLogVarMin = -30.0f, kLogVarMax = 30.0f;
}  // namespace

void validate_loss_terms(const std::vector<LossTerm>& terms, int64_t out_cols, int64_t tgt_cols) {
  require(!terms.empty(), "loss", "expected at least one loss term");
  for (size_t i = 0; i < terms.size(); ++i) {
    const LossTerm& t = terms[i];
    const std::string f = "loss[" + std::to_string(i) + "]";
    require(t.kind == LossKind::MSE || t.kind == LossKind::CrossEntropy || t.kind == LossKind::GaussianNLL ||
                t.kind == LossKind::Linear || t.kind == LossKind::GradientPenalty,
            f.c_str(), "unknown loss kind " + std::to_string(static_cast<int>(t.kind)));
    if (t.kind == LossKind::GradientPenalty) {
      require(t.width == 1, f.c_str(), "a gradient penalty differentiates one output column (width 1)");
      for (size_t j = 0; j < i; ++j)
        require(terms[j].kind != LossKind::GradientPenalty, f.c_str(), "expected at most one gradient penalty term");
    }
    require(t.width >= 1, f.c_str(), "expected width >= 1 but received " + std::to_string(t.width));
    require(t.out_offset >= 0 && t.out_offset + loss_output_width(t) <= out_cols, f.c_str(),
            "output span [" + std::to_string(t.out_offset) + ", " + std::to_string(t.out_offset + loss_output_width(t)) +
                ") exceeds the model's " + std::to_string(out_cols) + " output columns");
    require(t.tgt_offset >= 0 && t.tgt_offset + t.width <= tgt_cols, f.c_str(),
            "target span [" + std::to_string(t.tgt_offset) + ", " + std::to_string(t.tgt_offset + t.width) +
                ") exceeds the " + std::to_string(tgt_cols) + " target columns");
    require(std::isfinite(t.weight), f.c_str(), "expected a finite weight");
  }
}

void loss_per_sample(const std::vector<LossTerm>& terms, const float* out, size_t out_cols, const float* tgt,
                     size_t tgt_cols, size_t rows, double* loss, float* dout) {
  std::fill(dout, dout + rows * out_cols, 0.0f);
  std::vector<double> p;
  for (size_t r = 0; r < rows; ++r) {
    const float* o = out + r * out_cols;
    const float* t = tgt + r * tgt_cols;
    float* d = dout + r * out_cols;
    double l = 0.0;
    for (const LossTerm& term : terms) {
      const size_t w = static_cast<size_t>(term.width);
      const float* os = o + term.out_offset;
      const float* ts = t + term.tgt_offset;
      float* ds = d + term.out_offset;
      const double wt = term.weight;
      switch (term.kind) {
        case LossKind::MSE: {
          double s = 0.0;
          for (size_t j = 0; j < w; ++j) {
            const double e = static_cast<double>(os[j]) - ts[j];
            s += e * e;
            ds[j] += static_cast<float>(wt * 2.0 * e / static_cast<double>(w));
          }
          l += wt * s / static_cast<double>(w);
          break;
        }
        case LossKind::CrossEntropy: {
          double mx = -INFINITY, tsum = 0.0;
          for (size_t j = 0; j < w; ++j) { mx = std::max(mx, static_cast<double>(os[j])); tsum += ts[j]; }
          double z = 0.0;
          p.resize(w);
          for (size_t j = 0; j < w; ++j) { p[j] = std::exp(os[j] - mx); z += p[j]; }
          const double logz = std::log(z) + mx;
          double s = 0.0;
          for (size_t j = 0; j < w; ++j) {
            s -= ts[j] * (os[j] - logz);
            ds[j] += static_cast<float>(wt * (p[j] / z * tsum - ts[j]));
          }
          l += wt * s;
          break;
        }
        case LossKind::GaussianNLL: {
          double s = 0.0;
          for (size_t j = 0; j < w; ++j) {
            const double mu = os[j];
            const float raw = os[w + j];
            const double lv = std::min(kLogVarMax, std::max(kLogVarMin, raw));
            const double inv = std::exp(-lv);
            const double e = ts[j] - mu;
            s += 0.5 * (lv + e * e * inv + kLn2Pi);
            ds[j] += static_cast<float>(wt * (mu - ts[j]) * inv);
            const bool inside = raw > kLogVarMin && raw < kLogVarMax;
            ds[w + j] += inside ? static_cast<float>(wt * 0.5 * (1.0 - e * e * inv)) : 0.0f;
          }
          l += wt * s;
          break;
        }
        case LossKind::GradientPenalty:
          break;  // needs ∂output/∂input: Trainer::penalty_pass
        case LossKind::Linear: {
          double s = 0.0;
          for (size_t j = 0; j < w; ++j) { s += static_cast<double>(ts[j]) * os[j]; ds[j] += static_cast<float>(wt * ts[j]); }
          l += wt * s;
          break;
        }
      }
    }
    loss[r] += l;
  }
}

}  // namespace hemasynth
