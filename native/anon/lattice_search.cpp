#include "anon/lattice_search.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "anon/class_rollup.h"
#include "anon/key_table.h"
#include "anon/privacy_criteria.h"
#include "anon/risk_estimators.h"
#include "common/error.h"

namespace hemasynth {
namespace anon {

struct LatticeSearch::Scratch {
  KeyTable table;
  KeyTable column_table;  // dense recoding when the mixed-radix key would overflow 64 bits
  std::vector<uint64_t> keys;
};

namespace {
bool is_class_level(ModelKind k) {
  return k == ModelKind::KAnonymity || k == ModelKind::DistinctL || k == ModelKind::EntropyL ||
         k == ModelKind::RecursiveCL || k == ModelKind::TClosenessEqual || k == ModelKind::TClosenessOrdered ||
         k == ModelKind::TClosenessHierarchical || k == ModelKind::HighestRisk;
}
bool needs_sensitive(ModelKind k) {
  return k == ModelKind::DistinctL || k == ModelKind::EntropyL || k == ModelKind::RecursiveCL ||
         k == ModelKind::TClosenessEqual || k == ModelKind::TClosenessOrdered || k == ModelKind::TClosenessHierarchical;
}
const char* model_name(ModelKind k) {
  switch (k) {
    case ModelKind::KAnonymity: return "k-anonymity";
    case ModelKind::DistinctL: return "distinct l-diversity";
    case ModelKind::EntropyL: return "entropy l-diversity";
    case ModelKind::RecursiveCL: return "recursive (c,l)-diversity";
    case ModelKind::TClosenessEqual: return "t-closeness (equal distance)";
    case ModelKind::TClosenessOrdered: return "t-closeness (ordered distance)";
    case ModelKind::TClosenessHierarchical: return "t-closeness (hierarchical distance)";
    case ModelKind::AverageRisk: return "average prosecutor risk";
    case ModelKind::HighestRisk: return "highest prosecutor risk";
    case ModelKind::SampleUniqueness: return "sample uniqueness";
    case ModelKind::PopulationUniqueness: return "population uniqueness";
  }
  return "model";
}
}  // namespace

LatticeSearch::LatticeSearch(SearchInput input) : in_(std::move(input)) {
  validate();
  precompute();
}

void LatticeSearch::validate() {
  require(in_.width > 0, "width", "expected at least one column per combination");
  require(in_.codes.size() == checked_mul(in_.combos, static_cast<size_t>(in_.width), "codes"), "codes",
          "expected combos * width codes but received " + std::to_string(in_.codes.size()));
  require(in_.counts.size() == in_.combos, "counts", "expected one count per combination");
  for (int64_t c : in_.counts)
    if (c < 0) require(false, "counts", "expected non-negative counts");
  require(!in_.qis.empty(), "quasiIdentifiers", "expected at least one quasi-identifier");
  require(in_.qi_columns.size() == in_.qis.size(), "quasiIdentifiers", "expected one column per quasi-identifier");
  double lattice = 1;
  for (size_t j = 0; j < in_.qis.size(); ++j) {
    auto& q = in_.qis[j];
    std::string f = "quasiIdentifiers[" + std::to_string(j) + "]";
    require(q.card > 0 && q.height > 0, f.c_str(), "expected card > 0 and height > 0");
    require(q.gen.size() == checked_mul(static_cast<size_t>(q.card), static_cast<size_t>(q.height), f.c_str()),
            f.c_str(), "expected gen of height * card entries");
    int32_t col = in_.qi_columns[j];
    require(col >= 0 && col < in_.width, f.c_str(), "column out of range");
    // Messages are built only on failure: these loops run over every combination.
    for (int32_t g : q.gen)
      if (g < 0 || g >= q.card) require(false, f.c_str(), "generalised code out of range");
    for (size_t i = 0; i < in_.combos; ++i) {
      int32_t v = in_.codes[i * in_.width + col];
      if (v < 0 || v >= q.card) require(false, f.c_str(), "code " + std::to_string(v) + " outside the hierarchy");
    }
    for (int32_t l = 0; l + 1 < q.height; ++l) {
      std::vector<int32_t> parent(q.card, -1);
      for (int32_t v = 0; v < q.card; ++v) {
        int32_t a = q.gen[l * q.card + v], b = q.gen[(l + 1) * q.card + v];
        if (parent[a] >= 0 && parent[a] != b)
          require(false, f.c_str(),
                  "the hierarchy is not a tree: a level-" + std::to_string(l) + " code generalises to two codes at the next level");
        parent[a] = b;
      }
    }
    q.level_card.assign(q.height, 0);
    for (int32_t l = 0; l < q.height; ++l)
      for (int32_t v = 0; v < q.card; ++v) q.level_card[l] = std::max(q.level_card[l], q.gen[l * q.card + v] + 1);
    lattice *= q.height;
  }
  require(lattice <= static_cast<double>(in_.max_nodes), "quasiIdentifiers",
          "the generalisation lattice has " + std::to_string(lattice) + " nodes, more than the limit of " +
              std::to_string(in_.max_nodes) + "; use fewer quasi-identifiers or shorter hierarchies");
  for (size_t s = 0; s < in_.sensitive.size(); ++s) {
    auto& a = in_.sensitive[s];
    std::string f = "sensitive[" + std::to_string(s) + "]";
    require(a.column >= 0 && a.column < in_.width, f.c_str(), "column out of range");
    require(a.card > 0, f.c_str(), "expected card > 0");
    if (!a.gen.empty()) {
      require(a.height > 0 && a.gen.size() == static_cast<size_t>(a.card) * a.height, f.c_str(),
              "expected a hierarchy of height * card entries");
      for (int32_t g : a.gen)
        if (g < 0 || g >= a.card) require(false, f.c_str(), "generalised code out of range");
    }
    for (size_t i = 0; i < in_.combos; ++i) {
      int32_t v = in_.codes[i * in_.width + a.column];
      if (v < 0 || v >= a.card) require(false, f.c_str(), "sensitive code out of range");
    }
  }
  if (in_.patient_column >= 0) {
    require(in_.patient_column < in_.width, "patientColumn", "column out of range");
    for (size_t i = 0; i < in_.combos; ++i)
      if (in_.codes[i * in_.width + in_.patient_column] < 0) require(false, "patientColumn", "expected non-negative patient codes");
  }
  require(in_.suppression_limit >= 0 && in_.suppression_limit <= 1, "suppressionLimit", "expected a share in [0, 1]");
  require(!in_.models.empty(), "models", "expected at least one privacy model");
  for (size_t i = 0; i < in_.models.size(); ++i) {
    const auto& m = in_.models[i];
    std::string f = "models[" + std::to_string(i) + "]";
    int32_t kind = static_cast<int32_t>(m.kind);
    require(kind >= 0 && kind <= 10, f.c_str(), "unknown model kind");
    if (needs_sensitive(m.kind)) {
      require(m.sensitive >= 0 && static_cast<size_t>(m.sensitive) < in_.sensitive.size(), f.c_str(),
              "expected a sensitive attribute");
      require(in_.patient_column < 0, f.c_str(),
              std::string(model_name(m.kind)) + " is evaluated per record; it is not available with patient-level protection");
      if (m.kind == ModelKind::TClosenessHierarchical)
        require(!in_.sensitive[m.sensitive].gen.empty(), f.c_str(), "expected a hierarchy for the sensitive attribute");
    }
    switch (m.kind) {
      case ModelKind::KAnonymity: require(m.a >= 1, f.c_str(), "expected k >= 1"); break;
      case ModelKind::DistinctL: case ModelKind::EntropyL: require(m.a >= 1, f.c_str(), "expected l >= 1"); break;
      case ModelKind::RecursiveCL: require(m.a >= 1 && m.b > 0, f.c_str(), "expected l >= 1 and c > 0"); break;
      case ModelKind::TClosenessEqual: case ModelKind::TClosenessOrdered: case ModelKind::TClosenessHierarchical:
        require(m.a >= 0 && m.a <= 1, f.c_str(), "expected t in [0, 1]"); break;
      case ModelKind::PopulationUniqueness:
        require(m.b > 0 && m.b <= 1, f.c_str(), "expected a sampling fraction in (0, 1]");
        require(m.a >= 0 && m.a <= 1, f.c_str(), "expected a threshold in [0, 1]"); break;
      default: require(m.a >= 0 && m.a <= 1, f.c_str(), "expected a threshold in [0, 1]");
    }
  }
}

void LatticeSearch::precompute() {
  const size_t m = in_.combos;
  total_rows_ = 0;
  for (int64_t c : in_.counts) total_rows_ += c;
  total_records_ = total_rows_;
  additive_.assign(in_.qis.size(), {});
  for (size_t j = 0; j < in_.qis.size(); ++j) {
    const auto& q = in_.qis[j];
    std::vector<double> freq(q.card, 0.0);
    for (size_t i = 0; i < m; ++i) freq[in_.codes[i * in_.width + in_.qi_columns[j]]] += static_cast<double>(in_.counts[i]);
    additive_[j].assign(q.height, 0.0);
    for (int32_t l = 0; l < q.height; ++l) {
      std::vector<double> group(q.card, 0.0), leaves(q.card, 0.0);
      for (int32_t v = 0; v < q.card; ++v) { group[q.gen[l * q.card + v]] += freq[v]; leaves[q.gen[l * q.card + v]] += 1; }
      double s = 0;
      for (int32_t v = 0; v < q.card; ++v) {
        if (freq[v] <= 0) continue;
        int32_t g = q.gen[l * q.card + v];
        if (in_.metric == Metric::Loss) {
          s += freq[v] * (q.card > 1 ? (leaves[g] - 1) / (q.card - 1) : 0.0);
        } else {
          // Non-uniform entropy (Gionis & Tassa 2009; ARX): -log2 P(original value | generalised value).
          s += freq[v] * -std::log2(freq[v] / group[g]);
        }
      }
      additive_[j][l] = s;
    }
  }
  level_leaves_.assign(in_.qis.size(), {});
  for (size_t j = 0; j < in_.qis.size(); ++j) {
    const auto& q = in_.qis[j];
    level_leaves_[j].assign(q.height, {});
    for (int32_t l = 0; l < q.height; ++l) {
      level_leaves_[j][l].assign(q.level_card[l], 0.0);
      for (int32_t v = 0; v < q.card; ++v) level_leaves_[j][l][q.gen[l * q.card + v]] += 1;
    }
  }
  if (in_.patient_column >= 0) {
    patient_order_.resize(m);
    std::iota(patient_order_.begin(), patient_order_.end(), 0);
    const int32_t pc = in_.patient_column, w = in_.width;
    std::stable_sort(patient_order_.begin(), patient_order_.end(),
                     [&](int32_t a, int32_t b) { return in_.codes[a * w + pc] < in_.codes[b * w + pc]; });
    patient_begin_.clear();
    for (size_t i = 0; i < m; ++i)
      if (i == 0 || in_.codes[patient_order_[i] * w + pc] != in_.codes[patient_order_[i - 1] * w + pc]) patient_begin_.push_back(i);
    patient_begin_.push_back(m);
    total_records_ = static_cast<int64_t>(patient_begin_.size() - 1);
  }
  total_units_ = total_records_;
  global_sensitive_.assign(in_.sensitive.size(), {});
  for (size_t s = 0; s < in_.sensitive.size(); ++s) {
    auto& d = global_sensitive_[s];
    d.assign(in_.sensitive[s].card, 0.0);
    for (size_t i = 0; i < m; ++i) d[in_.codes[i * in_.width + in_.sensitive[s].column]] += static_cast<double>(in_.counts[i]);
    for (double& x : d) x /= std::max<double>(1, static_cast<double>(total_rows_));
  }
}

double LatticeSearch::generalisation_loss(size_t j, int32_t level, int32_t code) const {
  const auto& q = in_.qis[j];
  if (q.card <= 1) return 0.0;
  int32_t g = q.gen[static_cast<size_t>(level) * q.card + code];
  return (level_leaves_[j][level][g] - 1) / static_cast<double>(q.card - 1);
}

NodeEvaluation LatticeSearch::finish(const std::vector<int32_t>& levels, const std::vector<int64_t>& units,
                                     const std::vector<uint8_t>& bad, const std::vector<int32_t>& class_rep,
                                     int64_t suppressed_units, int64_t suppressed_rows,
                                     const std::vector<int64_t>& kept_rows_of, const std::string& first_reason) {
  const size_t nc = units.size(), q = in_.qis.size();
  NodeEvaluation ev;
  ev.records = total_units_;
  ev.suppressed = suppressed_units;
  ev.suppressed_rows = suppressed_rows;
  const int64_t max_outliers = static_cast<int64_t>(std::floor(in_.suppression_limit * static_cast<double>(total_units_) + 1e-9));
  bool ok = suppressed_units <= max_outliers;
  if (!ok) ev.failure = "more than the allowed suppression (" + first_reason + ")";
  // Dataset-level risk of the kept classes.
  std::vector<int64_t> kept;
  kept.reserve(nc);
  int64_t kept_units = 0, kept_rows = 0;
  for (size_t c = 0; c < nc; ++c)
    if (!bad[c] && units[c] > 0) { kept.push_back(units[c]); kept_units += units[c]; kept_rows += kept_rows_of[c]; }
  ev.classes = static_cast<int64_t>(kept.size());
  if (kept_units > 0) {
    ev.average_risk = static_cast<double>(kept.size()) / static_cast<double>(kept_units);
    int64_t mn = *std::min_element(kept.begin(), kept.end());
    ev.highest_risk = 1.0 / static_cast<double>(mn);
    int64_t uniq = 0;
    for (int64_t s : kept) uniq += s == 1;
    ev.sample_uniqueness = static_cast<double>(uniq) / static_cast<double>(kept_units);
  }
  for (const auto& model : in_.models) {
    if (is_class_level(model.kind) || !ok) continue;
    double v = 0;
    if (model.kind == ModelKind::AverageRisk) v = ev.average_risk;
    else if (model.kind == ModelKind::SampleUniqueness) v = ev.sample_uniqueness;
    else {
      v = population_uniqueness(histogram_of(kept), model.b).dankar;
      ev.population_uniqueness = v;
    }
    if (v > model.a + 1e-12) { ok = false; ev.failure = std::string(model_name(model.kind)) + " above its threshold"; }
  }
  ev.satisfied = ok;
  switch (in_.metric) {
    case Metric::NonUniformEntropy: {
      // Monotonic variant (ARX): suppressed records are charged at their generalised level.
      double s = 0;
      for (size_t j = 0; j < q; ++j) s += additive_[j][levels[j]];
      ev.loss = s;
      break;
    }
    case Metric::Loss: {
      // Generalisation loss (Iyengar 2002): (leaves under the label - 1) / (domain - 1) per
      // attribute, averaged over records and attributes; a suppressed record loses 1 per attribute.
      double s = 0;
      for (size_t j = 0; j < q; ++j) s += additive_[j][levels[j]];
      for (size_t c = 0; c < nc; ++c) {
        if (class_rows_scratch_[c] == 0 || class_rep[c] < 0) continue;
        const int32_t* row = in_.codes.data() + static_cast<size_t>(class_rep[c]) * in_.width;
        double per = 0;
        for (size_t j = 0; j < q; ++j) per += 1.0 - generalisation_loss(j, levels[j], row[in_.qi_columns[j]]);
        s += per * static_cast<double>(class_rows_scratch_[c]);
      }
      ev.loss = total_rows_ > 0 ? s / (static_cast<double>(total_rows_) * static_cast<double>(q)) : 0;
      break;
    }
    case Metric::Discernibility: {
      // Bayardo & Agrawal 2005: |E|^2 for kept classes, |D| for each suppressed record.
      double s = 0;
      for (size_t c = 0; c < nc; ++c) s += static_cast<double>(kept_rows_of[c]) * static_cast<double>(kept_rows_of[c]);
      s += static_cast<double>(suppressed_rows) * static_cast<double>(total_rows_);
      ev.loss = s;
      break;
    }
    case Metric::AverageClassSize:
      // LeFevre et al. 2006 (C_AVG without the k normalisation): kept records per kept class.
      ev.loss = ev.classes > 0 ? static_cast<double>(kept_rows) / static_cast<double>(ev.classes) : static_cast<double>(total_rows_);
      break;
  }
  return ev;
}

NodeEvaluation LatticeSearch::evaluate(const std::vector<int32_t>& levels) { return check(levels, nullptr); }

NodeAssignment LatticeSearch::assign(const std::vector<int32_t>& levels) {
  NodeAssignment a;
  a.evaluation = check(levels, &a);
  return a;
}

NodeEvaluation LatticeSearch::check(const std::vector<int32_t>& levels, NodeAssignment* out) {
  const size_t m = in_.combos, q = in_.qis.size();
  const int32_t w = in_.width;
  require(levels.size() == q, "levels", "expected one level per quasi-identifier");
  for (size_t j = 0; j < q; ++j)
    require(levels[j] >= 0 && levels[j] < in_.qis[j].height, "levels",
            "level " + std::to_string(levels[j]) + " outside the hierarchy of quasi-identifier " + std::to_string(j));
  thread_local Scratch scratch;
  // 1. Class of every combination: a mixed-radix key of generalised codes when it fits in 64
  //    bits, else dense recoding column by column.
  std::vector<int32_t> cls(m);
  double product = 1;
  for (size_t j = 0; j < q; ++j) product *= static_cast<double>(in_.qis[j].level_card[levels[j]]);
  KeyTable& table = scratch.table;
  table.reset(m);
  if (product < 9.0e18) {
    std::vector<uint64_t> stride(q);
    uint64_t s = 1;
    for (size_t j = 0; j < q; ++j) { stride[j] = s; s *= static_cast<uint64_t>(in_.qis[j].level_card[levels[j]]); }
    std::vector<const int32_t*> gen(q);
    std::vector<int32_t> col(q);
    for (size_t j = 0; j < q; ++j) { gen[j] = in_.qis[j].gen.data() + static_cast<size_t>(levels[j]) * in_.qis[j].card; col[j] = in_.qi_columns[j]; }
    for (size_t i = 0; i < m; ++i) {
      const int32_t* row = in_.codes.data() + i * w;
      uint64_t key = 0;
      for (size_t j = 0; j < q; ++j) key += static_cast<uint64_t>(gen[j][row[col[j]]]) * stride[j];
      cls[i] = table.id(key);
    }
  } else {
    std::vector<uint64_t> prefix(m, 0);
    for (size_t j = 0; j < q; ++j) {
      KeyTable& ct = scratch.column_table;
      ct.reset(m);
      const int32_t* gen = in_.qis[j].gen.data() + static_cast<size_t>(levels[j]) * in_.qis[j].card;
      uint64_t card = static_cast<uint64_t>(in_.qis[j].card);
      for (size_t i = 0; i < m; ++i) prefix[i] = static_cast<uint64_t>(ct.id(prefix[i] * card + gen[in_.codes[i * w + in_.qi_columns[j]]]));
    }
    for (size_t i = 0; i < m; ++i) cls[i] = table.id(prefix[i]);
  }
  const size_t nc = table.size();
  std::vector<int64_t> rows(nc, 0);
  for (size_t i = 0; i < m; ++i) rows[cls[i]] += in_.counts[i];

  // 2. Sensitive distributions per class for the models that need them.
  std::vector<std::vector<int64_t>> sens(in_.sensitive.size());
  for (const auto& model : in_.models) {
    if (!needs_sensitive(model.kind) || !sens[model.sensitive].empty()) continue;
    const auto& sa = in_.sensitive[model.sensitive];
    auto& h = sens[model.sensitive];
    h.assign(checked_mul(nc, static_cast<size_t>(sa.card), "sensitive"), 0);
    for (size_t i = 0; i < m; ++i) h[static_cast<size_t>(cls[i]) * sa.card + in_.codes[i * w + sa.column]] += in_.counts[i];
  }

  // 3. Class-level criteria; records of failing classes are suppressed.
  std::vector<uint8_t> bad(nc, 0);
  std::vector<int64_t> units = rows;
  std::vector<uint8_t> patient_out;
  std::string first_reason;
  auto class_fails = [&](size_t c, int64_t size) -> const PrivacyModel* {
    for (const auto& model : in_.models) {
      if (!is_class_level(model.kind)) continue;
      bool ok = true;
      switch (model.kind) {
        case ModelKind::KAnonymity: ok = static_cast<double>(size) >= model.a; break;
        case ModelKind::HighestRisk: ok = size > 0 && 1.0 / static_cast<double>(size) <= model.a + 1e-12; break;
        default: {
          const auto& sa = in_.sensitive[model.sensitive];
          const int64_t* h = sens[model.sensitive].data() + c * sa.card;
          ok = sensitive_criterion_holds(model, h, sa, global_sensitive_[model.sensitive]);
        }
      }
      if (!ok) return &model;
    }
    return nullptr;
  };
  int64_t suppressed_units = 0, suppressed_rows = 0;
  if (in_.patient_column < 0) {
    for (size_t c = 0; c < nc; ++c) {
      const PrivacyModel* f = class_fails(c, rows[c]);
      if (f) {
        bad[c] = 1;
        suppressed_units += rows[c];
        if (first_reason.empty()) first_reason = model_name(f->kind);
      }
    }
    suppressed_rows = suppressed_units;
  } else {
    // Patient level: a class counts distinct patients; a patient with any row in a failing
    // class is suppressed with all of its rows, which can make further classes fail.
    const size_t np = patient_begin_.size() - 1;
    patient_out.assign(np, 0);
    std::vector<int32_t> seen;
    for (int round = 0; round < 1000; ++round) {
      std::fill(units.begin(), units.end(), 0);
      for (size_t p = 0; p < np; ++p) {
        if (patient_out[p]) continue;
        seen.clear();
        for (size_t r = patient_begin_[p]; r < patient_begin_[p + 1]; ++r) seen.push_back(cls[patient_order_[r]]);
        std::sort(seen.begin(), seen.end());
        seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
        for (int32_t c : seen) ++units[c];
      }
      bool changed = false;
      for (size_t c = 0; c < nc; ++c) {
        if (units[c] == 0 || bad[c]) continue;
        const PrivacyModel* f = class_fails(c, units[c]);
        if (f) { bad[c] = 1; changed = true; if (first_reason.empty()) first_reason = model_name(f->kind); }
      }
      if (!changed) break;
      for (size_t p = 0; p < np; ++p) {
        if (patient_out[p]) continue;
        for (size_t r = patient_begin_[p]; r < patient_begin_[p + 1]; ++r)
          if (bad[cls[patient_order_[r]]]) { patient_out[p] = 1; break; }
      }
    }
    for (size_t p = 0; p < np; ++p) {
      if (!patient_out[p]) continue;
      ++suppressed_units;
      for (size_t r = patient_begin_[p]; r < patient_begin_[p + 1]; ++r) suppressed_rows += in_.counts[patient_order_[r]];
    }
  }

  std::vector<uint8_t> combo_out(m, 0);
  if (in_.patient_column < 0) {
    for (size_t i = 0; i < m; ++i) combo_out[i] = bad[cls[i]];
  } else {
    for (size_t p = 0; p + 1 < patient_begin_.size(); ++p)
      if (patient_out[p])
        for (size_t r = patient_begin_[p]; r < patient_begin_[p + 1]; ++r) combo_out[patient_order_[r]] = 1;
  }
  std::vector<int64_t> kept_rows_of(nc, 0);
  for (size_t i = 0; i < m; ++i) if (!combo_out[i]) kept_rows_of[cls[i]] += in_.counts[i];

  std::vector<int32_t> class_rep(nc, -1);
  for (size_t i = 0; i < m; ++i) if (class_rep[cls[i]] < 0) class_rep[cls[i]] = static_cast<int32_t>(i);
  class_rows_scratch_.assign(nc, 0);
  for (size_t i = 0; i < m; ++i) if (combo_out[i]) class_rows_scratch_[cls[i]] += in_.counts[i];
  NodeEvaluation ev = finish(levels, units, bad, class_rep, suppressed_units, suppressed_rows, kept_rows_of, first_reason);

  if (out) {
    out->class_of_combo = cls;
    out->suppressed_combo = combo_out;
    out->class_records = rows;
    out->class_units = units;
  }
  return ev;
}

LatticeSearch::FastCheck LatticeSearch::decide(const ClassList& classes, const std::vector<int32_t>& levels) {
  // Mirrors finish() for the models and metrics a class list can answer, in the same order of
  // operations, so the satisfied flag and the loss are identical to a record-level check.
  const size_t nc = classes.size(), q = in_.qis.size();
  const uint32_t* counts = classes.counts.data();
  const int64_t max_outliers = static_cast<int64_t>(std::floor(in_.suppression_limit * static_cast<double>(total_units_) + 1e-9));
  const int64_t threshold = class_threshold_;
  int64_t suppressed = 0;
  for (size_t c = 0; c < nc; ++c) suppressed += counts[c] < threshold ? static_cast<int64_t>(counts[c]) : 0;
  FastCheck r;
  r.satisfied = suppressed <= max_outliers;
  if (r.satisfied && has_dataset_models_) {
    int64_t kept_classes = 0, kept_units = 0, uniq = 0;
    std::vector<int64_t> kept;
    for (size_t c = 0; c < nc; ++c) {
      const int64_t size = counts[c];
      if (size < threshold || size == 0) continue;
      ++kept_classes;
      kept_units += size;
      uniq += size == 1;
      if (needs_kept_sizes_) kept.push_back(size);
    }
    double average = 0, uniqueness = 0;
    if (kept_units > 0) {
      average = static_cast<double>(kept_classes) / static_cast<double>(kept_units);
      uniqueness = static_cast<double>(uniq) / static_cast<double>(kept_units);
    }
    for (const auto& model : in_.models) {
      if (is_class_level(model.kind)) continue;
      double v = 0;
      if (model.kind == ModelKind::AverageRisk) v = average;
      else if (model.kind == ModelKind::SampleUniqueness) v = uniqueness;
      else v = population_uniqueness(histogram_of(kept), model.b).dankar;
      if (v > model.a + 1e-12) r.satisfied = false;
    }
  }
  switch (in_.metric) {
    case Metric::NonUniformEntropy: {
      double s = 0;
      for (size_t j = 0; j < q; ++j) s += additive_[j][levels[j]];
      r.loss = s;
      break;
    }
    case Metric::Loss: {
      double s = 0;
      for (size_t j = 0; j < q; ++j) s += additive_[j][levels[j]];
      for (size_t c = 0; c < nc; ++c) {
        if (counts[c] >= threshold || counts[c] == 0) continue;
        double per = 0;
        for (size_t j = 0; j < q; ++j) {
          const auto& qi = in_.qis[j];
          const double g = qi.card <= 1 ? 0.0
                                        : (level_leaves_[j][levels[j]][layout_.field(j, classes.keys[c])] - 1) / static_cast<double>(qi.card - 1);
          per += 1.0 - g;
        }
        s += per * static_cast<double>(counts[c]);
      }
      r.loss = total_rows_ > 0 ? s / (static_cast<double>(total_rows_) * static_cast<double>(q)) : 0;
      break;
    }
    case Metric::Discernibility: {
      double s = 0;
      for (size_t c = 0; c < nc; ++c) {
        const double kept = counts[c] < threshold ? 0.0 : static_cast<double>(counts[c]);
        s += kept * kept;
      }
      s += static_cast<double>(suppressed) * static_cast<double>(total_rows_);
      r.loss = s;
      break;
    }
    case Metric::AverageClassSize: {
      int64_t kept_classes = 0, kept_rows = 0;
      for (size_t c = 0; c < nc; ++c)
        if (counts[c] >= threshold && counts[c] > 0) { ++kept_classes; kept_rows += counts[c]; }
      r.loss = kept_classes > 0 ? static_cast<double>(kept_rows) / static_cast<double>(kept_classes) : static_cast<double>(total_rows_);
      break;
    }
  }
  return r;
}

bool LatticeSearch::prepare_rollup() {
  // Roll-up needs classes to carry everything the models read: no sensitive values, no
  // patient grouping, and counts that fit the 32-bit class counters.
  if (in_.patient_column >= 0 || total_rows_ >= (int64_t{1} << 32)) return false;
  for (const auto& m : in_.models) if (needs_sensitive(m.kind)) return false;
  const size_t q = in_.qis.size();
  std::vector<int32_t> cards(q), heights(q);
  std::vector<const int32_t*> gens(q);
  for (size_t j = 0; j < q; ++j) { cards[j] = in_.qis[j].card; heights[j] = in_.qis[j].height; gens[j] = in_.qis[j].gen.data(); }
  layout_ = PackedKeyLayout(cards, heights, gens);
  if (!layout_.fits()) return false;
  // Every class-level model left reads the class size only and holds from some size upward
  // (1/size is monotone under correctly rounded division), so one integer threshold decides.
  class_threshold_ = 0;
  has_dataset_models_ = false;
  needs_kept_sizes_ = false;
  for (const auto& m : in_.models) {
    int64_t t = 0;
    if (m.kind == ModelKind::KAnonymity) {
      t = static_cast<int64_t>(std::ceil(m.a));
    } else if (m.kind == ModelKind::HighestRisk) {
      auto holds = [&](int64_t size) { return size > 0 && 1.0 / static_cast<double>(size) <= m.a + 1e-12; };
      const double guess = m.a + 1e-12 >= 1 ? 1.0 : std::ceil(1.0 / (m.a + 1e-12));
      if (guess > 4.0e18) return false;
      t = std::max<int64_t>(1, static_cast<int64_t>(guess));
      while (t > 1 && holds(t - 1)) --t;
      while (!holds(t)) ++t;
    } else {
      has_dataset_models_ = true;
      needs_kept_sizes_ = needs_kept_sizes_ || m.kind == ModelKind::PopulationUniqueness;
      continue;
    }
    class_threshold_ = std::max(class_threshold_, t);
  }
  // Level-0 classes: the combinations grouped on their quasi-identifiers only.
  std::vector<uint64_t> keys(in_.combos);
  std::vector<uint32_t> counts(in_.combos);
  for (size_t i = 0; i < in_.combos; ++i) {
    const int32_t* row = in_.codes.data() + i * static_cast<size_t>(in_.width);
    uint64_t k = 0;
    for (size_t j = 0; j < q; ++j) k |= static_cast<uint64_t>(row[in_.qi_columns[j]]) << layout_.shift(j);
    keys[i] = k;
    counts[i] = static_cast<uint32_t>(in_.counts[i]);
  }
  ClassTable table;
  table.group(keys, counts, bottom_);
  return true;
}

// The search's view of the lattice: what it knows of every node, the class lists it keeps to
// roll up from, and its grouping table.
struct LatticeSearch::Explorer {
  struct Cached { int64_t node = -1; std::vector<int32_t> levels; ClassList classes; };

