// Bindings for native/dp: the ChaCha20 keystream and the variates drawn from it.
#include <cstring>
#include <vector>

#include "areas.h"
#include "dp/chacha20.h"
#include "dp/discrete_gaussian.h"
#include "dp/keystream.h"
#include "dp/per_sample.h"
#if defined(HEMASYNTH_WITH_CUDA)
#include "cuda/ops.h"
#endif
#include "napi_util.h"

namespace hemasynth_bindings {

static hemasynth::ChaChaKey seeded_key(const Napi::CallbackInfo& info, size_t i) {
  return hemasynth::chacha_key_from_seed(static_cast<uint64_t>(int_arg(info, i, "seed", 0, int64_t(1) << 53)));
}

// dpChacha20Block(key: Uint8Array(32), nonce: Uint8Array(12), counter) -> Uint8Array(64), RFC 8439 §2.3
static Napi::Value Chacha20Block(const Napi::CallbackInfo& info) {
  auto key = u8_arg(info, 0, "key");
  auto nonce = u8_arg(info, 1, "nonce");
  uint32_t counter = static_cast<uint32_t>(int_arg(info, 2, "counter", 0, 0xFFFFFFFFll));
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto pos = hemasynth::chacha_key_from_rfc8439(key.data, key.length, nonce.data, nonce.length, counter);
    auto out = Napi::Uint8Array::New(info.Env(), 64);
    hemasynth::chacha20_block(pos.key, pos.block, out.Data());
    return out;
  });
}

// dpKeystreamBytes(seed, position, length) -> Uint8Array
static Napi::Value KeystreamBytes(const Napi::CallbackInfo& info) {
  auto key = seeded_key(info, 0);
  int64_t pos = int_arg(info, 1, "position", 0, int64_t(1) << 53);
  int64_t len = int_arg(info, 2, "length", 0, int64_t(1) << 30);
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto out = Napi::Uint8Array::New(info.Env(), static_cast<size_t>(len));
    hemasynth::chacha20_stream(key, static_cast<uint64_t>(pos), out.Data(), static_cast<size_t>(len));
    return out;
  });
}

// dpGaussianSamples(seed (-1: OS key), count, threads) -> Float64Array of standard normals
static Napi::Value GaussianSamples(const Napi::CallbackInfo& info) {
  int64_t seed = int_arg(info, 0, "seed", -1, int64_t(1) << 53);
  int64_t n = int_arg(info, 1, "count", 0, int64_t(1) << 30);
  int threads = static_cast<int>(int_arg(info, 2, "threads", 0, 1024));
  return guarded(info.Env(), [&]() -> Napi::Value {
    hemasynth::Keystream ks(seed < 0 ? hemasynth::chacha_key_from_os()
                                     : hemasynth::chacha_key_from_seed(static_cast<uint64_t>(seed)));
    auto out = Napi::Float64Array::New(info.Env(), static_cast<size_t>(n));
    ks.gaussians(out.Data(), static_cast<size_t>(n), threads);
    return out;
  });
}

// dpUniformSamples(seed (-1: OS key), count) -> Float64Array in [0,1)
static Napi::Value UniformSamples(const Napi::CallbackInfo& info) {
  int64_t seed = int_arg(info, 0, "seed", -1, int64_t(1) << 53);
  int64_t n = int_arg(info, 1, "count", 0, int64_t(1) << 30);
  return guarded(info.Env(), [&]() -> Napi::Value {
    hemasynth::Keystream ks(seed < 0 ? hemasynth::chacha_key_from_os()
                                     : hemasynth::chacha_key_from_seed(static_cast<uint64_t>(seed)));
    auto out = Napi::Float64Array::New(info.Env(), static_cast<size_t>(n));
    ks.uniforms(out.Data(), static_cast<size_t>(n), 1);
    return out;
  });
}

