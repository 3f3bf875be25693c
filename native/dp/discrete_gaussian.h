// Exact discrete Gaussian noise N_Z(0, σ²) (Canonne, Kamath & Steinke 2020, "The Discrete
// Gaussian for Differential Privacy", Algorithms 1–3), in 128-bit integer arithmetic, for the
// distributed noise of secure aggregation: every site adds an integer vector whose sum over
// sites is the noise the accountant assumes. The TypeScript sampler (src/dp/discrete-noise.ts)
// is the bigint reference; this one is the same algorithm without bigints, multi-threaded.
//
// σ² is taken as the dyadic rational a/2^k ≥ σ² with a < 2^40 (σ² rounded UP to 40 significant
// bits: never less noise than asked for), which keeps every intermediate product below 2^128 for
// σ up to 2^30; a product that would overflow throws instead of sampling wrongly.
// Randomness: a ChaCha20 keystream (chacha20.h) under a key from the caller (the OS), one nonce per
// chunk of 4,096 samples, so values do not depend on the thread count.
#pragma once
#include <cstddef>
#include <cstdint>

#include "dp/chacha20.h"

namespace hemasynth {

// The dyadic σ² = num / 2^shift used for `sigma` (σ² rounded up to 40 significant bits).
void discrete_gaussian_variance(double sigma, uint64_t* num, int* shift);

// out[i] = an exact sample of N_Z(0, σ²) for i < n. sigma in [2^-20, 2^30].
void discrete_gaussian_fill(const ChaChaKey& key, double sigma, int64_t* out, size_t n, int threads);

}  // namespace hemasynth
