#include "nn/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "common/error.h"
#include "common/parallel.h"
#include "dp/per_sample.h"
#include "nn/activation.h"
#include "nn/layer_norm.h"
#include "tensor/gemm.h"

namespace hemasynth {

Trainer::Trainer(const ModelSpec& model, const TrainerConfig& config, const ChaChaKey& key)
    : cfg_(config), ks_(key), opt_(config.optimizer, 0) {
  ModelLayout layout = resolve_model(model);
  layers_ = std::move(layout.layers);
  width_ = std::move(layout.width);
  const size_t nparams = layout.params;
  const size_t w = width_.back();
  require(cfg_.target_size >= 0, "targetSize", "expected targetSize >= 0");
  validate_loss_terms(cfg_.loss, static_cast<int64_t>(w), cfg_.target_size);
  require(cfg_.rows_per_sample >= 1 && cfg_.rows_per_sample <= 1024, "loss.rowsPerSample", "expected an integer in [1, 1024]");
  for (size_t t = 0; t < cfg_.loss.size(); ++t)
    if (cfg_.loss[t].kind == LossKind::GradientPenalty) gp_term_ = static_cast<int>(t);
  if (gp_term_ >= 0)
    for (size_t l = 0; l < layers_.size(); ++l)
      require(layers_[l].spec.kind != LayerKind::LayerNorm && layers_[l].spec.kind != LayerKind::GaussianSample,
              layer_field(l).c_str(),
              "a gradient penalty needs second derivatives, which the trainer computes for linear, activation, "
              "dropout and residual layers only");
  const OptimizerConfig& o = cfg_.optimizer;
  require(o.kind == OptimizerKind::SGD || o.kind == OptimizerKind::Adam || o.kind == OptimizerKind::AdamW, "optimizer",
          "unknown optimizer kind");
  require(std::isfinite(o.lr) && o.lr >= 0, "optimizer.learningRate", "expected a finite learning rate >= 0");
  require(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1, "optimizer.betas", "expected betas in [0, 1)");
  require(o.eps > 0 && std::isfinite(o.weight_decay) && o.weight_decay >= 0, "optimizer", "expected eps > 0 and weightDecay >= 0");
  if (cfg_.dp.enabled) {
    const DpConfig& d = cfg_.dp;
    require(std::isfinite(d.noise_multiplier) && d.noise_multiplier >= 0, "dp.noiseMultiplier", "expected a finite number >= 0");
    require(std::isfinite(d.max_grad_norm) && d.max_grad_norm > 0, "dp.maxGradNorm", "expected a finite number > 0");
    require(std::isfinite(d.expected_batch_size) && d.expected_batch_size > 0, "dp.expectedBatchSize", "expected a number > 0");
    require(d.sample_rate >= 0 && d.sample_rate <= 1, "dp.sampleRate", "expected a number in [0, 1]");
  }
  opt_ = Optimizer(cfg_.optimizer, nparams);
  params_.assign(nparams, 0.0f);
  grad_.assign(nparams, 0.0f);
  // PyTorch's default initialisation: W, b ~ U(−1/√in, 1/√in); LayerNorm gain 1, bias 0.
  // Drawn from the keystream so a seeded trainer (on any backend) starts from the same weights.
  std::vector<double> u;
  for (const Resolved& r : layers_) {
    if (r.spec.kind == LayerKind::Linear) {
      const size_t n = r.in * r.out + r.out;
      u.resize(n);
      ks_.uniforms(u.data(), n, 1);
      const double bound = 1.0 / std::sqrt(static_cast<double>(r.in));
      for (size_t i = 0; i < n; ++i) params_[r.w_off + i] = static_cast<float>((2.0 * u[i] - 1.0) * bound);
    } else if (r.spec.kind == LayerKind::LayerNorm) {
      std::fill(params_.begin() + r.w_off, params_.begin() + r.w_off + r.in, 1.0f);
      std::fill(params_.begin() + r.b_off, params_.begin() + r.b_off + r.in, 0.0f);
    }
  }
  act_.resize(layers_.size() + 1);
  gact_.resize(layers_.size() + 1);
  dd_.resize(layers_.size() + 1);
  rr_.resize(layers_.size() + 1);
  inj_.resize(layers_.size());
  aux_.resize(layers_.size());
  auxb_.resize(layers_.size());
}

void Trainer::set_parameters(const float* p, size_t n) {
  require(n == params_.size(), "parameters",
          "expected " + std::to_string(params_.size()) + " values but received " + std::to_string(n));
  for (size_t i = 0; i < n; ++i)
    require(std::isfinite(p[i]), "parameters", "expected finite values but index " + std::to_string(i) + " is not");
  std::memcpy(params_.data(), p, n * sizeof(float));
}

size_t Trainer::rows_of(size_t len, size_t width, const char* field) const {
  require(width > 0 && len % width == 0, field,
          "expected a length that is a multiple of " + std::to_string(width) + " columns but received " + std::to_string(len));
  return len / width;
}

size_t Trainer::samples_of(const float* x, size_t x_len, const float* y, size_t y_len) const {
  (void)x; (void)y;
  const size_t xr = rows_of(x_len, input_size(), "x");
  const size_t yr = rows_of(y_len, target_size(), "y");
  require(xr == yr, "y", "expected " + std::to_string(xr) + " target rows (one per row of x) but received " + std::to_string(yr));
  const size_t g = rows_per_sample();
  require(xr % g == 0, "x", "expected a multiple of rowsPerSample = " + std::to_string(g) + " rows but received " + std::to_string(xr));
  return xr / g;
}

void Trainer::gather(const float* x, size_t width, const int32_t* samples, size_t n, std::vector<float>& dst) const {
  const size_t block = rows_per_sample() * width;
  dst.resize(n * block);
  if (!samples) { std::memcpy(dst.data(), x, n * block * sizeof(float)); return; }
  for (size_t i = 0; i < n; ++i)
    std::memcpy(dst.data() + i * block, x + static_cast<size_t>(samples[i]) * block, block * sizeof(float));
}

const double* Trainer::row_weights(const double* per_sample, size_t samples) {
  const size_t g = rows_per_sample();
  row_weight_.resize(samples * g);
  for (size_t i = 0; i < samples * g; ++i) row_weight_[i] = per_sample[i / g];
  return row_weight_.data();
}

void Trainer::run_forward(size_t start, size_t rows, bool training) {
  const int threads = cfg_.threads;
  loss_.assign(rows, 0.0);
  for (size_t l = start; l < layers_.size(); ++l) {
    const Resolved& r = layers_[l];
    const std::vector<float>& in = act_[l];
    std::vector<float>& out = act_[l + 1];
    out.resize(rows * r.out);
    switch (r.spec.kind) {
      case LayerKind::Linear: {
        GemmShape s; s.m = rows; s.k = r.in; s.n = r.out;
        gemm_f32(s, in.data(), params_.data() + r.w_off, out.data(), false, params_.data() + r.b_off, threads, &gemm_ws_);
        break;
      }
      case LayerKind::ReLU: case LayerKind::LeakyReLU: case LayerKind::Tanh: case LayerKind::Sigmoid:
        activation_forward(static_cast<Activation>(r.spec.kind), in.data(), out.data(), rows * r.out,
                           static_cast<float>(r.spec.param));
        break;
      case LayerKind::LayerNorm:
        aux_[l].resize(rows * r.in);
        auxb_[l].resize(rows);
        layer_norm_forward(in.data(), params_.data() + r.w_off, params_.data() + r.b_off, out.data(), aux_[l].data(),
                           auxb_[l].data(), rows, r.in, static_cast<float>(r.spec.param));
        break;
      case LayerKind::Dropout: {
        const size_t n = rows * r.in;
        if (training && r.spec.param > 0) {
          // Inverted dropout: keep with probability 1−p and scale by 1/(1−p); one uniform per element.
          std::vector<double> u(n);
          ks_.uniforms(u.data(), n, threads);
          aux_[l].resize(n);
          const float scale = static_cast<float>(1.0 / (1.0 - r.spec.param));
          for (size_t i = 0; i < n; ++i) {
            aux_[l][i] = u[i] < r.spec.param ? 0.0f : scale;
            out[i] = in[i] * aux_[l][i];
          }
        } else {
          aux_[l].clear();
          std::copy(in.begin(), in.begin() + n, out.begin());
        }
        break;
      }
      case LayerKind::ResidualBegin:
        std::copy(in.begin(), in.begin() + rows * r.in, out.begin());
        break;
      case LayerKind::ResidualEnd: {
        const std::vector<float>& skip = act_[r.partner];
        for (size_t i = 0; i < rows * r.out; ++i) out[i] = in[i] + skip[i];
        break;
      }
      case LayerKind::GaussianSample: {
        // Reparameterisation (Kingma & Welling 2014): z = μ + ε·exp(½ log σ²), ε ~ N(0, I) from
        // the keystream; the KL(N(μ,σ²) ‖ N(0,I)) = −½ Σ (1 + log σ² − μ² − σ²) of each sample
        // is part of that sample's loss. Outside training z = μ.
        const size_t L = r.out;
        aux_[l].resize(rows * L);
        std::vector<double> eps;
        if (training) { eps.resize(rows * L); ks_.gaussians(eps.data(), rows * L, threads); }
        for (size_t i = 0; i < rows; ++i) {
          const float* mu = in.data() + i * 2 * L;
          const float* lv = mu + L;
          double kl = 0.0;
          for (size_t j = 0; j < L; ++j) {
            const double e = training ? eps[i * L + j] : 0.0;
            aux_[l][i * L + j] = static_cast<float>(e);
            const double s = std::min(30.0, std::max(-30.0, static_cast<double>(lv[j])));
            out[i * L + j] = static_cast<float>(mu[j] + e * std::exp(0.5 * s));
            kl += -0.5 * (1.0 + s - static_cast<double>(mu[j]) * mu[j] - std::exp(s));
          }
          loss_[i] += r.spec.param * kl;
        }
        break;
      }
      default:
        break;
    }
  }
}

// Standard backward pass from gact_.back(). `norms`: accumulate ghost norms inline (one row per
// sample and no penalty); group_norms() handles the general case afterwards.
void Trainer::run_backward(size_t rows, bool norms, bool need_input_grad) {
  const int threads = cfg_.threads;
  if (norms) sqnorm_.assign(rows, 0.0);
  // Index of the first parametrised layer: below it only the input gradient could be wanted.
  size_t first_param = layers_.size();
  for (size_t l = 0; l < layers_.size(); ++l)
    if (layers_[l].spec.kind == LayerKind::Linear || layers_[l].spec.kind == LayerKind::LayerNorm) { first_param = l; break; }
  std::vector<std::vector<float>> skip(layers_.size());
  for (size_t li = layers_.size(); li-- > 0;) {
    if (!need_input_grad && li < first_param) break;
    const Resolved& r = layers_[li];
    const std::vector<float>& g = gact_[li + 1];
    std::vector<float>& dx = gact_[li];
    const bool want_dx = need_input_grad || li > first_param;
    dx.resize(rows * r.in);
    switch (r.spec.kind) {
      case LayerKind::Linear: {
        if (norms) add_linear_ghost_sqnorms(act_[li].data(), r.in, g.data(), r.out, rows, sqnorm_.data());
        if (want_dx) {
          GemmShape s; s.m = rows; s.k = r.out; s.n = r.in; s.trans_b = true;
          gemm_f32(s, g.data(), params_.data() + r.w_off, dx.data(), false, nullptr, threads, &gemm_ws_);
        }
        break;
      }
      case LayerKind::ReLU: case LayerKind::LeakyReLU: case LayerKind::Tanh: case LayerKind::Sigmoid:
        activation_backward(static_cast<Activation>(r.spec.kind), act_[li].data(), act_[li + 1].data(), g.data(),
                            dx.data(), rows * r.in, static_cast<float>(r.spec.param));
        if (!inj_[li].empty())
          for (size_t i = 0; i < rows * r.in; ++i) dx[i] += inj_[li][i];
        break;
      case LayerKind::LayerNorm:
        if (norms) add_layer_norm_sqnorms(g.data(), aux_[li].data(), r.in, rows, sqnorm_.data());
        if (want_dx) layer_norm_backward_input(g.data(), aux_[li].data(), auxb_[li].data(), params_.data() + r.w_off,
                                               dx.data(), rows, r.in);
        break;
      case LayerKind::Dropout:
        if (aux_[li].empty()) std::copy(g.begin(), g.begin() + rows * r.in, dx.begin());
        else for (size_t i = 0; i < rows * r.in; ++i) dx[i] = g[i] * aux_[li][i];
        break;
      case LayerKind::ResidualEnd:
        skip[r.partner].assign(g.begin(), g.begin() + rows * r.out);
        std::copy(g.begin(), g.begin() + rows * r.out, dx.begin());
        break;
      case LayerKind::ResidualBegin: {
        const std::vector<float>& s = skip[li];
        for (size_t i = 0; i < rows * r.in; ++i) dx[i] = g[i] + s[i];
        break;
      }
      case LayerKind::GaussianSample: {
        const size_t L = r.out;
        const double kw = r.spec.param;
        for (size_t i = 0; i < rows; ++i) {
          const float* mu = act_[li].data() + i * 2 * L;
          const float* lv = mu + L;
          float* dmu = dx.data() + i * 2 * L;
          float* dlv = dmu + L;
          for (size_t j = 0; j < L; ++j) {
            const double gz = g[i * L + j];
            const bool inside = lv[j] > -30.0f && lv[j] < 30.0f;
            const double s = std::min(30.0, std::max(-30.0, static_cast<double>(lv[j])));
            dmu[j] = static_cast<float>(gz + kw * mu[j]);
            dlv[j] = inside ? static_cast<float>(gz * aux_[li][i * L + j] * 0.5 * std::exp(0.5 * s) + kw * 0.5 * (std::exp(s) - 1.0))
                            : 0.0f;
          }
        }
        break;
      }
      default:
        break;
    }
  }
}

// WGAN-GP (Gulrajani et al. 2017) by double backpropagation; see src/backend/js/trainer.ts
// penaltyPass for the derivation. δ pass: dd_[l] = ∂o/∂act_[l] (backward, seeded with 1 at the
// critic column); per row P = w·λ·(‖dd_[0]‖ − 1)²; r pass: the adjoint of the δ pass, seeded
// with ∂P/∂dd_[0], run forward. Linear layers then get rr_[l]ᵀ·dd_[l+1]; tanh/sigmoid inject
// ∂P/∂z = r·δ·φ''(z) into the standard backward pass.
void Trainer::penalty_pass(size_t rows, const float* yb) {
  const int threads = cfg_.threads;
  const LossTerm& gp = cfg_.loss[static_cast<size_t>(gp_term_)];
  const size_t nl = layers_.size(), oc = output_size(), in0 = input_size();
  dd_[nl].assign(rows * oc, 0.0f);
  for (size_t i = 0; i < rows; ++i) dd_[nl][i * oc + static_cast<size_t>(gp.out_offset)] = 1.0f;
  std::vector<std::vector<float>> skip(nl);
  for (size_t li = nl; li-- > 0;) {
    const Resolved& r = layers_[li];
    const std::vector<float>& d = dd_[li + 1];
    std::vector<float>& dx = dd_[li];
    dx.resize(rows * r.in);
    switch (r.spec.kind) {
      case LayerKind::Linear: {
        GemmShape s; s.m = rows; s.k = r.out; s.n = r.in; s.trans_b = true;
        gemm_f32(s, d.data(), params_.data() + r.w_off, dx.data(), false, nullptr, threads, &gemm_ws_);
        break;
      }
      case LayerKind::ReLU: case LayerKind::LeakyReLU: case LayerKind::Tanh: case LayerKind::Sigmoid:
        activation_backward(static_cast<Activation>(r.spec.kind), act_[li].data(), act_[li + 1].data(), d.data(),
                            dx.data(), rows * r.in, static_cast<float>(r.spec.param));
        break;
      case LayerKind::Dropout:
        if (aux_[li].empty()) std::copy(d.begin(), d.begin() + rows * r.in, dx.begin());
        else for (size_t i = 0; i < rows * r.in; ++i) dx[i] = d[i] * aux_[li][i];
        break;
      case LayerKind::ResidualEnd:
        skip[r.partner].assign(d.begin(), d.begin() + rows * r.out);
        std::copy(d.begin(), d.begin() + rows * r.out, dx.begin());
        break;
      case LayerKind::ResidualBegin:
        for (size_t i = 0; i < rows * r.in; ++i) dx[i] = d[i] + skip[li][i];
        break;
      default:
        break;  // LayerNorm and GaussianSample are refused with a penalty at construction
    }
  }
  const std::vector<float>& u = dd_[0];
  std::vector<float>& v = rr_[0];
  v.assign(rows * in0, 0.0f);
  for (size_t i = 0; i < rows; ++i) {
    const double lambda = gp.weight * yb[i * target_size() + static_cast<size_t>(gp.tgt_offset)];
    if (lambda == 0.0) continue;
    double sq = 0.0;
    for (size_t j = 0; j < in0; ++j) sq += static_cast<double>(u[i * in0 + j]) * u[i * in0 + j];
    const double n = std::sqrt(sq);
    loss_[i] += lambda * (n - 1.0) * (n - 1.0);
    if (n > 0.0)
      for (size_t j = 0; j < in0; ++j) v[i * in0 + j] = static_cast<float>(lambda * 2.0 * (n - 1.0) / n * u[i * in0 + j]);
  }
  std::vector<std::vector<float>> rskip(nl);
  for (size_t li = 0; li < nl; ++li) {
    const Resolved& r = layers_[li];
    const std::vector<float>& rv = rr_[li];
    std::vector<float>& out = rr_[li + 1];
    out.resize(rows * r.out);
    inj_[li].clear();
    switch (r.spec.kind) {
      case LayerKind::Linear: {
        GemmShape s; s.m = rows; s.k = r.in; s.n = r.out;
        gemm_f32(s, rv.data(), params_.data() + r.w_off, out.data(), false, nullptr, threads, &gemm_ws_);
        break;
      }
      case LayerKind::ReLU: case LayerKind::LeakyReLU: case LayerKind::Tanh: case LayerKind::Sigmoid: {
        activation_backward(static_cast<Activation>(r.spec.kind), act_[li].data(), act_[li + 1].data(), rv.data(),
                            out.data(), rows * r.in, static_cast<float>(r.spec.param));
        if (r.spec.kind == LayerKind::Tanh || r.spec.kind == LayerKind::Sigmoid) {
          const std::vector<float>& y = act_[li + 1];
          const std::vector<float>& d = dd_[li + 1];
          inj_[li].resize(rows * r.in);
          for (size_t i = 0; i < rows * r.in; ++i) {
            const double yi = y[i];
            const double second = r.spec.kind == LayerKind::Tanh ? -2.0 * yi * (1.0 - yi * yi) : yi * (1.0 - yi) * (1.0 - 2.0 * yi);
            inj_[li][i] = static_cast<float>(static_cast<double>(rv[i]) * d[i] * second);
          }
        }
        break;
      }
      case LayerKind::Dropout:
        if (aux_[li].empty()) std::copy(rv.begin(), rv.begin() + rows * r.in, out.begin());
        else for (size_t i = 0; i < rows * r.in; ++i) out[i] = rv[i] * aux_[li][i];
        break;
      case LayerKind::ResidualBegin:
        rskip[li].assign(rv.begin(), rv.begin() + rows * r.in);
        std::copy(rv.begin(), rv.begin() + rows * r.in, out.begin());
        break;
      case LayerKind::ResidualEnd:
        for (size_t i = 0; i < rows * r.out; ++i) out[i] = rv[i] + rskip[r.partner][i];
        break;
      default:
        break;
    }
  }
}

// Per-sample squared gradient norms when a sample spans several rows or carries a penalty: a
// linear layer's per-sample weight gradient is Σ_p l_p ⊗ r_p over its rows (activation terms
// a⊗g and penalty terms r⊗δ), whose squared Frobenius norm is Σ_{p,q} (l_p·l_q)(r_p·r_q); the
// bias gradient is Σ_k g_k. LayerNorm: ‖Σ_k g_k ⊙ x̂_k‖² + ‖Σ_k g_k‖².
void Trainer::group_norms(size_t samples) {
  const size_t g = rows_per_sample();
  const bool gp = gp_term_ >= 0;
  sqnorm_.assign(samples, 0.0);
  auto dot = [](const float* a, const float* b, size_t n) {
    double s = 0.0;
    for (size_t j = 0; j < n; ++j) s += static_cast<double>(a[j]) * b[j];
    return s;
  };
  std::vector<const float*> left, right;
  std::vector<double> colsum;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Resolved& r = layers_[l];
    if (r.spec.kind == LayerKind::Linear) {
      const float* a = act_[l].data();
      const float* gr = gact_[l + 1].data();
      colsum.resize(r.out);
      for (size_t s = 0; s < samples; ++s) {
        left.clear();
        right.clear();
        for (size_t k = 0; k < g; ++k) {
          const size_t row = s * g + k;
          left.push_back(a + row * r.in);
          right.push_back(gr + row * r.out);
          if (gp) { left.push_back(rr_[l].data() + row * r.in); right.push_back(dd_[l + 1].data() + row * r.out); }
        }
        double w = 0.0;
        for (size_t p = 0; p < left.size(); ++p)
          for (size_t q = p; q < left.size(); ++q) {
            const double t = dot(left[p], left[q], r.in) * dot(right[p], right[q], r.out);
            w += p == q ? t : 2.0 * t;
          }
        std::fill(colsum.begin(), colsum.end(), 0.0);
        for (size_t k = 0; k < g; ++k)
          for (size_t j = 0; j < r.out; ++j) colsum[j] += gr[(s * g + k) * r.out + j];
        double b = 0.0;
        for (double c : colsum) b += c * c;
        sqnorm_[s] += w + b;
      }
    } else if (r.spec.kind == LayerKind::LayerNorm) {
      const float* gr = gact_[l + 1].data();
      const float* h = aux_[l].data();
      for (size_t s = 0; s < samples; ++s) {
        double t = 0.0;
        for (size_t j = 0; j < r.in; ++j) {
          double gg = 0.0, gb = 0.0;
          for (size_t k = 0; k < g; ++k) {
            const size_t idx = (s * g + k) * r.in + j;
            gg += static_cast<double>(gr[idx]) * h[idx];
            gb += gr[idx];
          }
          t += gg * gg + gb * gb;
        }
        sqnorm_[s] += t;
      }
    }
  }
}

