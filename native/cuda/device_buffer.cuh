// Owned device and pinned-host buffers (RAII: freed in the destructor; no managed memory).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

#include "common/error.h"
#include "cuda/sgemm.cuh"

namespace hemasynth {
namespace cuda {

// Device array that only grows: ensure(n) keeps the contents when the capacity suffices and
// reallocates (contents lost) otherwise, so work buffers are allocated once per batch size.
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  ~DeviceArray() { if (ptr_) cudaFree(ptr_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : ptr_(o.ptr_), cap_(o.cap_) { o.ptr_ = nullptr; o.cap_ = 0; }

  T* ensure(size_t n) {
    if (n <= cap_) return ptr_;
    require(n <= static_cast<size_t>(-1) / sizeof(T), "cuda", "device buffer size overflow");
    if (ptr_) HS_CUDA(cudaFree(ptr_));
    ptr_ = nullptr;
    cap_ = 0;
    HS_CUDA(cudaMalloc(reinterpret_cast<void**>(&ptr_), n * sizeof(T)));
    cap_ = n;
    return ptr_;
  }
  T* get() const { return ptr_; }
  size_t capacity() const { return cap_; }

 private:
  T* ptr_ = nullptr;
  size_t cap_ = 0;
};

// Page-locked host staging buffer (fast, asynchronous copies), grown on demand.
template <class T>
class PinnedArray {
 public:
  PinnedArray() = default;
  ~PinnedArray() { if (ptr_) cudaFreeHost(ptr_); }
  PinnedArray(const PinnedArray&) = delete;
  PinnedArray& operator=(const PinnedArray&) = delete;

  T* ensure(size_t n) {
    if (n <= cap_) return ptr_;
    require(n <= static_cast<size_t>(-1) / sizeof(T), "cuda", "host buffer size overflow");
    if (ptr_) HS_CUDA(cudaFreeHost(ptr_));
    ptr_ = nullptr;
    cap_ = 0;
    HS_CUDA(cudaMallocHost(reinterpret_cast<void**>(&ptr_), n * sizeof(T)));
    cap_ = n;
    return ptr_;
  }
  T* get() const { return ptr_; }

 private:
  T* ptr_ = nullptr;
  size_t cap_ = 0;
};

// A stream owned by one trainer.
class Stream {
 public:
  Stream() { HS_CUDA(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() { if (s_) cudaStreamDestroy(s_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

}  // namespace cuda
}  // namespace hemasynth
