#include "cuda/trainer.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "common/error.h"
#include "cuda/device_buffer.cuh"
#include "cuda/keystream_device.h"
#include "cuda/sgemm.cuh"
#include "cuda/trainer_kernels.cuh"

namespace hemasynth {
namespace cuda {

namespace {

bool is_activation(LayerKind k) {
  return k == LayerKind::ReLU || k == LayerKind::LeakyReLU || k == LayerKind::Tanh || k == LayerKind::Sigmoid;
}

// Device 0 made current on the calling thread (train() runs on libuv threads), or an Error
// explaining why CUDA cannot be used.
int select_device() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw Error("cuda", std::string("no usable CUDA device: ") + cudaGetErrorString(e));
  }
  require(count > 0, "cuda", "no CUDA device present");
  HS_CUDA(cudaSetDevice(0));
  return 0;
}

}  // namespace

struct GpuTrainer::Impl {
  using Layer = ResolvedLayer;  // nn/model_layout.h: the cpu trainer's layout
  enum class Mode { Train, Gradient, Inspect, InputGradient, OutputGradient };

  std::vector<Layer> layers;
  std::vector<size_t> width;
  TrainerConfig cfg;
  StreamKey key{};
  uint64_t pos = 0;
  int device = 0;
  int sm_count = 1;
  std::string device_name;
  int64_t t = 0;
  size_t nparams = 0, max_width = 0;
  int n_terms = 0;

  // Declared first, destroyed last: every buffer below is freed before the stream goes.
  std::unique_ptr<Stream> stream;
  DeviceArray<float> params, grad, adam_m, adam_v;
  std::vector<DeviceArray<float>> act, gact, aux, auxb;
  std::vector<bool> mask_on;
  DeviceArray<float> target, scaled;
  DeviceArray<double> loss, sqnorm, weight;
  DeviceArray<uint64_t> words;
  DeviceArray<uint8_t> flags;
  DeviceArray<DeviceLossTerm> terms;
  PinnedArray<float> hx, hy;
  PinnedArray<double> hloss;
  PinnedArray<uint8_t> hflags;
  GemmScratch gemm;

  ~Impl() {
    if (stream) cudaStreamSynchronize(stream->get());  // no kernel may outlive its buffers
  }

  cudaStream_t s() const { return stream->get(); }
  void bind() const { HS_CUDA(cudaSetDevice(device)); }
  void sync() const { HS_CUDA(cudaStreamSynchronize(s())); }
  size_t input_size() const { return width.front(); }
  size_t output_size() const { return width.back(); }
  size_t target_size() const { return static_cast<size_t>(cfg.target_size); }

