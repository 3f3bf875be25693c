// Bindings for native/tensor and the stateless nn kernels: dense ops over typed-array views.
// Each function checks its arguments, allocates the output and forwards to native/.
#include <cmath>
#include <vector>

#include "areas.h"
#include "dp/keystream.h"
#include "napi_util.h"
#include "nn/activation.h"
#include "nn/layer_norm.h"
#include "tensor/gemm.h"
#include "tensor/peak.h"
#if defined(HEMASYNTH_WITH_CUDA)
#include "cuda/measure.h"
#include "cuda/ops.h"
#endif
#include "tensor/reduce.h"

namespace hemasynth_bindings {

static bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* field) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) throw_type(info.Env(), "a boolean", field, v);
  return v.As<Napi::Boolean>().Value();
}

static Napi::Float32Array new_f32(Napi::Env env, size_t n) { return Napi::Float32Array::New(env, n); }

// sumF64(x: Float64Array, threads: number) -> number
static Napi::Value SumF64(const Napi::CallbackInfo& info) {
  auto x = f64_arg(info, 0, "x");
  int threads = static_cast<int>(int_arg(info, 1, "threads", 0, 1024));
  return guarded(info.Env(), [&] {
    return Napi::Number::New(info.Env(), hemasynth::sum_f64(x.data, x.length, threads));
  });
}

// tensorCreateGemmWorkspace() -> handle owning packing buffers reused across matmulF32 calls
// (freed by the garbage collector; use from one thread at a time).
static Napi::Value CreateGemmWorkspace(const Napi::CallbackInfo& info) {
  return Napi::External<hemasynth::GemmWorkspace>::New(info.Env(), new hemasynth::GemmWorkspace(),
                                                        [](Napi::Env, hemasynth::GemmWorkspace* w) { delete w; });
}

// The arguments (a, b, m, k, n, transA, transB, bias|null) shared by the cpu and cuda products.
struct MatmulArgs {
  TypedView<float, napi_float32_array> a, b;
  hemasynth::GemmShape s;
  const float* bias = nullptr;
  size_t bias_len = 0;
};

static MatmulArgs matmul_args(const Napi::CallbackInfo& info) {
  MatmulArgs r{f32_arg(info, 0, "a"), f32_arg(info, 1, "b"), {}, nullptr, 0};
  r.s.m = static_cast<size_t>(int_arg(info, 2, "m", 0, 1 << 30));
  r.s.k = static_cast<size_t>(int_arg(info, 3, "k", 0, 1 << 30));
  r.s.n = static_cast<size_t>(int_arg(info, 4, "n", 0, 1 << 30));
  r.s.trans_a = bool_arg(info, 5, "transA");
  r.s.trans_b = bool_arg(info, 6, "transB");
  if (!info[7].IsNull() && !info[7].IsUndefined()) {
    auto bv = f32_arg(info, 7, "bias");
    r.bias = bv.data;
    r.bias_len = bv.length;
  }
  return r;
}

// matmulF32(a, b, m, k, n, transA, transB, bias|null, threads, workspace?, out?) -> Float32Array (m×n;
// `out` itself when given, so repeated products write in place without allocating)
static Napi::Value MatmulF32(const Napi::CallbackInfo& info) {
  const MatmulArgs m = matmul_args(info);
  int threads = static_cast<int>(int_arg(info, 8, "threads", 0, 1024));
  hemasynth::GemmWorkspace* ws = nullptr;
  if (info.Length() > 9 && !info[9].IsUndefined() && !info[9].IsNull()) {
    if (!info[9].IsExternal()) throw_type(info.Env(), "a workspace handle (from tensorCreateGemmWorkspace)", "workspace", info[9]);
    ws = info[9].As<Napi::External<hemasynth::GemmWorkspace>>().Data();
  }
  Napi::Float32Array out;
  if (info.Length() > 10 && !info[10].IsUndefined() && !info[10].IsNull()) {
    f32_arg(info, 10, "out");
    out = info[10].As<Napi::Float32Array>();
  }
  return guarded(info.Env(), [&]() -> Napi::Value {
    size_t cn = hemasynth::checked_mul(m.s.m, m.s.n, "c");
    if (!out.IsEmpty())
      hemasynth::require(out.ElementLength() == cn, "out", "expected length m*n = " + std::to_string(cn) + " but received " +
                                                             std::to_string(out.ElementLength()));
    auto c = out.IsEmpty() ? new_f32(info.Env(), cn) : out;
    hemasynth::gemm_f32_checked(m.s, m.a.data, m.a.length, m.b.data, m.b.length, c.Data(), cn, false, m.bias, m.bias_len, threads, ws);
    return c;
  });
}

