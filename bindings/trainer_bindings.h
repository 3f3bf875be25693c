// The Node bindings shared by the cpu trainer (bindings/nn.cpp, hemasynth::Trainer) and the
// GPU trainer (bindings/cuda_trainer.cpp, hemasynth::cuda::GpuTrainer): both take the same
// arguments and run the same checks, so they are written once here, templated on the native
// trainer type. What differs between the two (export prefix, handle wording, rows per sample,
// keystream access, extra info fields, set_threads) comes from TrainerBindingTraits<Native>,
// which each bindings file specialises.
//
// A trainer is an external handle owned by JavaScript (freed by the garbage collector); no
// state is global, so the addon works in several worker threads at once. While train() runs on
// the libuv pool the handle is marked busy and every other call on it is refused.
#pragma once
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "dp/chacha20.h"
#include "napi_util.h"
#include "nn/loss.h"
#include "nn/trainer.h"

namespace hemasynth_bindings {

// Specialised per native trainer type with:
//   static constexpr const char* prefix;           // export prefix: "nn" → nnCreateTrainer, nnTrainerStep, ...
//   static constexpr const char* handle_expected;  // throw_type wording for a non-handle argument
//   static constexpr const char* released;         // message for a handle whose trainer is gone
//   static constexpr const char* worker_name;      // async resource name of train()
//   static constexpr bool has_set_threads;         // exports <prefix>TrainerSetThreads
//   static size_t rows_per_sample(const Native&);
//   static uint64_t keystream_position(Native&);
//   static void add_info(Napi::Object&, const Native&);  // fields after optimizerSteps
template <class Native>
struct TrainerBindingTraits;

template <class Native>
struct TrainerHandle {
  std::unique_ptr<Native> trainer;
  std::atomic<bool> busy{false};
  bool seeded = false;
};

template <class Native>
TrainerHandle<Native>& trainer_handle_arg(const Napi::CallbackInfo& info, size_t i) {
  using Traits = TrainerBindingTraits<Native>;
  Napi::Value v = info[i];
  if (!v.IsExternal()) throw_type(info.Env(), Traits::handle_expected, "trainer", v);
  TrainerHandle<Native>* h = v.As<Napi::External<TrainerHandle<Native>>>().Data();
  if (!h || !h->trainer) throw Napi::Error::New(info.Env(), Traits::released);
  if (h->busy.load()) throw Napi::Error::New(info.Env(), "the trainer is busy with train(); wait for its promise first");
  return *h;
}

inline std::vector<hemasynth::LossTerm> loss_terms(const Napi::CallbackInfo& info, size_t ci, size_t wi) {
  auto codes = i32_arg(info, ci, "lossCodes");
  auto weights = f64_arg(info, wi, "lossWeights");
  hemasynth::require(codes.length % 4 == 0 && codes.length / 4 == weights.length, "loss",
                     "expected 4 codes (kind, outputOffset, targetOffset, width) and one weight per loss term");
  std::vector<hemasynth::LossTerm> terms(weights.length);
  for (size_t t = 0; t < terms.size(); ++t) {
    terms[t].kind = static_cast<hemasynth::LossKind>(codes.data[4 * t]);
    terms[t].out_offset = codes.data[4 * t + 1];
    terms[t].tgt_offset = codes.data[4 * t + 2];
    terms[t].width = codes.data[4 * t + 3];
    terms[t].weight = weights.data[t];
  }
  return terms;
}

// The arguments of nnLossF32 and cudaLossF32: (lossCodes, lossWeights, output, outputColumns,
// target, targetColumns), checked against each other.
struct LossArgs {
  std::vector<hemasynth::LossTerm> terms;
  TypedView<float, napi_float32_array> out, tgt;
  size_t oc = 0, tc = 0, rows = 0;
};

inline LossArgs loss_args(const Napi::CallbackInfo& info) {
  LossArgs a{{}, f32_arg(info, 2, "output"), f32_arg(info, 4, "target"), 0, 0, 0};
  a.oc = static_cast<size_t>(int_arg(info, 3, "outputColumns", 1, 1 << 24));
  a.tc = static_cast<size_t>(int_arg(info, 5, "targetColumns", 1, 1 << 24));
  a.terms = loss_terms(info, 0, 1);
  hemasynth::validate_loss_terms(a.terms, static_cast<int64_t>(a.oc), static_cast<int64_t>(a.tc));
  hemasynth::require(a.out.length % a.oc == 0, "output", "expected a whole number of rows");
  a.rows = a.out.length / a.oc;
  hemasynth::require(a.tgt.length == a.rows * a.tc, "target", "expected one target row per output row");
  return a;
}

// nnLossF32 / cudaLossF32: checks the arguments, then compute(args, loss, gradient) fills a zeroed
// Float64Array of per-row losses and a Float32Array of output gradients, returned as {loss, gradient}.
template <class Compute>
Napi::Value loss_op(const Napi::CallbackInfo& info, Compute&& compute) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const LossArgs a = loss_args(info);
    auto loss = Napi::Float64Array::New(info.Env(), a.rows);
    auto grad = Napi::Float32Array::New(info.Env(), a.out.length);
    std::fill(loss.Data(), loss.Data() + a.rows, 0.0);
    compute(a, loss.Data(), grad.Data());
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("loss", loss);
    o.Set("gradient", grad);
    return o;
  });
}

