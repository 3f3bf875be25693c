// Bindings for native/anon. Functions are added here as the area grows.
#include "areas.h"
#include "napi_util.h"

namespace hemasynth_bindings {

void RegisterAnon(Napi::Env, Napi::Object) {}

}  // namespace hemasynth_bindings
