// Bindings for native/cuda/trainer.h: the GPU-resident trainer. Its functions are the cpu
// trainer's (bindings/trainer_bindings.h, shared with bindings/nn.cpp), so src/backend/cuda.ts
// encodes a model once for either. A trainer is an external handle owned by JavaScript (freed by
// the garbage collector, which frees its device memory); while train() runs on the libuv pool the
// handle is busy and every other call on it is refused. In a build without CUDA every function throws
// "built without CUDA".
#include "areas.h"
#include "napi_util.h"

#if defined(HEMASYNTH_WITH_CUDA)
#include "cuda/ops.h"
#include "cuda/trainer.h"
#include "dp/chacha20.h"
#include "nn/trainer.h"
#include "trainer_bindings.h"
#endif

namespace hemasynth_bindings {

#if defined(HEMASYNTH_WITH_CUDA)

template <>
struct TrainerBindingTraits<hemasynth::cuda::GpuTrainer> {
  static constexpr const char* prefix = "cuda";
  static constexpr const char* handle_expected = "a cuda trainer handle (from cudaCreateTrainer)";
  static constexpr const char* released = "the cuda trainer handle was released";
  static constexpr const char* worker_name = "hemasynth.cudaTrain";
  static constexpr bool has_set_threads = false;  // the GPU trainer uses no host threads
  static size_t rows_per_sample(const hemasynth::cuda::GpuTrainer&) { return 1; }  // one row per sample only
  static uint64_t keystream_position(const hemasynth::cuda::GpuTrainer& t) { return t.keystream_position(); }
  static void add_info(Napi::Object& o, const hemasynth::cuda::GpuTrainer& t) { o.Set("deviceName", t.device_name()); }
};

// cudaKeystreamSamples(seed, position, kind 0 uniforms | 1 Gaussians, count) -> Float64Array drawn on the GPU
static Napi::Value KeystreamSamples(const Napi::CallbackInfo& info) {
  int64_t seed = int_arg(info, 0, "seed", 0, int64_t(1) << 53);
  int64_t position = int_arg(info, 1, "position", 0, int64_t(1) << 53);
  int64_t kind = int_arg(info, 2, "kind", 0, 1);
  int64_t count = int_arg(info, 3, "count", 0, int64_t(1) << 28);
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto out = Napi::Float64Array::New(info.Env(), static_cast<size_t>(count));
    hemasynth::cuda::device_keystream_samples(hemasynth::chacha_key_from_seed(static_cast<uint64_t>(seed)),
                                              static_cast<uint64_t>(position), static_cast<int>(kind), out.Data(),
                                              static_cast<size_t>(count));
    return out;
  });
}

// cudaLossF32(lossCodes, lossWeights, output, outCols, target, tgtCols) -> {loss, gradient}: the trainer's loss kernel
static Napi::Value LossF32(const Napi::CallbackInfo& info) {
  return loss_op(info, [](const LossArgs& a, double* loss, float* grad) {
    hemasynth::cuda::loss_f32(a.terms.data(), a.terms.size(), a.out.data, a.oc, a.tgt.data, a.tc, a.rows, loss, grad);
  });
}

void RegisterCudaTrainer(Napi::Env env, Napi::Object exports) {
  RegisterTrainerFunctions<hemasynth::cuda::GpuTrainer>(env, exports);
  exports.Set("cudaKeystreamSamples", Napi::Function::New(env, KeystreamSamples, "cudaKeystreamSamples"));
  exports.Set("cudaLossF32", Napi::Function::New(env, LossF32, "cudaLossF32"));
}

#else  // built without CUDA: the same names, each explaining why it cannot run

static Napi::Value NoCuda(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(),
                         "this build has no CUDA kernels (built without CUDA: nvcc was not found or HEMASYNTH_CUDA=off)");
}

void RegisterCudaTrainer(Napi::Env env, Napi::Object exports) {
  for (const char* name : {"cudaCreateTrainer", "cudaTrainerInfo", "cudaTrainerStep", "cudaTrainerPoissonStep",
                           "cudaTrainerForward", "cudaTrainerGradient", "cudaTrainerInspectClipping",
                           "cudaTrainerInputGradient", "cudaTrainerStepWithOutputGradient", "cudaTrainerGetParameters",
                           "cudaTrainerSetParameters", "cudaTrainerTrain", "cudaKeystreamSamples", "cudaLossF32"})
    exports.Set(name, Napi::Function::New(env, NoCuda, name));
}

#endif

}  // namespace hemasynth_bindings