void Trainer::parameter_gradient(size_t rows, const double* weight, float* grad) {
  const int threads = cfg_.threads;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Resolved& r = layers_[l];
    if (r.spec.kind == LayerKind::Linear) {
      const std::vector<float>& g = gact_[l + 1];
      scaled_.resize(rows * r.out);
      float* db = grad + r.b_off;
      std::vector<double> bsum(r.out, 0.0);
      for (size_t i = 0; i < rows; ++i) {
        const float wi = static_cast<float>(weight[i]);
        for (size_t j = 0; j < r.out; ++j) {
          const float v = g[i * r.out + j] * wi;
          scaled_[i * r.out + j] = v;
          bsum[j] += v;
        }
      }
      for (size_t j = 0; j < r.out; ++j) db[j] = static_cast<float>(bsum[j]);
      // ∇W = Aᵀ·diag(w)·G: one product for the whole batch, whatever the clipping factors.
      GemmShape s; s.m = r.in; s.k = rows; s.n = r.out; s.trans_a = true;
      gemm_f32(s, act_[l].data(), scaled_.data(), grad + r.w_off, false, nullptr, threads, &gemm_ws_);
      if (gp_term_ >= 0) {
        // Penalty part of the weight gradient: rᵀ·diag(w)·δ.
        const std::vector<float>& d = dd_[l + 1];
        for (size_t i = 0; i < rows; ++i) {
          const float wi = static_cast<float>(weight[i]);
          for (size_t j = 0; j < r.out; ++j) scaled_[i * r.out + j] = d[i * r.out + j] * wi;
        }
        gemm_f32(s, rr_[l].data(), scaled_.data(), grad + r.w_off, true, nullptr, threads, &gemm_ws_);
      }
    } else if (r.spec.kind == LayerKind::LayerNorm) {
      const std::vector<float>& g = gact_[l + 1];
      const std::vector<float>& h = aux_[l];
      std::vector<double> dg(r.in, 0.0), dbv(r.in, 0.0);
      for (size_t i = 0; i < rows; ++i)
        for (size_t j = 0; j < r.in; ++j) {
          const double v = weight[i] * g[i * r.in + j];
          dg[j] += v * h[i * r.in + j];
          dbv[j] += v;
        }
      for (size_t j = 0; j < r.in; ++j) { grad[r.w_off + j] = static_cast<float>(dg[j]); grad[r.b_off + j] = static_cast<float>(dbv[j]); }
    }
  }
}