  void validate(const ModelSpec& model) {
    ModelLayout layout = resolve_model(model);
    layers = std::move(layout.layers);
    width = std::move(layout.width);
    nparams = layout.params;
    const size_t w = width.back();
    for (size_t v : width) max_width = std::max(max_width, v);
    require(cfg.target_size >= 0 && cfg.target_size <= (int64_t(1) << 24), "targetSize",
            "expected targetSize in [0, 16777216]");
    // nn/loss.cpp validate_loss_terms, repeated here (the device reads these offsets).
    const int64_t oc = static_cast<int64_t>(w), tc = cfg.target_size;
    require(!cfg.loss.empty(), "loss", "expected at least one loss term");
    for (size_t i = 0; i < cfg.loss.size(); ++i) {
      const LossTerm& lt = cfg.loss[i];
      const std::string f = "loss[" + std::to_string(i) + "]";
      require(lt.kind == LossKind::MSE || lt.kind == LossKind::CrossEntropy || lt.kind == LossKind::GaussianNLL ||
                  lt.kind == LossKind::Linear || lt.kind == LossKind::GradientPenalty,
              f.c_str(), "unknown loss kind " + std::to_string(static_cast<int>(lt.kind)));
      require(lt.kind != LossKind::GradientPenalty, f.c_str(),
              "the cuda trainer does not compute gradient penalties (WGAN-GP critics); train this model with the cpu "
              "backend");
      require(lt.width >= 1 && lt.width <= (int64_t(1) << 24), f.c_str(), "expected width >= 1 but received " + std::to_string(lt.width));
      const int64_t ow = lt.kind == LossKind::GaussianNLL ? 2 * lt.width : lt.width;
      require(lt.out_offset >= 0 && lt.out_offset + ow <= oc, f.c_str(),
              "output span [" + std::to_string(lt.out_offset) + ", " + std::to_string(lt.out_offset + ow) +
                  ") exceeds the model's " + std::to_string(oc) + " output columns");
      require(lt.tgt_offset >= 0 && lt.tgt_offset + lt.width <= tc, f.c_str(),
              "target span [" + std::to_string(lt.tgt_offset) + ", " + std::to_string(lt.tgt_offset + lt.width) +
                  ") exceeds the " + std::to_string(tc) + " target columns");
      require(std::isfinite(lt.weight), f.c_str(), "expected a finite weight");
    }
    require(cfg.rows_per_sample >= 1 && cfg.rows_per_sample <= 1024, "loss.rowsPerSample", "expected an integer in [1, 1024]");
    require(cfg.rows_per_sample == 1, "loss.rowsPerSample",
            "the cuda trainer takes one row per sample; train models with rowsPerSample > 1 with the cpu backend");
    const OptimizerConfig& o = cfg.optimizer;
    require(o.kind == OptimizerKind::SGD || o.kind == OptimizerKind::Adam || o.kind == OptimizerKind::AdamW, "optimizer",
            "unknown optimizer kind");
    require(std::isfinite(o.lr) && o.lr >= 0, "optimizer.learningRate", "expected a finite learning rate >= 0");
    require(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1, "optimizer.betas", "expected betas in [0, 1)");
    require(o.eps > 0 && std::isfinite(o.weight_decay) && o.weight_decay >= 0, "optimizer",
            "expected eps > 0 and weightDecay >= 0");
    if (cfg.dp.enabled) {
      const DpConfig& d = cfg.dp;
      require(std::isfinite(d.noise_multiplier) && d.noise_multiplier >= 0, "dp.noiseMultiplier", "expected a finite number >= 0");
      require(std::isfinite(d.max_grad_norm) && d.max_grad_norm > 0, "dp.maxGradNorm", "expected a finite number > 0");
      require(std::isfinite(d.expected_batch_size) && d.expected_batch_size > 0, "dp.expectedBatchSize", "expected a number > 0");
      require(d.sample_rate >= 0 && d.sample_rate <= 1, "dp.sampleRate", "expected a number in [0, 1]");
    }
  }

  void setup_device() {
    device = select_device();
    cudaDeviceProp prop;
    HS_CUDA(cudaGetDeviceProperties(&prop, device));
    sm_count = std::max(1, prop.multiProcessorCount);
    device_name = prop.name;
    stream = std::make_unique<Stream>();
    const size_t nl = layers.size();
    act.resize(nl + 1);
    gact.resize(nl + 1);
    aux.resize(nl);
    auxb.resize(nl);
    mask_on.assign(nl, false);
    params.ensure(std::max<size_t>(nparams, 1));
    grad.ensure(std::max<size_t>(nparams, 1));
    if (cfg.optimizer.kind != OptimizerKind::SGD) {
      adam_m.ensure(std::max<size_t>(nparams, 1));
      adam_v.ensure(std::max<size_t>(nparams, 1));
      HS_CUDA(cudaMemsetAsync(adam_m.get(), 0, nparams * sizeof(float), s()));
      HS_CUDA(cudaMemsetAsync(adam_v.get(), 0, nparams * sizeof(float), s()));
    }
    std::vector<DeviceLossTerm> host_terms;
    for (const LossTerm& lt : cfg.loss)
      host_terms.push_back({static_cast<int>(lt.kind), static_cast<int>(lt.out_offset), static_cast<int>(lt.tgt_offset),
                            static_cast<int>(lt.width), lt.weight});
    n_terms = static_cast<int>(host_terms.size());
    terms.ensure(host_terms.size());
    HS_CUDA(cudaMemcpyAsync(terms.get(), host_terms.data(), host_terms.size() * sizeof(DeviceLossTerm),
                            cudaMemcpyHostToDevice, s()));
    // Initial parameters as Trainer::Trainer: LayerNorm gain 1, bias 0; linear W, b ~
    // U(−1/√in, 1/√in) from the keystream, layer by layer in order.
    std::vector<float> init(nparams, 0.0f);
    for (const Layer& r : layers)
      if (r.spec.kind == LayerKind::LayerNorm) std::fill(init.begin() + r.w_off, init.begin() + r.w_off + r.in, 1.0f);
    HS_CUDA(cudaMemcpyAsync(params.get(), init.data(), nparams * sizeof(float), cudaMemcpyHostToDevice, s()));
    for (const Layer& r : layers) {
      if (r.spec.kind != LayerKind::Linear) continue;
      const size_t n = r.in * r.out + r.out;
      const uint64_t* w = draw_words(n);
      launch_uniform_init(w, n, 1.0 / std::sqrt(static_cast<double>(r.in)), params.get() + r.w_off, s());
      pos += 8 * static_cast<uint64_t>(n);
    }
    sync();  // `init` is pageable host memory freed on return
  }