  LatticeSearch& search;
  const std::vector<int64_t>& radix;
  const std::vector<double>& bound;
  const bool monotone, exact, rollup;
  const size_t q;
  // 0 unknown, 1 fails (checked or implied by a failing generalisation), 2 holds (checked or
  // implied by a satisfying specialisation).
  std::vector<uint8_t> state;
  std::vector<Cached> cache;
  std::vector<int32_t> cache_slot, free_slots, cache_fifo;
  size_t cache_head = 0, cached_classes = 0, cache_cap = 0;
  ClassTable table;
  ClassList scratch;  // classes of the node being checked, copied into the cache when kept
  std::vector<int32_t> lv, src_levels, tag_levels;
  std::vector<int64_t> stack, chain;
  std::vector<std::pair<double, int64_t>> succ;
  std::unordered_map<int64_t, NodeEvaluation> slow_best;  // record-level checks of satisfying nodes
  std::unordered_map<int64_t, double> satisfied_loss;     // loss of checked satisfying nodes (inexact metrics)
  int64_t checks = 0;

  Explorer(LatticeSearch& s, const std::vector<int64_t>& r, const std::vector<double>& b, bool mono, bool ex, bool ru)
      : search(s), radix(r), bound(b), monotone(mono), exact(ex), rollup(ru), q(s.in_.qis.size()) {
    const int64_t total = radix[q];
    state.assign(total, 0);
    if (rollup) cache_slot.assign(total, -1);
    cache_cap = std::max<size_t>(size_t{4} << 20, 4 * s.bottom_.size());
    src_levels.assign(q, 0);
  }

