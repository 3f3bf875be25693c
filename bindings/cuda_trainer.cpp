// Bindings for native/cuda/trainer.h: the GPU-resident trainer. Same argument layout as the
// cpu trainer's bindings (bindings/nn.cpp), so src/backend/cuda.ts encodes a model once for
// either. A trainer is an external handle owned by JavaScript (freed by the garbage collector,
// which frees its device memory); while train() runs on the libuv pool the handle is busy and
// every other call on it is refused. In a build without CUDA every function throws
// "built without CUDA".
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "areas.h"
#include "napi_util.h"

#if defined(HEMASYNTH_WITH_CUDA)
#include "cuda/trainer.h"
#include "dp/chacha20.h"
#include "nn/trainer.h"
#endif

namespace hemasynth_bindings {

#if defined(HEMASYNTH_WITH_CUDA)

namespace {

struct GpuTrainerHandle {
  std::unique_ptr<hemasynth::cuda::GpuTrainer> trainer;
  std::atomic<bool> busy{false};
  bool seeded = false;
};

GpuTrainerHandle& handle_arg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = info[i];
  if (!v.IsExternal()) throw_type(info.Env(), "a cuda trainer handle (from cudaCreateTrainer)", "trainer", v);
  GpuTrainerHandle* h = v.As<Napi::External<GpuTrainerHandle>>().Data();
  if (!h || !h->trainer) throw Napi::Error::New(info.Env(), "the cuda trainer handle was released");
  if (h->busy.load()) throw Napi::Error::New(info.Env(), "the trainer is busy with train(); wait for its promise first");
  return *h;
}

std::vector<hemasynth::LossTerm> loss_terms(const Napi::CallbackInfo& info, size_t ci, size_t wi) {
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

Napi::Object step_result(Napi::Env env, const hemasynth::StepResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", r.loss);
  o.Set("batchSize", static_cast<double>(r.batch));
  return o;
}

}  // namespace

// cudaCreateTrainer(inputSize, layerCodes, layerParams, lossCodes, lossWeights, targetSize,
//   options Float64Array(13) as nnCreateTrainer, seed (-1: key from the OS)) -> handle
static Napi::Value CreateTrainer(const Napi::CallbackInfo& info) {
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
    auto h = std::make_unique<GpuTrainerHandle>();
    h->seeded = seed >= 0;
    h->trainer = std::make_unique<hemasynth::cuda::GpuTrainer>(
        m, c, seed >= 0 ? hemasynth::chacha_key_from_seed(static_cast<uint64_t>(seed)) : hemasynth::chacha_key_from_os());
    return Napi::External<GpuTrainerHandle>::New(info.Env(), h.release(), [](Napi::Env, GpuTrainerHandle* p) { delete p; });
  });
}

// cudaTrainerInfo(h) -> {parameterCount, inputSize, outputSize, targetSize, rowsPerSample, layerInputWidths,
//   keystreamPosition, seeded, optimizerSteps, deviceName}
static Napi::Value TrainerInfo(const Napi::CallbackInfo& info) {
  auto& h = handle_arg(info, 0);
  auto& t = *h.trainer;
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("parameterCount", static_cast<double>(t.parameter_count()));
  o.Set("inputSize", static_cast<double>(t.input_size()));
  o.Set("outputSize", static_cast<double>(t.output_size()));
  o.Set("targetSize", static_cast<double>(t.target_size()));
  o.Set("rowsPerSample", 1.0);
  Napi::Array widths = Napi::Array::New(env, t.layer_count());
  for (size_t l = 0; l < t.layer_count(); ++l) widths.Set(static_cast<uint32_t>(l), static_cast<double>(t.layer_input_width(l)));
  o.Set("layerInputWidths", widths);
  o.Set("keystreamPosition", static_cast<double>(t.keystream_position()));
  o.Set("seeded", h.seeded);
  o.Set("optimizerSteps", static_cast<double>(t.optimizer_steps()));
  o.Set("deviceName", t.device_name());
  return o;
}

// cudaTrainerStep(h, x, y, rows: Int32Array|null) -> {loss, batchSize}
static Napi::Value TrainerStep(const Napi::CallbackInfo& info) {
  auto& h = handle_arg(info, 0);
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

// cudaTrainerPoissonStep(h, x, y) -> {loss, batchSize}
static Napi::Value TrainerPoissonStep(const Napi::CallbackInfo& info) {
  auto& h = handle_arg(info, 0);
  auto x = f32_arg(info, 1, "x");
  auto y = f32_arg(info, 2, "y");
  return guarded(info.Env(), [&]() -> Napi::Value {
    return step_result(info.Env(), h.trainer->poisson_step(x.data, x.length, y.data, y.length));
  });
}

// cudaTrainerForward(h, x, startLayer, training) -> Float32Array
static Napi::Value TrainerForward(const Napi::CallbackInfo& info) {
  auto& h = handle_arg(info, 0);
  auto x = f32_arg(info, 1, "x");
  int64_t start = int_arg(info, 2, "startLayer", 0, 1 << 24);
  if (!info[3].IsBoolean()) throw_type(info.Env(), "a boolean", "training", info[3]);
  bool training = info[3].As<Napi::Boolean>().Value();
  return guarded(info.Env(), [&]() -> Napi::Value {
    std::vector<float> out;
    h.trainer->forward(x.data, x.length, static_cast<size_t>(start), training, out);
    auto arr = Napi::Float32Array::New(info.Env(), out.size());
    std::copy(out.begin(), out.end(), arr.Data());
    return arr;
  });
}

// cudaTrainerGradient(h, x, y) -> {loss, gradient: Float32Array}
static Napi::Value TrainerGradient(const Napi::CallbackInfo& info) {
  auto& h = handle_arg(info, 0);
  auto x = f32_arg(info, 1, "x");
  auto y = f32_arg(info, 2, "y");
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto g = Napi::Float32Array::New(info.Env(), h.trainer->parameter_count());
    double loss = h.trainer->gradient(x.data, x.length, y.data, y.length, g.Data(), g.ElementLength());
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("loss", loss);
    o.Set("gradient", g);
    return o;
  });
}

