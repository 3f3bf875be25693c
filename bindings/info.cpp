// Bindings for native/core: build information and CUDA status.
#include "areas.h"
#include "core/build_info.h"
#include "napi_util.h"

namespace hemasynth_bindings {

static Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  hemasynth::BuildInfo b = hemasynth::build_info();
  Napi::Object o = Napi::Object::New(env);
  o.Set("compiler", b.compiler);
  o.Set("buildType", b.build_type);
  o.Set("archFlags", b.arch_flags);
  o.Set("simd", b.simd);
  o.Set("simdWidthBits", b.simd_width_bits);
  o.Set("hardwareThreads", b.hardware_threads);
  o.Set("cudaCompiled", b.cuda_compiled);
  o.Set("cudaArchs", b.cuda_archs);
  return o;
}

static Napi::Value CudaStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  hemasynth::CudaStatus s = hemasynth::cuda_status();
  Napi::Object o = Napi::Object::New(env);
  o.Set("deviceCount", s.device_count);
  o.Set("reason", s.reason);
  o.Set("deviceName", s.device_name);
  o.Set("computeCapability", s.compute_capability);
  o.Set("memoryBytes", static_cast<double>(s.memory_bytes));
  return o;
}

void RegisterInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  exports.Set("cudaStatus", Napi::Function::New(env, CudaStatus, "cudaStatus"));
}

}  // namespace hemasynth_bindings
