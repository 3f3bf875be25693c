// Optimal full-domain generalisation over a lattice of hierarchy levels (ARX-compatible).
//
// Input records are pre-grouped into distinct level-0 code tuples ("combos") with record
// counts, so a dataset replicated a thousand times costs the same per lattice node as the
// original. A lattice node (one level per quasi-identifier) is checked by grouping records on
// their generalised codes, marking classes that break a class-level privacy criterion as
// suppressed, and comparing the suppressed share with the limit. When the models read class
// sizes only (k-anonymity, highest risk, the dataset-level risk thresholds) and no patient
// grouping applies, the search groups the class list of an already checked specialisation
// instead of the records (roll-up, class_rollup.h) and settles unknown nodes by galloping and
// bisecting along chains of generalisations before Flash's climb and predictive tagging; the
// other models use the record-level check. The visiting order and the tie-breaking are those of
// the record-level search, so both give the same optimum. References: Kohlmayer et al.,
// "Flash: efficient, stable and optimal k-anonymity", IEEE PASSAT 2012; Prasser et al., "ARX -
// a comprehensive tool for anonymizing biomedical data", AMIA 2014.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "anon/class_rollup.h"

namespace hemasynth {
namespace anon {

/** A quasi-identifier's hierarchy as integer maps: gen[level * card + code] = code at level. */
struct QuasiIdentifier {
  std::vector<int32_t> gen;  // height * card
  int32_t card = 0;          // distinct level-0 codes
  int32_t height = 0;        // number of levels including level 0
  std::vector<int32_t> level_card;  // distinct codes at each level (max + 1), derived
};

/** A sensitive attribute: codes ordered by value rank (for ordered distance), optional hierarchy. */
struct SensitiveAttribute {
  int32_t column = 0;             // column of the combo tuple holding its code
  int32_t card = 0;
  std::vector<int32_t> gen;       // optional hierarchy (height * card) for hierarchical t-closeness
  int32_t height = 0;
};

enum class ModelKind : int32_t {
  KAnonymity = 0,
  DistinctL = 1,
  EntropyL = 2,
  RecursiveCL = 3,
  TClosenessEqual = 4,
  TClosenessOrdered = 5,
  TClosenessHierarchical = 6,
  AverageRisk = 7,          // dataset level: mean prosecutor risk <= a
  HighestRisk = 8,          // class level: 1/size <= a
  SampleUniqueness = 9,     // dataset level: share of records in classes of size 1 <= a
  PopulationUniqueness = 10 // dataset level: Dankar estimate at sampling fraction b <= a
};

struct PrivacyModel {
  ModelKind kind = ModelKind::KAnonymity;
  double a = 0;        // k, l, t or a risk threshold
  double b = 0;        // c for recursive (c,l); sampling fraction for population uniqueness
  int32_t sensitive = -1;  // index into SearchInput::sensitive
};

enum class Metric : int32_t { NonUniformEntropy = 0, Loss = 1, Discernibility = 2, AverageClassSize = 3 };

struct SearchInput {
  size_t combos = 0;
  int32_t width = 0;                 // columns per combo tuple
  std::vector<int32_t> codes;        // combos * width, row-major
  std::vector<int64_t> counts;       // records per combo
  std::vector<int32_t> qi_columns;   // column of each quasi-identifier in the tuple
  std::vector<QuasiIdentifier> qis;
  std::vector<SensitiveAttribute> sensitive;
  int32_t patient_column = -1;       // >= 0: patient-level protection (counts distinct patients)
  std::vector<PrivacyModel> models;
  double suppression_limit = 0;      // share of records (patients) that may be suppressed
  Metric metric = Metric::NonUniformEntropy;
  int64_t max_nodes = 20000000;      // refuse larger lattices clearly
};

/** What one lattice node gives. */
struct NodeEvaluation {
  bool satisfied = false;
  int64_t records = 0;            // records (patients in patient mode) in the input
  int64_t suppressed = 0;         // suppressed records (patients)
  int64_t suppressed_rows = 0;    // suppressed input rows
  int64_t classes = 0;            // classes that are kept (not suppressed)
  double loss = 0;
  // Dataset-level risk of what is kept (used by the risk models and reported).
  double average_risk = 0;
  double highest_risk = 0;
  double sample_uniqueness = 0;
  double population_uniqueness = 0;
  std::string failure;            // why the node fails (first reason)
};

struct SearchResult {
  bool found = false;
  std::vector<int32_t> levels;
  NodeEvaluation best;
  int64_t lattice_size = 0;
  int64_t checks = 0;             // nodes whose classes were computed
  bool monotone = false;          // whether predictive tagging was used
  // When nothing satisfies: the node with the lowest suppression at the top of the lattice,
  // so the caller can say what is achievable.
  NodeEvaluation top;
};

/** Per-combo outcome at one node: class id (-1 when suppressed) and class sizes. */
struct NodeAssignment {
  NodeEvaluation evaluation;
  std::vector<int32_t> class_of_combo;   // class id of each combo
  std::vector<uint8_t> suppressed_combo; // 1 when the combo's class is suppressed
  std::vector<int64_t> class_records;    // records per class
  std::vector<int64_t> class_units;      // records or patients per class (what k counts)
};

class LatticeSearch {
 public:
  explicit LatticeSearch(SearchInput input);
  SearchResult run();
  NodeAssignment assign(const std::vector<int32_t>& levels);
  NodeEvaluation evaluate(const std::vector<int32_t>& levels);
  /** Per-level additive loss of each quasi-identifier (NUE, or generalisation loss). */
  const std::vector<std::vector<double>>& additive_loss() const { return additive_; }

