// Exact k-nearest-neighbour search under a Gower-like mixed distance, for distance to
// closest record, membership inference and Anonymeter-style linkability / inference attacks.
//
// distance(q, r) = ( sum_j w_j |q_j - r_j|  +  sum_c [q_c != r_c] ) / (d_num + d_cat)
// over numeric columns j (w_j = 1 / range_j, Gower 1971) and categorical codes c. A numeric
// value that is NaN counts 0 against another NaN and 1 against any number (the largest
// per-column distance), so missingness is a difference, as in Anonymeter's mixed distance.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hemasynth {
namespace metrics {

struct MixedRows {
  const double* numeric;      // row-major n x d_num (may be null when d_num == 0)
  const int32_t* categorical; // row-major n x d_cat (may be null when d_cat == 0)
  size_t n;
};

// For every query row, the k nearest reference rows in increasing distance (ties: lower
// reference index first). out_index: nq*k, out_distance: nq*k (distances recomputed in
// double after a float32 vectorised scan). When k > n_ref the tail is index -1, distance +inf.
// skip_self: when the query set is the reference set, query i never matches reference i.
void knn_mixed(const MixedRows& query, const MixedRows& ref, size_t d_num, size_t d_cat,
               const double* numeric_weight, size_t k, bool skip_self, int threads,
               int32_t* out_index, double* out_distance);

// Reference implementation: one pair at a time in double, for tests of the blocked kernel.
double mixed_distance(const double* qn, const int32_t* qc, const double* rn, const int32_t* rc,
                      size_t d_num, size_t d_cat, const double* numeric_weight);

}  // namespace metrics
}  // namespace hemasynth