// cudaTrainerInspectClipping(h, x, y) -> {loss, norms: Float64Array, clippedSum: Float32Array}
static Napi::Value TrainerInspectClipping(const Napi::CallbackInfo& info) {
  auto& h = handle_arg(info, 0);
  auto x = f32_arg(info, 1, "x");
  auto y = f32_arg(info, 2, "y");
  return guarded(info.Env(), [&]() -> Napi::Value {
    const size_t in = h.trainer->input_size();
    hemasynth::require(x.length % in == 0, "x", "expected a whole number of rows of " + std::to_string(in));
    const size_t rows = x.length / in;
    auto norms = Napi::Float64Array::New(info.Env(), rows);
    auto sum = Napi::Float32Array::New(info.Env(), h.trainer->parameter_count());
    double loss = h.trainer->inspect_clipping(x.data, x.length, y.data, y.length, norms.Data(), rows, sum.Data(),
                                              sum.ElementLength());
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("loss", loss);
    o.Set("norms", norms);
    o.Set("clippedSum", sum);
    return o;
  });
}

// cudaTrainerInputGradient(h, x, y) -> {loss, inputGradient: Float32Array}
static Napi::Value TrainerInputGradient(const Napi::CallbackInfo& info) {
  auto& h = handle_arg(info, 0);
  auto x = f32_arg(info, 1, "x");
  auto y = f32_arg(info, 2, "y");
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto dx = Napi::Float32Array::New(info.Env(), x.length);
    double loss = h.trainer->input_gradient(x.data, x.length, y.data, y.length, dx.Data(), dx.ElementLength());
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("loss", loss);
    o.Set("inputGradient", dx);
    return o;
  });
}

// cudaTrainerStepWithOutputGradient(h, x, outputGradient) -> undefined
static Napi::Value TrainerStepWithOutputGradient(const Napi::CallbackInfo& info) {
  auto& h = handle_arg(info, 0);
  auto x = f32_arg(info, 1, "x");
  auto d = f32_arg(info, 2, "outputGradient");
  return guarded(info.Env(), [&]() -> Napi::Value {
    h.trainer->step_with_output_gradient(x.data, x.length, d.data, d.length);
    return info.Env().Undefined();
  });
}

// cudaTrainerGetParameters(h) -> Float32Array (a copy of the device parameters)
static Napi::Value TrainerGetParameters(const Napi::CallbackInfo& info) {
  auto& h = handle_arg(info, 0);
  return guarded(info.Env(), [&]() -> Napi::Value {
    const std::vector<float> p = h.trainer->parameters();
    auto arr = Napi::Float32Array::New(info.Env(), p.size());
    std::copy(p.begin(), p.end(), arr.Data());
    return arr;
  });
}

// cudaTrainerSetParameters(h, p: Float32Array) -> undefined
static Napi::Value TrainerSetParameters(const Napi::CallbackInfo& info) {
  auto& h = handle_arg(info, 0);
  auto p = f32_arg(info, 1, "parameters");
  return guarded(info.Env(), [&]() -> Napi::Value {
    h.trainer->set_parameters(p.data, p.length);
    return info.Env().Undefined();
  });
}