  // Levels of a node index: one division per quasi-identifier (mixed radix, first is fastest).
  void decode(int64_t idx, std::vector<int32_t>& out) const {
    out.resize(q);
    for (size_t j = 0; j < q; ++j) {
      const int64_t h = search.in_.qis[j].height, next = idx / h;
      out[j] = static_cast<int32_t>(idx - next * h);
      idx = next;
    }
  }

  // Tags every unknown node below (value 1) or above (value 2) start, through unknown nodes.
  void tag(int64_t start, uint8_t value) {
    stack.clear();
    stack.push_back(start);
    while (!stack.empty()) {
      int64_t n = stack.back();
      stack.pop_back();
      decode(n, tag_levels);
      for (size_t j = 0; j < q; ++j) {
        if (value == 1 ? tag_levels[j] == 0 : tag_levels[j] == search.in_.qis[j].height - 1) continue;
        int64_t p = value == 1 ? n - radix[j] : n + radix[j];
        if (state[p] == 0) { state[p] = value; stack.push_back(p); }
      }
    }
  }
  FastCheck check(int64_t idx) {
    FastCheck r = compute(idx);
    if (r.satisfied && !exact) satisfied_loss[idx] = r.loss;
    return r;
  }
  // The loss of a node known to hold, without a second check when it was checked already.
  FastCheck holding(int64_t idx) {
    auto it = satisfied_loss.find(idx);
    return it != satisfied_loss.end() ? FastCheck{true, it->second} : check(idx);
  }