// Forward, per-row losses (+ penalty), backward for one gathered batch of `rows` rows (whole
// samples); fills sqnorm_ per sample when norms are wanted. Returns the mean loss per sample.
double Trainer::batch_pass(Mode mode, const float* xb, const float* yb, size_t rows, const float* dout) {
  // Every batch pass is a training pass (dropout on, reparameterisation sampled); forward() is the
  // only evaluation path.
  const bool training = true;
  act_[0].assign(xb, xb + rows * width_[0]);
  run_forward(0, rows, training);
  for (auto& v : inj_) v.clear();
  const size_t oc = output_size();
  gact_.back().resize(rows * oc);
  const bool penalty = gp_term_ >= 0 && mode != Mode::OutputGradient;
  if (mode == Mode::OutputGradient) {
    std::memcpy(gact_.back().data(), dout, rows * oc * sizeof(float));
  } else {
    loss_per_sample(cfg_.loss, act_.back().data(), oc, yb, target_size(), rows, loss_.data(), gact_.back().data());
    if (penalty) penalty_pass(rows, yb);
  }
  const bool norms = mode == Mode::Inspect || (mode == Mode::Train && cfg_.dp.enabled);
  const bool fast = rows_per_sample() == 1 && !penalty;
  run_backward(rows, norms && fast, mode == Mode::InputGradient);
  const size_t samples = rows / rows_per_sample();
  if (norms && !fast) group_norms(samples);
  double total = 0.0;
  for (size_t i = 0; i < rows; ++i) total += loss_[i];
  return samples ? total / static_cast<double>(samples) : 0.0;
}

