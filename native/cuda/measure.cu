#include "cuda/measure.h"

#include <cuda_runtime.h>

#include "common/error.h"
#include "cuda/device_buffer.cuh"
#include "cuda/sgemm.cuh"

namespace hemasynth {
namespace cuda {
namespace {

constexpr int kChains = 8;        // independent FMA chains per thread: hides the FMA latency
constexpr int kFmaRounds = 4096;  // rounds per launch: microseconds of launch cost vs ~ms of work

__global__ void fma_peak_kernel(float* out, float a, float b) {
  float v[kChains];
#pragma unroll
  for (int c = 0; c < kChains; ++c) v[c] = static_cast<float>(threadIdx.x + c);
  for (int r = 0; r < kFmaRounds; ++r) {
#pragma unroll
    for (int c = 0; c < kChains; ++c) v[c] = fmaf(v[c], a, b);
  }
  float s = 0.0f;
#pragma unroll
  for (int c = 0; c < kChains; ++c) s += v[c];
  out[blockIdx.x * blockDim.x + threadIdx.x] = s;  // kept: the compiler may not drop the chains
}

// Deterministic operand values in [-1, 1) (a hash of the index): zeros would flatter the timing.
__global__ void fill_kernel(float* x, size_t n, uint32_t salt) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  uint32_t h = static_cast<uint32_t>(i) * 2654435761u ^ salt;
  h ^= h >> 15; h *= 2246822519u; h ^= h >> 13;
  x[i] = static_cast<float>(h >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

int multiprocessors() {
  int device = 0, sms = 1;
  HS_CUDA(cudaGetDevice(&device));
  HS_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return sms;
}

// Events owned for one measurement.
struct EventPair {
  cudaEvent_t start = nullptr, stop = nullptr;
  EventPair() { HS_CUDA(cudaEventCreate(&start)); HS_CUDA(cudaEventCreate(&stop)); }
  ~EventPair() { cudaEventDestroy(start); cudaEventDestroy(stop); }
  float elapsed_ms() {
    HS_CUDA(cudaEventSynchronize(stop));
    float ms = 0.0f;
    HS_CUDA(cudaEventElapsedTime(&ms, start, stop));
    return ms;
  }
};

}  // namespace

double measure_peak_gflops_f32() {
  const int threads = 256;
  const int blocks = multiprocessors() * 8;
  DeviceArray<float> out;
  out.ensure(static_cast<size_t>(blocks) * threads);
  fma_peak_kernel<<<blocks, threads>>>(out.get(), 0.999f, 0.001f);  // warm-up: clocks rise
  HS_LAUNCHED("fma_peak_kernel");
  EventPair ev;
  const int launches = 10;
  HS_CUDA(cudaEventRecord(ev.start));
  for (int l = 0; l < launches; ++l) fma_peak_kernel<<<blocks, threads>>>(out.get(), 0.999f, 0.001f);
  HS_LAUNCHED("fma_peak_kernel");
  HS_CUDA(cudaEventRecord(ev.stop));
  const double ms = ev.elapsed_ms();
  const double flops = 2.0 * kChains * kFmaRounds * static_cast<double>(blocks) * threads * launches;
  return flops / (ms * 1e-3) / 1e9;
}

GemmTiming time_sgemm_f32(const GemmShape& s, int reps) {
  require(reps >= 1 && reps <= 100000, "reps", "expected between 1 and 100000 repetitions");
  require(s.m > 0 && s.k > 0 && s.n > 0, "shape", "expected m, k and n of at least 1");
  const size_t na = checked_mul(s.m, s.k, "a"), nb = checked_mul(s.k, s.n, "b"), nc = checked_mul(s.m, s.n, "c");
  DeviceArray<float> a, b, c;
  a.ensure(na); b.ensure(nb); c.ensure(nc);
  fill_kernel<<<static_cast<unsigned>((na + 255) / 256), 256>>>(a.get(), na, 1u);
  fill_kernel<<<static_cast<unsigned>((nb + 255) / 256), 256>>>(b.get(), nb, 2u);
  HS_LAUNCHED("fill_kernel");
  const int sms = multiprocessors();
  GemmScratch scratch;
  const GemmEpilogue none;
  sgemm(s, a.get(), b.get(), c.get(), none, sms, scratch, nullptr);  // warm-up, scratch sized
  EventPair ev;
  HS_CUDA(cudaEventRecord(ev.start));
  for (int r = 0; r < reps; ++r) sgemm(s, a.get(), b.get(), c.get(), none, sms, scratch, nullptr);
  HS_CUDA(cudaEventRecord(ev.stop));
  const double ms = ev.elapsed_ms() / reps;
  GemmTiming t;
  t.ms_per_product = ms;
  t.gflops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.k) * static_cast<double>(s.n) / (ms * 1e-3) / 1e9;
  return t;
}

}  // namespace cuda
}  // namespace hemasynth
