#include "marginal/column_decoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "common/error.h"
#include "common/parallel.h"
#include "marginal/rng.h"

namespace hemasynth::marginal {

namespace {
inline bool is_integer(double x) { return std::isfinite(x) && x == std::floor(x); }

// A draw in [0, w) of an exponential with scale s truncated to [0, w) (as decode.ts).
inline double truncated_exponential(double u, double w, double s) {
  return std::min(w * (1 - 1e-12), -s * std::log1p(u * std::expm1(-w / s)));
}

// The linear density 1 + t(2u - 1) on [0, 1) of a tilted bin (src/transform/bin-tilts.ts): its
// CDF, and its inverse written as there (same operations in the same order, so equal values).
inline double tilted_cdf(double u, double t) { return t * u * u + (1 - t) * u; }
inline double tilted_position(double U, double t) {
  const double b = 1 - t;
  return (2 * U) / (b + std::sqrt(std::max(0.0, b * b + 4 * t * U)));
}
}  // namespace

void decode_columns(const std::vector<DecodeColumnIo>& io, int64_t rows, const double* specs, const double* edges,
                    const double* tilts, int64_t edges_len, const int32_t* edge_offsets, const int32_t* streams, int32_t seed,
                    int threads) {
  const int64_t m = static_cast<int64_t>(io.size());
  for (int64_t c = 0; c < m; ++c) {
    const double* p = specs + c * kDecodeSpecWidth;
    if (p[0] != 0 && p[0] != 1) throw Error("specs", "Expected levels 0 (categories) or 1 (bins) for column " + std::to_string(c));
    if (p[9] != 0 && p[9] != 1) throw Error("specs", "Expected output 0 (float64) or 1 (int32) for column " + std::to_string(c));
    if (edge_offsets[c] < 0 || edge_offsets[c + 1] > edges_len || edge_offsets[c + 1] < edge_offsets[c]) throw Error("edgeOffsets", "Expected non-decreasing edge offsets inside edges");
    if (p[0] == 1 && edge_offsets[c + 1] - edge_offsets[c] < 2) throw Error("edgeOffsets", "Expected at least two edges for bin column " + std::to_string(c));
    if (p[0] == 1)
      for (int32_t k = edge_offsets[c]; k + 1 < edge_offsets[c + 1]; ++k)
        if (!(tilts[k] > -1 && tilts[k] < 1))
          throw Error("tilts", "Expected bin tilts in (-1, 1) for column " + std::to_string(c) + " but received " + std::to_string(tilts[k]) + " at bin " + std::to_string(k - edge_offsets[c]));
    for (int t = 10; t < 14; t += 2) {
      const double bin = p[t], scale = p[t + 1];
      const double bins = static_cast<double>(edge_offsets[c + 1] - edge_offsets[c] - 1);
      if (!(bin == std::floor(bin) && bin >= -1 && bin < std::max(bins, 0.0)) || !std::isfinite(scale))
        throw Error("specs", "Expected a tail bin in [-1, bins) and a finite tail scale for column " + std::to_string(c));
    }
  }
  // One column per task: columns have independent streams, so the result does not depend on threads.
  parallel_for(static_cast<size_t>(m), threads, 1, [&](size_t c0, size_t c1, int) {
    for (size_t c = c0; c < c1; ++c) {
      const double* p = specs + c * kDecodeSpecWidth;
      const bool bins = p[0] == 1, integer = p[1] != 0, out_i32 = p[9] == 1;
      const double lo = p[2], hi = p[3], rlo = p[4], rhi = p[5];
      const bool lo_open = p[6] != 0, hi_open = p[7] != 0;
      const int64_t miss = static_cast<int64_t>(p[8]);
      const int64_t low_bin = p[11] > 0 ? static_cast<int64_t>(p[10]) : -1, high_bin = p[13] > 0 ? static_cast<int64_t>(p[12]) : -1;
      const double low_scale = p[11], high_scale = p[13];
      const int32_t* code = io[c].codes;
      uint8_t* valid = io[c].valid;
      double* vf = out_i32 ? nullptr : static_cast<double*>(io[c].values);
      int32_t* vi = out_i32 ? static_cast<int32_t*>(io[c].values) : nullptr;
      if (!bins) {
        const int64_t levels = edge_offsets[c + 1] - edge_offsets[c];  // categories: edges hold one entry per level
        for (int64_t i = 0; i < rows; ++i) {
          int64_t k = code[i];
          if (k == miss) { valid[i] = 0; if (vi) vi[i] = 0; else vf[i] = 0; continue; }
          if (k < 0 || k >= levels) throw Error("codes", "Expected category codes in [0, " + std::to_string(levels) + ") but received " + std::to_string(k) + " in column " + std::to_string(c));
          valid[i] = 1;
          if (vi) vi[i] = static_cast<int32_t>(k); else vf[i] = static_cast<double>(k);
        }
        continue;
      }
      const double* e = edges + edge_offsets[c];
      const double* tilt = tilts + edge_offsets[c];
      const int64_t nb = edge_offsets[c + 1] - edge_offsets[c] - 1;
      // Per-bin draw ranges do not depend on the row: precompute them once per column.
      std::vector<double> first(static_cast<size_t>(nb)), width(static_cast<size_t>(nb));
      // Tilted bins: the CDF at the drawable range's ends, fa and fb - fa (as decode.ts computes them per row).
      std::vector<double> tilt_from(static_cast<size_t>(nb)), tilt_span(static_cast<size_t>(nb));
      for (int64_t k = 0; k < nb; ++k) {
        double a = e[k], b = e[k + 1];
        if (integer) {
          double f = std::max({a, std::ceil(lo), std::ceil(rlo + (lo_open && is_integer(rlo) ? 1 : 0))});
          double l = std::min({b - 1, std::floor(hi), std::floor(rhi - (hi_open && is_integer(rhi) ? 1 : 0))});
          if (f > l) { f = std::max(a, std::ceil(lo)); l = std::min(b - 1, std::floor(hi)); }
          if (f > l) l = f;
          first[k] = f; width[k] = l - f + 1;
        } else {
          double ra = std::max({a, lo, rlo}), rb = std::min({b, hi, rhi});
          if (ra <= rb) { a = ra; b = rb; } else { a = std::max(a, lo); b = std::min(b, hi); }
          first[k] = a; width[k] = b - a;
        }
        if (tilt[k] != 0) {
          const double A = e[k], W = e[k + 1] - e[k];
          const double lo_end = first[k], hi_end = first[k] + width[k];  // integers: last + 1
          const double fa = tilted_cdf((lo_end - A) / W, tilt[k]), fb = tilted_cdf((hi_end - A) / W, tilt[k]);
          tilt_from[k] = fa; tilt_span[k] = fb - fa;
        }
      }
      SamplingRng rng(seed, streams[c]);
      const uint8_t* positions = io[c].positions;
      const double* uniforms = io[c].uniforms;
      // The bin's share for row i: the stream's draw (or the row's given uniform), inside the
      // row's 256th of the bin when it has a position.
      auto share = [&](int64_t i, bool from_top) -> double {
        const double u = uniforms ? uniforms[i] : rng.uniform();
        // A uniform outside [0, 1) would place the value outside its bin (and an int32 output
        // outside its range).
        if (uniforms && !(u >= 0 && u < 1))
          throw Error("uniforms", "Expected uniforms in [0, 1) but received " + std::to_string(u) + " at row " + std::to_string(i) + " of column " + std::to_string(c));
        if (!positions) return u;
        const double p = (positions[i] + u) / 256.0;
        return from_top ? 1.0 - p : p;
      };
      for (int64_t i = 0; i < rows; ++i) {
        int64_t k = code[i];
        if (k == miss) { valid[i] = 0; if (vi) vi[i] = 0; else vf[i] = 0; continue; }
        if (k < 0 || k >= nb) throw Error("codes", "Expected bin codes in [0, " + std::to_string(nb) + ") but received " + std::to_string(k) + " in column " + std::to_string(c));
        valid[i] = 1;
        double v;
        if (integer) {
          // A single admissible integer needs no draw (the reference skips it too).
          if (width[k] == 1) v = first[k];
          else if (k == high_bin) v = first[k] + std::floor(truncated_exponential(share(i, false), width[k], high_scale));
          else if (k == low_bin) v = first[k] + width[k] - 1 - std::floor(truncated_exponential(share(i, true), width[k], low_scale));
          else if (tilt[k] != 0) {
            const double A = e[k], W = e[k + 1] - e[k], last = first[k] + width[k] - 1;
            v = std::min(last, std::max(first[k], A + std::floor(W * tilted_position(tilt_from[k] + tilt_span[k] * share(i, false), tilt[k]))));
          } else v = first[k] + std::floor(share(i, false) * width[k]);
        } else {
          const double a = first[k], b = a + width[k];
          if (k == high_bin) v = a + truncated_exponential(share(i, false), b - a, high_scale);
          else if (k == low_bin) v = b - truncated_exponential(share(i, true), b - a, low_scale);
          else if (tilt[k] != 0) {
            const double A = e[k], W = e[k + 1] - e[k];
            v = std::min(b, std::max(a, A + W * tilted_position(tilt_from[k] + tilt_span[k] * share(i, false), tilt[k])));
          } else v = a + (b - a) * share(i, false);
          if (hi_open && v >= rhi) v = a + (std::min(b, rhi) - a) * 0.5;
          if (lo_open && v <= rlo) v = (std::max(a, rlo) + b) * 0.5;
          v = std::min(hi, std::max(lo, v));
        }
        if (vi) vi[i] = static_cast<int32_t>(v); else vf[i] = v;
      }
    }
  });
}

int64_t pack_validity(const uint8_t* bytes, int64_t n, uint8_t* bitmap) {
  int64_t zeros = 0;
  const int64_t full = n / 8;
  for (int64_t b = 0; b < full; ++b) {
    const uint8_t* s = bytes + b * 8;
    uint8_t w = static_cast<uint8_t>((s[0] != 0) | (s[1] != 0) << 1 | (s[2] != 0) << 2 | (s[3] != 0) << 3 | (s[4] != 0) << 4 |
                                     (s[5] != 0) << 5 | (s[6] != 0) << 6 | (s[7] != 0) << 7);
    bitmap[b] = w;
    zeros += 8 - __builtin_popcount(w);
  }
  if (n % 8) {
    uint8_t w = 0;
    for (int64_t i = full * 8; i < n; ++i) if (bytes[i]) w |= static_cast<uint8_t>(1u << (i & 7)); else ++zeros;
    bitmap[full] = w;
  }
  return zeros;
}

}  // namespace hemasynth::marginal
