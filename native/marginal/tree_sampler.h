// Forward (ancestral) sampling of a tree-structured graphical model, or of its extension where a
// node may have a second parent adjacent to its first (a decomposable model of treewidth 2),
// given as conditional probability tables: the root's marginal, each other node's
// P(node | parent[, parent2]) row-major over (parent code, parent2 code).
#pragma once
#include <cstdint>
#include <vector>

namespace hemasynth::marginal {

// Returns codes column-major (rows x d). order: a topological order (parents first); parent[j] = -1
// for roots; parent2[j] = -1 or a second parent; cpt + cpt_offsets[j]: sizes[j] probabilities
// (root) or sizes[parent] x (sizes[parent2]) x sizes[j].
// Block b of kSamplingBlockRows rows draws from the stream (seed, b): results do not depend on threads.
std::vector<int32_t> sample_tree(const int32_t* order, const int32_t* parent, const int32_t* parent2, const int32_t* sizes, int64_t d,
                                 const double* cpt, int64_t cpt_len, const int32_t* cpt_offsets,
                                 int64_t rows, int32_t seed, int threads);

}  // namespace hemasynth::marginal
