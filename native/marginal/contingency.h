// Contingency tables over integer-coded columns (column-major codes, rows x d).
#pragma once
#include <cstdint>
#include <vector>

namespace hemasynth::marginal {

// Counts of each clique (members[offsets[k] .. offsets[k+1]) are column indices), concatenated,
// row-major over the clique's columns. Checks every code against its size.
std::vector<double> count_cliques(const int32_t* codes, int64_t rows, const int32_t* sizes, int64_t d,
                                  const int32_t* members, int64_t members_len, const int32_t* offsets,
                                  int64_t cliques, int threads);

// For every pair a < b (lexicographic): sum |count(x, y) - total * p_a[x] * p_b[y]|.
// probs holds each column's probabilities concatenated (sum of sizes entries).
std::vector<double> pair_l1_scores(const int32_t* codes, int64_t rows, const int32_t* sizes, int64_t d,
                                   const double* probs, int64_t probs_len, double total, int threads);

}  // namespace hemasynth::marginal
