#pragma once
#include <cstddef>

namespace hemasynth {

// Sum of n doubles, multi-threaded; each thread sums its chunk pairwise-free in long double
// partials so the result does not depend on the thread count beyond rounding of the partials.
double sum_f64(const double* x, size_t n, int threads);

}  // namespace hemasynth
