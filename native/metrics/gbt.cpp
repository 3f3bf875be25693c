#include "metrics/gbt.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "common/parallel.h"

namespace hemasynth {
namespace metrics {

namespace {

constexpr double kVersion = 1;
constexpr size_t kHeader = 6;
constexpr size_t kNodeWidth = 4;

struct Split {
  double gain = 0;
  int feature = -1;
  int bin = 0;             // left = value bins 1..bin
  bool missing_left = false;
};

inline size_t nodes_per_tree(int depth) { return (size_t(1) << (depth + 1)) - 1; }

void gradients(GbtLoss loss, const double* y, const double* f, size_t n, double* g, double* h) {
  for (size_t i = 0; i < n; ++i) {
    switch (loss) {
      case GbtLoss::Logistic: {
        double p = 1.0 / (1.0 + std::exp(-f[i]));
        g[i] = p - y[i];
        h[i] = std::max(p * (1 - p), 1e-12);
        break;
      }
      case GbtLoss::Poisson: {
        double m = std::exp(std::min(f[i], 700.0));
        g[i] = m - y[i];
        h[i] = std::max(m, 1e-12);
        break;
      }
      default:
        g[i] = f[i] - y[i];
        h[i] = 1;
    }
  }
}

}  // namespace

GbtModel gbt_fit(const double* X, const double* y, size_t n, size_t d, GbtLoss loss, const GbtParams& prm) {
  require(n >= 2, "y", "expected at least 2 training rows");
  require(d >= 1, "X", "expected at least one feature");
  require(prm.trees >= 1 && prm.trees <= 100000, "trees", "expected an integer in [1, 100000]");
  require(prm.depth >= 1 && prm.depth <= 12, "depth", "expected an integer in [1, 12]");
  require(prm.max_bins >= 2 && prm.max_bins <= 255, "maxBins", "expected an integer in [2, 255]");
  require(prm.learning_rate > 0 && prm.learning_rate <= 1, "learningRate", "expected a number in (0, 1]");
  require(prm.lambda >= 0 && std::isfinite(prm.lambda), "lambda", "expected a finite number >= 0");
  require(prm.min_child_weight >= 0 && std::isfinite(prm.min_child_weight), "minChildWeight", "expected a finite number >= 0");
  double ysum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(y[i])) throw Error("y", "expected finite targets but row " + std::to_string(i) + " is not");
    if (loss == GbtLoss::Logistic && (y[i] < 0 || y[i] > 1)) throw Error("y", "expected logistic targets in [0, 1] but row " + std::to_string(i) + " is " + std::to_string(y[i]));
    if (loss == GbtLoss::Poisson && y[i] < 0) throw Error("y", "expected poisson targets >= 0 but row " + std::to_string(i) + " is " + std::to_string(y[i]));
    ysum += y[i];
  }
  for (size_t i = 0; i < n * d; ++i) {
    if (std::isinf(X[i])) throw Error("X", "expected finite or missing (NaN) features but feature " + std::to_string(i / n) + ", row " + std::to_string(i % n) + " is infinite");
  }
  const int threads = prm.threads;
  // Quantile bin edges per feature; bin 0 holds missing values.
  std::vector<std::vector<double>> edges(d);
  std::vector<uint8_t> bins(checked_mul(n, d, "X"));
  parallel_for(d, threads, 1, [&](size_t b, size_t e, int) {
    std::vector<double> v;
    for (size_t j = b; j < e; ++j) {
      const double* col = X + j * n;
      v.clear();
      for (size_t i = 0; i < n; ++i) if (!std::isnan(col[i])) v.push_back(col[i]);
      std::sort(v.begin(), v.end());
      std::vector<double> u;
      for (double x : v) if (u.empty() || x != u.back()) u.push_back(x);
      auto& ed = edges[j];
      if (u.size() <= static_cast<size_t>(prm.max_bins)) {
        ed = u;
      } else {
        for (int q = 1; q <= prm.max_bins; ++q) {
          double x = v[std::min(v.size() - 1, (static_cast<size_t>(q) * v.size()) / prm.max_bins - 1)];
          if (ed.empty() || x != ed.back()) ed.push_back(x);
        }
        if (ed.back() != u.back()) ed.back() = u.back();
      }
      uint8_t* bj = &bins[j * n];
      for (size_t i = 0; i < n; ++i) {
        if (std::isnan(col[i])) { bj[i] = 0; continue; }
        size_t k = std::lower_bound(ed.begin(), ed.end(), col[i]) - ed.begin();
        bj[i] = static_cast<uint8_t>(std::min(k, ed.size() - 1) + 1);
      }
    }
  });
  const double ybar = ysum / static_cast<double>(n);
  double base = ybar;
  if (loss == GbtLoss::Logistic) {
    double p = std::min(std::max(ybar, 1e-6), 1 - 1e-6);
    base = std::log(p / (1 - p));
  } else if (loss == GbtLoss::Poisson) {
    base = std::log(std::max(ybar, 1e-6));
  }
  const size_t npt = nodes_per_tree(prm.depth);
  GbtModel model;
  model.data.assign(kHeader + checked_mul(static_cast<size_t>(prm.trees), npt * kNodeWidth, "trees"), 0.0);
  model.data[0] = kVersion;
  model.data[1] = static_cast<double>(d);
  model.data[2] = prm.trees;
  model.data[3] = prm.depth;
  model.data[4] = base;
  model.data[5] = static_cast<double>(static_cast<int>(loss));
  model.importance.assign(d, 0.0);
  std::vector<double> f(n, base), g(n), h(n);
  const size_t max_bins = static_cast<size_t>(prm.max_bins) + 1;
  std::vector<double> hist_g(d * max_bins), hist_h(d * max_bins);
  std::vector<Split> per_feature(d);

