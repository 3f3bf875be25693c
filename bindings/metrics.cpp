// Bindings for native/metrics. Functions are added here as the area grows.
#include "areas.h"
#include "napi_util.h"

namespace hemasynth_bindings {

void RegisterMetrics(Napi::Env, Napi::Object) {}

}  // namespace hemasynth_bindings