 private:
  struct Scratch;
  NodeEvaluation check(const std::vector<int32_t>& levels, NodeAssignment* out);
  NodeEvaluation finish(const std::vector<int32_t>& levels, const std::vector<int64_t>& class_units,
                        const std::vector<uint8_t>& bad, const std::vector<int32_t>& class_rep, int64_t suppressed_units,
                        int64_t suppressed_rows, const std::vector<int64_t>& kept_rows_of, const std::string& first_reason);
  double generalisation_loss(size_t j, int32_t level, int32_t code) const;
  std::vector<std::vector<std::vector<double>>> level_leaves_;  // [qi][level][generalised code] -> leaves
  std::vector<int64_t> class_rows_scratch_;  // suppressed rows per class of the node being checked
  void validate();
  void precompute();
  // Roll-up search path (class-size models only): what one class list decides.
  struct FastCheck { bool satisfied = false; double loss = 0; };
  struct Explorer;
  bool prepare_rollup();
  FastCheck decide(const ClassList& classes, const std::vector<int32_t>& levels);
  PackedKeyLayout layout_;
  ClassList bottom_;                 // level-0 classes
  int64_t class_threshold_ = 0;      // classes smaller than this are suppressed
  bool has_dataset_models_ = false;  // average risk, sample or population uniqueness
  bool needs_kept_sizes_ = false;    // population uniqueness reads the kept class sizes

  SearchInput in_;
  std::vector<std::vector<double>> additive_;   // [qi][level] loss (NUE or generalisation loss)
  std::vector<std::vector<double>> combo_gen_loss_;  // unused when metric != Loss
  std::vector<int32_t> patient_order_;          // combos sorted by patient
  std::vector<size_t> patient_begin_;
  int64_t total_records_ = 0;
  int64_t total_units_ = 0;
  int64_t total_rows_ = 0;
  std::vector<std::vector<double>> global_sensitive_;  // distribution of each sensitive attribute
};

/** Groups n rows of `width` int32 columns (column-major, col j at [j*n, (j+1)*n)) into distinct tuples. */
struct RowGrouping {
  std::vector<int32_t> codes;   // distinct tuples, row-major
  std::vector<int64_t> counts;
  std::vector<int32_t> row_combo;
};
RowGrouping group_rows(const int32_t* columns, size_t n, int32_t width, int threads);

}  // namespace anon
}  // namespace hemasynth
