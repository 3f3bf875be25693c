// parallel_for over [0, n) in contiguous chunks on up to `threads` threads.
// The helper threads are kept between calls in a pool owned by the calling thread (thread_local):
// the addon keeps no process-wide pool, because it is loaded in several worker threads at once
// and each must be able to run its kernels without waiting for another's. Starting threads per
// call cost 15–20 µs each, serially, in the caller: with 16 threads that was about 0.25 ms per
// call, ten times the work of one of TVAE's products on such a machine. Waking parked helpers
// costs a few microseconds. A parallel_for called from inside another's worker runs serially
// (as OpenMP does by default) rather than start a pool of its own there.
// threads <= 0 means hardware_concurrency().
#pragma once
#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hemasynth {

inline int resolve_threads(int threads) {
  if (threads > 0) return threads;
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

namespace detail {

// True inside a parallel_for's work: always on a pool's helper threads, and on the caller while
// it runs its own share (a nested parallel_for then runs serially, and a pool is never re-entered).
inline bool& in_parallel_region() {
  thread_local bool flag = false;
  return flag;
}

// Helper threads parked on a condition variable; run(t, job) calls job(w) for w in [1, t) on
// them and job(0) on the caller, and returns when all are done. Grows on demand, never shrinks.
class WorkerPool {
 public:
  WorkerPool() = default;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& th : threads_) th.join();
  }

  void run(int t, const std::function<void(int)>& job) {
    while (static_cast<int>(threads_.size()) < t - 1) {
      const int w = static_cast<int>(threads_.size()) + 1;
      threads_.emplace_back([this, w] { loop(w); });
    }
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = &job;
      width_ = t;
      remaining_ = t - 1;
      ++generation_;
    }
    wake_.notify_all();
    in_parallel_region() = true;
    job(0);  // exceptions are caught inside the job
    in_parallel_region() = false;
    std::unique_lock<std::mutex> lock(m_);
    done_.wait(lock, [this] { return remaining_ == 0; });
    job_ = nullptr;
  }

 private:
  void loop(int w) {
    in_parallel_region() = true;
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int)>* job;
      {
        std::unique_lock<std::mutex> lock(m_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        if (w >= width_) continue;  // this call needs fewer helpers
        job = job_;
      }
      (*job)(w);
      {
        std::lock_guard<std::mutex> lock(m_);
        if (--remaining_ == 0) done_.notify_one();
      }
    }
  }

  std::vector<std::thread> threads_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int width_ = 0, remaining_ = 0;
  bool stop_ = false;
};

inline WorkerPool& caller_pool() {
  thread_local WorkerPool pool;
  return pool;
}

}  // namespace detail

// fn(begin, end, worker_index). Exceptions from any worker are rethrown in the caller.
template <class Fn>
void parallel_for(size_t n, int threads, size_t min_chunk, Fn&& fn) {
  int t = resolve_threads(threads);
  if (min_chunk == 0) min_chunk = 1;
  size_t max_workers = (n + min_chunk - 1) / min_chunk;
  if (static_cast<size_t>(t) > max_workers) t = static_cast<int>(std::max<size_t>(1, max_workers));
  if (t <= 1 || n == 0 || detail::in_parallel_region()) {
    fn(size_t(0), n, 0);
    return;
  }
  std::vector<std::exception_ptr> errors(t);
  const size_t chunk = (n + t - 1) / t;
  const std::function<void(int)> job = [&](int w) {
    const size_t b = std::min(n, chunk * static_cast<size_t>(w)), e = std::min(n, chunk * static_cast<size_t>(w + 1));
    try { fn(b, e, w); } catch (...) { errors[w] = std::current_exception(); }
  };
  detail::caller_pool().run(t, job);
  for (auto& err : errors) if (err) std::rethrow_exception(err);
}

}  // namespace hemasynth
