#include "smpc/fixed_point.h"

#include <atomic>
#include <cmath>
#include <string>

#include "common/error.h"
#include "common/parallel.h"

namespace hemasynth {
namespace smpc {

namespace {
constexpr double kTwo52 = 4503599627370496.0;
constexpr double kTwo62 = 4611686018427387904.0;
constexpr size_t kMinChunk = 1 << 16;
}  // namespace

EncodeResult encode_fixed_point(const double* x, size_t n, double scale, double clip, const double* noise,
                                uint64_t* out, int threads) {
  require(std::isfinite(scale) && scale > 0, "scale", "expected a finite scale > 0 but received " + std::to_string(scale));
  require(std::isfinite(clip) && clip >= 0, "clip", "expected a finite clip bound >= 0 but received " + std::to_string(clip));
  require(scale * clip < kTwo52, "clip",
          "expected clip·scale < 2^52 (exact rounding in binary64) but received " + std::to_string(scale * clip));
  require(n == 0 || (x != nullptr && out != nullptr), "values", "expected buffers for a non-empty vector");
  std::atomic<size_t> clipped{0};
  std::atomic<size_t> bad_index{static_cast<size_t>(-1)};
  std::atomic<int> bad_kind{0};
  parallel_for(n, threads, kMinChunk, [&](size_t b, size_t e, int) {
    size_t local = 0;
    for (size_t i = b; i < e; ++i) {
      double v = x[i];
      if (std::isnan(v)) {
        bad_index.store(i);
        bad_kind.store(1);
        return;
      }
      if (v > clip) { v = clip; ++local; }
      else if (v < -clip) { v = -clip; ++local; }
      int64_t q = static_cast<int64_t>(std::llround(v * scale));
      if (noise) {
        double z = noise[i];
        if (!(std::isfinite(z) && z == std::floor(z) && std::fabs(z) < kTwo52)) {
          bad_index.store(i);
          bad_kind.store(2);
          return;
        }
        q += static_cast<int64_t>(z);
      }
      out[i] = static_cast<uint64_t>(q);
    }
    clipped.fetch_add(local);
  });
  if (bad_kind.load() == 1) throw Error("values", "expected finite numbers but received NaN at index " + std::to_string(bad_index.load()));
  if (bad_kind.load() == 2) throw Error("noise", "expected integers of magnitude < 2^52 but received another value at index " + std::to_string(bad_index.load()));
  return EncodeResult{clipped.load()};
}

void decode_fixed_point(const uint64_t* v, size_t n, double scale, double bound, double* out, int threads) {
  require(std::isfinite(scale) && scale > 0, "scale", "expected a finite scale > 0 but received " + std::to_string(scale));
  require(std::isfinite(bound) && bound >= 0 && bound < kTwo62 * 2, "bound",
          "expected a finite bound in [0, 2^63) but received " + std::to_string(bound));
  std::atomic<size_t> bad_index{static_cast<size_t>(-1)};
  parallel_for(n, threads, kMinChunk, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) {
      int64_t q = static_cast<int64_t>(v[i]);
      double d = static_cast<double>(q);
      if (std::fabs(d) > bound) {
        size_t expected = static_cast<size_t>(-1);
        bad_index.compare_exchange_strong(expected, i);
        return;
      }
      out[i] = d / scale;
    }
  });
  if (bad_index.load() != static_cast<size_t>(-1)) {
    throw Error("sum", "expected every aggregated value within ±" + std::to_string(bound) +
                           " (the sum of in-range encodings) but the value at index " + std::to_string(bad_index.load()) +
                           " is outside: the sum wrapped modulo 2^64 or a party sent out-of-range values");
  }
}

bool fixed_point_capacity_ok(double per_party_bound, double parties) {
  return std::isfinite(per_party_bound) && per_party_bound >= 0 && parties >= 1 && per_party_bound * parties < kTwo62;
}

}  // namespace smpc
}  // namespace hemasynth
