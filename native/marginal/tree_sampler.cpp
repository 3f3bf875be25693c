#include "marginal/tree_sampler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "common/parallel.h"
#include "marginal/rng.h"

namespace hemasynth::marginal {

void sample_tree(const int32_t* order, const int32_t* parent_start, const int32_t* parent_list, int64_t parent_list_len,
                 const int32_t* sizes, int64_t d, const int32_t* level_map, int64_t level_map_len, const int32_t* levels,
                 const double* cpt, int64_t cpt_len, const int32_t* cpt_offsets,
                 int64_t rows, int32_t seed, int threads, int32_t* const* out_columns, size_t out_columns_len) {
  require(out_columns_len == static_cast<size_t>(d), "out",
          "expected d = " + std::to_string(d) + " columns but received " + std::to_string(out_columns_len));
  for (int64_t j = 0; j < d && rows > 0; ++j) require(out_columns[j] != nullptr, "out", "expected an array for every column");
  if (parent_start[0] != 0 || parent_start[d] != parent_list_len) throw Error("parentStart", "Expected offsets from 0 to the length of parentList (" + std::to_string(parent_list_len) + ")");
  std::vector<int64_t> map_at(static_cast<size_t>(d) + 1, 0);
  for (int64_t j = 0; j < d; ++j) {
    if (sizes[j] < 1) throw Error("sizes", "Expected sizes >= 1");
    if (levels[j] < 1) throw Error("levels", "Expected levels >= 1");
    if (parent_start[j + 1] < parent_start[j]) throw Error("parentStart", "Expected non-decreasing offsets");
    map_at[j + 1] = map_at[j] + sizes[j];
  }
  if (map_at[d] != level_map_len) throw Error("levelMap", "Expected one level per code of every column (" + std::to_string(map_at[d]) + " values)");
  for (int64_t j = 0; j < d; ++j)
    for (int64_t k = map_at[j]; k < map_at[j + 1]; ++k)
      if (level_map[k] < 0 || level_map[k] >= levels[j]) throw Error("levelMap", "Expected the levels of column " + std::to_string(j) + " in [0, " + std::to_string(levels[j]) + ")");
  std::vector<char> seen(static_cast<size_t>(d), 0);
  std::vector<int64_t> table_rows(static_cast<size_t>(d), 1);
  for (int64_t t = 0; t < d; ++t) {
    int32_t j = order[t];
    if (j < 0 || j >= d || seen[j]) throw Error("order", "Expected a permutation of the " + std::to_string(d) + " nodes");
    for (int32_t k = parent_start[j]; k < parent_start[j + 1]; ++k) {
      int32_t p = parent_list[k];
      if (p < 0 || p >= d || !seen[p]) throw Error("parentList", "Expected every parent to be a node that precedes its child in the order (node " + std::to_string(j) + ")");
      for (int32_t k2 = parent_start[j]; k2 < k; ++k2)
        if (parent_list[k2] == p) throw Error("parentList", "Expected distinct parents (node " + std::to_string(j) + ")");
      table_rows[j] = static_cast<int64_t>(checked_mul(static_cast<size_t>(table_rows[j]), static_cast<size_t>(levels[p]), "table rows"));
    }
    int64_t want = static_cast<int64_t>(checked_mul(static_cast<size_t>(table_rows[j]), static_cast<size_t>(sizes[j]), "table cells"));
    if (cpt_offsets[j] < 0 || static_cast<int64_t>(cpt_offsets[j]) + want > cpt_len) throw Error("cptOffsets", "Expected the table of node " + std::to_string(j) + " inside cpt");
    seen[j] = 1;
  }
  // Cumulative tables, summed in the order the TypeScript reference accumulates, as integer
  // thresholds: u = x / 2^32 >= c  <=>  x >= ceil(c * 2^32) for a 32-bit draw x (exact: scaling
  // by 2^32 is exact in double), so the comparison needs no conversion per draw.
  std::vector<int64_t> thr(static_cast<size_t>(cpt_len));
  // A node whose every row of thresholds is non-decreasing (all probabilities >= 0, as every
  // model the generators build) is drawn by counting the thresholds at or below x, branch-free
  // and vectorised; that count is the index the reference's scan stops at. A node with a
  // decreasing step keeps the scan.
  std::vector<char> monotone(static_cast<size_t>(d), 1);
  for (int64_t j = 0; j < d; ++j) {
    int64_t s = sizes[j], nrows = table_rows[j];
    for (int64_t r = 0; r < nrows; ++r) {
      const double* src = cpt + cpt_offsets[j] + r * s;
      int64_t* dst = thr.data() + cpt_offsets[j] + r * s;
      double acc = 0;
      for (int64_t k = 0; k < s; ++k) {
        acc = k == 0 ? src[0] : acc + src[k];
        double t = std::ceil(acc * 4294967296.0);
        dst[k] = !(t >= 0) ? 0 : t > 4294967296.0 ? int64_t(4294967296) : static_cast<int64_t>(t);
        if (k > 0 && dst[k] < dst[k - 1]) monotone[static_cast<size_t>(j)] = 0;
      }
    }
  }
  int64_t blocks = (rows + kSamplingBlockRows - 1) / kSamplingBlockRows;
  // Column-wise within a block: node by node (topological order), all rows of the block, so the
  // parent's codes and the node's output are contiguous. Block b draws from stream (seed, b),
  // node by node, as the TypeScript reference does.
  parallel_for(static_cast<size_t>(blocks), threads, 1, [&](size_t b0, size_t b1, int) {
    std::vector<uint32_t> strata(static_cast<size_t>(kSamplingBlockRows));
    std::vector<const int32_t*> pcodes, pmaps;
    std::vector<int64_t> plevels;
    for (size_t blk = b0; blk < b1; ++blk) {
      SamplingRng rng(seed, static_cast<int64_t>(blk));
      const int64_t r0 = static_cast<int64_t>(blk) * kSamplingBlockRows, r1 = std::min(rows, r0 + kSamplingBlockRows);
      const uint64_t n = static_cast<uint64_t>(r1 - r0);
      for (int64_t t = 0; t < d; ++t) {
        // Latin hypercube draws (McKay, Beckman & Conover 1979): the block's n draws of a node
        // are one uniform in each of n equal strata, randomly permuted (Fisher–Yates). Each row
        // is still an exact draw from the model; across rows the marginals' sampling noise
        // shrinks (a root's marginal is reproduced to within 1/n).
        for (uint64_t i = 0; i < n; ++i) strata[i] = static_cast<uint32_t>(((i << 32) | rng.next_u32()) / n);
        for (uint64_t i = n - 1; i >= 1 && i < n; --i) {
          const uint64_t k = (static_cast<uint64_t>(rng.next_u32()) * (i + 1)) >> 32;
          std::swap(strata[i], strata[k]);
        }
        const int32_t j = order[t], s = sizes[j];
        const int64_t* base = thr.data() + cpt_offsets[j];
        int32_t* dst = out_columns[j];
        const int32_t p0 = parent_start[j], np = parent_start[j + 1] - p0;
        // The parents' sampled codes and level maps, resolved once per node and block.
        pcodes.resize(static_cast<size_t>(np));
        pmaps.resize(static_cast<size_t>(np));
        plevels.resize(static_cast<size_t>(np));
        for (int32_t k = 0; k < np; ++k) {
          const int32_t p = parent_list[p0 + k];
          pcodes[k] = out_columns[p];
          pmaps[k] = level_map + map_at[p];
          plevels[k] = levels[p];
        }
        const bool count = monotone[static_cast<size_t>(j)] != 0;
        for (int64_t i = r0; i < r1; ++i) {
          // Row of the table: mixed radix over the parents' levels (first parent most significant).
          int64_t r = 0;
          for (int32_t k = 0; k < np; ++k) r = r * plevels[k] + pmaps[k][pcodes[k][i]];
          const int64_t* row = base + r * s;
          const int64_t x = strata[static_cast<size_t>(i - r0)];
          int32_t k = 0;
          if (count) {
            for (int32_t m = 0; m < s - 1; ++m) k += x >= row[m];
          } else {
            while (k < s - 1 && x >= row[k]) ++k;
          }
          dst[i] = k;
        }
      }
    }
  });
}

}  // namespace hemasynth::marginal
