// IRLS with a Cholesky solve of the p x p normal equations. X'WX is accumulated per thread
// and summed, so the work is O(n p^2 / threads) per iteration; p is small (tens) here.
#include "metrics/glm.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "common/parallel.h"

namespace hemasynth {
namespace metrics {

namespace {

inline double inv_link(double eta, GlmFamily f) {
  switch (f) {
    case GlmFamily::Binomial: return 1.0 / (1.0 + std::exp(-eta));
    case GlmFamily::Poisson: return std::exp(std::min(eta, 700.0));
    default: return eta;
  }
}

// Unit deviance contributions (McCullagh & Nelder table 2.1).
inline double unit_deviance(double y, double mu, GlmFamily f) {
  switch (f) {
    case GlmFamily::Binomial: {
      const double eps = 1e-300;
      double a = y > 0 ? y * std::log(y / std::max(mu, eps)) : 0.0;
      double b = y < 1 ? (1 - y) * std::log((1 - y) / std::max(1 - mu, eps)) : 0.0;
      return 2 * (a + b);
    }
    case GlmFamily::Poisson: return 2 * ((y > 0 ? y * std::log(y / mu) : 0.0) - (y - mu));
    default: return (y - mu) * (y - mu);
  }
}

// In-place Cholesky A = L L^T (lower); returns false when A is not positive definite.
bool cholesky(std::vector<double>& a, size_t p) {
  for (size_t j = 0; j < p; ++j) {
    double s = a[j * p + j];
    for (size_t k = 0; k < j; ++k) s -= a[j * p + k] * a[j * p + k];
    if (!(s > 1e-12 * std::max(1.0, std::fabs(a[j * p + j])))) return false;
    double l = std::sqrt(s);
    a[j * p + j] = l;
    for (size_t i = j + 1; i < p; ++i) {
      double t = a[i * p + j];
      for (size_t k = 0; k < j; ++k) t -= a[i * p + k] * a[j * p + k];
      a[i * p + j] = t / l;
    }
  }
  return true;
}

void chol_solve(const std::vector<double>& l, size_t p, std::vector<double>& b) {
  for (size_t i = 0; i < p; ++i) {
    double s = b[i];
    for (size_t k = 0; k < i; ++k) s -= l[i * p + k] * b[k];
    b[i] = s / l[i * p + i];
  }
  for (size_t i = p; i-- > 0;) {
    double s = b[i];
    for (size_t k = i + 1; k < p; ++k) s -= l[k * p + i] * b[k];
    b[i] = s / l[i * p + i];
  }
}

}  // namespace

void glm_predict(const double* X, size_t n, size_t p, const double* coef, GlmFamily family, double* out) {
  for (size_t i = 0; i < n; ++i) {
    double eta = 0;
    for (size_t j = 0; j < p; ++j) eta += X[i * p + j] * coef[j];
    out[i] = inv_link(eta, family);
  }
}

GlmResult glm_fit(const double* X, const double* y, size_t n, size_t p, GlmFamily family, int max_iter,
                  double tol, double ridge, int threads) {
  require(p >= 1, "X", "expected at least one column");
  require(n >= 1, "y", "expected at least one row");
  require(max_iter >= 1, "maxIter", "expected >= 1");
  require(family != GlmFamily::Gaussian || n > p, "y", "expected more rows than coefficients for a gaussian fit");
  require(std::isfinite(ridge) && ridge >= 0, "ridge", "expected a finite value >= 0");
  double ysum = 0;
  for (size_t i = 0; i < n; ++i) {
    double v = y[i];
    if (!std::isfinite(v)) throw Error("y", "expected finite responses but row " + std::to_string(i) + " is not");
    if (family == GlmFamily::Binomial && (v < 0 || v > 1)) throw Error("y", "expected binomial responses in [0, 1] but row " + std::to_string(i) + " is " + std::to_string(v));
    if (family == GlmFamily::Poisson && v < 0) throw Error("y", "expected poisson responses >= 0 but row " + std::to_string(i) + " is " + std::to_string(v));
    ysum += v;
  }
  for (size_t i = 0; i < n * p; ++i) {
    if (!std::isfinite(X[i])) throw Error("X", "expected finite design values but row " + std::to_string(i / p) + ", column " + std::to_string(i % p) + " is not");
  }
  const double ybar = ysum / static_cast<double>(n);
  GlmResult res;
  res.coef.assign(p, 0.0);
  std::vector<double> eta(n), mu(n);
  // Start from mu = (y + ybar)/2 (binomial shrunk into (0,1)), the usual IRLS start.
  for (size_t i = 0; i < n; ++i) {
    double m = 0.5 * (y[i] + ybar);
    if (family == GlmFamily::Binomial) m = std::min(std::max(m, 1e-4), 1 - 1e-4);
    if (family == GlmFamily::Poisson) m = std::max(m, 1e-4);
    mu[i] = m;
    eta[i] = family == GlmFamily::Binomial ? std::log(m / (1 - m)) : family == GlmFamily::Poisson ? std::log(m) : m;
  }
  const int t = std::max(1, std::min(resolve_threads(threads), static_cast<int>((n + 2047) / 2048)));
  std::vector<double> l(p * p);
  double dev_old = INFINITY;
  for (int it = 1; it <= max_iter; ++it) {
    std::vector<std::vector<double>> A(t, std::vector<double>(p * p, 0.0)), B(t, std::vector<double>(p, 0.0));
    parallel_for(n, t, 2048, [&](size_t b, size_t e, int w) {
      auto& a = A[w];
      auto& bb = B[w];
      for (size_t i = b; i < e; ++i) {
        // Canonical links: d mu / d eta = variance, so w = V(mu), z = eta + (y - mu)/V(mu).
        double var = family == GlmFamily::Binomial ? mu[i] * (1 - mu[i]) : family == GlmFamily::Poisson ? mu[i] : 1.0;
        var = std::max(var, 1e-10);
        double z = eta[i] + (y[i] - mu[i]) / var;
        const double* xi = X + i * p;
        for (size_t r = 0; r < p; ++r) {
          double wx = var * xi[r];
          bb[r] += wx * z;
          for (size_t c = 0; c <= r; ++c) a[r * p + c] += wx * xi[c];
        }
      }
    });
    for (int w = 1; w < t; ++w) {
      for (size_t k = 0; k < p * p; ++k) A[0][k] += A[w][k];
      for (size_t k = 0; k < p; ++k) B[0][k] += B[w][k];
    }
    for (size_t r = 0; r < p; ++r) {
      A[0][r * p + r] += ridge;
      for (size_t c = 0; c < r; ++c) A[0][c * p + r] = A[0][r * p + c];
    }
    l = A[0];
    if (!cholesky(l, p)) throw Error("X", "the design matrix is singular (collinear or constant covariates); drop or merge covariates");
    std::vector<double> beta = B[0];
    chol_solve(l, p, beta);
    double dev = 0;
    for (size_t i = 0; i < n; ++i) {
      double e = 0;
      for (size_t j = 0; j < p; ++j) e += X[i * p + j] * beta[j];
      eta[i] = e;
      mu[i] = inv_link(e, family);
      if (family == GlmFamily::Binomial) mu[i] = std::min(std::max(mu[i], 1e-15), 1 - 1e-15);
      dev += unit_deviance(y[i], mu[i], family);
    }
    res.coef = beta;
    res.iterations = it;
    res.deviance = dev;
    // R's glm.fit convergence rule: |dev - dev_old| / (|dev| + 0.1) < epsilon.
    if (std::fabs(dev - dev_old) / (std::fabs(dev) + 0.1) < tol) {
      res.converged = true;
      break;
    }
    dev_old = dev;
  }
  // Covariance = dispersion * (X'WX)^-1 at the final weights.
  {
    std::vector<double> A(p * p, 0.0);
    for (size_t i = 0; i < n; ++i) {
      double var = family == GlmFamily::Binomial ? mu[i] * (1 - mu[i]) : family == GlmFamily::Poisson ? mu[i] : 1.0;
      const double* xi = X + i * p;
      for (size_t r = 0; r < p; ++r)
        for (size_t c = 0; c <= r; ++c) A[r * p + c] += var * xi[r] * xi[c];
    }
    for (size_t r = 0; r < p; ++r) {
      A[r * p + r] += ridge;
      for (size_t c = 0; c < r; ++c) A[c * p + r] = A[r * p + c];
    }
    if (!cholesky(A, p)) throw Error("X", "the information matrix is singular at the fit (complete separation or collinearity)");
    res.covariance.assign(p * p, 0.0);
    std::vector<double> col(p);
    for (size_t j = 0; j < p; ++j) {
      std::fill(col.begin(), col.end(), 0.0);
      col[j] = 1;
      chol_solve(A, p, col);
      for (size_t i = 0; i < p; ++i) res.covariance[i * p + j] = col[i];
    }
  }
  double nd = 0;
  double m0 = family == GlmFamily::Binomial ? std::min(std::max(ybar, 1e-15), 1 - 1e-15) : ybar;
  for (size_t i = 0; i < n; ++i) nd += unit_deviance(y[i], m0, family);
  res.null_deviance = nd;
  if (family == GlmFamily::Gaussian) {
    res.dispersion = res.deviance / static_cast<double>(n - p);
    for (auto& v : res.covariance) v *= res.dispersion;
  }
  return res;
}

}  // namespace metrics
}  // namespace hemasynth