  // Keystream words [pos, pos + 8·count) on the device (the position is advanced by callers,
  // exactly as the cpu Keystream advances it).
  const uint64_t* draw_words(size_t count) {
    uint64_t* w = words.ensure(std::max<size_t>(count, 1));
    launch_keystream_words(key, pos, count, w, s());
    return w;
  }

  void ensure_rows(size_t rows) {
    const size_t nl = layers.size();
    for (size_t l = 0; l <= nl; ++l) {
      const size_t n = checked_mul(rows, width[l], "x");
      act[l].ensure(n);
      gact[l].ensure(n);
    }
    for (size_t l = 0; l < nl; ++l) {
      const Layer& r = layers[l];
      if (r.spec.kind == LayerKind::LayerNorm) { aux[l].ensure(rows * r.in); auxb[l].ensure(rows); }
      else if (r.spec.kind == LayerKind::Dropout) aux[l].ensure(rows * r.in);
      else if (r.spec.kind == LayerKind::GaussianSample) aux[l].ensure(rows * r.out);
    }
    target.ensure(checked_mul(rows, std::max<size_t>(target_size(), 1), "y"));
    scaled.ensure(rows * max_width);
    loss.ensure(rows);
    sqnorm.ensure(rows);
    weight.ensure(rows);
  }

  void upload(float* dst, const float* host_pinned, size_t n) {
    if (n) HS_CUDA(cudaMemcpyAsync(dst, host_pinned, n * sizeof(float), cudaMemcpyHostToDevice, s()));
  }
  // Stages pageable caller memory through the pinned buffer `stage`.
  void upload_staged(float* dst, const float* host, size_t n, PinnedArray<float>& stage) {
    if (!n) return;
    float* p = stage.ensure(n);
    std::memcpy(p, host, n * sizeof(float));
    upload(dst, p, n);
  }

  void run_forward(size_t start, size_t rows, bool training) {
    if (rows) HS_CUDA(cudaMemsetAsync(loss.get(), 0, rows * sizeof(double), s()));
    const float* P = params.get();
    for (size_t l = start; l < layers.size(); ++l) {
      const Layer& r = layers[l];
      const float* in = act[l].get();
      float* out = act[l + 1].get();
      switch (r.spec.kind) {
        case LayerKind::Linear: {
          GemmShape gs;
          gs.m = rows; gs.k = r.in; gs.n = r.out;
          GemmEpilogue ep;
          ep.bias = P + r.b_off;
          // Bias and a following activation in the product's epilogue: C keeps the
          // pre-activation (the activation's backward reads it), post receives the output.
          const bool fuse = l + 1 < layers.size() && is_activation(layers[l + 1].spec.kind);
          if (fuse) {
            ep.post = act[l + 2].get();
            ep.activation = static_cast<int>(layers[l + 1].spec.kind);
            ep.slope = static_cast<float>(layers[l + 1].spec.param);
          }
          sgemm(gs, in, P + r.w_off, out, ep, sm_count, gemm, s());
          if (fuse) ++l;
          break;
        }
        case LayerKind::ReLU: case LayerKind::LeakyReLU: case LayerKind::Tanh: case LayerKind::Sigmoid:
          launch_activation_forward(static_cast<int>(r.spec.kind), in, out, rows * r.out, static_cast<float>(r.spec.param), s());
          break;
        case LayerKind::LayerNorm:
          launch_layer_norm_forward(in, P + r.w_off, P + r.b_off, out, aux[l].get(), auxb[l].get(), rows, r.in,
                                    static_cast<float>(r.spec.param), s());
          break;
        case LayerKind::Dropout: {
          const size_t n = rows * r.in;
          if (training && r.spec.param > 0) {
            const uint64_t* w = draw_words(n);
            launch_dropout_forward(w, in, out, aux[l].get(), n, r.spec.param, s());
            pos += 8 * static_cast<uint64_t>(n);
            mask_on[l] = true;
          } else {
            if (n) HS_CUDA(cudaMemcpyAsync(out, in, n * sizeof(float), cudaMemcpyDeviceToDevice, s()));
            mask_on[l] = false;
          }
          break;
        }
        case LayerKind::ResidualBegin:
          if (rows) HS_CUDA(cudaMemcpyAsync(out, in, rows * r.in * sizeof(float), cudaMemcpyDeviceToDevice, s()));
          break;
        case LayerKind::ResidualEnd:
          launch_add(in, act[r.partner].get(), out, rows * r.out, s());
          break;
        case LayerKind::GaussianSample: {
          const uint64_t* w = nullptr;
          const size_t pairs = (rows * r.out + 1) / 2;
          if (training) {
            w = draw_words(2 * pairs);
            pos += 16 * static_cast<uint64_t>(pairs);
          }
          launch_gaussian_sample_forward(w, in, out, aux[l].get(), loss.get(), rows, r.out, r.spec.param, s());
          break;
        }
        default:
          break;
      }
    }
  }