inline Napi::Object step_result(Napi::Env env, const hemasynth::StepResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", r.loss);
  o.Set("batchSize", static_cast<double>(r.batch));
  return o;
}

// Reads the handle, x and a second Float32Array (named `second`) from arguments 0..2, in that
// order, then runs fn(trainer, x, second) with native errors turned into JavaScript errors.
template <class Native, class Fn>
Napi::Value with_trainer_arrays(const Napi::CallbackInfo& info, const char* second, Fn&& fn) {
  auto& h = trainer_handle_arg<Native>(info, 0);
  auto x = f32_arg(info, 1, "x");
  auto y = f32_arg(info, 2, second);
  return guarded(info.Env(), [&]() -> Napi::Value { return fn(*h.trainer, x, y); });
}

// {loss, <name>: array}
inline Napi::Object loss_and(Napi::Env env, double loss, const char* name, Napi::Value array) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", loss);
  o.Set(name, array);
  return o;
}

// <prefix>CreateTrainer(inputSize, layerCodes Int32Array [kind,size]*, layerParams Float64Array,
//   lossCodes Int32Array [kind,outOff,tgtOff,width]*, lossWeights Float64Array, targetSize,
//   options Float64Array [optimizer, lr, beta1, beta2, eps, weightDecay, dp, noiseMultiplier,
//   maxGradNorm, expectedBatchSize, sampleRate, threads, rowsPerSample], seed (-1: key from the OS)) -> handle
template <class Native>
Napi::Value CreateTrainer(const Napi::CallbackInfo& info) {
  int64_t input = int_arg(info, 0, "inputSize", 1, 1 << 24);
  auto lc = i32_arg(info, 1, "layerCodes");
  auto lp = f64_arg(info, 2, "layerParams");
  int64_t target = int_arg(info, 5, "targetSize", 0, 1 << 24);
  auto opt = f64_arg(info, 6, "options");
  int64_t seed = int_arg(info, 7, "seed", -1, int64_t(1) << 53);
  return guarded(info.Env(), [&]() -> Napi::Value {
    hemasynth::require(lc.length % 2 == 0 && lc.length / 2 == lp.length, "layers",
                       "expected 2 codes (kind, size) and one parameter per layer");
    hemasynth::require(opt.length == 13, "options", "expected 13 option values");
    hemasynth::ModelSpec m;
    m.input_size = input;
    for (size_t l = 0; l < lp.length; ++l)
      m.layers.push_back({static_cast<hemasynth::LayerKind>(lc.data[2 * l]), lc.data[2 * l + 1], lp.data[l]});
    hemasynth::TrainerConfig c;
    c.loss = loss_terms(info, 3, 4);
    c.target_size = target;
    c.optimizer.kind = static_cast<hemasynth::OptimizerKind>(static_cast<int>(opt.data[0]));
    c.optimizer.lr = opt.data[1];
    c.optimizer.beta1 = opt.data[2];
    c.optimizer.beta2 = opt.data[3];
    c.optimizer.eps = opt.data[4];
    c.optimizer.weight_decay = opt.data[5];
    c.dp.enabled = opt.data[6] != 0;
    c.dp.noise_multiplier = opt.data[7];
    c.dp.max_grad_norm = opt.data[8];
    c.dp.expected_batch_size = opt.data[9];
    c.dp.sample_rate = opt.data[10];
    c.threads = static_cast<int>(opt.data[11]);
    c.rows_per_sample = static_cast<int64_t>(opt.data[12]);
    auto h = std::make_unique<TrainerHandle<Native>>();
    h->seeded = seed >= 0;
    h->trainer = std::make_unique<Native>(
        m, c, seed >= 0 ? hemasynth::chacha_key_from_seed(static_cast<uint64_t>(seed)) : hemasynth::chacha_key_from_os());
    return Napi::External<TrainerHandle<Native>>::New(info.Env(), h.release(),
                                                      [](Napi::Env, TrainerHandle<Native>* p) { delete p; });
  });
}