  for (int t = 0; t < prm.trees; ++t) {
    gradients(loss, y, f.data(), n, g.data(), h.data());
    double* tree = &model.data[kHeader + static_cast<size_t>(t) * npt * kNodeWidth];
    for (size_t k = 0; k < npt; ++k) tree[k * kNodeWidth] = -2;  // unreachable
    std::vector<std::vector<uint32_t>> rows(npt);
    rows[0].resize(n);
    for (size_t i = 0; i < n; ++i) rows[0][i] = static_cast<uint32_t>(i);
    tree[0] = -1;
    for (size_t node = 0; node < npt; ++node) {
      if (tree[node * kNodeWidth] == -2) continue;
      auto& idx = rows[node];
      double G = 0, H = 0;
      for (uint32_t i : idx) { G += g[i]; H += h[i]; }
      double* nd = tree + node * kNodeWidth;
      nd[0] = -1;
      nd[3] = -G / (H + prm.lambda) * prm.learning_rate;
      const bool can_split = 2 * node + 2 < npt && idx.size() >= 2;
      if (!can_split) { std::vector<uint32_t>().swap(idx); continue; }
      const double parent = G * G / (H + prm.lambda);
      parallel_for(d, threads, 4, [&](size_t b, size_t e, int) {
        for (size_t j = b; j < e; ++j) {
          double* hg = &hist_g[j * max_bins];
          double* hh = &hist_h[j * max_bins];
          std::fill(hg, hg + max_bins, 0.0);
          std::fill(hh, hh + max_bins, 0.0);
          const uint8_t* bj = &bins[j * n];
          for (uint32_t i : idx) { hg[bj[i]] += g[i]; hh[bj[i]] += h[i]; }
          Split best;
          const size_t nb = edges[j].size();
          for (int miss_left = 0; miss_left <= 1; ++miss_left) {
            double gl = miss_left ? hg[0] : 0, hl = miss_left ? hh[0] : 0;
            for (size_t bb = 1; bb < nb; ++bb) {  // left = bins 1..bb, right non-empty
              gl += hg[bb];
              hl += hh[bb];
              double gr = G - gl, hr = H - hl;
              if (hl < prm.min_child_weight || hr < prm.min_child_weight) continue;
              double gain = gl * gl / (hl + prm.lambda) + gr * gr / (hr + prm.lambda) - parent;
              if (gain > best.gain + 1e-12) {
                best.gain = gain;
                best.feature = static_cast<int>(j);
                best.bin = static_cast<int>(bb);
                best.missing_left = miss_left;
              }
            }
          }
          per_feature[j] = best;
        }
      });
      Split best;
      for (size_t j = 0; j < d; ++j) if (per_feature[j].feature >= 0 && per_feature[j].gain > best.gain) best = per_feature[j];
      if (best.feature < 0) { std::vector<uint32_t>().swap(idx); continue; }
      nd[0] = best.feature;
      nd[1] = edges[best.feature][best.bin - 1];
      nd[2] = best.missing_left ? 1 : 0;
      model.importance[best.feature] += best.gain;
      auto& left = rows[2 * node + 1];
      auto& right = rows[2 * node + 2];
      const uint8_t* bj = &bins[static_cast<size_t>(best.feature) * n];
      for (uint32_t i : idx) {
        uint8_t bv = bj[i];
        bool go_left = bv == 0 ? best.missing_left : bv <= best.bin;
        (go_left ? left : right).push_back(i);
      }
      tree[(2 * node + 1) * kNodeWidth] = -1;
      tree[(2 * node + 2) * kNodeWidth] = -1;
      std::vector<uint32_t>().swap(idx);
    }
    // Update scores by walking the new tree.
    parallel_for(n, threads, 4096, [&](size_t b, size_t e, int) {
      for (size_t i = b; i < e; ++i) {
        size_t node = 0;
        while (tree[node * kNodeWidth] >= 0) {
          size_t j = static_cast<size_t>(tree[node * kNodeWidth]);
          double x = X[j * n + i];
          bool left = std::isnan(x) ? tree[node * kNodeWidth + 2] != 0 : x <= tree[node * kNodeWidth + 1];
          node = 2 * node + (left ? 1 : 2);
        }
        f[i] += tree[node * kNodeWidth + 3];
      }
    });
  }
  return model;
}

