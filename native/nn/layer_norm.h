// Layer normalisation (Ba, Kiros & Hinton 2016), per row over `cols` features. Per-sample by
// construction, so it is compatible with DP-SGD (batch normalisation is not: it mixes samples).
#pragma once
#include <cstddef>

namespace hemasynth {

// y = gain ⊙ (x − mean)/sqrt(var + eps) + bias; keeps xhat (rows×cols) and rstd (rows).
void layer_norm_forward(const float* x, const float* gain, const float* bias, float* y, float* xhat, float* rstd,
                        size_t rows, size_t cols, float eps);
// dx from dy, given xhat, rstd and gain (parameter gradients are handled by the trainer).
void layer_norm_backward_input(const float* dy, const float* xhat, const float* rstd, const float* gain, float* dx,
                               size_t rows, size_t cols);

}  // namespace hemasynth
