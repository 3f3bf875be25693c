#include "anon/privacy_criteria.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace hemasynth {
namespace anon {

namespace {
int64_t total_of(const int64_t* h, int32_t card) {
  int64_t t = 0;
  for (int32_t v = 0; v < card; ++v) t += h[v];
  return t;
}
}  // namespace

double entropy_bits(const int64_t* h, int32_t card) {
  int64_t total = total_of(h, card);
  if (total == 0) return 0;
  // log2(N) - sum c log2 c / N: the form ARX uses, so boundary cases compare alike.
  double s = 0;
  for (int32_t v = 0; v < card; ++v)
    if (h[v] > 0) s += static_cast<double>(h[v]) * std::log2(static_cast<double>(h[v]));
  return std::log2(static_cast<double>(total)) - s / static_cast<double>(total);
}

double emd_equal(const int64_t* h, int32_t card, const std::vector<double>& g) {
  double total = static_cast<double>(total_of(h, card)), d = 0;
  if (total == 0) return 0;
  for (int32_t v = 0; v < card; ++v) d += std::fabs(static_cast<double>(h[v]) / total - g[v]);
  return d / 2;
}

double emd_ordered(const int64_t* h, int32_t card, const std::vector<double>& g) {
  double total = static_cast<double>(total_of(h, card));
  if (total == 0 || card < 2) return 0;
  double cum = 0, d = 0;
  for (int32_t v = 0; v < card - 1; ++v) {
    cum += static_cast<double>(h[v]) / total - g[v];
    d += std::fabs(cum);
  }
  return d / (card - 1);
}

double emd_hierarchical(const int64_t* h, const SensitiveAttribute& a, const std::vector<double>& g) {
  const int32_t card = a.card, H = a.height - 1;
  double total = static_cast<double>(total_of(h, card));
  if (total == 0 || H <= 0) return 0;
  // extra[v] at level 0 is p - q; each node at level l >= 1 collects its children's extras
  // and pays l / H for the mass it cannot balance inside its own subtree.
  std::vector<double> extra(card), pos(card), neg(card), next(card);
  for (int32_t v = 0; v < card; ++v) extra[v] = static_cast<double>(h[v]) / total - g[v];
  // child codes at level l-1 are the distinct gen[l-1][v]; map them to their parent at level l.
  double cost = 0;
  std::vector<double> child = extra;  // indexed by code at the previous level
  for (int32_t l = 1; l <= H; ++l) {
    std::fill(pos.begin(), pos.end(), 0.0);
    std::fill(neg.begin(), neg.end(), 0.0);
    std::fill(next.begin(), next.end(), 0.0);
    std::vector<uint8_t> done(card, 0);
    for (int32_t v = 0; v < card; ++v) {
      int32_t c = a.gen[static_cast<size_t>(l - 1) * card + v];
      int32_t p = a.gen[static_cast<size_t>(l) * card + v];
      if (done[c]) continue;  // each child once
      done[c] = 1;
      double e = child[c];
      if (e > 0) pos[p] += e; else neg[p] -= e;
      next[p] += e;
    }
    for (int32_t p = 0; p < card; ++p) cost += static_cast<double>(l) / H * std::min(pos[p], neg[p]);
    child = next;
  }
  return cost;
}

bool sensitive_criterion_holds(const PrivacyModel& m, const int64_t* h, const SensitiveAttribute& a,
                               const std::vector<double>& g) {
  const int32_t card = a.card;
  switch (m.kind) {
    case ModelKind::DistinctL: {
      int32_t d = 0;
      for (int32_t v = 0; v < card; ++v) d += h[v] > 0;
      return d >= m.a;
    }
    case ModelKind::EntropyL: return entropy_bits(h, card) >= std::log2(m.a);
    case ModelKind::RecursiveCL: {
      std::vector<int64_t> c;
      for (int32_t v = 0; v < card; ++v) if (h[v] > 0) c.push_back(h[v]);
      const size_t l = static_cast<size_t>(m.a);
      if (c.size() < l) return false;
      std::sort(c.begin(), c.end(), std::greater<int64_t>());
      double tail = 0;
      for (size_t i = l - 1; i < c.size(); ++i) tail += static_cast<double>(c[i]);
      return static_cast<double>(c[0]) < m.b * tail;
    }
    case ModelKind::TClosenessEqual: return emd_equal(h, card, g) <= m.a + 1e-12;
    case ModelKind::TClosenessOrdered: return emd_ordered(h, card, g) <= m.a + 1e-12;
    case ModelKind::TClosenessHierarchical: return emd_hierarchical(h, a, g) <= m.a + 1e-12;
    default: return true;
  }
}

}  // namespace anon
}  // namespace hemasynth
