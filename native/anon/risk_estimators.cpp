#include "anon/risk_estimators.h"

#include <cmath>
#include <limits>

namespace hemasynth {
namespace anon {

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Totals {
  double n = 0;  // records in the sample
  double u = 0;  // classes
  double c1 = 0, c2 = 0;
};

Totals totals(const ClassSizeHistogram& h) {
  Totals t;
  for (const auto& [size, num] : h) {
    t.n += static_cast<double>(size) * static_cast<double>(num);
    t.u += static_cast<double>(num);
  }
  auto i1 = h.find(1), i2 = h.find(2);
  t.c1 = i1 == h.end() ? 0 : static_cast<double>(i1->second);
  t.c2 = i2 == h.end() ? 0 : static_cast<double>(i2->second);
  return t;
}

bool valid(double v) { return !std::isnan(v) && v != 0.0; }

// log of the hypergeometric probability P(X = 1) when drawing n of N with K successes.
double hypergeometric_p1(double N, double K, double n) {
  if (K < 1 || n < 1 || N - K < n - 1) return 0.0;
  auto lchoose = [](double a, double b) { return std::lgamma(a + 1) - std::lgamma(b + 1) - std::lgamma(a - b + 1); };
  return std::exp(std::log(K) + lchoose(N - K, n - 1) - lchoose(N, n));
}
}  // namespace

ClassSizeHistogram histogram_of(const std::vector<int64_t>& class_sizes) {
  ClassSizeHistogram h;
  for (int64_t s : class_sizes)
    if (s > 0) ++h[s];
  return h;
}

// Digamma by recurrence up to x >= 6 and the asymptotic (Bernoulli) series.
double digamma(double x) {
  if (std::isnan(x) || x == -std::numeric_limits<double>::infinity()) return kNaN;
  if (x <= 0 && std::floor(x) == x) return kNaN;
  double r = 0;
  if (x < 0) {  // reflection
    return digamma(1 - x) - M_PI / std::tan(M_PI * x);
  }
  while (x < 6) { r -= 1 / x; x += 1; }
  double f = 1 / (x * x);
  double t = f * (-1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132)))));
  return r + std::log(x) - 0.5 / x + t;
}

double trigamma(double x) {
  if (std::isnan(x)) return kNaN;
  if (x <= 0 && std::floor(x) == x) return kNaN;
  if (x < 0) {  // reflection: psi1(1-x) + psi1(x) = pi^2 / sin^2(pi x)
    double s = std::sin(M_PI * x);
    return -trigamma(1 - x) + M_PI * M_PI / (s * s);
  }
  double r = 0;
  while (x < 6) { r += 1 / (x * x); x += 1; }
  double f = 1 / (x * x);
  double t = 1 / x + f / 2 + f / x * (1.0 / 6 + f * (-1.0 / 30 + f * (1.0 / 42 + f * (-1.0 / 30))));
  return r + t;
}

double zayatz_uniques(const ClassSizeHistogram& h, double f) {
  Totals t = totals(h);
  if (t.c1 == 0) return 0;
  double N = std::llround(t.n / f);
  double temp = 0;
  for (const auto& [size, num] : h) temp += (static_cast<double>(num) / t.u) * hypergeometric_p1(N, static_cast<double>(size), t.n);
  if (temp == 0) return kNaN;
  double cond = ((t.c1 / t.u) * hypergeometric_p1(N, 1, t.n)) / temp;
  return t.c1 * cond / f;
}

// Pitman model: maximum likelihood of (theta, alpha) solved by Newton-Raphson on the score
// equations in closed form (Hoshino 2001); starting point as in ARX's ModelPitman.
double pitman_uniques(const ClassSizeHistogram& h, double f) {
  Totals T = totals(h);
  if (T.c1 == 0) return 0;
  double n = T.n, u = T.u, c1 = T.c1;
  double c2 = T.c2 != 0 ? T.c2 : 1;
  double c = (c1 * (c1 - 1)) / c2;
  double t = ((n * u * c) - (c1 * (n - 1) * ((2 * u) + c))) / (((2 * c1 * u) + (c1 * c)) - (n * c));
  double a = ((t * (c1 - n)) + ((n - 1) * c1)) / (n * u);
  for (int it = 0; it < 300; ++it) {
    double val0 = u - 1;
    double val1 = digamma(val0 + t / a + 1);
    double val2 = trigamma((a + t + a * val0) / a);
    double val3 = trigamma(t / a + 1);
    double val4 = digamma(t / a + 1);
    double val5 = a * a;
    double d1 = (val3 - val2) / val5;
    double d5 = ((a * val1 + t * val2) - a * val4 - t * val3) / (val5 * a);
    double d3 = (((val5 * val0 - t * t * val2) + t * t * val3) - 2 * a * t * val1 + 2 * a * t * val4) / (val5 * val5);
    double o1 = (val1 - val4) / a;
    double o3 = (-t * val1 + a * val0 + t * val4) / (a * a);
    double o2 = digamma(n + t) - digamma(t + 1);
    double d2 = trigamma(t + 1) - trigamma(n + t);
    double d4 = 0, o4 = 0;
    double val6 = digamma(1 - a), val7 = trigamma(1 - a);
    for (const auto& [size, num] : h) {
      if (size == 1) continue;
      d4 += static_cast<double>(num) * (val7 - trigamma(static_cast<double>(size) - a));
      o4 += static_cast<double>(num) * (digamma(static_cast<double>(size) - a) - val6);
    }
    double j11 = d2 - d1, j12 = -d5, j21 = -d5, j22 = -d3 - d4;
    double f1 = o1 - o2, f2 = o3 - o4;
    double det = j11 * j22 - j12 * j21;
    if (!std::isfinite(det) || det == 0) return kNaN;
    double dt = (f1 * j22 - f2 * j12) / det;
    double da = (j11 * f2 - j21 * f1) / det;
    t -= dt;
    a -= da;
    if (!std::isfinite(t) || !std::isfinite(a)) return kNaN;
    if (std::fabs(dt) <= 1e-10 * std::max(1.0, std::fabs(t)) && std::fabs(da) <= 1e-12) break;
  }
  if (a == 0 || std::isnan(a) || std::isnan(t)) return kNaN;
  double p = n / f;
  double v = std::exp(std::lgamma(t + 1) - std::lgamma(t + a) + a * std::log(p));
  return (v >= 0 && v <= p) ? v : kNaN;
}

