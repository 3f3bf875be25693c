#include "marginal/tree_sampler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "common/parallel.h"
#include "marginal/rng.h"

namespace hemasynth::marginal {

std::vector<int32_t> sample_tree(const int32_t* order, const int32_t* parent, const int32_t* sizes, int64_t d,
                                 const double* cpt, int64_t cpt_len, const int32_t* cpt_offsets,
                                 int64_t rows, int32_t seed, int threads) {
  std::vector<char> seen(static_cast<size_t>(d), 0);
  for (int64_t t = 0; t < d; ++t) {
    int32_t j = order[t];
    if (j < 0 || j >= d || seen[j]) throw Error("order", "Expected a permutation of the " + std::to_string(d) + " nodes");
    int32_t p = parent[j];
    if (p >= d || p < -1 || (p >= 0 && !seen[p])) throw Error("parent", "Expected every parent to precede its child in the order (node " + std::to_string(j) + ")");
    if (sizes[j] < 1) throw Error("sizes", "Expected sizes >= 1");
    int64_t want = (p >= 0 ? static_cast<int64_t>(sizes[p]) : 1) * sizes[j];
    if (cpt_offsets[j] < 0 || static_cast<int64_t>(cpt_offsets[j]) + want > cpt_len) throw Error("cptOffsets", "Expected the table of node " + std::to_string(j) + " inside cpt");
    seen[j] = 1;
  }
  std::vector<int32_t> out(static_cast<size_t>(checked_mul(static_cast<size_t>(rows), static_cast<size_t>(d), "rows x d")), 0);
  int64_t blocks = (rows + kSamplingBlockRows - 1) / kSamplingBlockRows;
  // Rows are drawn in row order (the stream order the TypeScript reference uses) into a small
  // column-major tile that stays in cache, then each column's slice is copied out contiguously.
  constexpr int64_t kTile = 64;
  parallel_for(static_cast<size_t>(blocks), threads, 1, [&](size_t b0, size_t b1, int) {
    std::vector<int32_t> tile(static_cast<size_t>(d * kTile));
    for (size_t blk = b0; blk < b1; ++blk) {
      SamplingRng rng(seed, static_cast<int64_t>(blk));
      int64_t r0 = static_cast<int64_t>(blk) * kSamplingBlockRows, r1 = std::min(rows, r0 + kSamplingBlockRows);
      for (int64_t t0 = r0; t0 < r1; t0 += kTile) {
        int64_t tn = std::min(kTile, r1 - t0);
        for (int64_t r = 0; r < tn; ++r) {
          for (int64_t t = 0; t < d; ++t) {
            int32_t j = order[t];
            int32_t p = parent[j];
            int32_t s = sizes[j];
            const double* pr = cpt + cpt_offsets[j] + (p >= 0 ? static_cast<int64_t>(tile[p * kTile + r]) * s : 0);
            double u = rng.uniform();
            int32_t k = 0;
            double acc = pr[0];
            while (u >= acc && k < s - 1) acc += pr[++k];
            tile[j * kTile + r] = k;
          }
        }
        for (int64_t j = 0; j < d; ++j) std::copy(tile.begin() + j * kTile, tile.begin() + j * kTile + tn, out.begin() + j * rows + t0);
      }
    }
  });
  return out;
}

namespace {
inline bool is_integer(double x) { return std::isfinite(x) && x == std::floor(x); }
}  // namespace

std::vector<double> decode_bins(const int32_t* codes, int64_t rows, int64_t m, const double* edges, int64_t edges_len,
                                const int32_t* edge_offsets, const double* params, const int32_t* streams,
                                int32_t seed, int threads) {
  for (int64_t c = 0; c < m; ++c) {
    if (edge_offsets[c] < 0 || edge_offsets[c + 1] > edges_len || edge_offsets[c + 1] - edge_offsets[c] < 2) throw Error("edgeOffsets", "Expected at least two edges per column inside edges");
  }
  std::vector<double> out(static_cast<size_t>(checked_mul(static_cast<size_t>(rows), static_cast<size_t>(m), "rows x columns")), 0.0);
  parallel_for(static_cast<size_t>(m), threads, 1, [&](size_t c0, size_t c1, int) {
    for (size_t c = c0; c < c1; ++c) {
      const double* e = edges + edge_offsets[c];
      int64_t bins = edge_offsets[c + 1] - edge_offsets[c] - 1;
      const double* p = params + c * 8;
      bool integer = p[0] != 0;
      double lo = p[1], hi = p[2], rlo = p[3], rhi = p[4];
      bool lo_open = p[5] != 0, hi_open = p[6] != 0;
      int64_t miss = static_cast<int64_t>(p[7]);
      SamplingRng rng(seed, streams[c]);
      const int32_t* code = codes + c * rows;
      double* dst = out.data() + c * rows;
      for (int64_t i = 0; i < rows; ++i) {
        int64_t k = code[i];
        if (k == miss) continue;
        if (k < 0 || k >= bins) throw Error("codes", "Expected bin codes in [0, " + std::to_string(bins) + ") but received " + std::to_string(k));
        double a = e[k], b = e[k + 1];
        if (integer) {
          double first = std::max({a, std::ceil(lo), std::ceil(rlo + (lo_open && is_integer(rlo) ? 1 : 0))});
          double last = std::min({b - 1, std::floor(hi), std::floor(rhi - (hi_open && is_integer(rhi) ? 1 : 0))});
          if (first > last) { first = std::max(a, std::ceil(lo)); last = std::min(b - 1, std::floor(hi)); }
          if (first > last) last = first;
          dst[i] = first + std::floor(rng.uniform() * (last - first + 1));
        } else {
          double ra = std::max({a, lo, rlo}), rb = std::min({b, hi, rhi});
          if (ra <= rb) { a = ra; b = rb; } else { a = std::max(a, lo); b = std::min(b, hi); }
          double v = a + (b - a) * rng.uniform();
          if (hi_open && v >= rhi) v = a + (std::min(b, rhi) - a) * 0.5;
          if (lo_open && v <= rlo) v = (std::max(a, rlo) + b) * 0.5;
          dst[i] = std::min(hi, std::max(lo, v));
        }
      }
    }
  });
  return out;
}

}  // namespace hemasynth::marginal