StepResult Trainer::step(const float* x, size_t x_len, const float* y, size_t y_len, const int32_t* rows, size_t n_sel) {
  const size_t ns = samples_of(x, x_len, y, y_len);
  const size_t n = rows ? n_sel : ns;
  if (rows)
    for (size_t i = 0; i < n; ++i)
      require(rows[i] >= 0 && static_cast<size_t>(rows[i]) < ns, "rows",
              "expected sample indices in [0, " + std::to_string(ns) + ") but index " + std::to_string(i) + " is " +
                  std::to_string(rows[i]));
  gather(x, input_size(), rows, n, xb_);
  gather(y, target_size(), rows, n, yb_);
  require_finite(xb_.data(), n * rows_per_sample(), input_size(), "x");
  require_finite(yb_.data(), n * rows_per_sample(), target_size(), "y");
  StepResult res;
  res.batch = n;
  if (!cfg_.dp.enabled && n == 0) return res;  // nothing to learn from, nothing to hide
  const size_t nrows = n * rows_per_sample();
  res.loss = batch_pass(Mode::Train, xb_.data(), yb_.data(), nrows, nullptr);
  weight_.resize(n);
  if (cfg_.dp.enabled) {
    // Abadi et al. (2016), Algorithm 1: clip each sample's gradient to C, sum, add N(0, σ²C²)
    // once, divide by the expected batch size q·N (not the realised one, which would leak the
    // batch size and is not what the Poisson-subsampled Gaussian accountant analyses).
    clip_factors(sqnorm_.data(), n, cfg_.dp.max_grad_norm, weight_.data());
    const double inv = 1.0 / cfg_.dp.expected_batch_size;
    for (size_t i = 0; i < n; ++i) weight_[i] *= inv;
    parameter_gradient(nrows, row_weights(weight_.data(), n), grad_.data());
    const double sd = cfg_.dp.noise_multiplier * cfg_.dp.max_grad_norm * inv;
    if (sd > 0) ks_.add_gaussian_noise(grad_.data(), grad_.size(), sd, cfg_.threads);
  } else {
    std::fill(weight_.begin(), weight_.end(), 1.0 / static_cast<double>(n));
    parameter_gradient(nrows, row_weights(weight_.data(), n), grad_.data());
  }
  opt_.update(params_.data(), grad_.data(), params_.size());
  return res;
}

