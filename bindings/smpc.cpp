// Bindings for native/smpc: fixed-point codec, ring arithmetic in Z_2^64, mask expansion and
// Shamir sharing. Check, view, forward; the logic lives in native/smpc.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "areas.h"
#include "dp/chacha20.h"
#include "napi_util.h"
#include "smpc/fixed_point.h"
#include "smpc/ring.h"
#include "smpc/shamir.h"

namespace hemasynth_bindings {

namespace {
constexpr int64_t kMaxLength = int64_t(1) << 31;

TypedView<uint64_t, napi_biguint64_array> u64_arg(const Napi::CallbackInfo& info, size_t i, const char* field) {
  return typed_arg<uint64_t, napi_biguint64_array>(info, i, field, "BigUint64Array");
}
int threads_arg(const Napi::CallbackInfo& info, size_t i) { return static_cast<int>(int_arg(info, i, "threads", 0, 1024)); }

Napi::TypedArrayOf<uint64_t> new_u64(Napi::Env env, size_t n) {
  return Napi::TypedArrayOf<uint64_t>::New(env, n, napi_biguint64_array);
}
}  // namespace

// smpcChacha20Keystream(key: Uint8Array(32), nonce: Uint8Array(12), counter, length) -> Uint8Array (RFC 8439 §2.4)
static Napi::Value Chacha20Keystream(const Napi::CallbackInfo& info) {
  auto key = u8_arg(info, 0, "key");
  auto nonce = u8_arg(info, 1, "nonce");
  uint32_t counter = static_cast<uint32_t>(int_arg(info, 2, "counter", 0, 0xFFFFFFFFll));
  int64_t len = int_arg(info, 3, "length", 0, int64_t(1) << 30);
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto pos = hemasynth::chacha_key_from_rfc8439(key.data, key.length, nonce.data, nonce.length, counter);
    uint64_t block = pos.block;
    // Block by block: with a non-zero first nonce word the byte position would exceed 2^64.
    auto out = Napi::Uint8Array::New(info.Env(), static_cast<size_t>(len));
    uint8_t buf[64];
    for (size_t done = 0; done < static_cast<size_t>(len); done += 64, ++block) {
      hemasynth::chacha20_block(pos.key, block, buf);
      std::memcpy(out.Data() + done, buf, std::min<size_t>(64, static_cast<size_t>(len) - done));
    }
    return out;
  });
}

// smpcEncodeFixedPoint(values: Float64Array, scale, clip, noise: Float64Array | null, threads) -> { encoded, clipped }
static Napi::Value EncodeFixedPoint(const Napi::CallbackInfo& info) {
  auto x = f64_arg(info, 0, "values");
  double scale = number_arg(info, 1, "scale");
  double clip = number_arg(info, 2, "clip");
  const double* noise = nullptr;
  if (!info[3].IsNull() && !info[3].IsUndefined()) {
    auto nz = f64_arg(info, 3, "noise");
    if (nz.length != x.length) {
      throw Napi::RangeError::New(info.Env(), "Expected noise of length " + std::to_string(x.length) + " for noise but received length " + std::to_string(nz.length));
    }
    noise = nz.data;
  }
  int threads = threads_arg(info, 4);
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto out = new_u64(info.Env(), x.length);
    auto r = hemasynth::smpc::encode_fixed_point(x.data, x.length, scale, clip, noise, out.Data(), threads);
    auto obj = Napi::Object::New(info.Env());
    obj.Set("encoded", out);
    obj.Set("clipped", Napi::Number::New(info.Env(), static_cast<double>(r.clipped)));
    return obj;
  });
}

// smpcDecodeFixedPoint(sum: BigUint64Array, scale, bound, threads) -> Float64Array
static Napi::Value DecodeFixedPoint(const Napi::CallbackInfo& info) {
  auto v = u64_arg(info, 0, "sum");
  double scale = number_arg(info, 1, "scale");
  double bound = number_arg(info, 2, "bound");
  int threads = threads_arg(info, 3);
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto out = Napi::Float64Array::New(info.Env(), v.length);
    hemasynth::smpc::decode_fixed_point(v.data, v.length, scale, bound, out.Data(), threads);
    return out;
  });
}

// smpcCapacityOk(perPartyBound, parties) -> boolean
static Napi::Value CapacityOk(const Napi::CallbackInfo& info) {
  double bound = number_arg(info, 0, "perPartyBound");
  double parties = number_arg(info, 1, "parties");
  return Napi::Boolean::New(info.Env(), hemasynth::smpc::fixed_point_capacity_ok(bound, parties));
}

// Optional boolean argument i (false when absent or undefined).
static bool optional_bool_arg(const Napi::CallbackInfo& info, size_t i, const char* field) {
  if (info.Length() <= i || info[i].IsUndefined()) return false;
  if (!info[i].IsBoolean()) throw_type(info.Env(), "a boolean", field, info[i]);
  return info[i].As<Napi::Boolean>().Value();
}

// Optional AES code path argument i: "auto" (or absent), "vaes512" or "aesni".
static hemasynth::smpc::AesPath aes_path_arg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return hemasynth::smpc::AesPath::automatic;
  std::string name = info[i].IsString() ? info[i].As<Napi::String>().Utf8Value() : "";
  if (name == "auto") return hemasynth::smpc::AesPath::automatic;
  if (name == "vaes512") return hemasynth::smpc::AesPath::vaes512;
  if (name == "aesni") return hemasynth::smpc::AesPath::aesni;
  throw_type(info.Env(), "\"auto\", \"vaes512\" or \"aesni\"", "path", info[i]);
}

