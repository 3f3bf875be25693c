// Read-out of a neural generator's raw network output (TVAE's decoder, CTGAN's generator) into
// per-column codes and positions: the native twin of readRawOutput in
// src/models/neural/row-layout.ts, which stays the reference. Per column and row: the code is
// drawn from softmax(logits) times the condition's weights, then α (TVAE: a Gaussian around the
// output mean truncated to [-1, 1] by rejection; CTGAN: tanh of the output) becomes the position
// in the code's bin, or a uniform draw where the column has no α. Draws come from the sampling
// PRNG (marginal/rng.h), one stream per column and 4,096-row block, consumed in the same order as
// the TypeScript, so codes are the same for the same raw output, seed and first row, whatever the
// chunking or the thread count.
#pragma once
#include <cstdint>
#include <vector>

namespace hemasynth::neural {

// How α is read from the raw output.
enum class AlphaMode : int32_t { kGaussian = 0, kTanh = 1 };

// One column of the layout: `size` logits from `logit_offset` in a raw row, α's raw value at
// `alpha_offset` (-1: no α), and the condition's weights (`size` values >= 0, or null: all 1).
struct ReadoutColumn {
  int32_t size;
  int32_t logit_offset;
  int32_t alpha_offset;
  const double* weights;
};

// Where a column's results go: `rows` codes and `rows` positions in [0, 1).
struct ReadoutOutput {
  int32_t* codes;
  double* positions;
};

// Reads `rows` raw rows of `width` floats (row-major) whose first row is row `first_row` of the
// sample. Returns -1, or the smallest column whose condition weights allow no code (the caller
// reports it with the condition's text); the outputs are then unspecified. Throws
// hemasynth::Error on a layout that does not fit the raw width, weights that are not finite and
// >= 0, or a σ that is not finite and >= 0. threads <= 0: all cores.
int64_t read_raw_output(const float* raw, int64_t rows, int64_t width, const std::vector<ReadoutColumn>& columns,
                        AlphaMode alpha, double alpha_sigma, int32_t seed, int64_t first_row,
                        const std::vector<ReadoutOutput>& out, int threads);

}  // namespace hemasynth::neural