StepResult Trainer::poisson_step(const float* x, size_t x_len, const float* y, size_t y_len) {
  const size_t ns = samples_of(x, x_len, y, y_len);
  require(cfg_.dp.sample_rate > 0, "dp.sampleRate", "poisson sampling needs a sample rate > 0");
  // Each sample joins the batch independently with probability q (one keystream uniform per
  // sample), the sampling the Poisson-subsampled Gaussian accountants assume.
  std::vector<double> u(ns);
  ks_.uniforms(u.data(), ns, cfg_.threads);
  std::vector<int32_t> rows;
  rows.reserve(static_cast<size_t>(cfg_.dp.sample_rate * ns * 1.2) + 16);
  for (size_t i = 0; i < ns; ++i)
    if (u[i] < cfg_.dp.sample_rate) rows.push_back(static_cast<int32_t>(i));
  static const int32_t none = 0;
  return step(x, x_len, y, y_len, rows.empty() ? &none : rows.data(), rows.size());
}

size_t Trainer::forward_rows(size_t x_len, size_t start) const {
  require(start < layers_.size(), "startLayer", "expected a layer index in [0, " + std::to_string(layers_.size()) + ")");
  require(layers_[start].depth == 0, "startLayer", "cannot start inside a residual block");
  return rows_of(x_len, width_[start], "x");
}

