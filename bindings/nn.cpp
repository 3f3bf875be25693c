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
  auto out = f32_arg(info, 2, "output");
  size_t oc = static_cast<size_t>(int_arg(info, 3, "outputColumns", 1, 1 << 24));
  auto tgt = f32_arg(info, 4, "target");
  size_t tc = static_cast<size_t>(int_arg(info, 5, "targetColumns", 1, 1 << 24));
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto terms = loss_terms(info, 0, 1);
    hemasynth::validate_loss_terms(terms, static_cast<int64_t>(oc), static_cast<int64_t>(tc));
    hemasynth::require(out.length % oc == 0, "output", "expected a whole number of rows");
    size_t rows = out.length / oc;
    hemasynth::require(tgt.length == rows * tc, "target", "expected one target row per output row");
    auto loss = Napi::Float64Array::New(info.Env(), rows);
    auto grad = Napi::Float32Array::New(info.Env(), out.length);
    std::fill(loss.Data(), loss.Data() + rows, 0.0);
    hemasynth::loss_per_sample(terms, out.data, oc, tgt.data, tc, rows, loss.Data(), grad.Data());
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("loss", loss);
    o.Set("gradient", grad);
    return o;
  });
}

void RegisterNn(Napi::Env env, Napi::Object exports) {
  exports.Set("nnLossF32", Napi::Function::New(env, LossF32, "nnLossF32"));
  RegisterTrainerFunctions<hemasynth::Trainer>(env, exports);
}

}  // namespace hemasynth_bindings