// <prefix>TrainerInfo(h) -> {parameterCount, inputSize, outputSize, targetSize, rowsPerSample, layerInputWidths,
//   keystreamPosition, seeded, optimizerSteps, ...Traits::add_info}
template <class Native>
Napi::Value TrainerInfo(const Napi::CallbackInfo& info) {
  using Traits = TrainerBindingTraits<Native>;
  auto& h = trainer_handle_arg<Native>(info, 0);
  auto& t = *h.trainer;
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("parameterCount", static_cast<double>(t.parameter_count()));
  o.Set("inputSize", static_cast<double>(t.input_size()));
  o.Set("outputSize", static_cast<double>(t.output_size()));
  o.Set("targetSize", static_cast<double>(t.target_size()));
  o.Set("rowsPerSample", static_cast<double>(Traits::rows_per_sample(t)));
  Napi::Array widths = Napi::Array::New(env, t.layer_count());
  for (size_t l = 0; l < t.layer_count(); ++l) widths.Set(static_cast<uint32_t>(l), static_cast<double>(t.layer_input_width(l)));
  o.Set("layerInputWidths", widths);
  o.Set("keystreamPosition", static_cast<double>(Traits::keystream_position(t)));
  o.Set("seeded", h.seeded);
  o.Set("optimizerSteps", static_cast<double>(t.optimizer_steps()));
  Traits::add_info(o, t);
  return o;
}

// <prefix>TrainerStep(h, x, y, rows: Int32Array|null) -> {loss, batchSize}
template <class Native>
Napi::Value TrainerStep(const Napi::CallbackInfo& info) {
  auto& h = trainer_handle_arg<Native>(info, 0);
  auto x = f32_arg(info, 1, "x");
  auto y = f32_arg(info, 2, "y");
  const int32_t* rows = nullptr;
  size_t n = 0;
  if (!info[3].IsNull() && !info[3].IsUndefined()) {
    auto r = i32_arg(info, 3, "rows");
    rows = r.data;
    n = r.length;
    static const int32_t none = 0;
    if (!rows) rows = &none;  // an empty Int32Array still selects rows (none of them)
  }
  return guarded(info.Env(), [&]() -> Napi::Value {
    return step_result(info.Env(), h.trainer->step(x.data, x.length, y.data, y.length, rows, n));
  });
}

// <prefix>TrainerPoissonStep(h, x, y) -> {loss, batchSize}
template <class Native>
Napi::Value TrainerPoissonStep(const Napi::CallbackInfo& info) {
  return with_trainer_arrays<Native>(info, "y", [&](Native& t, const auto& x, const auto& y) -> Napi::Value {
    return step_result(info.Env(), t.poisson_step(x.data, x.length, y.data, y.length));
  });
}