void Trainer::forward_into(const float* x, size_t x_len, size_t start, bool training, float* dst, size_t dst_len) {
  const size_t rows = forward_rows(x_len, start);
  require(dst_len == rows * output_size(), "out",
          "expected " + std::to_string(rows * output_size()) + " values (" + std::to_string(rows) + " rows × " +
              std::to_string(output_size()) + " outputs)");
  require_finite(x, rows, width_[start], "x");
  act_[start].assign(x, x + x_len);
  run_forward(start, rows, training);
  std::copy(act_.back().begin(), act_.back().begin() + static_cast<std::ptrdiff_t>(dst_len), dst);
}

void Trainer::forward(const float* x, size_t x_len, size_t start, bool training, std::vector<float>& out) {
  out.resize(forward_rows(x_len, start) * output_size());
  forward_into(x, x_len, start, training, out.data(), out.size());
}

double Trainer::gradient(const float* x, size_t x_len, const float* y, size_t y_len, float* grad, size_t grad_len) {
  require(grad_len == params_.size(), "gradient", "expected a buffer of " + std::to_string(params_.size()) + " values");
  const size_t n = samples_of(x, x_len, y, y_len);
  if (n == 0) { std::fill(grad, grad + grad_len, 0.0f); return 0.0; }
  const size_t nrows = n * rows_per_sample();
  require_finite(x, nrows, input_size(), "x");
  require_finite(y, nrows, target_size(), "y");
  const double loss = batch_pass(Mode::Gradient, x, y, nrows, nullptr);
  weight_.assign(n, 1.0 / static_cast<double>(n));
  parameter_gradient(nrows, row_weights(weight_.data(), n), grad);
  return loss;
}