static hemasynth::Activation activation_kind(const Napi::CallbackInfo& info, size_t i) {
  int64_t k = int_arg(info, i, "kind", 2, 5);
  return static_cast<hemasynth::Activation>(k);
}

// activationF32(kind 2..5, x, slope) -> Float32Array
static Napi::Value ActivationF32(const Napi::CallbackInfo& info) {
  auto kind = activation_kind(info, 0);
  auto x = f32_arg(info, 1, "x");
  float slope = static_cast<float>(number_arg(info, 2, "slope"));
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto y = new_f32(info.Env(), x.length);
    hemasynth::activation_forward(kind, x.data, y.Data(), x.length, slope);
    return y;
  });
}

// The arguments (kind, x, y, dy, slope) shared by the cpu and cuda activation gradients.
struct ActivationBackwardArgs {
  hemasynth::Activation kind;
  TypedView<float, napi_float32_array> x, y, dy;
  float slope;
};

static ActivationBackwardArgs activation_backward_args(const Napi::CallbackInfo& info) {
  ActivationBackwardArgs a{activation_kind(info, 0), f32_arg(info, 1, "x"), f32_arg(info, 2, "y"), f32_arg(info, 3, "dy"),
                           static_cast<float>(number_arg(info, 4, "slope"))};
  return a;
}

// activationBackwardF32(kind, x, y, dy, slope) -> Float32Array dx
static Napi::Value ActivationBackwardF32(const Napi::CallbackInfo& info) {
  const ActivationBackwardArgs a = activation_backward_args(info);
  return guarded(info.Env(), [&]() -> Napi::Value {
    hemasynth::require(a.y.length == a.x.length && a.dy.length == a.x.length, "dy", "expected x, y and dy of equal length");
    auto dx = new_f32(info.Env(), a.x.length);
    hemasynth::activation_backward(a.kind, a.x.data, a.y.data, a.dy.data, dx.Data(), a.x.length, a.slope);
    return dx;
  });
}

static size_t rows_cols(const Napi::CallbackInfo& info, size_t len, size_t ri, size_t ci, size_t& cols) {
  size_t rows = static_cast<size_t>(int_arg(info, ri, "rows", 0, 1 << 30));
  cols = static_cast<size_t>(int_arg(info, ci, "cols", 1, 1 << 30));
  hemasynth::require(hemasynth::checked_mul(rows, cols, "x") == len, "x",
                     "expected rows*cols = " + std::to_string(rows * cols) + " values but received " + std::to_string(len));
  return rows;
}

// softmaxF32(x, rows, cols) -> Float32Array
static Napi::Value SoftmaxF32(const Napi::CallbackInfo& info) {
  auto x = f32_arg(info, 0, "x");
  return guarded(info.Env(), [&]() -> Napi::Value {
    size_t cols;
    size_t rows = rows_cols(info, x.length, 1, 2, cols);
    auto y = new_f32(info.Env(), x.length);
    hemasynth::softmax_rows(x.data, y.Data(), rows, cols);
    return y;
  });
}