  void run_backward(size_t rows, bool norms, bool need_input_grad) {
    if (norms && rows) HS_CUDA(cudaMemsetAsync(sqnorm.get(), 0, rows * sizeof(double), s()));
    size_t first_param = layers.size();
    for (size_t l = 0; l < layers.size(); ++l)
      if (layers[l].spec.kind == LayerKind::Linear || layers[l].spec.kind == LayerKind::LayerNorm) { first_param = l; break; }
    const float* P = params.get();
    for (size_t li = layers.size(); li-- > 0;) {
      if (!need_input_grad && li < first_param) break;
      const Layer& r = layers[li];
      const float* g = gact[li + 1].get();
      float* dx = gact[li].get();
      const bool want_dx = need_input_grad || li > first_param;
      switch (r.spec.kind) {
        case LayerKind::Linear:
          if (norms) launch_linear_ghost_sqnorms(act[li].get(), r.in, g, r.out, rows, sqnorm.get(), s());
          if (want_dx) {
            GemmShape gs;
            gs.m = rows; gs.k = r.out; gs.n = r.in; gs.trans_b = true;
            sgemm(gs, g, P + r.w_off, dx, GemmEpilogue{}, sm_count, gemm, s());
          }
          break;
        case LayerKind::ReLU: case LayerKind::LeakyReLU: case LayerKind::Tanh: case LayerKind::Sigmoid:
          launch_activation_backward(static_cast<int>(r.spec.kind), act[li].get(), act[li + 1].get(), g, dx, rows * r.in,
                                     static_cast<float>(r.spec.param), s());
          break;
        case LayerKind::LayerNorm:
          if (norms) launch_layer_norm_sqnorms(g, aux[li].get(), rows, r.in, sqnorm.get(), s());
          if (want_dx) launch_layer_norm_backward(g, aux[li].get(), auxb[li].get(), P + r.w_off, dx, rows, r.in, s());
          break;
        case LayerKind::Dropout:
          if (mask_on[li]) launch_multiply(g, aux[li].get(), dx, rows * r.in, s());
          else if (rows) HS_CUDA(cudaMemcpyAsync(dx, g, rows * r.in * sizeof(float), cudaMemcpyDeviceToDevice, s()));
          break;
        case LayerKind::ResidualEnd:
          if (rows) HS_CUDA(cudaMemcpyAsync(dx, g, rows * r.out * sizeof(float), cudaMemcpyDeviceToDevice, s()));
          break;
        case LayerKind::ResidualBegin:
          // The skip path's gradient is the gradient at the block's output, still intact in
          // gact[end + 1] (each gact is written once per pass).
          launch_add(g, gact[r.end + 1].get(), dx, rows * r.in, s());
          break;
        case LayerKind::GaussianSample:
          launch_gaussian_sample_backward(act[li].get(), g, aux[li].get(), dx, rows, r.out, r.spec.param, s());
          break;
        default:
          break;
      }
    }
  }

