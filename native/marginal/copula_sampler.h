// Gaussian-copula sampling: z_F = B z_C + L g (g ~ N(0, I)), position = the cell of z between the
// column's normal-score thresholds Φ⁻¹(F). Used by the copula generator (src/models/copula) for
// whole blocks of rows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hemasynth::marginal {

// L: lower-triangular d x d (row-major); B: d x k (row-major, k may be 0); zc: rows x k row-major;
// thresholds + offsets[j] holds column j's n_j - 1 ascending thresholds followed by +inf (n_j
// entries: a cell per position); code_of (same layout) is the code written for each cell into
// output column targets[j] (-1: write nothing, so a later latent can override an earlier one's
// code, e.g. a missingness latent after its column's value latent). Writes codes into
// out_columns[c] (rows codes each; out_columns_len must be out_cols; zero-initialised: a column no
// latent writes keeps code 0; the binding passes fresh, zeroed JavaScript arrays, one per column
// as in tree_sampler.h). Block b of
// kSamplingBlockRows rows draws its ziggurat normals (for the latents L uses), row by row, from stream (seed, b); the
// product L g runs as one float32 GEMM per block (tensor/gemm.h).
// Positions: latent j with pos_slots[j] = s >= 0 (pos_slots has d entries) also writes, into
// pos_columns[s] (rows bytes; pos_columns_len entries, null where no latent writes), where its
// value lies inside its cell: the share u = (Φ(z) − Φ(lo)) / (Φ(hi) − Φ(lo)) of the cell's
// probability, as its 1/256th floor(256 u) (the decoder places the column's value there,
// column_decoder.h). A byte, not a float: on a virtual machine the first touch of fresh output
// pages costs more than computing them, and a 256th of a bin keeps the dependence.
void sample_copula(const double* L, int64_t d, const double* B, int64_t k, const double* zc, int64_t zc_len,
                   const double* thresholds, int64_t thresholds_len, const int32_t* offsets, const int32_t* code_of,
                   const int32_t* targets, int64_t out_cols, int64_t rows, int32_t seed, int threads, int32_t* const* out_columns, size_t out_columns_len,
                   const int32_t* pos_slots, uint8_t* const* pos_columns, size_t pos_columns_len);

}  // namespace hemasynth::marginal
