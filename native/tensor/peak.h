// Measured single-precision peak: a tight loop of independent fused multiply-adds on every
// thread, the ceiling the GEMM efficiency in bench/suites/dp-sgd.js is stated against.
#pragma once
#include <cstdint>

namespace hemasynth {

// GFLOP/s of `iterations` rounds of 16 independent vector FMAs per thread (wall clock).
double measure_peak_gflops_f32(int threads, int64_t iterations);

}  // namespace hemasynth
