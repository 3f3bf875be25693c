// Bindings for native/anon: argument checks and buffer views only; the search, the privacy
// criteria and the risk estimators live in native/anon.
#include <cmath>

#include "anon/lattice_search.h"
#include "anon/risk_estimators.h"
#include "areas.h"
#include "napi_util.h"

namespace hemasynth_bindings {

namespace {
using namespace hemasynth::anon;

Napi::Value prop(const Napi::Object& o, const char* key, const std::string& where) {
  if (!o.Has(key)) {
    throw Napi::TypeError::New(o.Env(), "Expected a property \"" + std::string(key) + "\" for " + where + " but received none");
  }
  return o.Get(key);
}

double num(const Napi::Object& o, const char* key, const std::string& where) {
  Napi::Value v = prop(o, key, where);
  if (!v.IsNumber()) throw_type(o.Env(), "a number", where + "." + key, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw_type(o.Env(), "a finite number", where + "." + key, v);
  return d;
}

int32_t int32(const Napi::Object& o, const char* key, const std::string& where) {
  double d = num(o, key, where);
  if (d != std::floor(d) || d < -2147483648.0 || d > 2147483647.0) throw_type(o.Env(), "a 32-bit integer", where + "." + key, o.Get(key));
  return static_cast<int32_t>(d);
}

template <class T, napi_typedarray_type Kind>
std::vector<T> typed_vec(const Napi::Value& v, const std::string& field, const char* type_name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != Kind) throw_type(v.Env(), type_name, field, v);
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  return std::vector<T>(arr.Data(), arr.Data() + arr.ElementLength());
}

std::vector<int32_t> i32_vec(const Napi::Object& o, const char* key, const std::string& where) {
  return typed_vec<int32_t, napi_int32_array>(prop(o, key, where), where + "." + key, "Int32Array");
}

std::vector<int64_t> count_vec(const Napi::Object& o, const char* key, const std::string& where) {
  auto d = typed_vec<double, napi_float64_array>(prop(o, key, where), where + "." + key, "Float64Array");
  std::vector<int64_t> r(d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    if (!(d[i] >= 0) || d[i] != std::floor(d[i]) || d[i] > 9007199254740992.0) {
      throw Napi::RangeError::New(o.Env(), "Expected non-negative integer counts for " + where + "." + key + " but received " +
                                               std::to_string(d[i]) + " at index " + std::to_string(i));
    }
    r[i] = static_cast<int64_t>(d[i]);
  }
  return r;
}

Napi::Array array_prop(const Napi::Object& o, const char* key, const std::string& where) {
  Napi::Value v = prop(o, key, where);
  if (!v.IsArray()) throw_type(o.Env(), "an array", where + "." + key, v);
  return v.As<Napi::Array>();
}

SearchInput parse_spec(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) throw_type(env, "a search specification object", "spec", value);
  Napi::Object o = value.As<Napi::Object>();
  SearchInput in;
  in.codes = i32_vec(o, "codes", "spec");
  in.width = int32(o, "width", "spec");
  in.counts = count_vec(o, "counts", "spec");
  if (in.width <= 0) throw Napi::RangeError::New(env, "Expected spec.width > 0");
  in.combos = in.codes.size() / static_cast<size_t>(in.width);
  in.qi_columns = i32_vec(o, "qiColumns", "spec");
  Napi::Array qis = array_prop(o, "qis", "spec");
  for (uint32_t j = 0; j < qis.Length(); ++j) {
    std::string w = "spec.qis[" + std::to_string(j) + "]";
    Napi::Value e = qis.Get(j);
    if (!e.IsObject()) throw_type(env, "an object", w, e);
    Napi::Object q = e.As<Napi::Object>();
    QuasiIdentifier qi;
    qi.gen = i32_vec(q, "gen", w);
    qi.card = int32(q, "card", w);
    qi.height = int32(q, "height", w);
    in.qis.push_back(std::move(qi));
  }
  Napi::Array sens = array_prop(o, "sensitive", "spec");
  for (uint32_t j = 0; j < sens.Length(); ++j) {
    std::string w = "spec.sensitive[" + std::to_string(j) + "]";
    Napi::Value e = sens.Get(j);
    if (!e.IsObject()) throw_type(env, "an object", w, e);
    Napi::Object s = e.As<Napi::Object>();
    SensitiveAttribute a;
    a.column = int32(s, "column", w);
    a.card = int32(s, "card", w);
    if (s.Has("gen") && !s.Get("gen").IsUndefined()) {
      a.gen = i32_vec(s, "gen", w);
      a.height = int32(s, "height", w);
    }
    in.sensitive.push_back(std::move(a));
  }
  in.patient_column = int32(o, "patientColumn", "spec");
  Napi::Array models = array_prop(o, "models", "spec");
  for (uint32_t j = 0; j < models.Length(); ++j) {
    std::string w = "spec.models[" + std::to_string(j) + "]";
    Napi::Value e = models.Get(j);
    if (!e.IsObject()) throw_type(env, "an object", w, e);
    Napi::Object m = e.As<Napi::Object>();
    PrivacyModel pm;
    int32_t kind = int32(m, "kind", w);
    if (kind < 0 || kind > 10) throw Napi::RangeError::New(env, "Expected a model kind in [0, 10] for " + w + ".kind but received " + std::to_string(kind));
    pm.kind = static_cast<ModelKind>(kind);
    pm.a = num(m, "a", w);
    pm.b = num(m, "b", w);
    pm.sensitive = int32(m, "sensitive", w);
    in.models.push_back(pm);
  }
  in.suppression_limit = num(o, "suppressionLimit", "spec");
  int32_t metric = int32(o, "metric", "spec");
  if (metric < 0 || metric > 3) throw Napi::RangeError::New(env, "Expected a metric in [0, 3] for spec.metric but received " + std::to_string(metric));
  in.metric = static_cast<Metric>(metric);
  if (o.Has("maxNodes")) in.max_nodes = static_cast<int64_t>(num(o, "maxNodes", "spec"));
  return in;
}

Napi::Object evaluation_object(Napi::Env env, const NodeEvaluation& e) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("satisfied", e.satisfied);
  r.Set("records", static_cast<double>(e.records));
  r.Set("suppressed", static_cast<double>(e.suppressed));
  r.Set("suppressedRows", static_cast<double>(e.suppressed_rows));
  r.Set("classes", static_cast<double>(e.classes));
  r.Set("loss", e.loss);
  r.Set("averageRisk", e.average_risk);
  r.Set("highestRisk", e.highest_risk);
  r.Set("sampleUniqueness", e.sample_uniqueness);
  r.Set("populationUniqueness", e.population_uniqueness);
  r.Set("failure", e.failure);
  return r;
}

