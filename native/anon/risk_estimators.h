// Re-identification risk from the sizes of equivalence classes.
//
// Prosecutor risk of a record is 1/|class|; population uniqueness is estimated from the
// histogram of class sizes with the models ARX implements: Pitman (Hoshino 2001, maximum
// likelihood by Newton-Raphson on the closed forms with polygamma functions), Zayatz (1991,
// hypergeometric), the slide negative binomial (SNB, Chen & Keller-McNulty 1998, with the
// Shlosser estimate of non-empty population classes, Haas et al. 1995) and Dankar et al.'s
// decision rule (BMC Med Inform Decis Mak 2012): Pitman when the sampling fraction is at most
// 0.1, else the smaller of Zayatz and SNB, falling back to Zayatz when a model has no solution.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

namespace hemasynth {
namespace anon {

/** Histogram of class sizes: size -> number of classes of that size. */
using ClassSizeHistogram = std::map<int64_t, int64_t>;

ClassSizeHistogram histogram_of(const std::vector<int64_t>& class_sizes);

struct PopulationUniqueness {
  double pitman = 0, zayatz = 0, snb = 0, dankar = 0;  // shares of the population that are unique
  int32_t dankar_model = 0;  // 0 none (no sample uniques), 1 Pitman, 2 Zayatz, 3 SNB
};

/** Estimates population uniqueness for a sample drawn with `sampling_fraction` (0, 1]. */
PopulationUniqueness population_uniqueness(const ClassSizeHistogram& hist, double sampling_fraction);

/** The number of uniques estimated by each model (NaN when it has no solution). */
double pitman_uniques(const ClassSizeHistogram& hist, double sampling_fraction);
double zayatz_uniques(const ClassSizeHistogram& hist, double sampling_fraction);
double snb_uniques(const ClassSizeHistogram& hist, double sampling_fraction);

double digamma(double x);
double trigamma(double x);

}  // namespace anon
}  // namespace hemasynth