double Trainer::inspect_clipping(const float* x, size_t x_len, const float* y, size_t y_len, double* norms,
                                 size_t norms_len, float* sum, size_t sum_len) {
  const size_t n = samples_of(x, x_len, y, y_len);
  require(norms_len == n, "norms", "expected one value per sample");
  require(sum_len == params_.size(), "clippedSum", "expected one value per parameter");
  const size_t nrows = n * rows_per_sample();
  require_finite(x, nrows, input_size(), "x");
  require_finite(y, nrows, target_size(), "y");
  const double loss = batch_pass(Mode::Inspect, x, y, nrows, nullptr);
  for (size_t i = 0; i < n; ++i) norms[i] = std::sqrt(sqnorm_[i]);
  weight_.resize(n);
  clip_factors(sqnorm_.data(), n, cfg_.dp.max_grad_norm, weight_.data());
  parameter_gradient(nrows, row_weights(weight_.data(), n), sum);
  return loss;
}

double Trainer::input_gradient(const float* x, size_t x_len, const float* y, size_t y_len, float* dx, size_t dx_len) {
  const size_t n = samples_of(x, x_len, y, y_len);
  require(dx_len == x_len, "inputGradient", "expected a buffer as long as x");
  require_finite(x, n * rows_per_sample(), input_size(), "x");
  require_finite(y, n * rows_per_sample(), target_size(), "y");
  const double loss = batch_pass(Mode::InputGradient, x, y, n * rows_per_sample(), nullptr);
  if (n) std::memcpy(dx, gact_[0].data(), x_len * sizeof(float));
  return loss;
}

void Trainer::step_with_output_gradient(const float* x, size_t x_len, const float* dout, size_t dout_len) {
  require(!cfg_.dp.enabled, "dp", "a step from an external output gradient is not differentially private; "
          "train the private model (e.g. the critic) with step() instead");
  const size_t n = rows_of(x_len, input_size(), "x");
  require(dout_len == n * output_size(), "outputGradient", "expected rows × " + std::to_string(output_size()) + " values");
  if (n == 0) return;
  require_finite(x, n, input_size(), "x");
  require_finite(dout, n, output_size(), "outputGradient");
  loss_.assign(n, 0.0);
  act_[0].assign(x, x + x_len);
  run_forward(0, n, true);
  for (auto& v : inj_) v.clear();
  gact_.back().assign(dout, dout + dout_len);
  run_backward(n, false, false);
  weight_.assign(n, 1.0 / static_cast<double>(n));
  parameter_gradient(n, weight_.data(), grad_.data());
  opt_.update(params_.data(), grad_.data(), params_.size());
}

}  // namespace hemasynth
