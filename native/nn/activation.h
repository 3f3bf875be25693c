// Elementwise activations and row-wise softmax, forward and backward (float32).
#pragma once
#include <cstddef>

namespace hemasynth {

enum class Activation : int { ReLU = 2, LeakyReLU = 3, Tanh = 4, Sigmoid = 5 };

// y = f(x) over n values; slope is used by LeakyReLU only.
void activation_forward(Activation kind, const float* x, float* y, size_t n, float slope);
// dx = dy · f'(x) given x (input) and y (output); may alias dx == dy.
void activation_backward(Activation kind, const float* x, const float* y, const float* dy, float* dx, size_t n,
                         float slope);

// Row-wise softmax of rows×cols values, max-subtracted for range safety.
void softmax_rows(const float* x, float* y, size_t rows, size_t cols);

// Gumbel-softmax (Jang, Gu & Poole 2017; Maddison et al. 2017): softmax((x + g)/tau) with
// g = −ln(−ln u); `uniforms` holds rows×cols values in [0,1) from the keystream.
void gumbel_softmax_rows(const float* x, const double* uniforms, float* y, size_t rows, size_t cols, double tau);

}  // namespace hemasynth
