// The GPU-resident trainer: the same model, step and keystream semantics as hemasynth::Trainer
// (native/nn/trainer.h), with parameters, optimizer state and work buffers in device memory and
// one whole training step per call on the device: forward (bias and activation fused into the
// matrix product), per-sample losses, backward, per-sample gradient norms (ghost norms for
// linear layers, exact for LayerNorm), flat clipping to C, the clipped sum Aᵀ·diag(c)·G, noise
// N(0, σ²C²) drawn on the device from the trainer's ChaCha20 keystream, division by the expected
// batch size, and the Adam/AdamW/SGD update.
//
// Keystream use is position-for-position that of the cpu trainer (initial weights, Poisson
// sampling, dropout masks, reparameterisation noise, DP noise), so a seeded cuda trainer
// and a seeded cpu trainer draw the same numbers (keystream_device.h) and their runs agree to
// float32 rounding of the arithmetic.
//
// Not offered on the GPU (refused at construction with the reason): the gradient penalty and
// samples of several rows (loss.rowsPerSample > 1); the cpu trainer runs those models.
//
// This header has no CUDA types, so the bindings (compiled by the host compiler) can include it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dp/chacha20.h"
#include "nn/trainer.h"

namespace hemasynth {
namespace cuda {

class GpuTrainer {
 public:
  // Throws hemasynth::Error naming the field for an invalid model or configuration, and
  // Error("cuda", ...) when no CUDA device can be used.
  GpuTrainer(const ModelSpec& model, const TrainerConfig& config, const ChaChaKey& key);
  ~GpuTrainer();
  GpuTrainer(const GpuTrainer&) = delete;
  GpuTrainer& operator=(const GpuTrainer&) = delete;

  size_t input_size() const;
  size_t output_size() const;
  size_t target_size() const;
  size_t parameter_count() const;
  size_t layer_count() const;
  size_t layer_input_width(size_t l) const;
  uint64_t keystream_position() const;
  int64_t optimizer_steps() const;
  const std::string& device_name() const;

  // A copy of the device parameters / a replacement (checked: length, finiteness).
  std::vector<float> parameters() const;
  void set_parameters(const float* p, size_t n);

  // As hemasynth::Trainer (same arguments, same checks, same results up to float rounding).
  StepResult step(const float* x, size_t x_len, const float* y, size_t y_len, const int32_t* rows, size_t n_sel);
  StepResult poisson_step(const float* x, size_t x_len, const float* y, size_t y_len);
  void forward(const float* x, size_t x_len, size_t start_layer, bool training, std::vector<float>& out);
  double gradient(const float* x, size_t x_len, const float* y, size_t y_len, float* grad, size_t grad_len);
  double inspect_clipping(const float* x, size_t x_len, const float* y, size_t y_len, double* norms, size_t norms_len,
                          float* clipped_sum, size_t sum_len);
  double input_gradient(const float* x, size_t x_len, const float* y, size_t y_len, float* dx, size_t dx_len);
  void step_with_output_gradient(const float* x, size_t x_len, const float* dout, size_t dout_len);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Keystream variates drawn on the device (tests compare them with hemasynth::Keystream):
// kind 0: `count` uniforms at byte `position`; kind 1: `count` standard normals.
// position must be a multiple of 8.
void device_keystream_samples(const ChaChaKey& key, uint64_t position, int kind, double* out, size_t count);

}  // namespace cuda
}  // namespace hemasynth