// SNB model (Chen & Keller-McNulty 1998): alpha, beta from the numbers of sample uniques and
// doubles; the number of non-empty population classes K by the Shlosser estimator.
double snb_uniques(const ClassSizeHistogram& h, double f) {
  Totals T = totals(h);
  if (T.c1 == 0) return 0;
  double c1 = T.c1, c2 = T.c2;
  double v1 = 0, v2 = 0, v3 = 0, v4 = 0, f2 = f * f;
  for (const auto& [size, num] : h) {
    double s = static_cast<double>(size), m = static_cast<double>(num);
    double w = std::pow(1 - f, s) * m;
    v1 += s * f2 * std::pow(1 - f2, s - 1) * m;
    v2 += w * std::pow(1 + f, s) - 1;
    v3 += w;
    v4 += s * f * std::pow(1 - f, s - 1) * m;
  }
  double k = T.u + c1 * (v1 / v2) * (v3 / v4) * (v3 / v4);
  auto F = [&](double a, double b, double& r1, double& r2) {
    double d = (1 - f) * (1 - b);
    r1 = k * f * std::pow(b / (1 - d), a) * (((a * d) / (1 - d)) + 1) - c1;
    r2 = k * a * std::pow(b, a) * (f * f) * (1 - b) / 2 * std::pow(1 - d, a + 2) * (2 - (1 - a) * d) - c2;
  };
  // Newton-Raphson with a numerical Jacobian from several deterministic starting points; a
  // solution must have alpha > 0 and 0 < beta < 1.
  const double starts[][2] = {{0.5, 0.5}, {1, 0.1}, {0.1, 0.9}, {2, 0.01}, {0.05, 0.5}, {5, 0.5}};
  for (const auto& s : starts) {
    double a = s[0], b = s[1];
    bool ok = false;
    for (int it = 0; it < 200; ++it) {
      double r1, r2;
      F(a, b, r1, r2);
      if (!std::isfinite(r1) || !std::isfinite(r2)) break;
      if (std::fabs(r1) < 1e-8 * std::max(1.0, c1) && std::fabs(r2) < 1e-8 * std::max(1.0, c2)) { ok = true; break; }
      double ha = 1e-7 * std::max(1e-3, std::fabs(a)), hb = 1e-7 * std::max(1e-3, std::fabs(b));
      double a1, a2, b1, b2;
      F(a + ha, b, a1, a2);
      F(a, b + hb, b1, b2);
      double j11 = (a1 - r1) / ha, j21 = (a2 - r2) / ha, j12 = (b1 - r1) / hb, j22 = (b2 - r2) / hb;
      double det = j11 * j22 - j12 * j21;
      if (!std::isfinite(det) || det == 0) break;
      double da = (r1 * j22 - r2 * j12) / det, db = (j11 * r2 - j21 * r1) / det;
      a -= da;
      b -= db;
      if (!(a > 0) || !(b > 0) || !(b < 1)) break;
    }
    if (ok && a > 0 && b > 0 && b < 1) {
      double v = k * std::pow(b, a);
      if (std::isfinite(v) && v >= 0) return v;
    }
  }
  return kNaN;
}

PopulationUniqueness population_uniqueness(const ClassSizeHistogram& h, double f) {
  PopulationUniqueness r;
  Totals T = totals(h);
  if (T.c1 == 0 || T.n == 0) return r;
  double pop = T.n / f;
  double pit = pitman_uniques(h, f), zay = zayatz_uniques(h, f), snb = snb_uniques(h, f);
  r.pitman = valid(pit) ? pit / pop : 0;
  r.zayatz = valid(zay) ? zay / pop : 0;
  r.snb = valid(snb) ? snb / pop : 0;
  double d;
  if (f <= 0.1) {
    if (valid(pit)) { d = pit; r.dankar_model = 1; }
    else { d = zay; r.dankar_model = 2; }
  } else if (valid(snb)) {
    if (zay < snb) { d = zay; r.dankar_model = 2; }
    else { d = snb; r.dankar_model = 3; }
  } else {
    d = zay; r.dankar_model = 2;
  }
  r.dankar = valid(d) ? d / pop : 0;
  return r;
}

}  // namespace anon
}  // namespace hemasynth
