// A network description (layer kinds and sizes) and its resolved layout: every layer's input and
// output width and parameter offsets, checked once with the offending layer named. The cpu
// trainer (nn/trainer.cpp) and the cuda trainer (cuda/trainer.cu) share it, so a model is
// accepted or refused the same way on every backend and the parameter vector has one layout.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hemasynth {

enum class LayerKind : int {
  Linear = 1,          // size = output features
  ReLU = 2,
  LeakyReLU = 3,       // param = negative slope
  Tanh = 4,
  Sigmoid = 5,
  LayerNorm = 6,       // param = eps
  Dropout = 7,         // param = drop rate in [0, 1)
  ResidualBegin = 8,
  ResidualEnd = 9,
  GaussianSample = 10, // VAE reparameterisation: input [μ, log σ²] (2·size) → z (size); param = KL weight
};

struct LayerSpec {
  LayerKind kind = LayerKind::ReLU;
  int64_t size = 0;
  double param = 0.0;
};

struct ModelSpec {
  int64_t input_size = 0;
  std::vector<LayerSpec> layers;
};

struct ResolvedLayer {
  LayerSpec spec;
  size_t in = 0, out = 0;
  size_t w_off = 0, b_off = 0;  // parameter offsets (Linear: W, b; LayerNorm: gain, bias)
  size_t partner = 0;           // ResidualEnd → its ResidualBegin
  size_t end = 0;               // ResidualBegin → its ResidualEnd
  int depth = 0;                // residual nesting depth at the layer's input
};

struct ModelLayout {
  std::vector<ResolvedLayer> layers;
  std::vector<size_t> width;  // width[l] = input width of layer l; width.back() = output
  size_t params = 0;
};

// Validates a model description (sizes, parameters, residual pairing, GaussianSample input
// width) and lays out its parameters in order: Linear W (in×out, row-major) then b; LayerNorm
// gain then bias. Throws Error naming "inputSize", "layers" or "layers[i]".
ModelLayout resolve_model(const ModelSpec& model);

std::string layer_field(size_t l);

}  // namespace hemasynth