  // ∇θ = Σ_i w_i ∇θ_i: linear W as one product Aᵀ·diag(w)·G, b and LayerNorm as column sums.
  void parameter_gradient(size_t rows) {
    float* G = grad.get();
    if (rows == 0) {
      if (nparams) HS_CUDA(cudaMemsetAsync(G, 0, nparams * sizeof(float), s()));
      return;
    }
    for (size_t l = 0; l < layers.size(); ++l) {
      const Layer& r = layers[l];
      if (r.spec.kind == LayerKind::Linear) {
        launch_scale_rows(gact[l + 1].get(), weight.get(), scaled.get(), rows, r.out, s());
        launch_column_sums(scaled.get(), rows, r.out, G + r.b_off, s());
        GemmShape gs;
        gs.m = r.in; gs.k = rows; gs.n = r.out; gs.trans_a = true;
        sgemm(gs, act[l].get(), scaled.get(), G + r.w_off, GemmEpilogue{}, sm_count, gemm, s());
      } else if (r.spec.kind == LayerKind::LayerNorm) {
        launch_layer_norm_param_grad(gact[l + 1].get(), aux[l].get(), weight.get(), rows, r.in, G + r.w_off, G + r.b_off, s());
      }
    }
  }

  void optimizer_update() {
    ++t;
    const OptimizerConfig& o = cfg.optimizer;
    const float lr = static_cast<float>(o.lr), wd = static_cast<float>(o.weight_decay);
    if (o.kind == OptimizerKind::SGD) {
      launch_optimizer(0, params.get(), grad.get(), nullptr, nullptr, nparams, lr, wd, 0, 0, 0, 0, 0, s());
      return;
    }
    const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(t));
    const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
    launch_optimizer(o.kind == OptimizerKind::AdamW ? 2 : 1, params.get(), grad.get(), adam_m.get(), adam_v.get(), nparams, lr,
                     wd, static_cast<float>(o.beta1), static_cast<float>(o.beta2), static_cast<float>(o.lr / bc1),
                     static_cast<float>(1.0 / std::sqrt(bc2)), static_cast<float>(o.eps), s());
  }

  // Trainer::batch_pass on the device; the per-row losses are copied to hloss (read after sync()).
  void batch_pass(Mode mode, size_t rows) {
    run_forward(0, rows, true);
    if (mode != Mode::OutputGradient)
      launch_loss(terms.get(), n_terms, act.back().get(), output_size(), target.get(), target_size(), rows, loss.get(),
                  gact.back().get(), s());
    const bool norms = mode == Mode::Inspect || (mode == Mode::Train && cfg.dp.enabled);
    run_backward(rows, norms, mode == Mode::InputGradient);
    if (mode != Mode::OutputGradient && rows)
      HS_CUDA(cudaMemcpyAsync(hloss.ensure(rows), loss.get(), rows * sizeof(double), cudaMemcpyDeviceToHost, s()));
  }

  // Mean per-sample loss in the cpu trainer's summation order (call after sync()).
  double mean_loss(size_t rows) const {
    if (rows == 0) return 0.0;
    double total = 0.0;
    for (size_t i = 0; i < rows; ++i) total += hloss.get()[i];
    return total / static_cast<double>(rows);
  }

  size_t rows_of(size_t len, size_t w, const char* field) const {
    require(w > 0 && len % w == 0, field,
            "expected a length that is a multiple of " + std::to_string(w) + " columns but received " + std::to_string(len));
    return len / w;
  }
  size_t samples_of(size_t x_len, size_t y_len) const {
    const size_t xr = rows_of(x_len, input_size(), "x");
    const size_t yr = rows_of(y_len, target_size(), "y");
    require(xr == yr, "y", "expected " + std::to_string(xr) + " target rows (one per row of x) but received " + std::to_string(yr));
    return xr;
  }

  StepResult step(const float* x, size_t x_len, const float* y, size_t y_len, const int32_t* rows, size_t n_sel) {
    const size_t ns = samples_of(x_len, y_len);
    const size_t n = rows ? n_sel : ns;
    if (rows)
      for (size_t i = 0; i < n; ++i)
        require(rows[i] >= 0 && static_cast<size_t>(rows[i]) < ns, "rows",
                "expected sample indices in [0, " + std::to_string(ns) + ") but index " + std::to_string(i) + " is " +
                    std::to_string(rows[i]));
    const size_t in = input_size(), tc = target_size();
    float* bx = hx.ensure(std::max<size_t>(checked_mul(n, in, "x"), 1));
    float* by = hy.ensure(std::max<size_t>(checked_mul(n, tc, "y"), 1));
    if (!rows) {
      if (n) { std::memcpy(bx, x, n * in * sizeof(float)); std::memcpy(by, y, n * tc * sizeof(float)); }
    } else {
      for (size_t i = 0; i < n; ++i) {
        const size_t src = static_cast<size_t>(rows[i]);
        std::memcpy(bx + i * in, x + src * in, in * sizeof(float));
        std::memcpy(by + i * tc, y + src * tc, tc * sizeof(float));
      }
    }
    require_finite(bx, n, in, "x");
    require_finite(by, n, tc, "y");
    StepResult res;
    res.batch = n;
    if (!cfg.dp.enabled && n == 0) return res;
    ensure_rows(n);
    upload(act[0].get(), bx, n * in);
    upload(target.get(), by, n * tc);
    batch_pass(Mode::Train, n);
    if (cfg.dp.enabled) {
      // Abadi et al. (2016), Algorithm 1, as Trainer::step: clip to C, sum, add N(0, σ²C²)
      // once, divide by the expected batch size q·N (folded into the weights and the noise scale).
      const double inv = 1.0 / cfg.dp.expected_batch_size;
      launch_clip_weights(sqnorm.get(), n, cfg.dp.max_grad_norm, inv, weight.get(), s());
      parameter_gradient(n);
      const double sd = cfg.dp.noise_multiplier * cfg.dp.max_grad_norm * inv;
      if (sd > 0) {
        const size_t pairs = (nparams + 1) / 2;
        const uint64_t* w = draw_words(2 * pairs);
        launch_add_noise(w, grad.get(), nparams, sd, s());
        pos += 16 * static_cast<uint64_t>(pairs);
      }
    } else {
      launch_fill_f64(weight.get(), n, 1.0 / static_cast<double>(n), s());
      parameter_gradient(n);
    }
    optimizer_update();
    sync();
    res.loss = mean_loss(n);
    return res;
  }

  StepResult poisson_step(const float* x, size_t x_len, const float* y, size_t y_len) {
    const size_t ns = samples_of(x_len, y_len);
    require(cfg.dp.sample_rate > 0, "dp.sampleRate", "poisson sampling needs a sample rate > 0");
    // Each sample joins the batch independently with probability q: one keystream uniform per
    // sample, drawn on the device, compared with q there; the flags come back to gather rows.
    std::vector<int32_t> picked;
    if (ns) {
      require(ns <= static_cast<size_t>(INT32_MAX), "x", "expected at most 2^31 − 1 samples");
      const uint64_t* w = draw_words(ns);
      uint8_t* f = flags.ensure(ns);
      launch_poisson_flags(w, ns, cfg.dp.sample_rate, f, s());
      uint8_t* hf = hflags.ensure(ns);
      HS_CUDA(cudaMemcpyAsync(hf, f, ns, cudaMemcpyDeviceToHost, s()));
      sync();
      picked.reserve(static_cast<size_t>(cfg.dp.sample_rate * static_cast<double>(ns) * 1.2) + 16);
      for (size_t i = 0; i < ns; ++i)
        if (hf[i]) picked.push_back(static_cast<int32_t>(i));
    }
    pos += 8 * static_cast<uint64_t>(ns);
    static const int32_t none = 0;
    return step(x, x_len, y, y_len, picked.empty() ? &none : picked.data(), picked.size());
  }

  void forward(const float* x, size_t x_len, size_t start, bool training, std::vector<float>& out) {
    require(start < layers.size(), "startLayer", "expected a layer index in [0, " + std::to_string(layers.size()) + ")");
    require(layers[start].depth == 0, "startLayer", "cannot start inside a residual block");
    const size_t rows = rows_of(x_len, width[start], "x");
    require_finite(x, rows, width[start], "x");
    ensure_rows(rows);
    upload_staged(act[start].get(), x, x_len, hx);
    run_forward(start, rows, training);
    out.resize(rows * output_size());
    if (!out.empty())
      HS_CUDA(cudaMemcpyAsync(out.data(), act.back().get(), out.size() * sizeof(float), cudaMemcpyDeviceToHost, s()));
    sync();
  }

  // Uploads a whole x/y (checked finite) for the non-sampling entry points.
  void upload_batch(const float* x, const float* y, size_t n) {
    require_finite(x, n, input_size(), "x");
    require_finite(y, n, target_size(), "y");
    ensure_rows(n);
    upload_staged(act[0].get(), x, n * input_size(), hx);
    upload_staged(target.get(), y, n * target_size(), hy);
  }

  double gradient(const float* x, size_t x_len, const float* y, size_t y_len, float* out, size_t out_len) {
    require(out_len == nparams, "gradient", "expected a buffer of " + std::to_string(nparams) + " values");
    const size_t n = samples_of(x_len, y_len);
    if (n == 0) { std::fill(out, out + out_len, 0.0f); return 0.0; }
    upload_batch(x, y, n);
    batch_pass(Mode::Gradient, n);
    launch_fill_f64(weight.get(), n, 1.0 / static_cast<double>(n), s());
    parameter_gradient(n);
    if (nparams) HS_CUDA(cudaMemcpyAsync(out, grad.get(), nparams * sizeof(float), cudaMemcpyDeviceToHost, s()));
    sync();
    return mean_loss(n);
  }

  double inspect_clipping(const float* x, size_t x_len, const float* y, size_t y_len, double* norms, size_t norms_len,
                          float* sum, size_t sum_len) {
    const size_t n = samples_of(x_len, y_len);
    require(norms_len == n, "norms", "expected one value per sample");
    require(sum_len == nparams, "clippedSum", "expected one value per parameter");
    upload_batch(x, y, n);
    batch_pass(Mode::Inspect, n);
    launch_clip_weights(sqnorm.get(), n, cfg.dp.max_grad_norm, 1.0, weight.get(), s());
    parameter_gradient(n);
    if (n) HS_CUDA(cudaMemcpyAsync(norms, sqnorm.get(), n * sizeof(double), cudaMemcpyDeviceToHost, s()));
    if (nparams) HS_CUDA(cudaMemcpyAsync(sum, grad.get(), nparams * sizeof(float), cudaMemcpyDeviceToHost, s()));
    sync();
    for (size_t i = 0; i < n; ++i) norms[i] = std::sqrt(norms[i]);
    return mean_loss(n);
  }

  double input_gradient(const float* x, size_t x_len, const float* y, size_t y_len, float* dx, size_t dx_len) {
    const size_t n = samples_of(x_len, y_len);
    require(dx_len == x_len, "inputGradient", "expected a buffer as long as x");
    upload_batch(x, y, n);
    batch_pass(Mode::InputGradient, n);
    if (n) HS_CUDA(cudaMemcpyAsync(dx, gact[0].get(), x_len * sizeof(float), cudaMemcpyDeviceToHost, s()));
    sync();
    return mean_loss(n);
  }

  void step_with_output_gradient(const float* x, size_t x_len, const float* dout, size_t dout_len) {
    require(!cfg.dp.enabled, "dp",
            "a step from an external output gradient is not differentially private; train the private model (e.g. the "
            "critic) with step() instead");
    const size_t n = rows_of(x_len, input_size(), "x");
    require(dout_len == n * output_size(), "outputGradient", "expected rows × " + std::to_string(output_size()) + " values");
    if (n == 0) return;
    require_finite(x, n, input_size(), "x");
    require_finite(dout, n, output_size(), "outputGradient");
    ensure_rows(n);
    upload_staged(act[0].get(), x, x_len, hx);
    run_forward(0, n, true);
    upload_staged(gact.back().get(), dout, dout_len, hy);
    run_backward(n, false, false);
    launch_fill_f64(weight.get(), n, 1.0 / static_cast<double>(n), s());
    parameter_gradient(n);
    optimizer_update();
    sync();
  }
};

