#include "dp/keystream.h"

#include <cmath>
#include <cstring>
#include <algorithm>
#include <vector>

#include "common/parallel.h"
#include "dp/keystream_math.h"

namespace hemasynth {
namespace {

constexpr double kTwoPow53Inv = 1.0 / 9007199254740992.0;  // 2^-53
constexpr double kTwoPi = 6.283185307179586476925286766559;
constexpr size_t kChunkPairs = 512;  // pairs per parallel chunk: 8 KiB of keystream

inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // little-endian hosts only (x86-64, aarch64 in LE mode)
  return v;
}

// ln x without a libm call, so the loop below vectorises: keystream_log_unit (dp/keystream_math.h),
// the same polynomial the GPU evaluates.
inline double log_unit(double x) { return keystream_log_unit(x); }

// sin and cos of 2πu for u ∈ [0, 1): octant k = round(8u) (u − k/8 is exact in binary64),
// θ = 2π(u − k/8) ∈ [−π/8, π/8], Taylor series to θ^13/θ^14 (truncation < 1e-18), then the
// rotation by kπ/4.
inline void sincos_2pi(double u, double* sn, double* cs) {
  static constexpr double kS[8] = {0.0, 0.70710678118654752440, 1.0, 0.70710678118654752440,
                                   0.0, -0.70710678118654752440, -1.0, -0.70710678118654752440};
  static constexpr double kC[8] = {1.0, 0.70710678118654752440, 0.0, -0.70710678118654752440,
                                   -1.0, -0.70710678118654752440, 0.0, 0.70710678118654752440};
  const double k = std::nearbyint(u * 8.0);
  const double t = kTwoPi * (u - k * 0.125);
  const double t2 = t * t;
  double sp = -1.0 / 6227020800.0;                 // −1/13!
  sp = sp * t2 + 1.0 / 39916800.0; sp = sp * t2 - 1.0 / 362880.0; sp = sp * t2 + 1.0 / 5040.0;
  sp = sp * t2 - 1.0 / 120.0; sp = sp * t2 + 1.0 / 6.0;
  const double st = t - t * t2 * sp;  // t − t³/6 + t⁵/120 − …
  double cp = 1.0 / 87178291200.0;                 // 1/14!
  cp = cp * t2 - 1.0 / 479001600.0; cp = cp * t2 + 1.0 / 3628800.0; cp = cp * t2 - 1.0 / 40320.0;
  cp = cp * t2 + 1.0 / 720.0; cp = cp * t2 - 1.0 / 24.0; cp = cp * t2 + 0.5;
  const double ct = 1.0 - t2 * cp;
  const int o = static_cast<int>(k) & 7;
  *sn = kS[o] * ct + kC[o] * st;
  *cs = kC[o] * ct - kS[o] * st;
}

// Pairs [pb, pe) of the Gaussian stream starting at byte `base`; fn(index, z) per sample.
template <class Fn>
void gaussian_pairs(const ChaChaKey& key, uint64_t base, size_t pb, size_t pe, size_t n, Fn&& fn) {
  // Chunks hold at most kChunkPairs pairs: stack buffers (16 KiB), so no heap pages are
  // mapped and zeroed per chunk.
  const size_t np = pe - pb;  // ≤ kChunkPairs: callers pass one chunk at a time
  alignas(64) uint8_t bytes[kChunkPairs * 16];
  alignas(64) double z0[kChunkPairs], z1[kChunkPairs];
  chacha20_stream(key, base + pb * 16, bytes, np * 16);
  const uint8_t* q = bytes;
  for (size_t p = 0; p < np; ++p) {
    const double u1 = static_cast<double>((load_le64(q + 16 * p) >> 11) + 1) * kTwoPow53Inv;
    const double u2 = static_cast<double>(load_le64(q + 16 * p + 8) >> 11) * kTwoPow53Inv;
    const double r = std::sqrt(-2.0 * log_unit(u1));
    double sn, cs;
    sincos_2pi(u2, &sn, &cs);
    z0[p] = r * cs;
    z1[p] = r * sn;
  }
  for (size_t p = 0; p < np; ++p) {
    const size_t i = 2 * (pb + p);
    fn(i, z0[p]);
    if (i + 1 < n) fn(i + 1, z1[p]);
  }
}

}  // namespace

void Keystream::uniforms(double* out, size_t n, int threads) {
  const uint64_t base = pos_;
  parallel_for(n, threads, 1 << 14, [&](size_t b, size_t e, int) {
    alignas(64) uint8_t bytes[8192];
    for (size_t c = b; c < e; c += 1024) {
      const size_t m = std::min<size_t>(1024, e - c);
      chacha20_stream(key_, base + c * 8, bytes, m * 8);
      for (size_t i = 0; i < m; ++i) out[c + i] = static_cast<double>(load_le64(bytes + i * 8) >> 11) * kTwoPow53Inv;
    }
  });
  pos_ += 8 * static_cast<uint64_t>(n);
}

void Keystream::gaussians(double* out, size_t n, int threads) {
  const uint64_t base = pos_;
  const size_t pairs = (n + 1) / 2;
  const size_t chunks = (pairs + kChunkPairs - 1) / kChunkPairs;
  parallel_for(chunks, threads, 4, [&](size_t cb, size_t ce, int) {
    for (size_t c = cb; c < ce; ++c)
      gaussian_pairs(key_, base, c * kChunkPairs, std::min(pairs, (c + 1) * kChunkPairs), n,
                     [&](size_t i, double z) { out[i] = z; });
  });
  pos_ += 16 * static_cast<uint64_t>(pairs);
}

void Keystream::add_gaussian_noise(float* out, size_t n, double scale, int threads) {
  const uint64_t base = pos_;
  const size_t pairs = (n + 1) / 2;
  const size_t chunks = (pairs + kChunkPairs - 1) / kChunkPairs;
  parallel_for(chunks, threads, 4, [&](size_t cb, size_t ce, int) {
    for (size_t c = cb; c < ce; ++c)
      gaussian_pairs(key_, base, c * kChunkPairs, std::min(pairs, (c + 1) * kChunkPairs), n,
                     [&](size_t i, double z) { out[i] = static_cast<float>(static_cast<double>(out[i]) + scale * z); });
  });
  pos_ += 16 * static_cast<uint64_t>(pairs);
}

}  // namespace hemasynth
