// Blocked brute-force exact k-NN. Reference rows are transposed into column-major float32
// tiles of kTile rows so that, for one query, each column's contribution is a contiguous
// elementwise loop the compiler vectorises (four columns per pass); a tile (kTile x d floats)
// stays in L2 while every query of the thread's chunk is scanned against it. Candidates are kept in a small sorted
// list per query; final distances are recomputed in double from the original values.
#include "metrics/nearest_neighbors.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/error.h"
#include "common/parallel.h"

namespace hemasynth {
namespace metrics {

namespace {
constexpr size_t kTile = 512;

inline double numeric_term(double a, double b, double w) {
  bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) return (na && nb) ? 0.0 : 1.0;
  return std::fabs(a - b) * w;
}
}  // namespace

double mixed_distance(const double* qn, const int32_t* qc, const double* rn, const int32_t* rc,
                      size_t d_num, size_t d_cat, const double* w) {
  double s = 0;
  for (size_t j = 0; j < d_num; ++j) s += numeric_term(qn[j], rn[j], w[j]);
  for (size_t c = 0; c < d_cat; ++c) s += (qc[c] != rc[c]) ? 1.0 : 0.0;
  size_t d = d_num + d_cat;
  return d == 0 ? 0.0 : s / static_cast<double>(d);
}

void knn_mixed(const MixedRows& query, const MixedRows& ref, size_t d_num, size_t d_cat,
               const double* w, size_t k, bool skip_self, int threads, int32_t* out_index,
               double* out_distance) {
  require(k >= 1, "k", "expected k >= 1");
  require(d_num + d_cat >= 1, "columns", "expected at least one column");
  require(d_num == 0 || (query.numeric && ref.numeric && w), "numeric", "missing numeric buffers");
  require(d_cat == 0 || (query.categorical && ref.categorical), "categorical", "missing categorical buffers");
  require(ref.n < static_cast<size_t>(std::numeric_limits<int32_t>::max()), "reference", "too many rows");
  for (size_t j = 0; j < d_num; ++j) {
    require(std::isfinite(w[j]) && w[j] >= 0, "numericWeight", "expected finite non-negative weights");
  }
  const size_t nq = query.n, nr = ref.n;
  // Reference columns holding a NaN get a 0/1 missing mask beside their values (NaN -> 0),
  // so the missing-value rule stays branch-free and vectorised:
  //   query present: d + m (1 - d) with d = w |q - v|;  query missing: 1 - m.
  std::vector<char> has_nan(d_num, 0);
  for (size_t j = 0; j < d_num; ++j) {
    for (size_t i = 0; i < nr && !has_nan[j]; ++i) has_nan[j] = std::isnan(ref.numeric[i * d_num + j]);
  }
  const size_t n_tiles = (nr + kTile - 1) / kTile;
  // Transposed float32 tiles: tile t, column j, row r -> tiles[(t*d + j)*kTile + r].
  std::vector<float> num_tiles(checked_mul(checked_mul(n_tiles, d_num, "reference"), kTile, "reference"));
  std::vector<float> mask_tiles(checked_mul(checked_mul(n_tiles, d_num, "reference"), kTile, "reference"));
  std::vector<int32_t> cat_tiles(checked_mul(checked_mul(n_tiles, d_cat, "reference"), kTile, "reference"));
  parallel_for(n_tiles, threads, 4, [&](size_t tb, size_t te, int) {
    for (size_t t = tb; t < te; ++t) {
      for (size_t r = 0; r < kTile; ++r) {
        size_t i = t * kTile + r;
        for (size_t j = 0; j < d_num; ++j) {
          double v = i < nr ? ref.numeric[i * d_num + j] : 0.0;
          bool miss = std::isnan(v);
          num_tiles[(t * d_num + j) * kTile + r] = miss ? 0.f : static_cast<float>(v);
          mask_tiles[(t * d_num + j) * kTile + r] = miss ? 1.f : 0.f;
        }
        for (size_t c = 0; c < d_cat; ++c) {
          cat_tiles[(t * d_cat + c) * kTile + r] = i < nr ? ref.categorical[i * d_cat + c] : 0;
        }
      }
    }
  });
  std::vector<float> wf(d_num);
  for (size_t j = 0; j < d_num; ++j) wf[j] = static_cast<float>(w[j]);
  const float inf = std::numeric_limits<float>::infinity();

  parallel_for(nq, threads, 16, [&](size_t qb, size_t qe, int) {
    const size_t nqc = qe - qb;
    // Per-query sorted candidate lists (float32 sums, not yet divided by d).
    std::vector<float> best_d(nqc * k, inf);
    std::vector<int32_t> best_i(nqc * k, -1);
    std::vector<float> qv(d_num), qmiss(d_num);
    std::vector<int32_t> qc(d_cat);
    std::vector<float> acc(kTile);
    std::vector<size_t> plain;
    plain.reserve(d_num);
    for (size_t t = 0; t < n_tiles; ++t) {
      const size_t rows = std::min(kTile, nr - t * kTile);
      const float* nt = &num_tiles[t * d_num * kTile];
      const float* mt = &mask_tiles[t * d_num * kTile];
      const int32_t* ct = &cat_tiles[t * d_cat * kTile];
      for (size_t q = qb; q < qe; ++q) {
        for (size_t j = 0; j < d_num; ++j) {
          double v = query.numeric[q * d_num + j];
          qmiss[j] = std::isnan(v) ? 1.f : 0.f;
          qv[j] = std::isnan(v) ? 0.f : static_cast<float>(v);
        }
        for (size_t c = 0; c < d_cat; ++c) qc[c] = query.categorical[q * d_cat + c];
        float* bd = &best_d[(q - qb) * k];
        int32_t* bi = &best_i[(q - qb) * k];
        std::fill(acc.begin(), acc.end(), 0.f);
        // Plain columns (no missing value on either side) four at a time: one pass over acc
        // per four columns halves the load/store traffic of the accumulator.
        plain.clear();
        for (size_t j = 0; j < d_num; ++j) {
          const float* col = nt + j * kTile;
          const float q1 = qv[j], wj = wf[j];
          if (!has_nan[j] && qmiss[j] == 0.f) {
            plain.push_back(j);
          } else if (qmiss[j] != 0.f) {
            const float* m = mt + j * kTile;
            for (size_t r = 0; r < kTile; ++r) acc[r] += 1.f - m[r];
          } else {
            const float* m = mt + j * kTile;
            for (size_t r = 0; r < kTile; ++r) {
              float dd = std::fabs(q1 - col[r]) * wj;
              acc[r] += dd + m[r] * (1.f - dd);
            }
          }
        }
        size_t p = 0;
        for (; p + 4 <= plain.size(); p += 4) {
          const size_t j0 = plain[p], j1 = plain[p + 1], j2 = plain[p + 2], j3 = plain[p + 3];
          const float *c0 = nt + j0 * kTile, *c1 = nt + j1 * kTile, *c2 = nt + j2 * kTile, *c3 = nt + j3 * kTile;
          const float a0 = qv[j0], a1 = qv[j1], a2 = qv[j2], a3 = qv[j3];
          const float w0 = wf[j0], w1 = wf[j1], w2 = wf[j2], w3 = wf[j3];
          for (size_t r = 0; r < kTile; ++r) {
            acc[r] += std::fabs(a0 - c0[r]) * w0 + std::fabs(a1 - c1[r]) * w1 + std::fabs(a2 - c2[r]) * w2 + std::fabs(a3 - c3[r]) * w3;
          }
        }
        for (; p < plain.size(); ++p) {
          const size_t j = plain[p];
          const float* col = nt + j * kTile;
          const float q1 = qv[j], wj = wf[j];
          for (size_t r = 0; r < kTile; ++r) acc[r] += std::fabs(q1 - col[r]) * wj;
        }
        size_t c = 0;
        for (; c + 4 <= d_cat; c += 4) {
          const int32_t *c0 = ct + c * kTile, *c1 = c0 + kTile, *c2 = c1 + kTile, *c3 = c2 + kTile;
          const int32_t a0 = qc[c], a1 = qc[c + 1], a2 = qc[c + 2], a3 = qc[c + 3];
          for (size_t r = 0; r < kTile; ++r) {
            acc[r] += static_cast<float>((c0[r] != a0) + (c1[r] != a1) + (c2[r] != a2) + (c3[r] != a3));
          }
        }
        for (; c < d_cat; ++c) {
          const int32_t* col = ct + c * kTile;
          const int32_t q1 = qc[c];
          for (size_t r = 0; r < kTile; ++r) acc[r] += (col[r] != q1) ? 1.f : 0.f;
        }
        float worst = bd[k - 1];
        for (size_t r = 0; r < rows; ++r) {
          float v = acc[r];
          if (!(v < worst)) continue;
          const int32_t idx = static_cast<int32_t>(t * kTile + r);
          if (skip_self && static_cast<size_t>(idx) == q) continue;
          // Insert keeping order; equal distances keep the earlier (lower) index first.
          size_t pos = k - 1;
          while (pos > 0 && v < bd[pos - 1]) {
            bd[pos] = bd[pos - 1];
            bi[pos] = bi[pos - 1];
            --pos;
          }
          bd[pos] = v;
          bi[pos] = idx;
          worst = bd[k - 1];
        }
      }
    }
    // Exact distances in double; reorder by (distance, index) so float rounding cannot
    // leave the output out of order.
    std::vector<std::pair<double, int32_t>> tmp(k);
    for (size_t q = qb; q < qe; ++q) {
      const int32_t* bi = &best_i[(q - qb) * k];
      for (size_t m = 0; m < k; ++m) {
        int32_t idx = bi[m];
        double dist = std::numeric_limits<double>::infinity();
        if (idx >= 0) {
          dist = mixed_distance(d_num ? query.numeric + q * d_num : nullptr, d_cat ? query.categorical + q * d_cat : nullptr,
                                d_num ? ref.numeric + static_cast<size_t>(idx) * d_num : nullptr,
                                d_cat ? ref.categorical + static_cast<size_t>(idx) * d_cat : nullptr, d_num, d_cat, w);
        }
        tmp[m] = {dist, idx < 0 ? std::numeric_limits<int32_t>::max() : idx};
      }
      std::sort(tmp.begin(), tmp.end());
      for (size_t m = 0; m < k; ++m) {
        out_distance[q * k + m] = tmp[m].first;
        out_index[q * k + m] = tmp[m].second == std::numeric_limits<int32_t>::max() ? -1 : tmp[m].second;
      }
    }
  });
}

}  // namespace metrics
}  // namespace hemasynth
