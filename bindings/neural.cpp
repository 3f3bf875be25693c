// Bindings for native/neural: the read-out of a neural generator's raw network output into codes
// and positions. Synchronous; parallelism comes from the threads argument (0 = all cores).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "areas.h"
#include "napi_util.h"
#include "neural/readout.h"

namespace hemasynth_bindings {

namespace {

void require_length(Napi::Env env, size_t got, size_t want, const std::string& field) {
  if (got != want) throw Napi::RangeError::New(env, "Expected length " + std::to_string(want) + " for " + field + " but received length " + std::to_string(got));
}

// Element i of an array argument as a typed array of kind Kind with at least `min_length`
// elements; returns its data and length.
template <class T, napi_typedarray_type Kind>
std::pair<T*, size_t> element(Napi::Env env, const Napi::Array& arr, uint32_t i, const char* field, const char* type_name) {
  Napi::Value v = arr.Get(i);
  const std::string name = std::string(field) + "[" + std::to_string(i) + "]";
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != Kind) throw_type(env, type_name, name, v);
  auto a = v.As<Napi::TypedArrayOf<T>>();
  return {a.Data(), a.ElementLength()};
}

// A byte range [begin, end) of memory the kernel reads or writes.
struct Span {
  uintptr_t begin, end;
  std::string what;
};

}  // namespace

// neuralReadRawOutput(raw, rows, width, sizes, logitOffsets, alphaOffsets, alpha, alphaSigma, weights, seed, firstRow, threads, codes, positions, outOffset)
//   -> -1, or the first column whose weights allow no code. Writes rows codes and positions of
//   column j into codes[j] and positions[j] from index outOffset.
static Napi::Value ReadRawOutput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto raw = f32_arg(info, 0, "raw");
  int64_t rows = int_arg(info, 1, "rows", 0, 2147483647);
  int64_t width = int_arg(info, 2, "width", 1, 2147483647);
  auto sizes = i32_arg(info, 3, "sizes");
  auto logit_offsets = i32_arg(info, 4, "logitOffsets");
  auto alpha_offsets = i32_arg(info, 5, "alphaOffsets");
  int64_t alpha = int_arg(info, 6, "alpha", 0, 1);
  double alpha_sigma = number_arg(info, 7, "alphaSigma");
  if (!info[8].IsArray()) throw_type(env, "an array of Float64Array or null", "weights", info[8]);
  int32_t seed = static_cast<int32_t>(int_arg(info, 9, "seed", -2147483648LL, 2147483647));
  int64_t first_row = int_arg(info, 10, "firstRow", 0, int64_t{1} << 52);
  int threads = static_cast<int>(int_arg(info, 11, "threads", 0, 1024));
  if (!info[12].IsArray()) throw_type(env, "an array of Int32Array", "codes", info[12]);
  if (!info[13].IsArray()) throw_type(env, "an array of Float64Array", "positions", info[13]);
  int64_t out_offset = int_arg(info, 14, "outOffset", 0, 2147483647);
  auto weights = info[8].As<Napi::Array>(), codes = info[12].As<Napi::Array>(), positions = info[13].As<Napi::Array>();
  return guarded(env, [&]() -> Napi::Value {
    const size_t m = sizes.length;
    require_length(env, raw.length, hemasynth::checked_mul(static_cast<size_t>(rows), static_cast<size_t>(width), "raw"), "raw (rows x width)");
    require_length(env, logit_offsets.length, m, "logitOffsets (one per column)");
    require_length(env, alpha_offsets.length, m, "alphaOffsets (one per column)");
    require_length(env, weights.Length(), m, "weights (one entry per column)");
    require_length(env, codes.Length(), m, "codes (one array per column)");
    require_length(env, positions.Length(), m, "positions (one array per column)");
    std::vector<hemasynth::neural::ReadoutColumn> cols(m);
    std::vector<hemasynth::neural::ReadoutOutput> out(m);
    std::vector<Span> writes, reads;
    auto span_of = [](const void* p, size_t bytes, std::string what) {
      const uintptr_t b = reinterpret_cast<uintptr_t>(p);
      return Span{b, b + bytes, std::move(what)};
    };
    reads.push_back(span_of(raw.data, raw.length * sizeof(float), "raw"));
    const size_t need = static_cast<size_t>(out_offset) + static_cast<size_t>(rows);
    for (uint32_t j = 0; j < m; ++j) {
      const std::string col = "[" + std::to_string(j) + "]";
      cols[j].size = sizes.data[j];
      cols[j].logit_offset = logit_offsets.data[j];
      cols[j].alpha_offset = alpha_offsets.data[j];
      cols[j].weights = nullptr;
      Napi::Value w = weights.Get(j);
      if (!w.IsNull() && !w.IsUndefined()) {
        auto [data, len] = element<double, napi_float64_array>(env, weights, j, "weights", "a Float64Array or null");
        require_length(env, len, static_cast<size_t>(std::max(sizes.data[j], 0)), "weights" + col + " (one per code)");
        cols[j].weights = data;
        reads.push_back(span_of(data, len * sizeof(double), "weights" + col));
      }
      auto [c, clen] = element<int32_t, napi_int32_array>(env, codes, j, "codes", "an Int32Array");
      auto [p, plen] = element<double, napi_float64_array>(env, positions, j, "positions", "a Float64Array");
      if (clen < need) throw Napi::RangeError::New(env, "Expected at least " + std::to_string(need) + " elements (outOffset + rows) for codes" + col + " but received length " + std::to_string(clen));
      if (plen < need) throw Napi::RangeError::New(env, "Expected at least " + std::to_string(need) + " elements (outOffset + rows) for positions" + col + " but received length " + std::to_string(plen));
      out[j].codes = c + out_offset;
      out[j].positions = p + out_offset;
      writes.push_back(span_of(out[j].codes, static_cast<size_t>(rows) * sizeof(int32_t), "codes" + col));
      writes.push_back(span_of(out[j].positions, static_cast<size_t>(rows) * sizeof(double), "positions" + col));
    }
    // Columns are written by different threads: their output ranges must not overlap one
    // another, nor what the kernel reads.
    if (rows > 0) {
      std::sort(writes.begin(), writes.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
      for (size_t k = 1; k < writes.size(); ++k)
        if (writes[k].begin < writes[k - 1].end)
          throw Napi::RangeError::New(env, "Expected separate arrays for every output column but " + writes[k - 1].what + " and " + writes[k].what + " share memory");
      for (const Span& r : reads)
        for (const Span& w : writes)
          if (r.begin < w.end && w.begin < r.end)
            throw Napi::RangeError::New(env, "Expected outputs apart from the inputs but " + w.what + " shares memory with " + r.what);
    }
    const int64_t failed = hemasynth::neural::read_raw_output(raw.data, rows, width, cols, static_cast<hemasynth::neural::AlphaMode>(alpha), alpha_sigma,
                                                              seed, first_row, out, threads);
    return Napi::Number::New(env, static_cast<double>(failed));
  });
}

void RegisterNeural(Napi::Env env, Napi::Object exports) {
  exports.Set("neuralReadRawOutput", Napi::Function::New(env, ReadRawOutput, "neuralReadRawOutput"));
}

}  // namespace hemasynth_bindings
