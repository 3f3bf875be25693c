// Forward (ancestral) sampling of a tree-structured graphical model given as conditional
// probability tables: the root's marginal, each other node's P(node | parent) row-major.
#pragma once
#include <cstdint>
#include <vector>

namespace hemasynth::marginal {

// Returns codes column-major (rows x d). order: a topological order (parents first); parent[j] = -1
// for roots; cpt + cpt_offsets[j]: sizes[j] probabilities (root) or sizes[parent] x sizes[j].
// Block b of kSamplingBlockRows rows draws from the stream (seed, b): results do not depend on threads.
std::vector<int32_t> sample_tree(const int32_t* order, const int32_t* parent, const int32_t* sizes, int64_t d,
                                 const double* cpt, int64_t cpt_len, const int32_t* cpt_offsets,
                                 int64_t rows, int32_t seed, int threads);

// Decodes bin codes to values, column by column (see src/transform/decode.ts: the same
// arithmetic and uniform streams). params per column: integer, lo, hi, rLo, rHi, loOpen, hiOpen,
// missing code. Missing rows get 0 (the caller marks them invalid).
std::vector<double> decode_bins(const int32_t* codes, int64_t rows, int64_t m, const double* edges, int64_t edges_len,
                                const int32_t* edge_offsets, const double* params, const int32_t* streams,
                                int32_t seed, int threads);

}  // namespace hemasynth::marginal
