// Kernels of the GPU trainer. Each mirrors one function of the cpu trainer (named beside it)
// with the same arithmetic: binary64 where the cpu uses binary64 (row statistics, norms,
// losses, column sums, keystream variates), float32 elsewhere.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "cuda/keystream_device.h"

namespace hemasynth {
namespace cuda {

// A loss term as the device reads it (nn/loss.h LossTerm).
struct DeviceLossTerm {
  int kind;
  int out_offset;
  int tgt_offset;
  int width;
  double weight;
};

// Keystream words [pos, pos + 8·count) (pos % 8 == 0): one thread per 64-byte block.
void launch_keystream_words(const StreamKey& key, uint64_t pos, size_t count, uint64_t* words, cudaStream_t s);
// p[i] = float((2u_i − 1)·bound): PyTorch's U(−1/√in, 1/√in) initialisation (Trainer::Trainer).
void launch_uniform_init(const uint64_t* words, size_t n, double bound, float* p, cudaStream_t s);
// flags[i] = u_i < q (Trainer::poisson_step).
void launch_poisson_flags(const uint64_t* words, size_t n, double q, uint8_t* flags, cudaStream_t s);
// out[i] = u_i (kind 0) or z_i (kind 1, Box–Muller pairs): for tests against the host keystream.
void launch_variates(const uint64_t* words, size_t n, int kind, double* out, cudaStream_t s);

void launch_activation_forward(int kind, const float* x, float* y, size_t n, float slope, cudaStream_t s);
void launch_activation_backward(int kind, const float* x, const float* y, const float* dy, float* dx, size_t n,
                                float slope, cudaStream_t s);
// nn/layer_norm.cpp layer_norm_forward / layer_norm_backward_input, one warp per row.
void launch_layer_norm_forward(const float* x, const float* gain, const float* bias, float* y, float* xhat, float* rstd,
                               size_t rows, size_t cols, float eps, cudaStream_t s);
void launch_layer_norm_backward(const float* dy, const float* xhat, const float* rstd, const float* gain, float* dx,
                                size_t rows, size_t cols, cudaStream_t s);
// dp/per_sample.cpp add_layer_norm_sqnorms / add_linear_ghost_sqnorms, one warp per row.
void launch_layer_norm_sqnorms(const float* g, const float* xhat, size_t rows, size_t cols, double* sqnorm, cudaStream_t s);
void launch_linear_ghost_sqnorms(const float* a, size_t in, const float* g, size_t out, size_t rows, double* sqnorm,
                                 cudaStream_t s);
// Inverted dropout (Trainer::run_forward): mask = u < rate ? 0 : 1/(1−rate), y = x·mask.
void launch_dropout_forward(const uint64_t* words, const float* x, float* y, float* mask, size_t n, double rate,
                            cudaStream_t s);
void launch_multiply(const float* a, const float* b, float* out, size_t n, cudaStream_t s);
void launch_add(const float* a, const float* b, float* out, size_t n, cudaStream_t s);
// VAE reparameterisation (Trainer::run_forward / run_backward, GaussianSample). words: the
// 2·ceil(rows·L/2) words of the ε draw, or null outside training (ε = 0).
void launch_gaussian_sample_forward(const uint64_t* words, const float* in, float* out, float* eps, double* loss,
                                    size_t rows, size_t L, double kl_weight, cudaStream_t s);
void launch_gaussian_sample_backward(const float* in, const float* g, const float* eps, float* dx, size_t rows,
                                     size_t L, double kl_weight, cudaStream_t s);
// nn/loss.cpp loss_per_sample: loss[i] += Σ terms, dout overwritten; one thread per row.
void launch_loss(const DeviceLossTerm* terms, int n_terms, const float* out, size_t oc, const float* tgt, size_t tc,
                 size_t rows, double* loss, float* dout, cudaStream_t s);
// weight[i] = min(1, C/‖g_i‖)·scale (dp/per_sample.cpp clip_factors, then the 1/(q·N) factor).
void launch_clip_weights(const double* sqnorm, size_t n, double max_norm, double scale, double* weight, cudaStream_t s);
void launch_fill_f64(double* p, size_t n, double v, cudaStream_t s);
// scaled[i, j] = g[i, j]·float(weight[i]).
void launch_scale_rows(const float* g, const double* weight, float* scaled, size_t rows, size_t cols, cudaStream_t s);
// out[j] = float(Σ_i v[i, j]) accumulated in binary64 in a fixed order.
void launch_column_sums(const float* v, size_t rows, size_t cols, float* out, cudaStream_t s);
// LayerNorm parameter gradients: dgain[j] = Σ_i w_i g_ij x̂_ij, dbias[j] = Σ_i w_i g_ij (binary64).
void launch_layer_norm_param_grad(const float* g, const float* xhat, const double* weight, size_t rows, size_t cols,
                                  float* dgain, float* dbias, cudaStream_t s);
// grad[i] = float(double(grad[i]) + scale·z_i) (Keystream::add_gaussian_noise).
void launch_add_noise(const uint64_t* words, float* grad, size_t n, double scale, cudaStream_t s);
// nn/optimizer.cpp Optimizer::update, float32 arithmetic. kind: 0 SGD, 1 Adam, 2 AdamW.
void launch_optimizer(int kind, float* p, const float* g, float* m, float* v, size_t n, float lr, float wd, float b1,
                      float b2, float step, float inv_sqrt_bc2, float eps, cudaStream_t s);

}  // namespace cuda
}  // namespace hemasynth
