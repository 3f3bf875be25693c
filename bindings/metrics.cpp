// Bindings for native/metrics: exact k-NN under a mixed (Gower-like) distance, GLM by IRLS,
// histogram gradient-boosted trees. Synchronous calls: parallelism comes from the native
// threads argument (and from piscina workers on the TypeScript side).
#include <string>

#include "areas.h"
#include "metrics/gbt.h"
#include "metrics/glm.h"
#include "metrics/nearest_neighbors.h"
#include "napi_util.h"

namespace hemasynth_bindings {

namespace {

Napi::Float64Array to_f64(Napi::Env env, const double* data, size_t n) {
  auto out = Napi::Float64Array::New(env, n);
  for (size_t i = 0; i < n; ++i) out[i] = data[i];
  return out;
}

void require_len(Napi::Env env, size_t got, size_t want, const char* field) {
  if (got != want) {
    throw Napi::RangeError::New(env, "Expected length " + std::to_string(want) + " for " + field + " but received length " + std::to_string(got));
  }
}

}  // namespace

// knnMixed(queryNumeric, queryCategorical, nQuery, refNumeric, refCategorical, nRef, dNumeric,
//          dCategorical, numericWeight, k, skipSelf, threads) -> { index: Int32Array, distance: Float64Array }
static Napi::Value KnnMixed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto qn = f64_arg(info, 0, "queryNumeric");
  auto qc = i32_arg(info, 1, "queryCategorical");
  size_t nq = static_cast<size_t>(int_arg(info, 2, "nQuery", 0, 2147483646));
  auto rn = f64_arg(info, 3, "refNumeric");
  auto rc = i32_arg(info, 4, "refCategorical");
  size_t nr = static_cast<size_t>(int_arg(info, 5, "nRef", 0, 2147483646));
  size_t dn = static_cast<size_t>(int_arg(info, 6, "dNumeric", 0, 1 << 20));
  size_t dc = static_cast<size_t>(int_arg(info, 7, "dCategorical", 0, 1 << 20));
  auto w = f64_arg(info, 8, "numericWeight");
  size_t k = static_cast<size_t>(int_arg(info, 9, "k", 1, 1024));
  bool skip_self = int_arg(info, 10, "skipSelf", 0, 1) == 1;
  int threads = static_cast<int>(int_arg(info, 11, "threads", 0, 1024));
  return guarded(env, [&]() -> Napi::Value {
    require_len(env, qn.length, hemasynth::checked_mul(nq, dn, "queryNumeric"), "queryNumeric");
    require_len(env, qc.length, hemasynth::checked_mul(nq, dc, "queryCategorical"), "queryCategorical");
    require_len(env, rn.length, hemasynth::checked_mul(nr, dn, "refNumeric"), "refNumeric");
    require_len(env, rc.length, hemasynth::checked_mul(nr, dc, "refCategorical"), "refCategorical");
    require_len(env, w.length, dn, "numericWeight");
    if (skip_self && nq != nr) throw Napi::RangeError::New(env, "Expected nQuery == nRef for skipSelf but received " + std::to_string(nq) + " and " + std::to_string(nr));
    auto index = Napi::Int32Array::New(env, hemasynth::checked_mul(nq, k, "k"));
    auto distance = Napi::Float64Array::New(env, nq * k);
    hemasynth::metrics::knn_mixed({qn.data, qc.data, nq}, {rn.data, rc.data, nr}, dn, dc, w.data, k, skip_self, threads,
                                  index.Data(), distance.Data());
    Napi::Object out = Napi::Object::New(env);
    out.Set("index", index);
    out.Set("distance", distance);
    return out;
  });
}