// gumbelSoftmaxF32(x, rows, cols, tau, seed) -> Float32Array; uniforms from the seeded keystream at position 0
static Napi::Value GumbelSoftmaxF32(const Napi::CallbackInfo& info) {
  auto x = f32_arg(info, 0, "x");
  double tau = number_arg(info, 3, "tau");
  int64_t seed = int_arg(info, 4, "seed", 0, (int64_t(1) << 53));
  return guarded(info.Env(), [&]() -> Napi::Value {
    size_t cols;
    size_t rows = rows_cols(info, x.length, 1, 2, cols);
    hemasynth::require(std::isfinite(tau) && tau > 0, "tau", "expected a temperature > 0");
    hemasynth::Keystream ks(hemasynth::chacha_key_from_seed(static_cast<uint64_t>(seed)));
    std::vector<double> u(x.length);
    ks.uniforms(u.data(), u.size(), 1);
    auto y = new_f32(info.Env(), x.length);
    hemasynth::gumbel_softmax_rows(x.data, u.data(), y.Data(), rows, cols, tau);
    return y;
  });
}

// layerNormF32(x, rows, cols, gain, bias, eps) -> Float32Array
static Napi::Value LayerNormF32(const Napi::CallbackInfo& info) {
  auto x = f32_arg(info, 0, "x");
  auto gain = f32_arg(info, 3, "gain");
  auto bias = f32_arg(info, 4, "bias");
  double eps = number_arg(info, 5, "eps");
  return guarded(info.Env(), [&]() -> Napi::Value {
    size_t cols;
    size_t rows = rows_cols(info, x.length, 1, 2, cols);
    hemasynth::require(gain.length == cols && bias.length == cols, "gain", "expected gain and bias of length cols");
    hemasynth::require(eps > 0, "eps", "expected eps > 0");
    auto y = new_f32(info.Env(), x.length);
    std::vector<float> xhat(x.length), rstd(rows);
    hemasynth::layer_norm_forward(x.data, gain.data, bias.data, y.Data(), xhat.data(), rstd.data(), rows, cols,
                                  static_cast<float>(eps));
    return y;
  });
}

// measurePeakGflopsF32(threads, iterations) -> number
static Napi::Value MeasurePeakGflopsF32(const Napi::CallbackInfo& info) {
  int threads = static_cast<int>(int_arg(info, 0, "threads", 0, 1024));
  int64_t iterations = int_arg(info, 1, "iterations", 1, int64_t(1) << 40);
  return guarded(info.Env(), [&] {
    return Napi::Number::New(info.Env(), hemasynth::measure_peak_gflops_f32(threads, iterations));
  });
}

// ---- CUDA versions (same arguments as the cpu ones; "built without CUDA" otherwise) ----

#if !defined(HEMASYNTH_WITH_CUDA)
[[noreturn]] static void no_cuda(Napi::Env env) {
  throw Napi::Error::New(env, "this build has no CUDA kernels (built without CUDA: nvcc was not found or HEMASYNTH_CUDA=off)");
}
#endif

// cudaMatmulF32(a, b, m, k, n, transA, transB, bias|null) -> Float32Array
static Napi::Value CudaMatmulF32(const Napi::CallbackInfo& info) {
  const MatmulArgs m = matmul_args(info);
#if defined(HEMASYNTH_WITH_CUDA)
  return guarded(info.Env(), [&]() -> Napi::Value {
    hemasynth::require(m.a.length == hemasynth::checked_mul(m.s.m, m.s.k, "a"), "a", "expected length m*k");
    hemasynth::require(m.b.length == hemasynth::checked_mul(m.s.k, m.s.n, "b"), "b", "expected length k*n");
    hemasynth::require(!m.bias || m.bias_len == m.s.n, "bias", "expected length n");
    auto c = new_f32(info.Env(), hemasynth::checked_mul(m.s.m, m.s.n, "c"));
    hemasynth::cuda::matmul_f32(m.s, m.a.data, m.b.data, c.Data(), m.bias);
    return c;
  });
#else
  (void)m;
  no_cuda(info.Env());
#endif
}

// cudaActivationF32(kind 2..5, x, slope) -> Float32Array
static Napi::Value CudaActivationF32(const Napi::CallbackInfo& info) {
  auto kind = activation_kind(info, 0);
  auto x = f32_arg(info, 1, "x");
  float slope = static_cast<float>(number_arg(info, 2, "slope"));
#if defined(HEMASYNTH_WITH_CUDA)
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto y = new_f32(info.Env(), x.length);
    hemasynth::cuda::activation_f32(static_cast<int>(kind), x.data, y.Data(), x.length, slope);
    return y;
  });
