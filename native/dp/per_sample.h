// Per-sample gradient norms and flat clipping for DP-SGD (Abadi et al. 2016), without
// materialising per-sample gradients where an identity gives the norm directly.
#pragma once
#include <cstddef>

namespace hemasynth {

// Ghost norm of a linear layer y = a·W + b with a non-sequential input (Goodfellow 2015,
// "Efficient per-example gradient computations"; Li et al. 2022): the per-sample weight
// gradient is the outer product a_i g_iᵀ, so ‖∇W_i‖²_F = ‖a_i‖²·‖g_i‖², and ‖∇b_i‖² = ‖g_i‖².
// Adds both to sqnorm[i] for rows of a (rows×in) and g (rows×out).
void add_linear_ghost_sqnorms(const float* a, size_t in, const float* g, size_t out, size_t rows, double* sqnorm);

// Exact per-sample norms of a layer-norm's gain and bias gradients: ∇gain_i = g_i ⊙ xhat_i,
// ∇bias_i = g_i.
void add_layer_norm_sqnorms(const float* g, const float* xhat, size_t cols, size_t rows, double* sqnorm);

// Flat clipping factor min(1, C/‖g_i‖) (a zero gradient keeps factor 1).
void clip_factors(const double* sqnorm, size_t rows, double max_norm, double* factor);

}  // namespace hemasynth