// smpcRingAdd(acc: BigUint64Array, x: BigUint64Array, offset, threads, subtract?) -> void (acc updated in place)
static Napi::Value RingAdd(const Napi::CallbackInfo& info) {
  auto acc = u64_arg(info, 0, "acc");
  auto x = u64_arg(info, 1, "x");
  int64_t offset = int_arg(info, 2, "offset", 0, kMaxLength);
  int threads = threads_arg(info, 3);
  bool subtract = optional_bool_arg(info, 4, "subtract");
  guarded(info.Env(), [&]() {
    hemasynth::smpc::ring_add(acc.data, acc.length, x.data, x.length, static_cast<size_t>(offset), threads, subtract);
    return 0;
  });
  return info.Env().Undefined();
}

// smpcMaskPrgPath() -> "vaes512" | "aesni" | "none": the native AES-256-CTR path of this CPU
static Napi::Value MaskPrgPath(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), hemasynth::smpc::aes_ctr_path_name());
}

// smpcApplyMasks(v: BigUint64Array, seeds: Uint8Array(32k), signs: Int32Array(k), threads, path?) -> void (v updated in place)
static Napi::Value ApplyMasks(const Napi::CallbackInfo& info) {
  auto v = u64_arg(info, 0, "vector");
  auto seeds = u8_arg(info, 1, "seeds");
  auto signs = i32_arg(info, 2, "signs");
  int threads = threads_arg(info, 3);
  auto path = aes_path_arg(info, 4);
  guarded(info.Env(), [&]() {
    hemasynth::require(seeds.length == signs.length * 32, "seeds",
                       "expected 32 bytes per sign (" + std::to_string(signs.length * 32) + ") but received " +
                           std::to_string(seeds.length));
    hemasynth::smpc::apply_masks(v.data, v.length, seeds.data, signs.data, signs.length, threads, path);
    return 0;
  });
  return info.Env().Undefined();
}

// smpcShamirSplit(secret: Uint8Array, threshold, shares, randomness: Uint8Array) -> BigUint64Array (shares × limbs)
static Napi::Value ShamirSplit(const Napi::CallbackInfo& info) {
  auto secret = u8_arg(info, 0, "secret");
  int threshold = static_cast<int>(int_arg(info, 1, "threshold", 1, 65535));
  int shares = static_cast<int>(int_arg(info, 2, "shares", 1, 65535));
  auto rnd = u8_arg(info, 3, "randomness");
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto ys = hemasynth::smpc::shamir_split(secret.data, secret.length, threshold, shares, rnd.data, rnd.length);
    auto out = new_u64(info.Env(), ys.size());
    std::memcpy(out.Data(), ys.data(), ys.size() * 8);
    return out;
  });
}

// smpcShamirCombine(xs: Int32Array(k), ys: BigUint64Array(k × limbs), secretLength) -> Uint8Array
static Napi::Value ShamirCombine(const Napi::CallbackInfo& info) {
  auto xs = i32_arg(info, 0, "xs");
  auto ys = u64_arg(info, 1, "ys");
  int64_t len = int_arg(info, 2, "secretLength", 1, 4096);
  return guarded(info.Env(), [&]() -> Napi::Value {
    size_t limbs = hemasynth::smpc::shamir_limbs(static_cast<size_t>(len));
    hemasynth::require(ys.length == xs.length * limbs, "ys",
                       "expected " + std::to_string(xs.length * limbs) + " field elements (" + std::to_string(limbs) +
                           " per share) but received " + std::to_string(ys.length));
    std::vector<int64_t> x64(xs.data, xs.data + xs.length);
    auto out = Napi::Uint8Array::New(info.Env(), static_cast<size_t>(len));
    hemasynth::smpc::shamir_combine(x64.data(), x64.size(), ys.data, static_cast<size_t>(len), out.Data());
    return out;
  });
}

void RegisterSmpc(Napi::Env env, Napi::Object exports) {
  exports.Set("smpcChacha20Keystream", Napi::Function::New(env, Chacha20Keystream, "smpcChacha20Keystream"));
  exports.Set("smpcEncodeFixedPoint", Napi::Function::New(env, EncodeFixedPoint, "smpcEncodeFixedPoint"));
  exports.Set("smpcDecodeFixedPoint", Napi::Function::New(env, DecodeFixedPoint, "smpcDecodeFixedPoint"));
  exports.Set("smpcCapacityOk", Napi::Function::New(env, CapacityOk, "smpcCapacityOk"));
  exports.Set("smpcRingAdd", Napi::Function::New(env, RingAdd, "smpcRingAdd"));
  exports.Set("smpcApplyMasks", Napi::Function::New(env, ApplyMasks, "smpcApplyMasks"));
  exports.Set("smpcMaskPrgPath", Napi::Function::New(env, MaskPrgPath, "smpcMaskPrgPath"));
  exports.Set("smpcShamirSplit", Napi::Function::New(env, ShamirSplit, "smpcShamirSplit"));
  exports.Set("smpcShamirCombine", Napi::Function::New(env, ShamirCombine, "smpcShamirCombine"));
}

}  // namespace hemasynth_bindings