// glmFit(X row-major n x p, y, n, p, family 0|1|2, maxIter, tol, ridge, threads)
static Napi::Value GlmFit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto x = f64_arg(info, 0, "X");
  auto y = f64_arg(info, 1, "y");
  size_t n = static_cast<size_t>(int_arg(info, 2, "n", 1, 2147483646));
  size_t p = static_cast<size_t>(int_arg(info, 3, "p", 1, 4096));
  int family = static_cast<int>(int_arg(info, 4, "family", 0, 2));
  int max_iter = static_cast<int>(int_arg(info, 5, "maxIter", 1, 10000));
  double tol = number_arg(info, 6, "tol");
  double ridge = number_arg(info, 7, "ridge");
  int threads = static_cast<int>(int_arg(info, 8, "threads", 0, 1024));
  return guarded(env, [&]() -> Napi::Value {
    require_len(env, x.length, hemasynth::checked_mul(n, p, "X"), "X");
    require_len(env, y.length, n, "y");
    if (!(tol > 0)) throw Napi::RangeError::New(env, "Expected a positive number for tol but received " + std::to_string(tol));
    auto r = hemasynth::metrics::glm_fit(x.data, y.data, n, p, static_cast<hemasynth::metrics::GlmFamily>(family), max_iter, tol, ridge, threads);
    Napi::Object out = Napi::Object::New(env);
    out.Set("coef", to_f64(env, r.coef.data(), r.coef.size()));
    out.Set("covariance", to_f64(env, r.covariance.data(), r.covariance.size()));
    out.Set("deviance", r.deviance);
    out.Set("nullDeviance", r.null_deviance);
    out.Set("dispersion", r.dispersion);
    out.Set("iterations", r.iterations);
    out.Set("converged", r.converged);
    return out;
  });
}

// gbtFit(X column-major n x d, y, n, d, loss 0|1|2, trees, depth, learningRate, lambda,
//        minChildWeight, maxBins, threads) -> { model: Float64Array, importance: Float64Array }
static Napi::Value GbtFit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto x = f64_arg(info, 0, "X");
  auto y = f64_arg(info, 1, "y");
  size_t n = static_cast<size_t>(int_arg(info, 2, "n", 2, 2147483646));
  size_t d = static_cast<size_t>(int_arg(info, 3, "d", 1, 1 << 20));
  int loss = static_cast<int>(int_arg(info, 4, "loss", 0, 2));
  hemasynth::metrics::GbtParams prm;
  prm.trees = static_cast<int>(int_arg(info, 5, "trees", 1, 100000));
  prm.depth = static_cast<int>(int_arg(info, 6, "depth", 1, 12));
  prm.learning_rate = number_arg(info, 7, "learningRate");
  prm.lambda = number_arg(info, 8, "lambda");
  prm.min_child_weight = number_arg(info, 9, "minChildWeight");
  prm.max_bins = static_cast<int>(int_arg(info, 10, "maxBins", 2, 255));
  prm.threads = static_cast<int>(int_arg(info, 11, "threads", 0, 1024));
  return guarded(env, [&]() -> Napi::Value {
    require_len(env, x.length, hemasynth::checked_mul(n, d, "X"), "X");
    require_len(env, y.length, n, "y");
    auto m = hemasynth::metrics::gbt_fit(x.data, y.data, n, d, static_cast<hemasynth::metrics::GbtLoss>(loss), prm);
    Napi::Object out = Napi::Object::New(env);
    out.Set("model", to_f64(env, m.data.data(), m.data.size()));
    out.Set("importance", to_f64(env, m.importance.data(), m.importance.size()));
    return out;
  });
}

// gbtPredict(model, X column-major n x d, n, d, threads) -> Float64Array of raw scores
static Napi::Value GbtPredict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto model = f64_arg(info, 0, "model");
  auto x = f64_arg(info, 1, "X");
  size_t n = static_cast<size_t>(int_arg(info, 2, "n", 0, 2147483646));
  size_t d = static_cast<size_t>(int_arg(info, 3, "d", 1, 1 << 20));
  int threads = static_cast<int>(int_arg(info, 4, "threads", 0, 1024));
  return guarded(env, [&]() -> Napi::Value {
    require_len(env, x.length, hemasynth::checked_mul(n, d, "X"), "X");
    auto out = Napi::Float64Array::New(env, n);
    hemasynth::metrics::gbt_predict(model.data, model.length, x.data, n, d, threads, out.Data());
    return out;
  });
}

void RegisterMetrics(Napi::Env env, Napi::Object exports) {
  exports.Set("knnMixed", Napi::Function::New(env, KnnMixed, "knnMixed"));
  exports.Set("glmFit", Napi::Function::New(env, GlmFit, "glmFit"));
  exports.Set("gbtFit", Napi::Function::New(env, GbtFit, "gbtFit"));
  exports.Set("gbtPredict", Napi::Function::New(env, GbtPredict, "gbtPredict"));
}

}  // namespace hemasynth_bindings
