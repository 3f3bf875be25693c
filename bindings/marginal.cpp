// Bindings for native/marginal: contingency counts, MST pair scores, tree sampling and bin
// decoding. Synchronous calls; parallelism comes from the threads argument (0 = all cores).
#include <string>

#include "areas.h"
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

// marginalSampleTree(order, parent, sizes, cpt, cptOffsets, rows, seed, threads) -> Int32Array (rows x d, column-major)
static Napi::Value SampleTree(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto order = i32_arg(info, 0, "order");
  auto parent = i32_arg(info, 1, "parent");
  auto sizes = i32_arg(info, 2, "sizes");
  auto cpt = f64_arg(info, 3, "cpt");
  auto offsets = i32_arg(info, 4, "cptOffsets");
  int64_t rows = int_arg(info, 5, "rows", 0, 2147483647);
  int32_t seed = static_cast<int32_t>(int_arg(info, 6, "seed", -2147483648LL, 2147483647));
  int threads = static_cast<int>(int_arg(info, 7, "threads", 0, 1024));
  return guarded(env, [&]() -> Napi::Value {
    size_t d = sizes.length;
    require_length(env, order.length, d, "order");
    require_length(env, parent.length, d, "parent");
    require_length(env, offsets.length, d, "cptOffsets");
    auto out = hemasynth::marginal::sample_tree(order.data, parent.data, sizes.data, static_cast<int64_t>(d), cpt.data,
                                                static_cast<int64_t>(cpt.length), offsets.data, rows, seed, threads);
    auto arr = Napi::Int32Array::New(env, out.size());
    std::copy(out.begin(), out.end(), arr.Data());
    return arr;
  });
}

// marginalDecodeBins(codes, rows, edges, edgeOffsets, params, streams, seed, threads) -> Float64Array (rows x m)
static Napi::Value DecodeBins(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto codes = i32_arg(info, 0, "codes");
  int64_t rows = int_arg(info, 1, "rows", 0, 2147483647);
  auto edges = f64_arg(info, 2, "edges");
  auto offsets = i32_arg(info, 3, "edgeOffsets");
  auto params = f64_arg(info, 4, "params");
  auto streams = i32_arg(info, 5, "streams");
  int32_t seed = static_cast<int32_t>(int_arg(info, 6, "seed", -2147483648LL, 2147483647));
  int threads = static_cast<int>(int_arg(info, 7, "threads", 0, 1024));
  return guarded(env, [&]() -> Napi::Value {
    size_t m = streams.length;
    require_length(env, offsets.length, m + 1, "edgeOffsets");
    require_length(env, params.length, hemasynth::checked_mul(m, 8, "params"), "params (8 per column)");
    require_length(env, codes.length, hemasynth::checked_mul(static_cast<size_t>(rows), m, "codes"), "codes (rows x columns)");
    auto out = hemasynth::marginal::decode_bins(codes.data, rows, static_cast<int64_t>(m), edges.data, static_cast<int64_t>(edges.length),
                                                offsets.data, params.data, streams.data, seed, threads);
    return f64_out(env, out);
  });
}

// marginalSampleCopula(L, d, B, k, zc, cdf, cdfOffsets, rows, seed, threads) -> Int32Array (rows x d, column-major)
static Napi::Value SampleCopula(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto L = f64_arg(info, 0, "L");
  int64_t d = int_arg(info, 1, "d", 0, 1 << 16);
  auto B = f64_arg(info, 2, "B");
  int64_t k = int_arg(info, 3, "k", 0, 1 << 16);
  auto zc = f64_arg(info, 4, "zc");
  auto cdf = f64_arg(info, 5, "cdf");
  auto offsets = i32_arg(info, 6, "cdfOffsets");
  int64_t rows = int_arg(info, 7, "rows", 0, 2147483647);
  int32_t seed = static_cast<int32_t>(int_arg(info, 8, "seed", -2147483648LL, 2147483647));
  int threads = static_cast<int>(int_arg(info, 9, "threads", 0, 1024));
  return guarded(env, [&]() -> Napi::Value {
    require_length(env, L.length, hemasynth::checked_mul(static_cast<size_t>(d), static_cast<size_t>(d), "L"), "L (d x d)");
    require_length(env, B.length, hemasynth::checked_mul(static_cast<size_t>(d), static_cast<size_t>(k), "B"), "B (d x k)");
    require_length(env, offsets.length, static_cast<size_t>(d) + 1, "cdfOffsets");
    auto out = hemasynth::marginal::sample_copula(L.data, d, B.data, k, zc.data, static_cast<int64_t>(zc.length), cdf.data,
                                                  static_cast<int64_t>(cdf.length), offsets.data, rows, seed, threads);
    auto arr = Napi::Int32Array::New(env, out.size());
    std::copy(out.begin(), out.end(), arr.Data());
    return arr;
  });
}

void RegisterMarginal(Napi::Env env, Napi::Object exports) {
  exports.Set("marginalCountCliques", Napi::Function::New(env, CountCliques, "marginalCountCliques"));
  exports.Set("marginalPairL1Scores", Napi::Function::New(env, PairL1Scores, "marginalPairL1Scores"));
  exports.Set("marginalSampleTree", Napi::Function::New(env, SampleTree, "marginalSampleTree"));
  exports.Set("marginalSampleCopula", Napi::Function::New(env, SampleCopula, "marginalSampleCopula"));
  exports.Set("marginalDecodeBins", Napi::Function::New(env, DecodeBins, "marginalDecodeBins"));
}

}  // namespace hemasynth_bindings
