// Typed arrays for large native outputs (the samplers' codes), backed by memory the
// kernel asks for in 2 MiB transparent huge pages. A fresh buffer's pages are faulted in on first
// write, one fault per 4 KiB page: on virtual machines each fault costs microseconds, and on this
// project's 2-core machine first touching 224 MB took 850 ms while rewriting it took 12 ms.
// With huge pages (THP in "madvise" or "always" mode) there are 512 times fewer faults.
#pragma once
#include <napi.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace hemasynth_bindings {

// An ArrayBuffer of `bytes`, huge-page-backed when large. A large one is not initialised: the
// caller must write every byte before JavaScript can read it.
inline Napi::ArrayBuffer new_large_buffer(Napi::Env env, size_t bytes) {
  constexpr size_t kHuge = size_t(2) << 20;
  if (bytes < 2 * kHuge) return Napi::ArrayBuffer::New(env, bytes);  // small: the ordinary (zeroed) allocation
  const size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
  void* p = std::aligned_alloc(kHuge, rounded);
  if (!p) throw std::bad_alloc();
  madvise(p, rounded, MADV_HUGEPAGE);  // advice only: without THP the buffer still works
  // V8 does not see memory it did not allocate: tell it, so garbage collection keeps pace.
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(rounded));
  return Napi::ArrayBuffer::New(env, p, bytes, [rounded](Napi::Env e, void* data) {
    Napi::MemoryManagement::AdjustExternalMemory(e, -static_cast<int64_t>(rounded));
    std::free(data);
  });
}

// A typed array of n elements over new_large_buffer: the caller writes every element.
template <class T>
Napi::TypedArrayOf<T> new_large_array(Napi::Env env, size_t n) {
  return Napi::TypedArrayOf<T>::New(env, n, new_large_buffer(env, n * sizeof(T)), 0);
}

}  // namespace hemasynth_bindings