GpuTrainer::GpuTrainer(const ModelSpec& model, const TrainerConfig& config, const ChaChaKey& key) : impl_(new Impl()) {
  impl_->cfg = config;
  impl_->key = stream_key(key);
  impl_->validate(model);
  impl_->setup_device();
}

GpuTrainer::~GpuTrainer() = default;

size_t GpuTrainer::input_size() const { return impl_->input_size(); }
size_t GpuTrainer::output_size() const { return impl_->output_size(); }
size_t GpuTrainer::target_size() const { return impl_->target_size(); }
size_t GpuTrainer::parameter_count() const { return impl_->nparams; }
size_t GpuTrainer::layer_count() const { return impl_->layers.size(); }
size_t GpuTrainer::layer_input_width(size_t l) const { return impl_->width.at(l); }
uint64_t GpuTrainer::keystream_position() const { return impl_->pos; }
int64_t GpuTrainer::optimizer_steps() const { return impl_->t; }
const std::string& GpuTrainer::device_name() const { return impl_->device_name; }

std::vector<float> GpuTrainer::parameters() const {
  impl_->bind();
  std::vector<float> out(impl_->nparams);
  if (!out.empty())
    HS_CUDA(cudaMemcpyAsync(out.data(), impl_->params.get(), out.size() * sizeof(float), cudaMemcpyDeviceToHost, impl_->s()));
  impl_->sync();
  return out;
}