void gbt_predict(const double* model, size_t len, const double* X, size_t n, size_t d, int threads, double* out) {
  require(len >= kHeader && model[0] == kVersion, "model", "expected a hemasynth GBT model (version 1)");
  require(model[1] == static_cast<double>(d), "X", "expected " + std::to_string(static_cast<size_t>(model[1])) + " features as in training but received " + std::to_string(d));
  const int depth = static_cast<int>(model[3]);
  const double trees = model[2];
  require(depth >= 1 && depth <= 12 && trees >= 1, "model", "expected a valid tree count and depth");
  const size_t npt = nodes_per_tree(depth);
  require(len == kHeader + static_cast<size_t>(trees) * npt * kNodeWidth, "model", "expected a model length matching its header");
  // Validate node features once so the walk below cannot index out of bounds.
  for (size_t k = 0; k < static_cast<size_t>(trees) * npt; ++k) {
    double fe = model[kHeader + k * kNodeWidth];
    size_t local = k % npt;
    require(fe == -1 || fe == -2 || (fe >= 0 && fe < static_cast<double>(d) && 2 * local + 2 < npt), "model", "expected node features within the feature count");
  }
  const double base = model[4];
  parallel_for(n, threads, 1024, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) {
      double s = base;
      for (size_t t = 0; t < static_cast<size_t>(trees); ++t) {
        const double* tree = model + kHeader + t * npt * kNodeWidth;
        size_t node = 0;
        while (tree[node * kNodeWidth] >= 0) {
          size_t j = static_cast<size_t>(tree[node * kNodeWidth]);
          double x = X[j * n + i];
          bool left = std::isnan(x) ? tree[node * kNodeWidth + 2] != 0 : x <= tree[node * kNodeWidth + 1];
          node = 2 * node + (left ? 1 : 2);
        }
        s += tree[node * kNodeWidth + 3];
      }
      out[i] = s;
    }
  });
}

}  // namespace metrics
}  // namespace hemasynth
