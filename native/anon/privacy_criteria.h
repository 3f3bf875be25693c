// Class-level criteria on the distribution of a sensitive attribute within one class.
//  - distinct l-diversity and entropy l-diversity: Machanavajjhala et al., "l-Diversity:
//    privacy beyond k-anonymity", ICDE 2006 (entropy compared in bits: H >= log2 l, as ARX);
//  - recursive (c,l)-diversity: r1 < c (r_l + ... + r_m) for counts sorted decreasingly (same paper);
//  - t-closeness: Li, Li & Venkatasubramanian, ICDE 2007, with the earth mover's distance
//    for equal ground distance (half the L1 distance), ordered distance (cumulative
//    differences over m - 1) and hierarchical distance (cost of moving mass between subtrees).
#pragma once
#include <cstdint>
#include <vector>

#include "anon/lattice_search.h"

namespace hemasynth {
namespace anon {

/** Whether `model` holds for one class whose sensitive counts are hist[0..card). */
bool sensitive_criterion_holds(const PrivacyModel& model, const int64_t* hist, const SensitiveAttribute& attr,
                               const std::vector<double>& global);

/** Earth mover's distance between a class distribution and the global one. */
double emd_equal(const int64_t* hist, int32_t card, const std::vector<double>& global);
double emd_ordered(const int64_t* hist, int32_t card, const std::vector<double>& global);
double emd_hierarchical(const int64_t* hist, const SensitiveAttribute& attr, const std::vector<double>& global);
/** Shannon entropy (bits) of the counts. */
double entropy_bits(const int64_t* hist, int32_t card);

}  // namespace anon
}  // namespace hemasynth
