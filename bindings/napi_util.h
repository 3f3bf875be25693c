// Argument checks and buffer views shared by every bindings file. Bindings only check,
// view and forward: logic lives in native/ (C++) or src/ (TypeScript). Messages follow
// one format: "Expected <what> for <field> but received <what was given>".
#pragma once
#include <napi.h>

#include <string>

#include "common/error.h"

namespace hemasynth_bindings {

inline std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint32_array: return "Uint32Array";
      case napi_uint8_array: return "Uint8Array";
      case napi_int8_array: return "Int8Array";
      case napi_int16_array: return "Int16Array";
      case napi_uint16_array: return "Uint16Array";
      case napi_bigint64_array: return "BigInt64Array";
      case napi_biguint64_array: return "BigUint64Array";
      default: return "TypedArray";
    }
  }
  if (v.IsArray()) return "Array";
  if (v.IsBuffer()) return "Buffer";
  if (v.IsNumber()) return "number " + std::to_string(v.As<Napi::Number>().DoubleValue());
  if (v.IsString()) return "string";
  if (v.IsBoolean()) return "boolean";
  if (v.IsObject()) return "object";
  return "value";
}

[[noreturn]] inline void throw_type(Napi::Env env, const std::string& expected, const std::string& field,
                                    const Napi::Value& got) {
  throw Napi::TypeError::New(env, "Expected " + expected + " for " + field + " but received " + describe(got));
}

template <class T, napi_typedarray_type Kind>
struct TypedView {
  T* data;
  size_t length;
};

template <class T, napi_typedarray_type Kind>
inline TypedView<T, Kind> typed_arg(const Napi::CallbackInfo& info, size_t index, const char* field,
                                    const char* type_name) {
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != Kind) {
    throw_type(info.Env(), type_name, field, v);
  }
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  return {arr.Data(), arr.ElementLength()};
}

inline TypedView<float, napi_float32_array> f32_arg(const Napi::CallbackInfo& info, size_t i, const char* field) {
  return typed_arg<float, napi_float32_array>(info, i, field, "Float32Array");
}
inline TypedView<double, napi_float64_array> f64_arg(const Napi::CallbackInfo& info, size_t i, const char* field) {
  return typed_arg<double, napi_float64_array>(info, i, field, "Float64Array");
}
inline TypedView<int32_t, napi_int32_array> i32_arg(const Napi::CallbackInfo& info, size_t i, const char* field) {
  return typed_arg<int32_t, napi_int32_array>(info, i, field, "Int32Array");
}
inline TypedView<uint8_t, napi_uint8_array> u8_arg(const Napi::CallbackInfo& info, size_t i, const char* field) {
  return typed_arg<uint8_t, napi_uint8_array>(info, i, field, "Uint8Array");
}

inline int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* field, int64_t min, int64_t max) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) throw_type(info.Env(), "an integer", field, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d == static_cast<double>(static_cast<int64_t>(d))) || d < static_cast<double>(min) || d > static_cast<double>(max)) {
    throw_type(info.Env(), "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]", field, v);
  }
  return static_cast<int64_t>(d);
}

inline double number_arg(const Napi::CallbackInfo& info, size_t i, const char* field) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) throw_type(info.Env(), "a number", field, v);
  return v.As<Napi::Number>().DoubleValue();
}

// Runs fn and turns hemasynth::Error / std::exception into JavaScript errors with the field path.
template <class Fn>
inline auto guarded(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const hemasynth::Error& e) {
    Napi::Error err = Napi::RangeError::New(env, e.what());
    err.Set("field", Napi::String::New(env, e.field()));
    throw err;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, "out of memory in native code");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("native error: ") + e.what());
  }
}

}  // namespace hemasynth_bindings