  FastCheck compute(int64_t idx) {
    decode(idx, lv);
    ++checks;
    if (!rollup) {
      NodeEvaluation ev = search.check(lv, nullptr);
      FastCheck r{ev.satisfied, ev.loss};
      if (ev.satisfied) slow_best[idx] = std::move(ev);
      return r;
    }
    // Source: the cached specialisation with the fewest classes (direct predecessors first).
    int32_t src = -1;
    for (size_t j = 0; j < q; ++j) {
      if (lv[j] == 0) continue;
      const int32_t e = cache_slot[idx - radix[j]];
      if (e >= 0 && (src < 0 || cache[e].classes.size() < cache[src].classes.size())) src = e;
    }
    if (src < 0) {
      for (size_t e = 0; e < cache.size(); ++e) {
        if (cache[e].node < 0 || cache[e].classes.size() >= (src < 0 ? search.bottom_.size() : cache[src].classes.size())) continue;
        bool below = true;
        for (size_t j = 0; j < q && below; ++j) below = cache[e].levels[j] <= lv[j];
        if (below) src = static_cast<int32_t>(e);
      }
    }
    if (src >= 0) table.rollup(search.layout_, cache[src].classes, cache[src].levels, lv, scratch);
    else table.rollup(search.layout_, search.bottom_, src_levels, lv, scratch);
    FastCheck r = search.decide(scratch, lv);
    // A satisfying node is a source only for its generalisations, which monotonicity settles
    // without a check, unless losses must still be computed above it (other metrics).
    if (r.satisfied && monotone && exact) return r;
    int32_t slot;
    if (!free_slots.empty()) { slot = free_slots.back(); free_slots.pop_back(); }
    else { slot = static_cast<int32_t>(cache.size()); cache.emplace_back(); }
    Cached& entry = cache[slot];
    entry.node = idx;
    entry.levels = lv;
    entry.classes.keys.assign(scratch.keys.begin(), scratch.keys.end());
    entry.classes.counts.assign(scratch.counts.begin(), scratch.counts.end());
    cache_slot[idx] = slot;
    cache_fifo.push_back(slot);
    cached_classes += entry.classes.size();
    while (cached_classes > cache_cap && cache_head + 1 < cache_fifo.size()) {
      Cached& old = cache[cache_fifo[cache_head]];
      cached_classes -= old.classes.size();
      cache_slot[old.node] = -1;
      old.node = -1;
      old.classes = ClassList();
      free_slots.push_back(cache_fifo[cache_head++]);
    }
    return r;
  }

