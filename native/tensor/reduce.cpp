#include "tensor/reduce.h"

#include <vector>

#include "common/parallel.h"

namespace hemasynth {

double sum_f64(const double* x, size_t n, int threads) {
  int t = resolve_threads(threads);
  std::vector<long double> partial(t, 0.0L);
  parallel_for(n, t, 1 << 16, [&](size_t b, size_t e, int w) {
    long double s = 0.0L;
    for (size_t i = b; i < e; ++i) s += x[i];
    partial[w] = s;
  });
  long double total = 0.0L;
  for (long double p : partial) total += p;
  return static_cast<double>(total);
}

}  // namespace hemasynth