Napi::Int32Array to_i32(Napi::Env env, const std::vector<int32_t>& v) {
  auto a = Napi::Int32Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}
Napi::Float64Array to_f64(Napi::Env env, const std::vector<int64_t>& v) {
  auto a = Napi::Float64Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a[i] = static_cast<double>(v[i]);
  return a;
}

Napi::Value GroupRows(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto cols = i32_arg(info, 0, "columns");
    int64_t rows = int_arg(info, 1, "rows", 0, 2147483647);
    int64_t width = int_arg(info, 2, "width", 1, 4096);
    if (cols.length != static_cast<size_t>(rows) * static_cast<size_t>(width)) {
      throw Napi::RangeError::New(info.Env(), "Expected columns of rows * width = " + std::to_string(rows * width) +
                                                  " entries but received " + std::to_string(cols.length));
    }
    RowGrouping g = group_rows(cols.data, static_cast<size_t>(rows), static_cast<int32_t>(width), 0);
    Napi::Object r = Napi::Object::New(info.Env());
    r.Set("codes", to_i32(info.Env(), g.codes));
    r.Set("counts", to_f64(info.Env(), g.counts));
    r.Set("rowCombo", to_i32(info.Env(), g.row_combo));
    return r;
  });
}

Napi::Value Search(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    LatticeSearch search(parse_spec(info[0]));
    SearchResult res = search.run();
    Napi::Env env = info.Env();
    Napi::Object r = Napi::Object::New(env);
    r.Set("found", res.found);
    r.Set("levels", to_i32(env, res.levels));
    r.Set("evaluation", evaluation_object(env, res.found ? res.best : res.top));
    r.Set("latticeSize", static_cast<double>(res.lattice_size));
    r.Set("checks", static_cast<double>(res.checks));
    r.Set("monotone", res.monotone);
    return r;
  });
}

Napi::Value Assign(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    LatticeSearch search(parse_spec(info[0]));
    auto lv = i32_arg(info, 1, "levels");
    NodeAssignment a = search.assign(std::vector<int32_t>(lv.data, lv.data + lv.length));
    Napi::Env env = info.Env();
    Napi::Object r = Napi::Object::New(env);
    r.Set("evaluation", evaluation_object(env, a.evaluation));
    r.Set("classOfCombo", to_i32(env, a.class_of_combo));
    auto sup = Napi::Uint8Array::New(env, a.suppressed_combo.size());
    std::copy(a.suppressed_combo.begin(), a.suppressed_combo.end(), sup.Data());
    r.Set("suppressedCombo", sup);
    r.Set("classRecords", to_f64(env, a.class_records));
    r.Set("classUnits", to_f64(env, a.class_units));
    return r;
  });
}

Napi::Value PopulationUniquenessFn(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto sizes = f64_arg(info, 0, "classSizes");
    double f = number_arg(info, 1, "samplingFraction");
    if (!(f > 0 && f <= 1)) throw_type(info.Env(), "a sampling fraction in (0, 1]", "samplingFraction", info[1]);
    std::vector<int64_t> s(sizes.length);
    for (size_t i = 0; i < sizes.length; ++i) {
      double d = sizes.data[i];
      if (!(d >= 0) || d != std::floor(d)) throw Napi::RangeError::New(info.Env(), "Expected non-negative integer class sizes for classSizes but received " + std::to_string(d) + " at index " + std::to_string(i));
      s[i] = static_cast<int64_t>(d);
    }
    PopulationUniqueness p = population_uniqueness(histogram_of(s), f);
    Napi::Object r = Napi::Object::New(info.Env());
    r.Set("pitman", p.pitman);
    r.Set("zayatz", p.zayatz);
    r.Set("snb", p.snb);
    r.Set("dankar", p.dankar);
    static const char* names[] = {"none", "pitman", "zayatz", "snb"};
    r.Set("dankarModel", names[p.dankar_model]);
    return r;
  });
}
}  // namespace

void RegisterAnon(Napi::Env env, Napi::Object exports) {
  exports.Set("anonGroupRows", Napi::Function::New(env, GroupRows, "anonGroupRows"));
  exports.Set("anonSearch", Napi::Function::New(env, Search, "anonSearch"));
  exports.Set("anonAssign", Napi::Function::New(env, Assign, "anonAssign"));
  exports.Set("anonPopulationUniqueness", Napi::Function::New(env, PopulationUniquenessFn, "anonPopulationUniqueness"));
}

}  // namespace hemasynth_bindings
