// Bindings for native/nn: loss kernels and the native trainer. The trainer functions
// (nnCreateTrainer ... nnTrainerTrain) are shared with the GPU trainer in trainer_bindings.h;
// this file says how hemasynth::Trainer fills in the differences.
#include <algorithm>
#include <vector>

#include "areas.h"
#include "napi_util.h"
#include "nn/loss.h"
#include "nn/trainer.h"
#include "trainer_bindings.h"

namespace hemasynth_bindings {

template <>
struct TrainerBindingTraits<hemasynth::Trainer> {
  static constexpr const char* prefix = "nn";
  static constexpr const char* handle_expected = "a trainer handle (from nnCreateTrainer)";
  static constexpr const char* released = "the trainer handle was released";
  static constexpr const char* worker_name = "hemasynth.train";
  static constexpr bool has_set_threads = true;
  static size_t rows_per_sample(const hemasynth::Trainer& t) { return t.rows_per_sample(); }
  static uint64_t keystream_position(hemasynth::Trainer& t) { return t.keystream().position(); }
  static void add_info(Napi::Object&, const hemasynth::Trainer&) {}
};

// nnLossF32(lossCodes, lossWeights, output, outCols, target, tgtCols) -> {loss: Float64Array, gradient: Float32Array}
static Napi::Value LossF32(const Napi::CallbackInfo& info) {
  return loss_op(info, [](const LossArgs& a, double* loss, float* grad) {
    hemasynth::loss_per_sample(a.terms, a.out.data, a.oc, a.tgt.data, a.tc, a.rows, loss, grad);
  });
}

void RegisterNn(Napi::Env env, Napi::Object exports) {
  exports.Set("nnLossF32", Napi::Function::New(env, LossF32, "nnLossF32"));
  RegisterTrainerFunctions<hemasynth::Trainer>(env, exports);
}

}  // namespace hemasynth_bindings
