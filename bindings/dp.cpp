// Bindings for native/dp. Functions are added here as the area grows.
#include "areas.h"
#include "napi_util.h"

namespace hemasynth_bindings {

void RegisterDp(Napi::Env, Napi::Object) {}

}  // namespace hemasynth_bindings