// <prefix>TrainerForward(h, x, startLayer, training[, out]) -> Float32Array
// With `out` (a Float32Array of rows × outputSize values) the output is written there and `out`
// is returned: a sampler reuses one array per chunk instead of faulting in a fresh one each time.
template <class Native>
Napi::Value TrainerForward(const Napi::CallbackInfo& info) {
  auto& h = trainer_handle_arg<Native>(info, 0);
  auto x = f32_arg(info, 1, "x");
  int64_t start = int_arg(info, 2, "startLayer", 0, 1 << 24);
  if (!info[3].IsBoolean()) throw_type(info.Env(), "a boolean", "training", info[3]);
  bool training = info[3].As<Napi::Boolean>().Value();
  const bool has_out = info.Length() > 4 && !info[4].IsUndefined() && !info[4].IsNull();
  return guarded(info.Env(), [&]() -> Napi::Value {
    if constexpr (std::is_same_v<Native, hemasynth::Trainer>) {
      // The cpu trainer writes straight into the JavaScript array (one copy, no temporary).
      const size_t n = h.trainer->forward_rows(x.length, static_cast<size_t>(start)) * h.trainer->output_size();
      Napi::Float32Array arr;
      if (has_out) {
        auto out = f32_arg(info, 4, "out");
        arr = info[4].As<Napi::Float32Array>();
        h.trainer->forward_into(x.data, x.length, static_cast<size_t>(start), training, out.data, out.length);
      } else {
        arr = Napi::Float32Array::New(info.Env(), n);
        h.trainer->forward_into(x.data, x.length, static_cast<size_t>(start), training, arr.Data(), n);
      }
      return arr;
    } else {
      std::vector<float> out;
      h.trainer->forward(x.data, x.length, static_cast<size_t>(start), training, out);
      if (has_out) {
        auto dst = f32_arg(info, 4, "out");
        hemasynth::require(dst.length == out.size(), "out", "expected " + std::to_string(out.size()) + " values (rows × outputs)");
        std::copy(out.begin(), out.end(), dst.data);
        return info[4];
      }
      auto arr = Napi::Float32Array::New(info.Env(), out.size());
      std::copy(out.begin(), out.end(), arr.Data());
      return arr;
    }
  });
}

// <prefix>TrainerGradient(h, x, y) -> {loss, gradient: Float32Array}
template <class Native>
Napi::Value TrainerGradient(const Napi::CallbackInfo& info) {
  return with_trainer_arrays<Native>(info, "y", [&](Native& t, const auto& x, const auto& y) -> Napi::Value {
    auto g = Napi::Float32Array::New(info.Env(), t.parameter_count());
    double loss = t.gradient(x.data, x.length, y.data, y.length, g.Data(), g.ElementLength());
    return loss_and(info.Env(), loss, "gradient", g);
  });
}

// <prefix>TrainerInspectClipping(h, x, y) -> {loss, norms: Float64Array (one per sample), clippedSum: Float32Array}
template <class Native>
Napi::Value TrainerInspectClipping(const Napi::CallbackInfo& info) {
  return with_trainer_arrays<Native>(info, "y", [&](Native& t, const auto& x, const auto& y) -> Napi::Value {
    const size_t in = t.input_size();
    hemasynth::require(x.length % in == 0, "x", "expected a whole number of rows of " + std::to_string(in));
    const size_t rows = (x.length / in) / TrainerBindingTraits<Native>::rows_per_sample(t);
    auto norms = Napi::Float64Array::New(info.Env(), rows);
    auto sum = Napi::Float32Array::New(info.Env(), t.parameter_count());
    double loss = t.inspect_clipping(x.data, x.length, y.data, y.length, norms.Data(), rows, sum.Data(), sum.ElementLength());
    Napi::Object o = loss_and(info.Env(), loss, "norms", norms);
    o.Set("clippedSum", sum);
    return o;
  });
}

// <prefix>TrainerInputGradient(h, x, y) -> {loss, inputGradient: Float32Array}
template <class Native>
Napi::Value TrainerInputGradient(const Napi::CallbackInfo& info) {
  return with_trainer_arrays<Native>(info, "y", [&](Native& t, const auto& x, const auto& y) -> Napi::Value {
    auto dx = Napi::Float32Array::New(info.Env(), x.length);
    double loss = t.input_gradient(x.data, x.length, y.data, y.length, dx.Data(), dx.ElementLength());
    return loss_and(info.Env(), loss, "inputGradient", dx);
  });
}

// <prefix>TrainerStepWithOutputGradient(h, x, outputGradient) -> undefined
template <class Native>
Napi::Value TrainerStepWithOutputGradient(const Napi::CallbackInfo& info) {
  return with_trainer_arrays<Native>(info, "outputGradient", [&](Native& t, const auto& x, const auto& d) -> Napi::Value {
    t.step_with_output_gradient(x.data, x.length, d.data, d.length);
    return info.Env().Undefined();
  });
}