void GpuTrainer::set_parameters(const float* p, size_t n) {
  require(n == impl_->nparams, "parameters",
          "expected " + std::to_string(impl_->nparams) + " values but received " + std::to_string(n));
  for (size_t i = 0; i < n; ++i)
    require(std::isfinite(p[i]), "parameters", "expected finite values but index " + std::to_string(i) + " is not");
  impl_->bind();
  if (n) HS_CUDA(cudaMemcpyAsync(impl_->params.get(), p, n * sizeof(float), cudaMemcpyHostToDevice, impl_->s()));
  impl_->sync();
}

StepResult GpuTrainer::step(const float* x, size_t x_len, const float* y, size_t y_len, const int32_t* rows, size_t n_sel) {
  impl_->bind();
  return impl_->step(x, x_len, y, y_len, rows, n_sel);
}

StepResult GpuTrainer::poisson_step(const float* x, size_t x_len, const float* y, size_t y_len) {
  impl_->bind();
  return impl_->poisson_step(x, x_len, y, y_len);
}

void GpuTrainer::forward(const float* x, size_t x_len, size_t start_layer, bool training, std::vector<float>& out) {
  impl_->bind();
  impl_->forward(x, x_len, start_layer, training, out);
}

double GpuTrainer::gradient(const float* x, size_t x_len, const float* y, size_t y_len, float* grad, size_t grad_len) {
  impl_->bind();
  return impl_->gradient(x, x_len, y, y_len, grad, grad_len);
}

