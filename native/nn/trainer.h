// A native model and its trainer: parameters, optimizer state, keystream and work buffers in
// one object owned by its caller (the bindings hand it to JavaScript as an external handle;
// no global state, so several worker threads can each own trainers).
//
// One call runs one whole training step: gather the batch, forward, per-sample losses,
// backward, per-sample gradient norms and clipping (DP), noise, optimizer update.
//
// Model: an ordered layer list. Residual blocks are bracketed by ResidualBegin/ResidualEnd
// (the block's output is added to its input). Parameters are one flat float32 vector in layer
// order: Linear → W (in×out, row-major; y = x·W + b) then b (out); LayerNorm → gain then bias.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dp/keystream.h"
#include "nn/model_layout.h"
#include "nn/loss.h"
#include "nn/optimizer.h"
#include "tensor/gemm.h"

namespace hemasynth {

struct DpConfig {
  bool enabled = false;
  double noise_multiplier = 0.0;   // σ: noise standard deviation is σ·C
  double max_grad_norm = 1.0;      // C
  double expected_batch_size = 1;  // q·N: the sum of clipped gradients is divided by this
  double sample_rate = 0.0;        // q, used by poisson_step
};

struct TrainerConfig {
  OptimizerConfig optimizer;
  DpConfig dp;
  std::vector<LossTerm> loss;
  int64_t target_size = 0;
  int threads = 0;
  // Consecutive rows forming one sample: the unit of Poisson sampling, clipping and the mean loss.
  int64_t rows_per_sample = 1;
};

struct StepResult {
  double loss = 0.0;  // mean per-sample loss over the batch (0 for an empty batch)
  size_t batch = 0;   // samples (groups of rows_per_sample rows)
};

class Trainer {
 public:
  Trainer(const ModelSpec& model, const TrainerConfig& config, const ChaChaKey& key);

  size_t input_size() const { return width_[0]; }
  size_t output_size() const { return width_.back(); }
  size_t target_size() const { return static_cast<size_t>(cfg_.target_size); }
  size_t parameter_count() const { return params_.size(); }
  size_t rows_per_sample() const { return static_cast<size_t>(cfg_.rows_per_sample); }
  const std::vector<float>& parameters() const { return params_; }
  void set_parameters(const float* p, size_t n);
  size_t layer_count() const { return layers_.size(); }
  size_t layer_input_width(size_t l) const { return width_.at(l); }
  Keystream& keystream() { return ks_; }
  int64_t optimizer_steps() const { return opt_.steps(); }
  void set_threads(int t) { cfg_.threads = t; }

  // Trains on samples `rows` of x/y (sample s = rows [s·g, (s+1)·g), g = rows_per_sample; all
  // samples when rows == nullptr).
  StepResult step(const float* x, size_t x_len, const float* y, size_t y_len, const int32_t* rows, size_t n_sel);
  // Poisson-samples the batch from all samples of x/y with rate dp.sample_rate, then steps.
  StepResult poisson_step(const float* x, size_t x_len, const float* y, size_t y_len);
  // Output of layers [start_layer, end) for all rows of x (x has layer_input_width(start_layer) columns).
  void forward(const float* x, size_t x_len, size_t start_layer, bool training, std::vector<float>& out);
  // The same output written into dst (dst_len must be rows × output_size()): the bindings hand
  // the JavaScript array itself, so a sampling chunk's output (16,384 rows × 1,762 outputs for
  // the SCD cohort's TVAE, 115 MB) is not copied twice into fresh memory (copies and first-touch
  // page faults took 70% of a forward pass).
  void forward_into(const float* x, size_t x_len, size_t start_layer, bool training, float* dst, size_t dst_len);
  // Rows of x for a forward pass from start_layer (checks that x_len is a whole number of rows).
  size_t forward_rows(size_t x_len, size_t start_layer) const;
  // Mean (non-private) gradient and mean loss; no update.
  double gradient(const float* x, size_t x_len, const float* y, size_t y_len, float* grad, size_t grad_len);
  // Per-sample gradient norms and the sum of clipped per-sample gradients (no noise, no
  // normalisation, no update). For tests and audits: the output is NOT differentially private.
  double inspect_clipping(const float* x, size_t x_len, const float* y, size_t y_len, double* norms,
                          size_t norms_len, float* clipped_sum, size_t sum_len);
  // Per-sample ∂loss_i/∂x_i (rows×input) without update; returns the mean loss.
  double input_gradient(const float* x, size_t x_len, const float* y, size_t y_len, float* dx, size_t dx_len);
  // Update from a given per-sample ∂L_i/∂output_i (e.g. a generator trained through a critic):
  // gradient = mean_i J_iᵀ dout_i. Non-private by construction: refused when DP is on.
  void step_with_output_gradient(const float* x, size_t x_len, const float* dout, size_t dout_len);

 private:
  using Resolved = ResolvedLayer;
  enum class Mode { Train, Gradient, Inspect, InputGradient, OutputGradient };

  size_t rows_of(size_t len, size_t width, const char* field) const;
  size_t samples_of(const float* x, size_t x_len, const float* y, size_t y_len) const;
  void gather(const float* x, size_t width, const int32_t* samples, size_t n, std::vector<float>& dst) const;
  void run_forward(size_t start, size_t rows, bool training);
  void run_backward(size_t rows, bool per_sample_norms, bool need_input_grad);
  void penalty_pass(size_t rows, const float* yb);
  void group_norms(size_t samples);
  void parameter_gradient(size_t rows, const double* weight, float* grad);
  const double* row_weights(const double* per_sample, size_t samples);
  double batch_pass(Mode mode, const float* xb, const float* yb, size_t rows, const float* dout);

  std::vector<Resolved> layers_;
  std::vector<size_t> width_;  // width_[l] = input width of layer l; width_.back() = output
  TrainerConfig cfg_;
  Keystream ks_;
  Optimizer opt_;
  std::vector<float> params_, grad_;
  // Work buffers, reused across steps.
  std::vector<std::vector<float>> act_, gact_, aux_;  // activations, their gradients, per-layer extras
  std::vector<std::vector<float>> auxb_;              // LayerNorm rstd
  std::vector<float> xb_, yb_, scaled_;
  GemmWorkspace gemm_ws_;
  std::vector<double> loss_, sqnorm_, weight_, row_weight_;
  // Gradient penalty: δ (∂o/∂act) and its adjoint r per layer input, φ'' injections.
  int gp_term_ = -1;
  std::vector<std::vector<float>> dd_, rr_, inj_;
};

}  // namespace hemasynth
