// Bindings for native/marginal: contingency counts, MST pair scores, tree and copula sampling,
// column decoding and validity packing. Synchronous calls; parallelism comes from the threads argument (0 = all cores).
#include <string>
#include <vector>

#include "areas.h"
#include "marginal/column_decoder.h"
#include "marginal/contingency.h"
#include "marginal/copula_sampler.h"
#include "marginal/tree_sampler.h"
#include "napi_util.h"

namespace hemasynth_bindings {

namespace {

void require_length(Napi::Env env, size_t got, size_t want, const char* field) {
  if (got != want) throw Napi::RangeError::New(env, "Expected length " + std::to_string(want) + " for " + field + " but received length " + std::to_string(got));
}

Napi::Float64Array f64_out(Napi::Env env, const std::vector<double>& v) {
  auto out = Napi::Float64Array::New(env, v.size());
  std::copy(v.begin(), v.end(), out.Data());
  return out;
}

}  // namespace

// marginalCountCliques(codes, rows, sizes, members, offsets, threads) -> Float64Array
static Napi::Value CountCliques(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto codes = i32_arg(info, 0, "codes");
  int64_t rows = int_arg(info, 1, "rows", 0, 2147483647);
  auto sizes = i32_arg(info, 2, "sizes");
  auto members = i32_arg(info, 3, "members");
  auto offsets = i32_arg(info, 4, "offsets");
  int threads = static_cast<int>(int_arg(info, 5, "threads", 0, 1024));
  return guarded(env, [&]() -> Napi::Value {
    require_length(env, codes.length, hemasynth::checked_mul(static_cast<size_t>(rows), sizes.length, "codes"), "codes (rows x columns)");
    if (offsets.length < 1) throw Napi::RangeError::New(env, "Expected at least one offset for offsets but received length 0");
    auto out = hemasynth::marginal::count_cliques(codes.data, rows, sizes.data, static_cast<int64_t>(sizes.length), members.data,
                                                  static_cast<int64_t>(members.length), offsets.data, static_cast<int64_t>(offsets.length) - 1, threads);
    return f64_out(env, out);
  });
}

// marginalPairL1Scores(codes, rows, sizes, probs, total, threads) -> Float64Array
static Napi::Value PairL1Scores(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto codes = i32_arg(info, 0, "codes");
  int64_t rows = int_arg(info, 1, "rows", 0, 2147483647);
  auto sizes = i32_arg(info, 2, "sizes");
  auto probs = f64_arg(info, 3, "probs");
  double total = number_arg(info, 4, "total");
  int threads = static_cast<int>(int_arg(info, 5, "threads", 0, 1024));
  return guarded(env, [&]() -> Napi::Value {
    require_length(env, codes.length, hemasynth::checked_mul(static_cast<size_t>(rows), sizes.length, "codes"), "codes (rows x columns)");
    auto out = hemasynth::marginal::pair_l1_scores(codes.data, rows, sizes.data, static_cast<int64_t>(sizes.length), probs.data,
                                                   static_cast<int64_t>(probs.length), total, threads);
    return f64_out(env, out);
  });
}

// The samplers' output: a JS array of `count` fresh (zeroed) Int32Arrays of `rows` codes, their
// data pointers in `data`. The kernels write straight into them (no intermediate copy). One array
// per column, not one rows·count block: on a virtual machine the first touch of a fresh 224 MB
// block (200,000 rows x 280 columns) cost 650-720 ms, more than the sampling, while arrays of a
// column's size reuse pages the allocator already holds. Measured on that machine (2 cores), the
// tree sampler for 200,000 rows x 280 columns: 630-750 ms with one block, 240-260 ms with columns
// (after the first two calls, which still find fresh pages).
static Napi::Array new_code_columns(Napi::Env env, size_t count, int64_t rows, std::vector<int32_t*>& data) {
  Napi::Array arr = Napi::Array::New(env, count);
  data.resize(count);
  for (size_t c = 0; c < count; ++c) {
    auto col = Napi::Int32Array::New(env, static_cast<size_t>(rows));
    data[c] = col.Data();
    arr.Set(static_cast<uint32_t>(c), col);
  }
  return arr;
}

// marginalSampleTree(order, parentStart, parentList, sizes, levelMap, levels, cpt, cptOffsets, rows, seed, threads) -> Int32Array[] (d columns of rows codes)
static Napi::Value SampleTree(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto order = i32_arg(info, 0, "order");
  auto parent_start = i32_arg(info, 1, "parentStart");
  auto parent_list = i32_arg(info, 2, "parentList");
  auto sizes = i32_arg(info, 3, "sizes");
  auto level_map = i32_arg(info, 4, "levelMap");
  auto levels = i32_arg(info, 5, "levels");
  auto cpt = f64_arg(info, 6, "cpt");
  auto offsets = i32_arg(info, 7, "cptOffsets");
  int64_t rows = int_arg(info, 8, "rows", 0, 2147483647);
  int32_t seed = static_cast<int32_t>(int_arg(info, 9, "seed", -2147483648LL, 2147483647));
  int threads = static_cast<int>(int_arg(info, 10, "threads", 0, 1024));
  return guarded(env, [&]() -> Napi::Value {
    size_t d = sizes.length;
    require_length(env, order.length, d, "order");
    require_length(env, parent_start.length, d + 1, "parentStart");
    require_length(env, levels.length, d, "levels");
    require_length(env, offsets.length, d, "cptOffsets");
    std::vector<int32_t*> columns;
    Napi::Array arr = new_code_columns(env, d, rows, columns);
    hemasynth::marginal::sample_tree(order.data, parent_start.data, parent_list.data, static_cast<int64_t>(parent_list.length), sizes.data,
                                     static_cast<int64_t>(d), level_map.data, static_cast<int64_t>(level_map.length), levels.data,
                                     cpt.data, static_cast<int64_t>(cpt.length), offsets.data, rows, seed, threads, columns.data(),
                                     columns.size());
    return arr;
  });
}

// Typed array element `i` of a JS array argument, checked for its type and length.
template <class T, napi_typedarray_type Kind>
static T* array_element(Napi::Env env, const Napi::Array& arr, uint32_t i, const char* field, const char* type_name, size_t want) {
  Napi::Value v = arr.Get(i);
  std::string name = std::string(field) + "[" + std::to_string(i) + "]";
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != Kind) throw_type(env, type_name, name, v);
  auto a = v.As<Napi::TypedArrayOf<T>>();
  require_length(env, a.ElementLength(), want, name.c_str());
  return a.Data();
}

