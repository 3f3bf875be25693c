// Bindings for native/tensor: dense kernels over typed-array views.
#include "areas.h"
#include "napi_util.h"
#include "tensor/reduce.h"

namespace hemasynth_bindings {

// sumF64(x: Float64Array, threads: number) -> number
static Napi::Value SumF64(const Napi::CallbackInfo& info) {
  auto x = f64_arg(info, 0, "x");
  int threads = static_cast<int>(int_arg(info, 1, "threads", 0, 1024));
  return guarded(info.Env(), [&] {
    return Napi::Number::New(info.Env(), hemasynth::sum_f64(x.data, x.length, threads));
  });
}

void RegisterTensor(Napi::Env env, Napi::Object exports) {
  exports.Set("sumF64", Napi::Function::New(env, SumF64, "sumF64"));
}

}  // namespace hemasynth_bindings