// <prefix>TrainerGetParameters(h) -> Float32Array (a copy; the GPU trainer copies from the device)
template <class Native>
Napi::Value TrainerGetParameters(const Napi::CallbackInfo& info) {
  auto& h = trainer_handle_arg<Native>(info, 0);
  return guarded(info.Env(), [&]() -> Napi::Value {
    const auto& p = h.trainer->parameters();  // a reference (cpu) or a temporary kept alive here (GPU)
    auto arr = Napi::Float32Array::New(info.Env(), p.size());
    std::copy(p.begin(), p.end(), arr.Data());
    return arr;
  });
}

// <prefix>TrainerSetParameters(h, p: Float32Array) -> undefined
template <class Native>
Napi::Value TrainerSetParameters(const Napi::CallbackInfo& info) {
  auto& h = trainer_handle_arg<Native>(info, 0);
  auto p = f32_arg(info, 1, "parameters");
  return guarded(info.Env(), [&]() -> Napi::Value {
    h.trainer->set_parameters(p.data, p.length);
    return info.Env().Undefined();
  });
}

// <prefix>TrainerSetThreads(h, threads) -> undefined (only where Traits::has_set_threads)
template <class Native>
Napi::Value TrainerSetThreads(const Napi::CallbackInfo& info) {
  auto& h = trainer_handle_arg<Native>(info, 0);
  h.trainer->set_threads(static_cast<int>(int_arg(info, 1, "threads", 0, 1024)));
  return info.Env().Undefined();
}

struct TrainProgress {
  double step, loss, batch;
};

// Runs `steps` training steps on the libuv pool; reports progress every `every` steps.
// A queue worker, not Napi::AsyncProgressWorker: that one keeps only the latest report when the
// event loop has not yet taken the previous one, so fast steps (any GPU step, small cpu models)
// lost most of their progress events.
template <class Native>
class TrainWorker : public Napi::AsyncProgressQueueWorker<TrainProgress> {
 public:
  using Progress = TrainProgress;
  using ExecutionProgress = typename Napi::AsyncProgressQueueWorker<TrainProgress>::ExecutionProgress;