namespace {

struct Progress {
  double step, loss, batch;
};

// Runs `steps` training steps on the libuv pool (each one a whole step on the GPU); reports
// progress every `every` steps.
class GpuTrainWorker : public Napi::AsyncProgressWorker<Progress> {
 public:
  GpuTrainWorker(Napi::Env env, Napi::Object holder, GpuTrainerHandle& h, Napi::Float32Array x, Napi::Float32Array y,
                 int64_t steps, bool poisson, int64_t batch, int64_t every, Napi::Function on_progress)
      : Napi::AsyncProgressWorker<Progress>(env, "hemasynth.cudaTrain"), h_(h),
        deferred_(Napi::Promise::Deferred::New(env)), steps_(steps), poisson_(poisson), batch_(batch), every_(every) {
    holder_ = Napi::Persistent(holder);
    x_ = x.Data(); x_len_ = x.ElementLength();
    y_ = y.Data(); y_len_ = y.ElementLength();
    if (!on_progress.IsEmpty()) callback_ = Napi::Persistent(on_progress);
    h_.busy.store(true);
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    try {
      auto& t = *h_.trainer;
      const size_t n = x_len_ / std::max<size_t>(1, t.input_size());
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
      SetError(e.what());
    }
  }
  void OnProgress(const Progress* p, size_t count) override {
    if (callback_.IsEmpty() || count == 0) return;
    Napi::HandleScope scope(Env());
    Napi::Object o = Napi::Object::New(Env());
    o.Set("step", p->step);
    o.Set("loss", p->loss);
    o.Set("batchSize", p->batch);
    callback_.Call({o});
  }
  void OnOK() override {
    h_.busy.store(false);
    Napi::Object o = Napi::Object::New(Env());
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
  GpuTrainerHandle& h_;
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

}  // namespace

// cudaTrainerTrain(h, x, y, steps, poisson, batchSize, progressEvery, onProgress|null) -> Promise<{steps, meanLoss, lastLoss}>
static Napi::Value TrainerTrain(const Napi::CallbackInfo& info) {
  auto& h = handle_arg(info, 0);
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
    auto* w = new GpuTrainWorker(info.Env(), holder, h, info[1].As<Napi::Float32Array>(), info[2].As<Napi::Float32Array>(),
                                 steps, poisson, batch, every, cb);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  });
}

// cudaKeystreamSamples(seed, position, kind 0 uniforms | 1 Gaussians, count) -> Float64Array drawn on the GPU
static Napi::Value KeystreamSamples(const Napi::CallbackInfo& info) {
  int64_t seed = int_arg(info, 0, "seed", 0, int64_t(1) << 53);
  int64_t position = int_arg(info, 1, "position", 0, int64_t(1) << 53);
  int64_t kind = int_arg(info, 2, "kind", 0, 1);
  int64_t count = int_arg(info, 3, "count", 0, int64_t(1) << 28);
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto out = Napi::Float64Array::New(info.Env(), static_cast<size_t>(count));
    hemasynth::cuda::device_keystream_samples(hemasynth::chacha_key_from_seed(static_cast<uint64_t>(seed)),
                                              static_cast<uint64_t>(position), static_cast<int>(kind), out.Data(),
                                              static_cast<size_t>(count));
    return out;
  });
}

void RegisterCudaTrainer(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaCreateTrainer", Napi::Function::New(env, CreateTrainer, "cudaCreateTrainer"));
  exports.Set("cudaTrainerInfo", Napi::Function::New(env, TrainerInfo, "cudaTrainerInfo"));
  exports.Set("cudaTrainerStep", Napi::Function::New(env, TrainerStep, "cudaTrainerStep"));
  exports.Set("cudaTrainerPoissonStep", Napi::Function::New(env, TrainerPoissonStep, "cudaTrainerPoissonStep"));
  exports.Set("cudaTrainerForward", Napi::Function::New(env, TrainerForward, "cudaTrainerForward"));
  exports.Set("cudaTrainerGradient", Napi::Function::New(env, TrainerGradient, "cudaTrainerGradient"));
  exports.Set("cudaTrainerInspectClipping", Napi::Function::New(env, TrainerInspectClipping, "cudaTrainerInspectClipping"));
  exports.Set("cudaTrainerInputGradient", Napi::Function::New(env, TrainerInputGradient, "cudaTrainerInputGradient"));
  exports.Set("cudaTrainerStepWithOutputGradient",
              Napi::Function::New(env, TrainerStepWithOutputGradient, "cudaTrainerStepWithOutputGradient"));
  exports.Set("cudaTrainerGetParameters", Napi::Function::New(env, TrainerGetParameters, "cudaTrainerGetParameters"));
  exports.Set("cudaTrainerSetParameters", Napi::Function::New(env, TrainerSetParameters, "cudaTrainerSetParameters"));
  exports.Set("cudaTrainerTrain", Napi::Function::New(env, TrainerTrain, "cudaTrainerTrain"));
  exports.Set("cudaKeystreamSamples", Napi::Function::New(env, KeystreamSamples, "cudaKeystreamSamples"));
}

#else  // built without CUDA: the same names, each explaining why it cannot run

static Napi::Value NoCuda(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(),
                         "this build has no CUDA kernels (built without CUDA: nvcc was not found or HEMASYNTH_CUDA=off)");
}

void RegisterCudaTrainer(Napi::Env env, Napi::Object exports) {
  for (const char* name : {"cudaCreateTrainer", "cudaTrainerInfo", "cudaTrainerStep", "cudaTrainerPoissonStep",
                           "cudaTrainerForward", "cudaTrainerGradient", "cudaTrainerInspectClipping",
                           "cudaTrainerInputGradient", "cudaTrainerStepWithOutputGradient", "cudaTrainerGetParameters",
                           "cudaTrainerSetParameters", "cudaTrainerTrain", "cudaKeystreamSamples"})
    exports.Set(name, Napi::Function::New(env, NoCuda, name));
}

#endif

}  // namespace hemasynth_bindings
