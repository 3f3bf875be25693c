// Histogram-based gradient-boosted regression trees (second-order, as in XGBoost, Chen &
// Guestrin 2016, and LightGBM's histogram splits, Ke et al. 2017), for the utility section:
// train on synthetic, test on real. Features are quantile-binned once (bin 0 = missing);
// each tree is grown depth-wise to a fixed maximum depth and stored as a complete binary tree.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hemasynth {
namespace metrics {

enum class GbtLoss { Squared = 0, Logistic = 1, Poisson = 2 };

struct GbtParams {
  int trees = 100;
  int depth = 4;
  double learning_rate = 0.1;
  double lambda = 1.0;           // L2 on leaf values
  double min_child_weight = 1.0; // minimum hessian sum in a child
  int max_bins = 64;             // <= 255
  int threads = 0;
};

// Model layout (all doubles): [version=1, d, trees, depth, base_score, loss],
// then per tree (2^(depth+1)-1) nodes of 4 values [feature (-1 leaf), threshold,
// missing_left (0/1), leaf value]; children of node i are 2i+1 and 2i+2.
struct GbtModel {
  std::vector<double> data;
  std::vector<double> importance;  // total split gain per feature
};

// X: column-major n x d (column j at X + j*n), NaN = missing. y: n targets.
GbtModel gbt_fit(const double* X, const double* y, size_t n, size_t d, GbtLoss loss, const GbtParams& params);

// Raw scores (log-odds for logistic, log-mean for poisson) for column-major X (n x d).
void gbt_predict(const double* model, size_t model_len, const double* X, size_t n, size_t d, int threads, double* out);

}  // namespace metrics
}  // namespace hemasynth