  TrainWorker(Napi::Env env, Napi::Object handle_holder, TrainerHandle<Native>& h, Napi::Float32Array x,
              Napi::Float32Array y, int64_t steps, bool poisson, int64_t batch, int64_t every, Napi::Function on_progress)
      : Napi::AsyncProgressQueueWorker<TrainProgress>(env, TrainerBindingTraits<Native>::worker_name), h_(h),
        deferred_(Napi::Promise::Deferred::New(env)), steps_(steps), poisson_(poisson), batch_(batch), every_(every) {
    holder_ = Napi::Persistent(handle_holder);
    x_ = x.Data(); x_len_ = x.ElementLength();
    y_ = y.Data(); y_len_ = y.ElementLength();
    if (!on_progress.IsEmpty()) callback_ = Napi::Persistent(on_progress);
    h_.busy.store(true);
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    try {
      auto& t = *h_.trainer;
      const size_t n = x_len_ / std::max<size_t>(1, t.input_size()) / TrainerBindingTraits<Native>::rows_per_sample(t);  // samples
      std::vector<int32_t> rows;
      size_t cursor = 0;
      for (int64_t s = 0; s < steps_; ++s) {
        hemasynth::StepResult r;
        if (poisson_) {
          r = t.poisson_step(x_, x_len_, y_, y_len_);
        } else {
          rows.resize(static_cast<size_t>(std::min<int64_t>(batch_, static_cast<int64_t>(n))));
          for (auto& v : rows) { v = static_cast<int32_t>(cursor); cursor = (cursor + 1) % std::max<size_t>(1, n); }
          r = t.step(x_, x_len_, y_, y_len_, rows.data(), rows.size());
        }
        loss_sum_ += r.loss;
        last_ = {static_cast<double>(s + 1), r.loss, static_cast<double>(r.batch)};
        if (every_ > 0 && ((s + 1) % every_ == 0 || s + 1 == steps_)) progress.Send(&last_, 1);
      }
    } catch (const std::exception& e) {
      this->SetError(e.what());
    }
  }
  void OnProgress(const Progress* p, size_t count) override {
    if (callback_.IsEmpty() || count == 0) return;
    Napi::HandleScope scope(this->Env());
    Napi::Object o = Napi::Object::New(this->Env());
    o.Set("step", p->step);
    o.Set("loss", p->loss);
    o.Set("batchSize", p->batch);
    callback_.Call({o});
  }
  void OnOK() override {
    h_.busy.store(false);
    Napi::Object o = Napi::Object::New(this->Env());
    o.Set("steps", static_cast<double>(steps_));
    o.Set("meanLoss", steps_ > 0 ? loss_sum_ / static_cast<double>(steps_) : 0.0);
    o.Set("lastLoss", last_.loss);
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override {
    h_.busy.store(false);
    deferred_.Reject(e.Value());
  }

 private:
  TrainerHandle<Native>& h_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference holder_;  // keeps the handle and the data arrays alive
  Napi::FunctionReference callback_;
  const float* x_; size_t x_len_;
  const float* y_; size_t y_len_;
  int64_t steps_;
  bool poisson_;
  int64_t batch_, every_;
  double loss_sum_ = 0.0;
  Progress last_{0, 0, 0};
};

// <prefix>TrainerTrain(h, x, y, steps, poisson, batchSize, progressEvery, onProgress|null) -> Promise<{steps, meanLoss, lastLoss}>
template <class Native>
Napi::Value TrainerTrain(const Napi::CallbackInfo& info) {
  auto& h = trainer_handle_arg<Native>(info, 0);
  auto x = f32_arg(info, 1, "x");
  auto y = f32_arg(info, 2, "y");
  int64_t steps = int_arg(info, 3, "steps", 0, int64_t(1) << 40);
  if (!info[4].IsBoolean()) throw_type(info.Env(), "a boolean", "poisson", info[4]);
  bool poisson = info[4].As<Napi::Boolean>().Value();
  int64_t batch = int_arg(info, 5, "batchSize", 0, 1 << 30);
  int64_t every = int_arg(info, 6, "progressEvery", 0, int64_t(1) << 40);
  Napi::Function cb;
  if (info[7].IsFunction()) cb = info[7].As<Napi::Function>();
  else if (!info[7].IsNull() && !info[7].IsUndefined()) throw_type(info.Env(), "a function or null", "onProgress", info[7]);
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto& t = *h.trainer;
    hemasynth::require(x.length % t.input_size() == 0, "x", "expected a whole number of rows of " + std::to_string(t.input_size()));
    hemasynth::require(t.target_size() > 0 && y.length % t.target_size() == 0 &&
                           y.length / t.target_size() == x.length / t.input_size(),
                       "y", "expected one target row per row of x");
    Napi::Object holder = Napi::Object::New(info.Env());
    holder.Set("handle", info[0]);
    holder.Set("x", info[1]);
    holder.Set("y", info[2]);
    auto* w = new TrainWorker<Native>(info.Env(), holder, h, info[1].As<Napi::Float32Array>(),
                                      info[2].As<Napi::Float32Array>(), steps, poisson, batch, every, cb);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  });
}

// Exports the trainer functions as <prefix>CreateTrainer, <prefix>TrainerInfo, ..., <prefix>TrainerTrain
// (in this order; <prefix>TrainerSetThreads before Train where the trainer has it).
template <class Native>
void RegisterTrainerFunctions(Napi::Env env, Napi::Object exports) {
  using Traits = TrainerBindingTraits<Native>;
  const std::string prefix = Traits::prefix;
  auto add = [&](const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
    const std::string full = prefix + name;
    exports.Set(full, Napi::Function::New(env, fn, full));
  };
  add("CreateTrainer", CreateTrainer<Native>);
  add("TrainerInfo", TrainerInfo<Native>);
  add("TrainerStep", TrainerStep<Native>);
  add("TrainerPoissonStep", TrainerPoissonStep<Native>);
  add("TrainerForward", TrainerForward<Native>);
  add("TrainerGradient", TrainerGradient<Native>);
  add("TrainerInspectClipping", TrainerInspectClipping<Native>);
  add("TrainerInputGradient", TrainerInputGradient<Native>);
  add("TrainerStepWithOutputGradient", TrainerStepWithOutputGradient<Native>);
  add("TrainerGetParameters", TrainerGetParameters<Native>);
  add("TrainerSetParameters", TrainerSetParameters<Native>);
  if constexpr (Traits::has_set_threads) add("TrainerSetThreads", TrainerSetThreads<Native>);
  add("TrainerTrain", TrainerTrain<Native>);
}

}  // namespace hemasynth_bindings
