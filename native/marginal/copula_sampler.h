// Gaussian-copula sampling: z_F = B z_C + L g (g ~ N(0, I)), u = Φ(z), position = the CDF cell
// holding u. Used by the copula generator (src/models/copula) for whole blocks of rows.
#pragma once
#include <cstdint>
#include <vector>

namespace hemasynth::marginal {

// L: lower-triangular d x d (row-major); B: d x k (row-major, k may be 0); zc: rows x k row-major;
// cdf + cdf_offsets[j] holds column j's cumulative probabilities (last entry 1).
// Returns positions column-major (rows x d). Block b of kSamplingBlockRows rows uses stream (seed, b).
std::vector<int32_t> sample_copula(const double* L, int64_t d, const double* B, int64_t k, const double* zc, int64_t zc_len,
                                   const double* cdf, int64_t cdf_len, const int32_t* cdf_offsets, int64_t rows,
                                   int32_t seed, int threads);

}  // namespace hemasynth::marginal
