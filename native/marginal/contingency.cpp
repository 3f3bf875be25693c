#include "marginal/contingency.h"

#include <cmath>
#include <string>

#include "common/error.h"
#include "common/parallel.h"

namespace hemasynth::marginal {

namespace {

void check_codes(const int32_t* codes, int64_t rows, const int32_t* sizes, int64_t d, int threads) {
  parallel_for(static_cast<size_t>(d), threads, 1, [&](size_t b, size_t e, int) {
    for (size_t j = b; j < e; ++j) {
      const int32_t* c = codes + j * rows;
      int32_t s = sizes[j];
      for (int64_t i = 0; i < rows; ++i) {
        if (c[i] < 0 || c[i] >= s) {
          throw Error("codes", "Expected codes in [0, " + std::to_string(s) + ") for column " + std::to_string(j) +
                                   " but received " + std::to_string(c[i]) + " at row " + std::to_string(i + 1));
        }
      }
    }
  });
}

void check_sizes(const int32_t* sizes, int64_t d) {
  for (int64_t j = 0; j < d; ++j) {
    if (sizes[j] < 1 || sizes[j] > (1 << 20)) throw Error("sizes", "Expected sizes in [1, 2^20] but received " + std::to_string(sizes[j]) + " for column " + std::to_string(j));
  }
}

}  // namespace

std::vector<double> count_cliques(const int32_t* codes, int64_t rows, const int32_t* sizes, int64_t d,
                                  const int32_t* members, int64_t members_len, const int32_t* offsets,
                                  int64_t cliques, int threads) {
  check_sizes(sizes, d);
  check_codes(codes, rows, sizes, d, threads);
  std::vector<int64_t> start(cliques + 1, 0);
  if (offsets[0] != 0 || offsets[cliques] != members_len) throw Error("offsets", "Expected clique offsets from 0 to the members length");
  for (int64_t k = 0; k < cliques; ++k) {
    if (offsets[k + 1] < offsets[k]) throw Error("offsets", "Expected non-decreasing clique offsets");
    int64_t cells = 1;
    for (int32_t m = offsets[k]; m < offsets[k + 1]; ++m) {
      if (members[m] < 0 || members[m] >= d) throw Error("members", "Expected column indices in [0, " + std::to_string(d) + ") but received " + std::to_string(members[m]));
      cells = checked_mul(static_cast<size_t>(cells), static_cast<size_t>(sizes[members[m]]), "clique cells");
      if (cells > (int64_t(1) << 28)) throw Error("members", "Expected cliques of at most 2^28 cells");
    }
    start[k + 1] = start[k] + cells;
  }
  std::vector<double> out(static_cast<size_t>(start[cliques]), 0.0);
  // One clique per task: cliques are independent, so threads never share a cell.
  parallel_for(static_cast<size_t>(cliques), threads, 1, [&](size_t b, size_t e, int) {
    std::vector<int64_t> key;
    for (size_t k = b; k < e; ++k) {
      double* dst = out.data() + start[k];
      int32_t m0 = offsets[k], m1 = offsets[k + 1];
      if (m1 - m0 == 1) {
        const int32_t* c = codes + static_cast<int64_t>(members[m0]) * rows;
        for (int64_t i = 0; i < rows; ++i) dst[c[i]] += 1.0;
        continue;
      }
      if (m1 - m0 == 2) {
        const int32_t* ca = codes + static_cast<int64_t>(members[m0]) * rows;
        const int32_t* cb = codes + static_cast<int64_t>(members[m0 + 1]) * rows;
        int64_t sb = sizes[members[m0 + 1]];
        for (int64_t i = 0; i < rows; ++i) dst[ca[i] * sb + cb[i]] += 1.0;
        continue;
      }
      key.assign(static_cast<size_t>(rows), 0);
      for (int32_t m = m0; m < m1; ++m) {
        const int32_t* c = codes + static_cast<int64_t>(members[m]) * rows;
        int64_t s = sizes[members[m]];
        for (int64_t i = 0; i < rows; ++i) key[i] = key[i] * s + c[i];
      }
      for (int64_t i = 0; i < rows; ++i) dst[key[i]] += 1.0;
    }
  });
  return out;
}

std::vector<double> pair_l1_scores(const int32_t* codes, int64_t rows, const int32_t* sizes, int64_t d,
                                   const double* probs, int64_t probs_len, double total, int threads) {
  check_sizes(sizes, d);
  check_codes(codes, rows, sizes, d, threads);
  std::vector<int64_t> poff(d + 1, 0);
  for (int64_t j = 0; j < d; ++j) poff[j + 1] = poff[j] + sizes[j];
  if (poff[d] != probs_len) throw Error("probs", "Expected " + std::to_string(poff[d]) + " probabilities (sum of sizes) but received " + std::to_string(probs_len));
  if (!std::isfinite(total)) throw Error("total", "Expected a finite total");
  int64_t pairs = d * (d - 1) / 2;
  std::vector<double> out(static_cast<size_t>(pairs), 0.0);
  // Pairs are split by their first column a; each worker reuses one count buffer.
  parallel_for(static_cast<size_t>(d), threads, 1, [&](size_t b, size_t e, int) {
    std::vector<double> counts;
    for (size_t a = b; a < e; ++a) {
      int64_t base = static_cast<int64_t>(a) * d - static_cast<int64_t>(a) * (a + 1) / 2;  // index of (a, a+1)
      const int32_t* ca = codes + static_cast<int64_t>(a) * rows;
      int64_t sa = sizes[a];
      for (int64_t bb = a + 1; bb < d; ++bb) {
        const int32_t* cb = codes + bb * rows;
        int64_t sb = sizes[bb];
        counts.assign(static_cast<size_t>(sa * sb), 0.0);
        for (int64_t i = 0; i < rows; ++i) counts[ca[i] * sb + cb[i]] += 1.0;
        const double* pa = probs + poff[a];
        const double* pb = probs + poff[bb];
        double l1 = 0;
        for (int64_t x = 0; x < sa; ++x) {
          double px = total * pa[x];
          for (int64_t y = 0; y < sb; ++y) l1 += std::fabs(counts[x * sb + y] - px * pb[y]);
        }
        out[base + (bb - a - 1)] = l1;
      }
    }
  });
  return out;
}

}  // namespace hemasynth::marginal