double GpuTrainer::inspect_clipping(const float* x, size_t x_len, const float* y, size_t y_len, double* norms,
                                    size_t norms_len, float* clipped_sum, size_t sum_len) {
  impl_->bind();
  return impl_->inspect_clipping(x, x_len, y, y_len, norms, norms_len, clipped_sum, sum_len);
}

double GpuTrainer::input_gradient(const float* x, size_t x_len, const float* y, size_t y_len, float* dx, size_t dx_len) {
  impl_->bind();
  return impl_->input_gradient(x, x_len, y, y_len, dx, dx_len);
}

void GpuTrainer::step_with_output_gradient(const float* x, size_t x_len, const float* dout, size_t dout_len) {
  impl_->bind();
  impl_->step_with_output_gradient(x, x_len, dout, dout_len);
}

void device_keystream_samples(const ChaChaKey& key, uint64_t position, int kind, double* out, size_t count) {
  require(position % 8 == 0, "position", "expected a multiple of 8 bytes");
  require(kind == 0 || kind == 1, "kind", "expected 0 (uniforms) or 1 (Gaussians)");
  if (count == 0) return;
  select_device();
  Stream stream;
  const size_t nwords = kind == 0 ? count : 2 * ((count + 1) / 2);
  DeviceArray<uint64_t> words;
  DeviceArray<double> dout;
  launch_keystream_words(stream_key(key), position, nwords, words.ensure(nwords), stream.get());
  launch_variates(words.get(), count, kind, dout.ensure(count), stream.get());
  HS_CUDA(cudaMemcpyAsync(out, dout.get(), count * sizeof(double), cudaMemcpyDeviceToHost, stream.get()));
  HS_CUDA(cudaStreamSynchronize(stream.get()));
}

}  // namespace cuda
}  // namespace hemasynth
