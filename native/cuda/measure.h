// Device-side timings for the benchmark: the GPU's own single-precision ceiling and the matrix
// product on data already on the device (the host-pointer matmul_f32 also pays two copies per
// call, which hide the kernel at the benchmark's sizes). Timed with CUDA events.
#pragma once
#include <cstdint>

#include "tensor/gemm.h"

namespace hemasynth {
namespace cuda {

// GFLOP/s of a kernel of independent FMA chains filling every multiprocessor (2 FLOPs per FMA).
double measure_peak_gflops_f32();

struct GemmTiming {
  double gflops = 0.0;       // 2·m·k·n per product
  double ms_per_product = 0.0;
};
// The trainer's kernel (sgemm.cuh) on device-resident operands: one warm-up, then `reps` products
// timed together. The shape is checked as sgemm checks it.
GemmTiming time_sgemm_f32(const GemmShape& s, int reps);

}  // namespace cuda
}  // namespace hemasynth
