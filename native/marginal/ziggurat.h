// Standard normals by the ziggurat method (Marsaglia & Tsang 2000, "The Ziggurat Method for
// Generating Random Variables", J. Stat. Softw. 5(8)), 128 layers, driven by SamplingRng. About
// one 32-bit draw and one multiply per normal (Box–Muller needs a log, a sqrt and a cosine), which
// is what lets the copula sampler reach hundreds of thousands of rows per second.
// src/models/sampling-random.ts (SamplingRandom.zigguratNormal) mirrors it step for step.
#pragma once
#include <cmath>
#include <cstdint>

#include "marginal/rng.h"

namespace hemasynth::marginal {

struct ZigguratTables {
  double kn[128], wn[128], fn[128];
  ZigguratTables() {
    const double m1 = 2147483648.0, vn = 9.91256303526217e-3;
    double dn = 3.442619855899, tn = dn;
    const double q = vn / std::exp(-0.5 * dn * dn);
    kn[0] = (dn / q) * m1; kn[1] = 0;
    wn[0] = q / m1; wn[127] = dn / m1;
    fn[0] = 1.0; fn[127] = std::exp(-0.5 * dn * dn);
    for (int i = 126; i >= 1; --i) {
      dn = std::sqrt(-2.0 * std::log(vn / dn + std::exp(-0.5 * dn * dn)));
      kn[i + 1] = (dn / tn) * m1;
      tn = dn;
      fn[i] = std::exp(-0.5 * dn * dn);
      wn[i] = dn / m1;
    }
  }
  static const ZigguratTables& get() { static const ZigguratTables t; return t; }
};

// Uniform in (0, 1) (never 0: the tail uses its logarithm).
inline double open_uniform(SamplingRng& rng) { return (static_cast<double>(rng.next_u32()) + 0.5) / 4294967296.0; }

inline double ziggurat_normal(SamplingRng& rng, const ZigguratTables& t) {
  constexpr double r = 3.442619855899;
  for (;;) {
    const int32_t hz = static_cast<int32_t>(rng.next_u32());
    const int iz = hz & 127;
    const double x = hz * t.wn[iz];
    if (std::llabs(static_cast<long long>(hz)) < static_cast<long long>(t.kn[iz])) return x;
    if (iz == 0) {  // the base strip's tail beyond r (Marsaglia 1964)
      double xt, y;
      do { xt = -std::log(open_uniform(rng)) / r; y = -std::log(open_uniform(rng)); } while (y + y < xt * xt);
      return hz > 0 ? r + xt : -r - xt;
    }
    if (t.fn[iz] + open_uniform(rng) * (t.fn[iz - 1] - t.fn[iz]) < std::exp(-0.5 * x * x)) return x;
  }
}

}  // namespace hemasynth::marginal
