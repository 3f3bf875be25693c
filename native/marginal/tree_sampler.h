// Forward (ancestral) sampling of a Bayesian network given as conditional probability tables
// (a tree, or the junction-tree models of the marginal generator whose nodes have several
// parents): a root's marginal, each other node's P(node | parents) row-major, mixed radix over
// the parents' codes in list order (first parent most significant).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hemasynth::marginal {

// Writes codes into out_columns[j] (column j, rows codes each; out_columns_len must be d; every
// element is written, so the columns need not be initialised; one array per column rather than
// one rows·d block because on a virtual machine the first touch of a fresh block of that size
// cost more than the sampling, while column-sized arrays reuse the allocator's pages). order: a topological order (parents first); node j's
// parents are parent_list[parent_start[j] .. parent_start[j+1]) (parent_start has d + 1 entries);
// a column enters its children's tables at its level: level_map holds, column after column, the
// level in [0, levels[c]) of each of its sizes[c] codes (the identity where it is not coarsened);
// cpt + cpt_offsets[j]: (product of the parents' levels) x sizes[j] probabilities.
// Block b of kSamplingBlockRows rows draws from the stream (seed, b): results do not depend on threads.
void sample_tree(const int32_t* order, const int32_t* parent_start, const int32_t* parent_list, int64_t parent_list_len,
                 const int32_t* sizes, int64_t d, const int32_t* level_map, int64_t level_map_len, const int32_t* levels,
                 const double* cpt, int64_t cpt_len, const int32_t* cpt_offsets,
                 int64_t rows, int32_t seed, int threads, int32_t* const* out_columns, size_t out_columns_len);

}  // namespace hemasynth::marginal