#else
  (void)kind; (void)x; (void)slope;
  no_cuda(info.Env());
#endif
}

// cudaActivationBackwardF32(kind 2..5, x, y, dy, slope) -> Float32Array
static Napi::Value CudaActivationBackwardF32(const Napi::CallbackInfo& info) {
  const ActivationBackwardArgs a = activation_backward_args(info);
#if defined(HEMASYNTH_WITH_CUDA)
  return guarded(info.Env(), [&]() -> Napi::Value {
    hemasynth::require(a.y.length == a.x.length && a.dy.length == a.x.length, "dy", "expected x, y and dy of equal length");
    auto dx = new_f32(info.Env(), a.x.length);
    hemasynth::cuda::activation_backward_f32(static_cast<int>(a.kind), a.x.data, a.y.data, a.dy.data, dx.Data(), a.x.length,
                                             a.slope);
    return dx;
  });
#else
  (void)a;
  no_cuda(info.Env());
#endif
}

// cudaGumbelSoftmaxF32(x, rows, cols, tau, seed) -> Float32Array (uniforms drawn on the GPU)
static Napi::Value CudaGumbelSoftmaxF32(const Napi::CallbackInfo& info) {
  auto x = f32_arg(info, 0, "x");
  double tau = number_arg(info, 3, "tau");
  int64_t seed = int_arg(info, 4, "seed", 0, (int64_t(1) << 53));
#if defined(HEMASYNTH_WITH_CUDA)
  return guarded(info.Env(), [&]() -> Napi::Value {
    size_t cols;
    size_t rows = rows_cols(info, x.length, 1, 2, cols);
    hemasynth::require(std::isfinite(tau) && tau > 0, "tau", "expected a temperature > 0");
    auto y = new_f32(info.Env(), x.length);
    hemasynth::cuda::gumbel_softmax_f32(x.data, y.Data(), rows, cols, tau, static_cast<uint64_t>(seed));
    return y;
  });
#else
  (void)x; (void)tau; (void)seed;
  no_cuda(info.Env());
#endif
}

// cudaSoftmaxF32(x, rows, cols) -> Float32Array
static Napi::Value CudaSoftmaxF32(const Napi::CallbackInfo& info) {
  auto x = f32_arg(info, 0, "x");
#if defined(HEMASYNTH_WITH_CUDA)
  return guarded(info.Env(), [&]() -> Napi::Value {
    size_t cols;
    size_t rows = rows_cols(info, x.length, 1, 2, cols);
    auto y = new_f32(info.Env(), x.length);
    hemasynth::cuda::softmax_rows_f32(x.data, y.Data(), rows, cols);
    return y;
  });
#else
  (void)x;
  no_cuda(info.Env());
#endif
}

// cudaLayerNormF32(x, rows, cols, gain, bias, eps) -> Float32Array
static Napi::Value CudaLayerNormF32(const Napi::CallbackInfo& info) {
  auto x = f32_arg(info, 0, "x");
  auto gain = f32_arg(info, 3, "gain");
  auto bias = f32_arg(info, 4, "bias");
  double eps = number_arg(info, 5, "eps");
#if defined(HEMASYNTH_WITH_CUDA)
  return guarded(info.Env(), [&]() -> Napi::Value {
    size_t cols;
    size_t rows = rows_cols(info, x.length, 1, 2, cols);
    hemasynth::require(gain.length == cols && bias.length == cols, "gain", "expected gain and bias of length cols");
    hemasynth::require(eps > 0, "eps", "expected eps > 0");
    auto y = new_f32(info.Env(), x.length);
    hemasynth::cuda::layer_norm_f32(x.data, gain.data, bias.data, y.Data(), rows, cols, static_cast<float>(eps));
    return y;
  });
#else
  (void)x; (void)gain; (void)bias; (void)eps;
  no_cuda(info.Env());
#endif
}