// Element `i` of an optional per-column array: a Uint8Array of `want` bytes, or null/undefined (nullptr).
static uint8_t* optional_byte_column(Napi::Env env, const Napi::Array& arr, uint32_t i, const char* field, size_t want) {
  if (i >= arr.Length()) throw_type(env, "one entry per column", field, arr);
  Napi::Value v = arr.Get(i);
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  return array_element<uint8_t, napi_uint8_array>(env, arr, i, field, "a Uint8Array or null", want);
}

// marginalDecodeColumns(codes[], rows, specs, edges, tilts, edgeOffsets, streams, seed, threads, values[], valid[], positions?, uniforms?) -> undefined
// positions (optional): one entry per column, a Uint8Array of rows positions (256ths of the bin) or null/undefined.
// uniforms (optional): one entry per column, a Float64Array of rows uniforms in [0, 1) that replace the
// column stream's draws (row i's draw is uniforms[i]), or null/undefined.
static Napi::Value DecodeColumns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw_type(env, "an array of Int32Array", "codes", info[0]);
  int64_t rows = int_arg(info, 1, "rows", 0, 2147483647);
  auto specs = f64_arg(info, 2, "specs");
  auto edges = f64_arg(info, 3, "edges");
  auto tilts = f64_arg(info, 4, "tilts");
  auto offsets = i32_arg(info, 5, "edgeOffsets");
  auto streams = i32_arg(info, 6, "streams");
  int32_t seed = static_cast<int32_t>(int_arg(info, 7, "seed", -2147483648LL, 2147483647));
  int threads = static_cast<int>(int_arg(info, 8, "threads", 0, 1024));
  if (!info[9].IsArray()) throw_type(env, "an array of Float64Array or Int32Array", "values", info[9]);
  if (!info[10].IsArray()) throw_type(env, "an array of Uint8Array", "valid", info[10]);
  auto codes = info[0].As<Napi::Array>(), values = info[9].As<Napi::Array>(), valid = info[10].As<Napi::Array>();
  const bool has_positions = info.Length() > 11 && !info[11].IsUndefined() && !info[11].IsNull();
  if (has_positions && !info[11].IsArray()) throw_type(env, "an array of Uint8Array or null", "positions", info[11]);
  const bool has_uniforms = info.Length() > 12 && !info[12].IsUndefined() && !info[12].IsNull();
  if (has_uniforms && !info[12].IsArray()) throw_type(env, "an array of Float64Array or null", "uniforms", info[12]);
  return guarded(env, [&]() -> Napi::Value {
    size_t m = streams.length;
    require_length(env, tilts.length, edges.length, "tilts (one per edge)");
    require_length(env, codes.Length(), m, "codes (one array per column)");
    require_length(env, values.Length(), m, "values (one array per column)");
    require_length(env, valid.Length(), m, "valid (one array per column)");
    require_length(env, offsets.length, m + 1, "edgeOffsets");
    require_length(env, specs.length, hemasynth::checked_mul(m, static_cast<size_t>(hemasynth::marginal::kDecodeSpecWidth), "specs"), "specs (14 per column)");
    std::vector<hemasynth::marginal::DecodeColumnIo> io(m);
    for (uint32_t c = 0; c < m; ++c) {
      io[c].codes = array_element<int32_t, napi_int32_array>(env, codes, c, "codes", "an Int32Array", static_cast<size_t>(rows));
      io[c].valid = array_element<uint8_t, napi_uint8_array>(env, valid, c, "valid", "a Uint8Array", static_cast<size_t>(rows));
      bool i32 = specs.data[c * hemasynth::marginal::kDecodeSpecWidth + 9] == 1;
      if (i32) io[c].values = array_element<int32_t, napi_int32_array>(env, values, c, "values", "an Int32Array (int32 output)", static_cast<size_t>(rows));
      else io[c].values = array_element<double, napi_float64_array>(env, values, c, "values", "a Float64Array (float64 output)", static_cast<size_t>(rows));
      if (has_positions) io[c].positions = optional_byte_column(env, info[11].As<Napi::Array>(), c, "positions", static_cast<size_t>(rows));
      if (has_uniforms) {
        Napi::Array u = info[12].As<Napi::Array>();
        if (c >= u.Length()) throw_type(env, "one entry per column", "uniforms", u);
        Napi::Value v = u.Get(c);
        if (!v.IsNull() && !v.IsUndefined()) io[c].uniforms = array_element<double, napi_float64_array>(env, u, c, "uniforms", "a Float64Array or null", static_cast<size_t>(rows));
      }
    }
    hemasynth::marginal::decode_columns(io, rows, specs.data, edges.data, tilts.data, static_cast<int64_t>(edges.length), offsets.data, streams.data, seed, threads);
    return env.Undefined();
  });
}

