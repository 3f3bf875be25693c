// Arithmetic of the trainer keystream's variates shared by the host (dp/keystream.cpp) and the
// GPU (cuda/keystream_device.h), so both evaluate the same polynomial and draw the same numbers.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define HS_HD __host__ __device__ __forceinline__
#else
#define HS_HD inline
#endif

namespace hemasynth {

// ln x for x ∈ (0, 1] without a libm call: x = m·2^e with m ∈ [√½, √2), ln m = 2·atanh(s),
// s = (m−1)/(m+1), |s| ≤ 0.1716, series to s^19 (truncation < 4e-18 relative), ln 2 split in a
// high and a low part. Accurate to a few ulp; the Gaussians drawn with it are rounded to float32.
HS_HD double keystream_log_unit(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  int64_t e = static_cast<int64_t>((bits >> 52) & 0x7ff) - 1023;
  uint64_t mb = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
  double m;
  std::memcpy(&m, &mb, 8);
  const bool big = m > 1.4142135623730951;
  m = big ? 0.5 * m : m;
  e = big ? e + 1 : e;
  const double s = (m - 1.0) / (m + 1.0);
  const double z = s * s;
  double p = 1.0 / 19;
  p = p * z + 1.0 / 17; p = p * z + 1.0 / 15; p = p * z + 1.0 / 13; p = p * z + 1.0 / 11;
  p = p * z + 1.0 / 9;  p = p * z + 1.0 / 7;  p = p * z + 1.0 / 5;  p = p * z + 1.0 / 3;  p = p * z + 1.0;
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double ed = static_cast<double>(e);
  return ed * ln2_hi + (ed * ln2_lo + 2.0 * s * p);
}

}  // namespace hemasynth