// cudaMeasurePeakGflopsF32() -> number (FMA kernel on every multiprocessor)
static Napi::Value CudaMeasurePeakGflopsF32(const Napi::CallbackInfo& info) {
#if defined(HEMASYNTH_WITH_CUDA)
  return guarded(info.Env(), [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), hemasynth::cuda::measure_peak_gflops_f32());
  });
#else
  no_cuda(info.Env());
#endif
}

// cudaTimeMatmulF32(m, k, n, transA, transB, reps) -> {gflops, msPerProduct} (device-resident operands)
static Napi::Value CudaTimeMatmulF32(const Napi::CallbackInfo& info) {
  hemasynth::GemmShape s;
  s.m = static_cast<size_t>(int_arg(info, 0, "m", 1, 1 << 30));
  s.k = static_cast<size_t>(int_arg(info, 1, "k", 1, 1 << 30));
  s.n = static_cast<size_t>(int_arg(info, 2, "n", 1, 1 << 30));
  s.trans_a = bool_arg(info, 3, "transA");
  s.trans_b = bool_arg(info, 4, "transB");
  const int reps = static_cast<int>(int_arg(info, 5, "reps", 1, 100000));
#if defined(HEMASYNTH_WITH_CUDA)
  return guarded(info.Env(), [&]() -> Napi::Value {
    const hemasynth::cuda::GemmTiming t = hemasynth::cuda::time_sgemm_f32(s, reps);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("gflops", t.gflops);
    o.Set("msPerProduct", t.ms_per_product);
    return o;
  });
#else
  (void)s; (void)reps;
  no_cuda(info.Env());
#endif
}

void RegisterTensor(Napi::Env env, Napi::Object exports) {
  exports.Set("sumF64", Napi::Function::New(env, SumF64, "sumF64"));
  exports.Set("matmulF32", Napi::Function::New(env, MatmulF32, "matmulF32"));
  exports.Set("tensorCreateGemmWorkspace", Napi::Function::New(env, CreateGemmWorkspace, "tensorCreateGemmWorkspace"));
  exports.Set("activationF32", Napi::Function::New(env, ActivationF32, "activationF32"));
  exports.Set("activationBackwardF32", Napi::Function::New(env, ActivationBackwardF32, "activationBackwardF32"));
  exports.Set("softmaxF32", Napi::Function::New(env, SoftmaxF32, "softmaxF32"));
  exports.Set("gumbelSoftmaxF32", Napi::Function::New(env, GumbelSoftmaxF32, "gumbelSoftmaxF32"));
  exports.Set("measurePeakGflopsF32", Napi::Function::New(env, MeasurePeakGflopsF32, "measurePeakGflopsF32"));
  exports.Set("cudaMatmulF32", Napi::Function::New(env, CudaMatmulF32, "cudaMatmulF32"));
  exports.Set("cudaMeasurePeakGflopsF32", Napi::Function::New(env, CudaMeasurePeakGflopsF32, "cudaMeasurePeakGflopsF32"));
  exports.Set("cudaTimeMatmulF32", Napi::Function::New(env, CudaTimeMatmulF32, "cudaTimeMatmulF32"));
  exports.Set("cudaActivationF32", Napi::Function::New(env, CudaActivationF32, "cudaActivationF32"));
  exports.Set("cudaActivationBackwardF32", Napi::Function::New(env, CudaActivationBackwardF32, "cudaActivationBackwardF32"));
  exports.Set("cudaGumbelSoftmaxF32", Napi::Function::New(env, CudaGumbelSoftmaxF32, "cudaGumbelSoftmaxF32"));
  exports.Set("cudaSoftmaxF32", Napi::Function::New(env, CudaSoftmaxF32, "cudaSoftmaxF32"));
  exports.Set("cudaLayerNormF32", Napi::Function::New(env, CudaLayerNormF32, "cudaLayerNormF32"));
  exports.Set("layerNormF32", Napi::Function::New(env, LayerNormF32, "layerNormF32"));
}

}  // namespace hemasynth_bindings
