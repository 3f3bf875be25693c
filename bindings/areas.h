// One Register function per native area; each lives in bindings/<area>.cpp.
#pragma once
#include <napi.h>

namespace hemasynth_bindings {
void RegisterInfo(Napi::Env env, Napi::Object exports);
void RegisterTensor(Napi::Env env, Napi::Object exports);
void RegisterNn(Napi::Env env, Napi::Object exports);
void RegisterDp(Napi::Env env, Napi::Object exports);
void RegisterAnon(Napi::Env env, Napi::Object exports);
void RegisterMetrics(Napi::Env env, Napi::Object exports);
void RegisterMarginal(Napi::Env env, Napi::Object exports);
void RegisterSmpc(Napi::Env env, Napi::Object exports);
void RegisterCudaTrainer(Napi::Env env, Napi::Object exports);
void RegisterNeural(Napi::Env env, Napi::Object exports);
}  // namespace hemasynth_bindings
