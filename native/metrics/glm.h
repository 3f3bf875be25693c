// Generalised linear models fitted by iteratively reweighted least squares (McCullagh &
// Nelder 1989, ch. 2.5), canonical links: gaussian/identity, binomial/logit, poisson/log.
#pragma once
#include <cstddef>
#include <vector>

namespace hemasynth {
namespace metrics {

enum class GlmFamily { Gaussian = 0, Binomial = 1, Poisson = 2 };

struct GlmResult {
  std::vector<double> coef;        // p
  std::vector<double> covariance;  // p x p, row-major (inverse Fisher information x dispersion)
  double deviance = 0;
  double null_deviance = 0;
  double dispersion = 1;
  int iterations = 0;
  bool converged = false;
};

// X: row-major n x p design (the caller adds the intercept column). y: n responses
// (binomial: 0..1, poisson: >= 0). ridge: L2 penalty added to X'WX (0 for plain MLE; the
// intercept column 0 is penalised too, so keep it tiny). Throws Error on a singular design.
GlmResult glm_fit(const double* X, const double* y, size_t n, size_t p, GlmFamily family,
                  int max_iter, double tol, double ridge, int threads);

// Linear predictor -> mean for each row of X (n x p) given coef.
void glm_predict(const double* X, size_t n, size_t p, const double* coef, GlmFamily family, double* out_mean);

}  // namespace metrics
}  // namespace hemasynth