  // Settles an unknown node of a monotone search: finds the highest failing node on a chain of
  // generalisations from it (the cheapest step each time), galloping up so that every check
  // rolls up from the last failing one, then bisecting (the chain fails up to a point and
  // holds after it); then climbs from there to a failing node whose successors all hold (Flash's
  // predictive tagging) and tags everything below it. Returns true with the node's own check
  // when the node itself holds.
  bool settle(int64_t idx, FastCheck* own) {
    chain.assign(1, idx);
    for (int64_t cur = idx;;) {
      int64_t next = -1;
      decode(cur, tag_levels);
      for (size_t j = 0; j < q; ++j) {
        if (tag_levels[j] == search.in_.qis[j].height - 1) continue;
        const int64_t s = cur + radix[j];
        if (next < 0 || bound[s] < bound[next] || (bound[s] == bound[next] && s < next)) next = s;
      }
      if (next < 0) break;
      chain.push_back(next);
      cur = next;
    }
    int64_t lo = -1, hi = static_cast<int64_t>(chain.size());
    for (int64_t i = 0; i < hi; ++i)
      if (state[chain[i]] == 2) hi = i;
    for (int64_t i = 0; i < hi; ++i)
      if (state[chain[i]] == 1) lo = i;
    auto probe = [&](int64_t i) {
      const int64_t n = chain[i];
      FastCheck ev = check(n);
      if (i == 0) *own = ev;
      if (ev.satisfied) { state[n] = 2; tag(n, 2); hi = i; }
      else { state[n] = 1; lo = i; }
    };
    // The first probe skips the node itself: it is the most specialised (dearest) node of the
    // chain, and a failing node above it proves it fails too.
    for (int64_t step = 2; lo + step < hi; step *= 2) {
      const int64_t before = lo;
      probe(lo + step);
      if (lo == before) break;
    }
    while (hi - lo > 1) probe(lo + (hi - lo) / 2);
    if (lo < 0) return true;
    int64_t cur = chain[lo];
    bool moved = true;
    while (moved) {
      moved = false;
      succ.clear();
      decode(cur, tag_levels);
      for (size_t j = 0; j < q; ++j) {
        if (tag_levels[j] == search.in_.qis[j].height - 1) continue;
        int64_t s = cur + radix[j];
        if (state[s] != 2) succ.push_back({bound[s], s});
      }
      std::sort(succ.begin(), succ.end());
      for (const auto& [b, s] : succ) {
        if (state[s] == 1) { cur = s; moved = true; break; }
        if (check(s).satisfied) { state[s] = 2; tag(s, 2); continue; }
        state[s] = 1;
        cur = s;
        moved = true;
        break;
      }
    }
    tag(cur, 1);
    return false;
  }
};

SearchResult LatticeSearch::run() {
  const size_t q = in_.qis.size();
  std::vector<int64_t> radix(q + 1, 1);
  for (size_t j = 0; j < q; ++j) radix[j + 1] = radix[j] * in_.qis[j].height;
  const int64_t total = radix[q];
  SearchResult res;
  res.lattice_size = total;
  const bool exact = in_.metric == Metric::NonUniformEntropy;
  bool monotone = true;
  for (const auto& m : in_.models) {
    bool mono_any = m.kind == ModelKind::KAnonymity || m.kind == ModelKind::HighestRisk;
    bool mono_without_suppression = m.kind == ModelKind::DistinctL || m.kind == ModelKind::EntropyL ||
                                    m.kind == ModelKind::RecursiveCL || m.kind == ModelKind::AverageRisk ||
                                    m.kind == ModelKind::SampleUniqueness;
    if (in_.patient_column >= 0) mono_any = false, mono_without_suppression = mono_without_suppression || m.kind == ModelKind::KAnonymity || m.kind == ModelKind::HighestRisk;
    if (!(mono_any || (mono_without_suppression && in_.suppression_limit == 0))) monotone = false;
  }
  res.monotone = monotone;

  // Lower bounds: exact for NUE (monotonic variant), generalisation-only loss for Loss.
  std::vector<double> bound(total, 0.0);
  // Visiting order: lower bound, then fewer generalisation steps, then index. The optimum is
  // the first node of this order with the least loss among those that satisfy the models.
  // Node indices fit 32 bits: validate() caps the lattice at max_nodes.
  require(total <= INT32_MAX, "quasiIdentifiers", "the generalisation lattice has more than 2^31 nodes");
  struct Visit { double bound; int32_t height_sum; int32_t idx; };
  std::vector<Visit> visits(total);
  std::vector<int32_t> lv(q, 0);
  for (int64_t idx = 0; idx < total; ++idx) {
    // lv runs through the lattice as an odometer, in index order.
    double b = 0;
    int32_t hs = 0;
    for (size_t j = 0; j < q; ++j) { hs += lv[j]; if (exact || in_.metric == Metric::Loss) b += additive_[j][lv[j]]; }
    if (in_.metric == Metric::Loss && total_rows_ > 0) b /= static_cast<double>(total_rows_) * static_cast<double>(q);
    bound[idx] = b;
    visits[idx] = {b, hs, static_cast<int32_t>(idx)};
    for (size_t j = 0; j < q; ++j) {
      if (++lv[j] < in_.qis[j].height) break;
      lv[j] = 0;
    }
  }
  std::sort(visits.begin(), visits.end(), [](const Visit& a, const Visit& b) {
    if (a.bound != b.bound) return a.bound < b.bound;
    if (a.height_sum != b.height_sum) return a.height_sum < b.height_sum;
    return a.idx < b.idx;
  });
  std::vector<int32_t> order(total);
  for (int64_t i = 0; i < total; ++i) order[i] = visits[i].idx;
  visits.clear();
  visits.shrink_to_fit();

  const bool rollup = prepare_rollup();
  Explorer explorer(*this, radix, bound, monotone, exact, rollup);

  bool have = false;
  int64_t best_idx = -1;
  double best_loss = 0;
  auto consider = [&](int64_t idx, const FastCheck& ev) {
    if (!have || ev.loss < best_loss) { have = true; best_loss = ev.loss; best_idx = idx; }
  };
  for (int64_t pos = 0; pos < total; ++pos) {
    const int64_t idx = order[pos];
    if (have && bound[idx] > best_loss) break;
    if (have && exact) break;
    if (explorer.state[idx] == 1) continue;
    if (!monotone) {
      FastCheck ev = explorer.check(idx);
      if (ev.satisfied) consider(idx, ev);
      continue;
    }
    if (explorer.state[idx] == 2) {
      // Implied by a satisfying specialisation. With the exact metric its loss is its bound
      // (the same sum), so it needs no check.
      if (exact) consider(idx, FastCheck{true, bound[idx]});
      else consider(idx, explorer.holding(idx));
      continue;
    }
    FastCheck own;
    if (explorer.settle(idx, &own)) consider(idx, own);
  }
  res.checks = explorer.checks;
  if (have) {
    res.found = true;
    explorer.decode(best_idx, res.levels);
    auto it = explorer.slow_best.find(best_idx);
    res.best = it != explorer.slow_best.end() ? it->second : check(res.levels, nullptr);
  } else {
    explorer.decode(total - 1, lv);
    res.top = check(lv, nullptr);
    res.levels = lv;
  }
  return res;
}

RowGrouping group_rows(const int32_t* columns, size_t n, int32_t width, int /*threads*/) {
  require(width > 0, "width", "expected at least one column");
  RowGrouping g;
  g.row_combo.resize(n);
  // Hash of the tuple → candidate ids; collisions are resolved by comparing tuples.
  size_t cap = 16;
  while (cap < n * 2 + 16) cap <<= 1;
  std::vector<int32_t> slots(cap, -1);
  const size_t mask = cap - 1;
  std::vector<int32_t> tuple(width);
  for (size_t r = 0; r < n; ++r) {
    // Multiply-xor per column and one full mix at the end: equal tuples hash alike, and the
    // final splitmix spreads the bits the table index takes.
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int32_t j = 0; j < width; ++j) {
      tuple[j] = columns[static_cast<size_t>(j) * n + r];
      h = (h ^ static_cast<uint64_t>(static_cast<uint32_t>(tuple[j]))) * 0xbf58476d1ce4e5b9ULL;
    }
    h = KeyTable::mix(h);
    size_t s = static_cast<size_t>(h) & mask;
    while (true) {
      int32_t id = slots[s];
      if (id < 0) {
        id = static_cast<int32_t>(g.counts.size());
        slots[s] = id;
        g.codes.insert(g.codes.end(), tuple.begin(), tuple.end());
        g.counts.push_back(1);
        g.row_combo[r] = id;
        break;
      }
      if (std::equal(tuple.begin(), tuple.end(), g.codes.begin() + static_cast<size_t>(id) * width)) {
        ++g.counts[id];
        g.row_combo[r] = id;
        break;
      }
      s = (s + 1) & mask;
    }
  }
  return g;
}

}  // namespace anon
}  // namespace hemasynth
