// Entry point of the hemasynth addon. Keeps no static mutable state, so it can be loaded in
// several worker threads at once (each gets its own exports object).
#include <napi.h>

#include "areas.h"

namespace hemasynth_bindings {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterInfo(env, exports);
  RegisterTensor(env, exports);
  RegisterNn(env, exports);
  RegisterDp(env, exports);
  RegisterAnon(env, exports);
  RegisterMetrics(env, exports);
  RegisterMarginal(env, exports);
  RegisterSmpc(env, exports);
  RegisterCudaTrainer(env, exports);
  RegisterNeural(env, exports);
  return exports;
}

}  // namespace hemasynth_bindings

static Napi::Object InitHemasynth(Napi::Env env, Napi::Object exports) {
  return hemasynth_bindings::Init(env, exports);
}

NODE_API_MODULE(hemasynth, InitHemasynth)