// marginalPackValidity(bytes, bitmap) -> number of zero bytes (Arrow null count)
static Napi::Value PackValidity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto bytes = u8_arg(info, 0, "bytes");
  auto bitmap = u8_arg(info, 1, "bitmap");
  return guarded(env, [&]() -> Napi::Value {
    require_length(env, bitmap.length, (bytes.length + 7) / 8, "bitmap ((bytes + 7) / 8)");
    return Napi::Number::New(env, static_cast<double>(hemasynth::marginal::pack_validity(bytes.data, static_cast<int64_t>(bytes.length), bitmap.data)));
  });
}

// marginalSampleCopula(L, d, B, k, zc, thresholds, thresholdOffsets, codeOf, targets, outColumns, rows, seed, threads, positionSlots, positions)
//   -> Int32Array[] (outColumns columns of rows codes); writes latent j's within-cell shares into
//   positions[positionSlots[j]] (outColumns entries, Uint8Array of rows or null) where the slot is >= 0.
static Napi::Value SampleCopula(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto L = f64_arg(info, 0, "L");
  int64_t d = int_arg(info, 1, "d", 0, 1 << 16);
  auto B = f64_arg(info, 2, "B");
  int64_t k = int_arg(info, 3, "k", 0, 1 << 16);
  auto zc = f64_arg(info, 4, "zc");
  auto cdf = f64_arg(info, 5, "thresholds");
  auto offsets = i32_arg(info, 6, "thresholdOffsets");
  auto code_of = i32_arg(info, 7, "codeOf");
  auto targets = i32_arg(info, 8, "targets");
  int64_t out_cols = int_arg(info, 9, "outColumns", 0, 1 << 16);
  int64_t rows = int_arg(info, 10, "rows", 0, 2147483647);
  int32_t seed = static_cast<int32_t>(int_arg(info, 11, "seed", -2147483648LL, 2147483647));
  int threads = static_cast<int>(int_arg(info, 12, "threads", 0, 1024));
  auto pos_slots = i32_arg(info, 13, "positionSlots");
  if (!info[14].IsArray()) throw_type(env, "an array of Uint8Array or null", "positions", info[14]);
  auto positions = info[14].As<Napi::Array>();
  return guarded(env, [&]() -> Napi::Value {
    require_length(env, L.length, hemasynth::checked_mul(static_cast<size_t>(d), static_cast<size_t>(d), "L"), "L (d x d)");
    require_length(env, B.length, hemasynth::checked_mul(static_cast<size_t>(d), static_cast<size_t>(k), "B"), "B (d x k)");
    require_length(env, offsets.length, static_cast<size_t>(d) + 1, "thresholdOffsets");
    require_length(env, code_of.length, cdf.length, "codeOf (one code per threshold)");
    require_length(env, targets.length, static_cast<size_t>(d), "targets (one output column per latent)");
    require_length(env, pos_slots.length, static_cast<size_t>(d), "positionSlots (one per latent)");
    require_length(env, positions.Length(), static_cast<size_t>(out_cols), "positions (one entry per output column)");
    std::vector<uint8_t*> shares(static_cast<size_t>(out_cols));
    for (uint32_t c = 0; c < static_cast<uint32_t>(out_cols); ++c) shares[c] = optional_byte_column(env, positions, c, "positions", static_cast<size_t>(rows));
    std::vector<int32_t*> columns;
    Napi::Array arr = new_code_columns(env, static_cast<size_t>(out_cols), rows, columns);
    hemasynth::marginal::sample_copula(L.data, d, B.data, k, zc.data, static_cast<int64_t>(zc.length), cdf.data,
                                       static_cast<int64_t>(cdf.length), offsets.data, code_of.data, targets.data, out_cols, rows, seed,
                                       threads, columns.data(), columns.size(), pos_slots.data, shares.data(), shares.size());
    return arr;
  });
}

void RegisterMarginal(Napi::Env env, Napi::Object exports) {
  exports.Set("marginalCountCliques", Napi::Function::New(env, CountCliques, "marginalCountCliques"));
  exports.Set("marginalPairL1Scores", Napi::Function::New(env, PairL1Scores, "marginalPairL1Scores"));
  exports.Set("marginalSampleTree", Napi::Function::New(env, SampleTree, "marginalSampleTree"));
  exports.Set("marginalSampleCopula", Napi::Function::New(env, SampleCopula, "marginalSampleCopula"));
  exports.Set("marginalDecodeColumns", Napi::Function::New(env, DecodeColumns, "marginalDecodeColumns"));
  exports.Set("marginalPackValidity", Napi::Function::New(env, PackValidity, "marginalPackValidity"));
}

}  // namespace hemasynth_bindings