// dpDiscreteGaussianSamples(seed (-1: OS key), sigma, count, threads) -> Float64Array of exact N_Z(0, σ²) integers
static Napi::Value DiscreteGaussianSamples(const Napi::CallbackInfo& info) {
  int64_t seed = int_arg(info, 0, "seed", -1, int64_t(1) << 53);
  double sigma = number_arg(info, 1, "sigma");
  int64_t n = int_arg(info, 2, "count", 0, int64_t(1) << 30);
  int threads = static_cast<int>(int_arg(info, 3, "threads", 0, 1024));
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto key = seed < 0 ? hemasynth::chacha_key_from_os() : hemasynth::chacha_key_from_seed(static_cast<uint64_t>(seed));
    std::vector<int64_t> values(static_cast<size_t>(n));
    hemasynth::discrete_gaussian_fill(key, sigma, values.data(), values.size(), threads);
    auto out = Napi::Float64Array::New(info.Env(), values.size());
    for (size_t i = 0; i < values.size(); i++) out[i] = static_cast<double>(values[i]);
    return out;
  });
}

// dpLinearGhostNorms(a, inputs, g, outputs, onDevice) -> Float64Array of per-sample squared norms
static Napi::Value LinearGhostNorms(const Napi::CallbackInfo& info) {
  auto a = f32_arg(info, 0, "a");
  size_t in = static_cast<size_t>(int_arg(info, 1, "inputs", 1, 1 << 24));
  auto g = f32_arg(info, 2, "g");
  size_t out = static_cast<size_t>(int_arg(info, 3, "outputs", 1, 1 << 24));
  if (!info[4].IsBoolean()) throw_type(info.Env(), "a boolean", "onDevice", info[4]);
  bool device = info[4].As<Napi::Boolean>().Value();
  return guarded(info.Env(), [&]() -> Napi::Value {
    hemasynth::require(a.length % in == 0, "a", "expected a whole number of rows of " + std::to_string(in));
    size_t rows = a.length / in;
    hemasynth::require(g.length == rows * out, "g", "expected " + std::to_string(rows) + " rows of " + std::to_string(out));
    auto sq = Napi::Float64Array::New(info.Env(), rows);
    std::fill(sq.Data(), sq.Data() + rows, 0.0);
    if (device) {
#if defined(HEMASYNTH_WITH_CUDA)
      hemasynth::cuda::linear_ghost_sqnorms(a.data, in, g.data, out, rows, sq.Data());
#else
      throw hemasynth::Error("onDevice", "this build has no CUDA kernels (built without CUDA)");
#endif
    } else {
      hemasynth::add_linear_ghost_sqnorms(a.data, in, g.data, out, rows, sq.Data());
    }
    return sq;
  });
}

// dpCudaGaussianSamples(seed, count) -> Float64Array (the seeded keystream's normals, drawn on the GPU)
static Napi::Value CudaGaussianSamples(const Napi::CallbackInfo& info) {
  int64_t seed = int_arg(info, 0, "seed", 0, int64_t(1) << 53);
  int64_t n = int_arg(info, 1, "count", 0, int64_t(1) << 30);
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto out = Napi::Float64Array::New(info.Env(), static_cast<size_t>(n));
#if defined(HEMASYNTH_WITH_CUDA)
    hemasynth::cuda::gaussians(static_cast<uint64_t>(seed), 0, out.Data(), static_cast<size_t>(n));
#else
    (void)seed;
    throw hemasynth::Error("cuda", "this build has no CUDA kernels (built without CUDA)");
#endif
    return out;
  });
}

void RegisterDp(Napi::Env env, Napi::Object exports) {
  exports.Set("dpChacha20Block", Napi::Function::New(env, Chacha20Block, "dpChacha20Block"));
  exports.Set("dpKeystreamBytes", Napi::Function::New(env, KeystreamBytes, "dpKeystreamBytes"));
  exports.Set("dpGaussianSamples", Napi::Function::New(env, GaussianSamples, "dpGaussianSamples"));
  exports.Set("dpLinearGhostNorms", Napi::Function::New(env, LinearGhostNorms, "dpLinearGhostNorms"));
  exports.Set("dpCudaGaussianSamples", Napi::Function::New(env, CudaGaussianSamples, "dpCudaGaussianSamples"));
  exports.Set("dpDiscreteGaussianSamples", Napi::Function::New(env, DiscreteGaussianSamples, "dpDiscreteGaussianSamples"));
  exports.Set("dpUniformSamples", Napi::Function::New(env, UniformSamples, "dpUniformSamples"));
}

}  // namespace hemasynth_bindings
