#include "anon/lattice_search.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

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
  for (int64_t c : in_.counts) require(c >= 0, "counts", "expected non-negative counts");
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
    for (int32_t g : q.gen) require(g >= 0 && g < q.card, f.c_str(), "generalised code out of range");
    for (size_t i = 0; i < in_.combos; ++i) {
      int32_t v = in_.codes[i * in_.width + col];
      require(v >= 0 && v < q.card, f.c_str(), "code " + std::to_string(v) + " outside the hierarchy");
    }
    for (int32_t l = 0; l + 1 < q.height; ++l) {
      std::vector<int32_t> parent(q.card, -1);
      for (int32_t v = 0; v < q.card; ++v) {
        int32_t a = q.gen[l * q.card + v], b = q.gen[(l + 1) * q.card + v];
        require(parent[a] < 0 || parent[a] == b, f.c_str(),
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
      for (int32_t g : a.gen) require(g >= 0 && g < a.card, f.c_str(), "generalised code out of range");
    }
    for (size_t i = 0; i < in_.combos; ++i) {
      int32_t v = in_.codes[i * in_.width + a.column];
      require(v >= 0 && v < a.card, f.c_str(), "sensitive code out of range");
    }
  }
  if (in_.patient_column >= 0) {
    require(in_.patient_column < in_.width, "patientColumn", "column out of range");
    for (size_t i = 0; i < in_.combos; ++i)
      require(in_.codes[i * in_.width + in_.patient_column] >= 0, "patientColumn", "expected non-negative patient codes");
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

NodeEvaluation LatticeSearch::check_rollup(const std::vector<int32_t>& levels, const std::vector<int32_t>& rep,
                                           const std::vector<int64_t>& cnt, std::vector<int32_t>* out_rep,
                                           std::vector<int64_t>* out_cnt) {
  const size_t m = rep.size(), q = in_.qis.size();
  const int32_t w = in_.width;
  thread_local Scratch scratch;
  KeyTable& table = scratch.table;
  table.reset(m);
  std::vector<uint64_t> stride(q);
  uint64_t s = 1;
  for (size_t j = 0; j < q; ++j) { stride[j] = s; s *= static_cast<uint64_t>(in_.qis[j].level_card[levels[j]]); }
  std::vector<const int32_t*> gen(q);
  for (size_t j = 0; j < q; ++j) gen[j] = in_.qis[j].gen.data() + static_cast<size_t>(levels[j]) * in_.qis[j].card;
  out_rep->clear();
  out_cnt->clear();
  for (size_t i = 0; i < m; ++i) {
    const int32_t* row = in_.codes.data() + static_cast<size_t>(rep[i]) * w;
    uint64_t key = 0;
    for (size_t j = 0; j < q; ++j) key += static_cast<uint64_t>(gen[j][row[in_.qi_columns[j]]]) * stride[j];
    size_t before = table.size();
    int32_t c = table.id(key);
    if (table.size() != before) { out_rep->push_back(rep[i]); out_cnt->push_back(0); }
    (*out_cnt)[c] += cnt[i];
  }
  const size_t nc = out_cnt->size();
  std::vector<uint8_t> bad(nc, 0);
  std::string first_reason;
  int64_t suppressed = 0;
  for (size_t c = 0; c < nc; ++c) {
    int64_t size = (*out_cnt)[c];
    for (const auto& model : in_.models) {
      bool fails = (model.kind == ModelKind::KAnonymity && static_cast<double>(size) < model.a) ||
                   (model.kind == ModelKind::HighestRisk && !(size > 0 && 1.0 / static_cast<double>(size) <= model.a + 1e-12));
      if (fails) { bad[c] = 1; suppressed += size; if (first_reason.empty()) first_reason = model_name(model.kind); break; }
    }
  }
  std::vector<int64_t> kept_rows_of(nc, 0);
  for (size_t c = 0; c < nc; ++c) kept_rows_of[c] = bad[c] ? 0 : (*out_cnt)[c];
  class_rows_scratch_.assign(nc, 0);
  for (size_t c = 0; c < nc; ++c) if (bad[c]) class_rows_scratch_[c] = (*out_cnt)[c];
  return finish(levels, *out_cnt, bad, *out_rep, suppressed, suppressed, kept_rows_of, first_reason);
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

SearchResult LatticeSearch::run() {
  const size_t q = in_.qis.size();
  std::vector<int64_t> radix(q + 1, 1);
  for (size_t j = 0; j < q; ++j) radix[j + 1] = radix[j] * in_.qis[j].height;
  const int64_t total = radix[q];
  auto decode = [&](int64_t idx, std::vector<int32_t>& lv) {
    lv.resize(q);
    for (size_t j = 0; j < q; ++j) lv[j] = static_cast<int32_t>((idx / radix[j]) % in_.qis[j].height);
  };
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
  std::vector<int32_t> height_sum(total, 0);
  std::vector<int32_t> lv;
  for (int64_t idx = 0; idx < total; ++idx) {
    decode(idx, lv);
    double b = 0;
    int32_t hs = 0;
    for (size_t j = 0; j < q; ++j) { hs += lv[j]; if (exact || in_.metric == Metric::Loss) b += additive_[j][lv[j]]; }
    if (in_.metric == Metric::Loss && total_rows_ > 0) b /= static_cast<double>(total_rows_) * static_cast<double>(q);
    bound[idx] = b;
    height_sum[idx] = hs;
  }
  std::vector<int64_t> order(total);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    if (bound[a] != bound[b]) return bound[a] < bound[b];
    if (height_sum[a] != height_sum[b]) return height_sum[a] < height_sum[b];
    return a < b;
  });
  // 0 unknown, 1 fails (checked or implied by a failing successor), 2 checked and holds.
  std::vector<uint8_t> state(total, 0);
  std::vector<int64_t> stack;
  auto tag_down = [&](int64_t start) {
    stack.clear();
    stack.push_back(start);
    while (!stack.empty()) {
      int64_t n = stack.back();
      stack.pop_back();
      for (size_t j = 0; j < q; ++j) {
        if ((n / radix[j]) % in_.qis[j].height == 0) continue;
        int64_t p = n - radix[j];
        if (state[p] == 0) { state[p] = 1; stack.push_back(p); }
      }
    }
  };
  bool rollup = in_.patient_column < 0;
  for (const auto& m : in_.models) if (needs_sensitive(m.kind)) rollup = false;
  double product0 = 1;
  for (const auto& qi : in_.qis) product0 *= static_cast<double>(qi.card);
  if (product0 >= 9.0e18) rollup = false;
  // Class tables of checked nodes (representative combination and size of each class).
  std::unordered_map<int64_t, std::pair<std::vector<int32_t>, std::vector<int64_t>>> cache;
  size_t cached_entries = 0;
  const size_t cache_cap = 16u << 20;
  std::vector<int32_t> all_rep(in_.combos);
  std::iota(all_rep.begin(), all_rep.end(), 0);
  auto tag_up = [&](int64_t start) {
    stack.clear();
    stack.push_back(start);
    while (!stack.empty()) {
      int64_t n = stack.back();
      stack.pop_back();
      for (size_t j = 0; j < q; ++j) {
        if ((n / radix[j]) % in_.qis[j].height == in_.qis[j].height - 1) continue;
        int64_t p = n + radix[j];
        if (state[p] == 0) { state[p] = 2; stack.push_back(p); }
      }
    }
  };
  auto do_check = [&](int64_t idx) {
    decode(idx, lv);
    ++res.checks;
    if (!rollup) return check(lv, nullptr);
    const std::vector<int32_t>* rep = &all_rep;
    const std::vector<int64_t>* cnt = &in_.counts;
    for (size_t j = 0; j < q; ++j) {
      if (lv[j] == 0) continue;
      auto it = cache.find(idx - radix[j]);
      if (it != cache.end() && it->second.first.size() < rep->size()) { rep = &it->second.first; cnt = &it->second.second; }
    }
    std::vector<int32_t> nrep;
    std::vector<int64_t> ncnt;
    NodeEvaluation ev = check_rollup(lv, *rep, *cnt, &nrep, &ncnt);
    if (cached_entries + nrep.size() > cache_cap) { cache.clear(); cached_entries = 0; }
    cached_entries += nrep.size();
    cache.emplace(idx, std::make_pair(std::move(nrep), std::move(ncnt)));
    return ev;
  };
  bool have = false;
  int64_t best_idx = -1;
  NodeEvaluation best;
  for (int64_t idx : order) {
    if (have && bound[idx] > best.loss) break;
    if (have && exact) break;
    if (state[idx] == 1) continue;
    NodeEvaluation ev = do_check(idx);
    if (ev.satisfied) {
      state[idx] = 2;
      if (monotone) tag_up(idx);
      if (!have || ev.loss < best.loss) { have = true; best = ev; best_idx = idx; }
      continue;
    }
    state[idx] = 1;
    if (!monotone) continue;
    // Predictive tagging (Flash): climb from the failing node to a failing node whose
    // successors all hold, then everything below it fails too.
    int64_t cur = idx;
    bool moved = true;
    while (moved) {
      moved = false;
      std::vector<std::pair<double, int64_t>> succ;
      for (size_t j = 0; j < q; ++j) {
        if ((cur / radix[j]) % in_.qis[j].height == in_.qis[j].height - 1) continue;
        int64_t s = cur + radix[j];
        if (state[s] != 2) succ.push_back({bound[s], s});
      }
      std::sort(succ.begin(), succ.end());
      for (const auto& [b, s] : succ) {
        if (state[s] == 1) { cur = s; moved = true; break; }
        // A satisfying successor is only marked, with everything above it (monotonicity):
        // the loss order decides the optimum, and later climbs skip these nodes unchecked.
        if (do_check(s).satisfied) { state[s] = 2; tag_up(s); continue; }
        state[s] = 1;
        cur = s;
        moved = true;
        break;
      }
    }
    tag_down(cur);
  }
  if (have) {
    res.found = true;
    decode(best_idx, res.levels);
    res.best = best;
  } else {
    decode(total - 1, lv);
    res.top = check(lv, nullptr);
    res.levels = lv;
  }
  return res;
}

RowGrouping group_rows(const int32_t* columns, size_t n, int32_t width, int /*threads*/) {
  require(width > 0, "width", "expected at least one column");
  RowGrouping g;
  g.row_combo.resize(n);
  KeyTable table;
  // Hash of the tuple → candidate ids; collisions are resolved by comparing tuples.
  std::vector<int32_t> slot_ids;
  size_t cap = 16;
  while (cap < n * 2 + 16) cap <<= 1;
  std::vector<int32_t> slots(cap, -1);
  const size_t mask = cap - 1;
  std::vector<int32_t> tuple(width);
  for (size_t r = 0; r < n; ++r) {
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int32_t j = 0; j < width; ++j) {
      tuple[j] = columns[static_cast<size_t>(j) * n + r];
      h = KeyTable::mix(h ^ (static_cast<uint64_t>(static_cast<uint32_t>(tuple[j])) + 0x9e3779b97f4a7c15ULL + (h << 6)));
    }
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
