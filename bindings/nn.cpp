// Bindings for native/nn. Functions are added here as the area grows.
#include "areas.h"
#include "napi_util.h"

namespace hemasynth_bindings {

void RegisterNn(Napi::Env, Napi::Object) {}

}  // namespace hemasynth_bindings
