// CUDA versions of the dense ops (host-pointer API: copies in, runs the kernel, copies out).
// Compiled only when nvcc is found (HEMASYNTH_WITH_CUDA); the bindings report "built without
// CUDA" otherwise. Every function throws hemasynth::Error("cuda", ...) on a CUDA failure,
// including "no CUDA device" on machines without a GPU.
#pragma once
#include <cstddef>
#include <cstdint>

#include "nn/loss.h"
#include "tensor/gemm.h"

namespace hemasynth {
namespace cuda {

// C = op(A)·op(B) (+ bias): cuBLAS when linked (HEMASYNTH_WITH_CUBLAS), else a tiled kernel.
void matmul_f32(const GemmShape& s, const float* a, const float* b, float* c, const float* bias);
// kind: 2 relu, 3 leakyRelu, 4 tanh, 5 sigmoid (as native/nn/activation.h).
void activation_f32(int kind, const float* x, float* y, size_t n, float slope);
void softmax_rows_f32(const float* x, float* y, size_t rows, size_t cols);
void layer_norm_f32(const float* x, const float* gain, const float* bias, float* y, size_t rows, size_t cols, float eps);
// dx = dy·act'(x, y) (nn/activation.h activation_backward; the trainer's kernel).
void activation_backward_f32(int kind, const float* x, const float* y, const float* dy, float* dx, size_t n, float slope);
// Gumbel-softmax of each row at temperature tau, with the uniforms of the keystream of `seed`
// from byte 0 drawn on the device (the same uniforms bit for bit as the cpu op's).
void gumbel_softmax_f32(const float* x, float* y, size_t rows, size_t cols, double tau, uint64_t seed);
// Per-row losses and the output gradient (nn/loss.h loss_per_sample; the trainer's kernel);
// terms already validated against oc and tc. Gradient-penalty terms contribute nothing, as on cpu.
void loss_f32(const LossTerm* terms, size_t n_terms, const float* out, size_t oc, const float* tgt, size_t tc, size_t rows,
              double* loss, float* grad);
// Ghost norms of a linear layer: sqnorm[i] += ‖a_i‖²·‖g_i‖² + ‖g_i‖² (see native/dp/per_sample.h).
void linear_ghost_sqnorms(const float* a, size_t in, const float* g, size_t out, size_t rows, double* sqnorm);
// Standard normals from the ChaCha20 keystream of `seed` at byte `position`, the same values
// (to a few ulp) as hemasynth::Keystream::gaussians.
void gaussians(uint64_t seed, uint64_t position, double* out, size_t n);

}  // namespace cuda
}  // namespace hemasynth
