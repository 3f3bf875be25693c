// parallel_for over [0, n) in contiguous chunks on up to `threads` std::threads.
// Threads are created per call: the addon keeps no global pool (it must load in several
// worker threads at once), and kernels worth parallelising run for far longer than the
// ~20 us it costs to start two threads. threads <= 0 means hardware_concurrency().
#pragma once
#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace hemasynth {

inline int resolve_threads(int threads) {
  if (threads > 0) return threads;
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

// fn(begin, end, worker_index). Exceptions from any worker are rethrown in the caller.
template <class Fn>
void parallel_for(size_t n, int threads, size_t min_chunk, Fn&& fn) {
  int t = resolve_threads(threads);
  if (min_chunk == 0) min_chunk = 1;
  size_t max_workers = (n + min_chunk - 1) / min_chunk;
  if (static_cast<size_t>(t) > max_workers) t = static_cast<int>(std::max<size_t>(1, max_workers));
  if (t <= 1 || n == 0) {
    fn(size_t(0), n, 0);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(t);
  size_t chunk = (n + t - 1) / t;
  for (int w = 1; w < t; ++w) {
    size_t b = std::min(n, chunk * w), e = std::min(n, chunk * (w + 1));
    pool.emplace_back([&, b, e, w] {
      try { fn(b, e, w); } catch (...) { errors[w] = std::current_exception(); }
    });
  }
  try { fn(size_t(0), std::min(n, chunk), 0); } catch (...) { errors[0] = std::current_exception(); }
  for (auto& th : pool) th.join();
  for (auto& err : errors) if (err) std::rethrow_exception(err);
}

}  // namespace hemasynth
