#include "cuda/trainer_kernels.cuh"

#include <cmath>

#include "common/error.h"
#include "cuda/sgemm.cuh"

namespace hemasynth {
namespace cuda {
namespace {

constexpr unsigned kBlock = 256;
constexpr unsigned kWarpsPerBlock = kBlock / 32;
constexpr size_t kMaxGrid = 1u << 30;  // grid.x limit is 2^31 − 1; stay well below

// Grid of 1-D launches: at most kMaxGrid blocks, kernels loop with a grid stride.
unsigned grid_for(size_t n, unsigned per_block = kBlock) {
  size_t b = (n + per_block - 1) / per_block;
  if (b == 0) b = 1;
  return static_cast<unsigned>(b < kMaxGrid ? b : kMaxGrid);
}

#define HS_GRID_STRIDE(i, n) \
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < (n); i += static_cast<size_t>(gridDim.x) * blockDim.x)

__device__ __forceinline__ double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return __shfl_sync(0xffffffffu, v, 0);
}

// ---- keystream ------------------------------------------------------------------------------

__global__ void keystream_words_kernel(StreamKey key, uint64_t first_block, uint64_t pos, uint64_t end, size_t blocks,
                                       uint64_t* __restrict__ words) {
  HS_GRID_STRIDE(t, blocks) {
    const uint64_t blk_index = first_block + t;
    uint32_t blk[16];
    ks_block(key, blk_index, blk);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const uint64_t byte = blk_index * 64 + 8 * static_cast<uint64_t>(j);
      if (byte >= pos && byte < end) words[(byte - pos) / 8] = ks_word_from_block(blk, byte);
    }
  }
}

__global__ void uniform_init_kernel(const uint64_t* __restrict__ words, size_t n, double bound, float* __restrict__ p) {
  HS_GRID_STRIDE(i, n) p[i] = static_cast<float>((2.0 * ks_uniform(words[i]) - 1.0) * bound);
}

__global__ void poisson_flags_kernel(const uint64_t* __restrict__ words, size_t n, double q, uint8_t* __restrict__ flags) {
  HS_GRID_STRIDE(i, n) flags[i] = ks_uniform(words[i]) < q ? 1 : 0;
}

__device__ __forceinline__ double gaussian_at(const uint64_t* __restrict__ words, size_t i) {
  double z0, z1;
  const size_t p = i / 2;
  ks_box_muller(words[2 * p], words[2 * p + 1], &z0, &z1);
  return (i & 1) ? z1 : z0;
}

__global__ void variates_kernel(const uint64_t* __restrict__ words, size_t n, int kind, double* __restrict__ out) {
  HS_GRID_STRIDE(i, n) out[i] = kind == 0 ? ks_uniform(words[i]) : gaussian_at(words, i);
}

// One thread per Gaussian pair, as Keystream::add_gaussian_noise.
__global__ void add_noise_kernel(const uint64_t* __restrict__ words, float* __restrict__ grad, size_t n, double scale) {
  const size_t pairs = (n + 1) / 2;
  HS_GRID_STRIDE(p, pairs) {
    double z0, z1;
    ks_box_muller(words[2 * p], words[2 * p + 1], &z0, &z1);
    grad[2 * p] = static_cast<float>(static_cast<double>(grad[2 * p]) + scale * z0);
    if (2 * p + 1 < n) grad[2 * p + 1] = static_cast<float>(static_cast<double>(grad[2 * p + 1]) + scale * z1);
  }
}

// ---- elementwise ----------------------------------------------------------------------------

__global__ void activation_forward_kernel(int kind, const float* __restrict__ x, float* __restrict__ y, size_t n, float slope) {
  HS_GRID_STRIDE(i, n) y[i] = activation_value(kind, x[i], slope);
}

// nn/activation.cpp activation_backward.
__global__ void activation_backward_kernel(int kind, const float* __restrict__ x, const float* __restrict__ y,
                                           const float* __restrict__ dy, float* __restrict__ dx, size_t n, float slope) {
  HS_GRID_STRIDE(i, n) {
    switch (kind) {
      case 2: dx[i] = x[i] > 0.0f ? dy[i] : 0.0f; break;
      case 3: dx[i] = x[i] > 0.0f ? dy[i] : slope * dy[i]; break;
      case 4: dx[i] = dy[i] * (1.0f - y[i] * y[i]); break;
      default: dx[i] = dy[i] * y[i] * (1.0f - y[i]); break;
    }
  }
}

__global__ void dropout_forward_kernel(const uint64_t* __restrict__ words, const float* __restrict__ x, float* __restrict__ y,
                                       float* __restrict__ mask, size_t n, double rate, float scale) {
  HS_GRID_STRIDE(i, n) {
    const float k = ks_uniform(words[i]) < rate ? 0.0f : scale;
    mask[i] = k;
    y[i] = x[i] * k;
  }
}

__global__ void multiply_kernel(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out, size_t n) {
  HS_GRID_STRIDE(i, n) out[i] = a[i] * b[i];
}

__global__ void add_kernel(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out, size_t n) {
  HS_GRID_STRIDE(i, n) out[i] = a[i] + b[i];
}

// ---- row-wise (one warp per row) ------------------------------------------------------------

__global__ void layer_norm_forward_kernel(const float* __restrict__ x, const float* __restrict__ gain,
                                          const float* __restrict__ bias, float* __restrict__ y, float* __restrict__ xhat,
                                          float* __restrict__ rstd, size_t rows, size_t cols, float eps) {
  const size_t r = blockIdx.x * static_cast<size_t>(kWarpsPerBlock) + threadIdx.x / 32;
  const unsigned lane = threadIdx.x % 32;
  if (r >= rows) return;  // whole warps leave together: r is uniform within a warp
  const float* xr = x + r * cols;
  double s = 0.0;
  for (size_t j = lane; j < cols; j += 32) s += xr[j];
  const double mean = warp_sum(s) / static_cast<double>(cols);
  double v = 0.0;
  for (size_t j = lane; j < cols; j += 32) { const double d = xr[j] - mean; v += d * d; }
  const double var = warp_sum(v) / static_cast<double>(cols);
  const double rs = 1.0 / sqrt(var + static_cast<double>(eps));
  if (lane == 0) rstd[r] = static_cast<float>(rs);
  for (size_t j = lane; j < cols; j += 32) {
    const float h = static_cast<float>((xr[j] - mean) * rs);
    xhat[r * cols + j] = h;
    y[r * cols + j] = h * gain[j] + bias[j];
  }
}

__global__ void layer_norm_backward_kernel(const float* __restrict__ dy, const float* __restrict__ xhat,
                                           const float* __restrict__ rstd, const float* __restrict__ gain,
                                           float* __restrict__ dx, size_t rows, size_t cols) {
  const size_t r = blockIdx.x * static_cast<size_t>(kWarpsPerBlock) + threadIdx.x / 32;
  const unsigned lane = threadIdx.x % 32;
  if (r >= rows) return;
  const float* g = dy + r * cols;
  const float* h = xhat + r * cols;
  double m1 = 0.0, m2 = 0.0;
  for (size_t j = lane; j < cols; j += 32) {
    const double d = static_cast<double>(g[j]) * gain[j];
    m1 += d;
    m2 += d * h[j];
  }
  m1 = warp_sum(m1) / static_cast<double>(cols);
  m2 = warp_sum(m2) / static_cast<double>(cols);
  const double rs = rstd[r];
  for (size_t j = lane; j < cols; j += 32) {
    const double d = static_cast<double>(g[j]) * gain[j];
    dx[r * cols + j] = static_cast<float>(rs * (d - m1 - h[j] * m2));
  }
}

__global__ void layer_norm_sqnorms_kernel(const float* __restrict__ g, const float* __restrict__ xhat, size_t rows,
                                          size_t cols, double* __restrict__ sqnorm) {
  const size_t r = blockIdx.x * static_cast<size_t>(kWarpsPerBlock) + threadIdx.x / 32;
  const unsigned lane = threadIdx.x % 32;
  if (r >= rows) return;
  double s = 0.0;
  for (size_t j = lane; j < cols; j += 32) {
    const double gj = g[r * cols + j];
    const double w = gj * xhat[r * cols + j];
    s += w * w + gj * gj;
  }
  s = warp_sum(s);
  if (lane == 0) sqnorm[r] += s;
}

__global__ void ghost_sqnorms_kernel(const float* __restrict__ a, size_t in, const float* __restrict__ g, size_t out,
                                     size_t rows, double* __restrict__ sqnorm) {
  const size_t r = blockIdx.x * static_cast<size_t>(kWarpsPerBlock) + threadIdx.x / 32;
  const unsigned lane = threadIdx.x % 32;
  if (r >= rows) return;
  double na = 0.0, ng = 0.0;
  for (size_t j = lane; j < in; j += 32) { const double v = a[r * in + j]; na += v * v; }
  for (size_t j = lane; j < out; j += 32) { const double v = g[r * out + j]; ng += v * v; }
  na = warp_sum(na);
  ng = warp_sum(ng);
  if (lane == 0) sqnorm[r] += na * ng + ng;
}

// ---- VAE reparameterisation -----------------------------------------------------------------

__global__ void gaussian_sample_forward_kernel(const uint64_t* __restrict__ words, const float* __restrict__ in,
                                               float* __restrict__ out, float* __restrict__ eps_out, double* __restrict__ loss,
                                               size_t rows, size_t L, double kw) {
  HS_GRID_STRIDE(i, rows) {
    const float* mu = in + i * 2 * L;
    const float* lv = mu + L;
    double kl = 0.0;
    for (size_t j = 0; j < L; ++j) {
      const double e = words ? gaussian_at(words, i * L + j) : 0.0;
      eps_out[i * L + j] = static_cast<float>(e);
      const double s = fmin(30.0, fmax(-30.0, static_cast<double>(lv[j])));
      out[i * L + j] = static_cast<float>(mu[j] + e * exp(0.5 * s));
      kl += -0.5 * (1.0 + s - static_cast<double>(mu[j]) * mu[j] - exp(s));
    }
    loss[i] += kw * kl;
  }
}

__global__ void gaussian_sample_backward_kernel(const float* __restrict__ in, const float* __restrict__ g,
                                                const float* __restrict__ eps, float* __restrict__ dx, size_t rows, size_t L,
                                                double kw) {
  HS_GRID_STRIDE(e, rows * L) {
    const size_t i = e / L, j = e % L;
    const float* mu = in + i * 2 * L;
    const float* lv = mu + L;
    const double gz = g[e];
    const bool inside = lv[j] > -30.0f && lv[j] < 30.0f;
    const double s = fmin(30.0, fmax(-30.0, static_cast<double>(lv[j])));
    dx[i * 2 * L + j] = static_cast<float>(gz + kw * mu[j]);
    dx[i * 2 * L + L + j] =
        inside ? static_cast<float>(gz * eps[e] * 0.5 * exp(0.5 * s) + kw * 0.5 * (exp(s) - 1.0)) : 0.0f;
  }
}

// ---- loss (nn/loss.cpp) ---------------------------------------------------------------------

__global__ void loss_kernel(const DeviceLossTerm* __restrict__ terms, int n_terms, const float* __restrict__ out, size_t oc,
                            const float* __restrict__ tgt, size_t tc, size_t rows, double* __restrict__ loss,
                            float* __restrict__ dout) {
  const double ln_2pi = 1.8378770664093454835606594728112;
  HS_GRID_STRIDE(r, rows) {
    const float* o = out + r * oc;
    const float* t = tgt + r * tc;
    float* d = dout + r * oc;
    for (size_t j = 0; j < oc; ++j) d[j] = 0.0f;
    double l = 0.0;
    for (int ti = 0; ti < n_terms; ++ti) {
      const DeviceLossTerm term = terms[ti];
      const size_t w = static_cast<size_t>(term.width);
      const float* os = o + term.out_offset;
      const float* ts = t + term.tgt_offset;
      float* ds = d + term.out_offset;
      const double wt = term.weight;
      switch (term.kind) {
        case 1: {  // MSE
          double s = 0.0;
          for (size_t j = 0; j < w; ++j) {
            const double e = static_cast<double>(os[j]) - ts[j];
            s += e * e;
            ds[j] += static_cast<float>(wt * 2.0 * e / static_cast<double>(w));
          }
          l += wt * s / static_cast<double>(w);
          break;
        }
        case 2: {  // cross-entropy over logits (probabilities recomputed rather than stored)
          double mx = -INFINITY, tsum = 0.0;
          for (size_t j = 0; j < w; ++j) { mx = fmax(mx, static_cast<double>(os[j])); tsum += ts[j]; }
          double z = 0.0;
          for (size_t j = 0; j < w; ++j) z += exp(os[j] - mx);
          const double logz = log(z) + mx;
          double s = 0.0;
          for (size_t j = 0; j < w; ++j) {
            const double p = exp(os[j] - mx);
            s -= ts[j] * (os[j] - logz);
            ds[j] += static_cast<float>(wt * (p / z * tsum - ts[j]));
          }
          l += wt * s;
          break;
        }
        case 3: {  // Gaussian NLL, log-variance clamped to [−30, 30]
          double s = 0.0;
          for (size_t j = 0; j < w; ++j) {
            const double mu = os[j];
            const float raw = os[w + j];
            const double lv = fmin(30.0, fmax(-30.0, static_cast<double>(raw)));
            const double inv = exp(-lv);
            const double e = ts[j] - mu;
            s += 0.5 * (lv + e * e * inv + ln_2pi);
            ds[j] += static_cast<float>(wt * (mu - ts[j]) * inv);
            const bool inside = raw > -30.0f && raw < 30.0f;
            ds[w + j] += inside ? static_cast<float>(wt * 0.5 * (1.0 - e * e * inv)) : 0.0f;
          }
          l += wt * s;
          break;
        }
        case 4: {  // linear (Wasserstein critic)
          double s = 0.0;
          for (size_t j = 0; j < w; ++j) { s += static_cast<double>(ts[j]) * os[j]; ds[j] += static_cast<float>(wt * ts[j]); }
          l += wt * s;
          break;
        }
        default:
          break;  // the gradient penalty is refused at construction
      }
    }
    loss[r] += l;
  }
}

// ---- clipping, sums, noise, optimizer -------------------------------------------------------

__global__ void clip_weights_kernel(const double* __restrict__ sqnorm, size_t n, double c, double scale,
                                    double* __restrict__ weight) {
  HS_GRID_STRIDE(i, n) {
    const double norm = sqrt(sqnorm[i]);
    const double f = norm > c ? c / norm : 1.0;
    weight[i] = f * scale;
  }
}

__global__ void fill_f64_kernel(double* p, size_t n, double v) {
  HS_GRID_STRIDE(i, n) p[i] = v;
}

__global__ void scale_rows_kernel(const float* __restrict__ g, const double* __restrict__ weight, float* __restrict__ scaled,
                                  size_t rows, size_t cols) {
  HS_GRID_STRIDE(e, rows * cols) scaled[e] = g[e] * static_cast<float>(weight[e / cols]);
}

// Column sums in binary64: a block of 32 columns × 32 row lanes; lane ty sums rows ty, ty+32, …
// then lane 0 adds the 32 partial sums in order (deterministic, independent of timing).
__global__ void column_sums_kernel(const float* __restrict__ v, size_t rows, size_t cols, float* __restrict__ out) {
  __shared__ double part[32][33];
  const size_t j = blockIdx.x * 32 + threadIdx.x;
  double s = 0.0;
  if (j < cols)
    for (size_t i = threadIdx.y; i < rows; i += 32) s += v[i * cols + j];
  part[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && j < cols) {
    double t = 0.0;
    for (int k = 0; k < 32; ++k) t += part[k][threadIdx.x];
    out[j] = static_cast<float>(t);
  }
}

__global__ void layer_norm_param_grad_kernel(const float* __restrict__ g, const float* __restrict__ h,
                                             const double* __restrict__ weight, size_t rows, size_t cols,
                                             float* __restrict__ dgain, float* __restrict__ dbias) {
  __shared__ double pg[32][33], pb[32][33];
  const size_t j = blockIdx.x * 32 + threadIdx.x;
  double sg = 0.0, sb = 0.0;
  if (j < cols)
    for (size_t i = threadIdx.y; i < rows; i += 32) {
      const double v = weight[i] * g[i * cols + j];
      sg += v * h[i * cols + j];
      sb += v;
    }
  pg[threadIdx.y][threadIdx.x] = sg;
  pb[threadIdx.y][threadIdx.x] = sb;
  __syncthreads();
  if (threadIdx.y == 0 && j < cols) {
    double tg = 0.0, tb = 0.0;
    for (int k = 0; k < 32; ++k) { tg += pg[k][threadIdx.x]; tb += pb[k][threadIdx.x]; }
    dgain[j] = static_cast<float>(tg);
    dbias[j] = static_cast<float>(tb);
  }
}

__global__ void optimizer_kernel(int kind, float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                                 float* __restrict__ v, size_t n, float lr, float wd, float b1, float b2, float step,
                                 float inv_sqrt_bc2, float eps) {
  HS_GRID_STRIDE(i, n) {
    if (kind == 0) {
      p[i] -= lr * (g[i] + wd * p[i]);
      continue;
    }
    float gi = g[i];
    if (kind == 1) gi += wd * p[i];
    else p[i] -= lr * wd * p[i];
    m[i] = b1 * m[i] + (1.0f - b1) * gi;
    v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
    p[i] -= step * m[i] / (sqrtf(v[i]) * inv_sqrt_bc2 + eps);
  }
}

}  // namespace

void launch_keystream_words(const StreamKey& key, uint64_t pos, size_t count, uint64_t* words, cudaStream_t s) {
  if (count == 0) return;
  require(pos % 8 == 0, "keystream", "expected an 8-byte aligned position");
  const uint64_t end = pos + 8 * static_cast<uint64_t>(count);
  const uint64_t first = pos / 64, last = (end - 1) / 64;
  const size_t blocks = static_cast<size_t>(last - first + 1);
  keystream_words_kernel<<<grid_for(blocks), kBlock, 0, s>>>(key, first, pos, end, blocks, words);
  HS_LAUNCHED("keystream_words_kernel");
}

void launch_uniform_init(const uint64_t* words, size_t n, double bound, float* p, cudaStream_t s) {
  if (n == 0) return;
  uniform_init_kernel<<<grid_for(n), kBlock, 0, s>>>(words, n, bound, p);
  HS_LAUNCHED("uniform_init_kernel");
}

void launch_poisson_flags(const uint64_t* words, size_t n, double q, uint8_t* flags, cudaStream_t s) {
  if (n == 0) return;
  poisson_flags_kernel<<<grid_for(n), kBlock, 0, s>>>(words, n, q, flags);
  HS_LAUNCHED("poisson_flags_kernel");
}

void launch_variates(const uint64_t* words, size_t n, int kind, double* out, cudaStream_t s) {
  if (n == 0) return;
  variates_kernel<<<grid_for(n), kBlock, 0, s>>>(words, n, kind, out);
  HS_LAUNCHED("variates_kernel");
}

void launch_activation_forward(int kind, const float* x, float* y, size_t n, float slope, cudaStream_t s) {
  if (n == 0) return;
  activation_forward_kernel<<<grid_for(n), kBlock, 0, s>>>(kind, x, y, n, slope);
  HS_LAUNCHED("activation_forward_kernel");
}

void launch_activation_backward(int kind, const float* x, const float* y, const float* dy, float* dx, size_t n, float slope,
                                cudaStream_t s) {
  if (n == 0) return;
  activation_backward_kernel<<<grid_for(n), kBlock, 0, s>>>(kind, x, y, dy, dx, n, slope);
  HS_LAUNCHED("activation_backward_kernel");
}

void launch_layer_norm_forward(const float* x, const float* gain, const float* bias, float* y, float* xhat, float* rstd,
                               size_t rows, size_t cols, float eps, cudaStream_t s) {
  if (rows == 0) return;
  layer_norm_forward_kernel<<<grid_for(rows, kWarpsPerBlock), kBlock, 0, s>>>(x, gain, bias, y, xhat, rstd, rows, cols, eps);
  HS_LAUNCHED("layer_norm_forward_kernel");
}

void launch_layer_norm_backward(const float* dy, const float* xhat, const float* rstd, const float* gain, float* dx,
                                size_t rows, size_t cols, cudaStream_t s) {
  if (rows == 0) return;
  layer_norm_backward_kernel<<<grid_for(rows, kWarpsPerBlock), kBlock, 0, s>>>(dy, xhat, rstd, gain, dx, rows, cols);
  HS_LAUNCHED("layer_norm_backward_kernel");
}

void launch_layer_norm_sqnorms(const float* g, const float* xhat, size_t rows, size_t cols, double* sqnorm, cudaStream_t s) {
  if (rows == 0) return;
  layer_norm_sqnorms_kernel<<<grid_for(rows, kWarpsPerBlock), kBlock, 0, s>>>(g, xhat, rows, cols, sqnorm);
  HS_LAUNCHED("layer_norm_sqnorms_kernel");
}

void launch_linear_ghost_sqnorms(const float* a, size_t in, const float* g, size_t out, size_t rows, double* sqnorm,
                                 cudaStream_t s) {
  if (rows == 0) return;
  ghost_sqnorms_kernel<<<grid_for(rows, kWarpsPerBlock), kBlock, 0, s>>>(a, in, g, out, rows, sqnorm);
  HS_LAUNCHED("ghost_sqnorms_kernel");
}

void launch_dropout_forward(const uint64_t* words, const float* x, float* y, float* mask, size_t n, double rate,
                            cudaStream_t s) {
  if (n == 0) return;
  const float scale = static_cast<float>(1.0 / (1.0 - rate));
  dropout_forward_kernel<<<grid_for(n), kBlock, 0, s>>>(words, x, y, mask, n, rate, scale);
  HS_LAUNCHED("dropout_forward_kernel");
}

void launch_multiply(const float* a, const float* b, float* out, size_t n, cudaStream_t s) {
  if (n == 0) return;
  multiply_kernel<<<grid_for(n), kBlock, 0, s>>>(a, b, out, n);
  HS_LAUNCHED("multiply_kernel");
}

void launch_add(const float* a, const float* b, float* out, size_t n, cudaStream_t s) {
  if (n == 0) return;
  add_kernel<<<grid_for(n), kBlock, 0, s>>>(a, b, out, n);
  HS_LAUNCHED("add_kernel");
}

void launch_gaussian_sample_forward(const uint64_t* words, const float* in, float* out, float* eps, double* loss, size_t rows,
                                    size_t L, double kl_weight, cudaStream_t s) {
  if (rows == 0) return;
  gaussian_sample_forward_kernel<<<grid_for(rows), kBlock, 0, s>>>(words, in, out, eps, loss, rows, L, kl_weight);
  HS_LAUNCHED("gaussian_sample_forward_kernel");
}

void launch_gaussian_sample_backward(const float* in, const float* g, const float* eps, float* dx, size_t rows, size_t L,
                                     double kl_weight, cudaStream_t s) {
  if (rows == 0) return;
  gaussian_sample_backward_kernel<<<grid_for(rows * L), kBlock, 0, s>>>(in, g, eps, dx, rows, L, kl_weight);
  HS_LAUNCHED("gaussian_sample_backward_kernel");
}

void launch_loss(const DeviceLossTerm* terms, int n_terms, const float* out, size_t oc, const float* tgt, size_t tc,
                 size_t rows, double* loss, float* dout, cudaStream_t s) {
  if (rows == 0) return;
  loss_kernel<<<grid_for(rows, 128), 128, 0, s>>>(terms, n_terms, out, oc, tgt, tc, rows, loss, dout);
  HS_LAUNCHED("loss_kernel");
}

void launch_clip_weights(const double* sqnorm, size_t n, double max_norm, double scale, double* weight, cudaStream_t s) {
  if (n == 0) return;
  clip_weights_kernel<<<grid_for(n), kBlock, 0, s>>>(sqnorm, n, max_norm, scale, weight);
  HS_LAUNCHED("clip_weights_kernel");
}

void launch_fill_f64(double* p, size_t n, double v, cudaStream_t s) {
  if (n == 0) return;
  fill_f64_kernel<<<grid_for(n), kBlock, 0, s>>>(p, n, v);
  HS_LAUNCHED("fill_f64_kernel");
}

void launch_scale_rows(const float* g, const double* weight, float* scaled, size_t rows, size_t cols, cudaStream_t s) {
  if (rows == 0 || cols == 0) return;
  scale_rows_kernel<<<grid_for(rows * cols), kBlock, 0, s>>>(g, weight, scaled, rows, cols);
  HS_LAUNCHED("scale_rows_kernel");
}

void launch_column_sums(const float* v, size_t rows, size_t cols, float* out, cudaStream_t s) {
  if (cols == 0) return;
  const dim3 block(32, 32);
  column_sums_kernel<<<static_cast<unsigned>((cols + 31) / 32), block, 0, s>>>(v, rows, cols, out);
  HS_LAUNCHED("column_sums_kernel");
}

void launch_layer_norm_param_grad(const float* g, const float* xhat, const double* weight, size_t rows, size_t cols,
                                  float* dgain, float* dbias, cudaStream_t s) {
  if (cols == 0) return;
  const dim3 block(32, 32);
  layer_norm_param_grad_kernel<<<static_cast<unsigned>((cols + 31) / 32), block, 0, s>>>(g, xhat, weight, rows, cols, dgain,
                                                                                         dbias);
  HS_LAUNCHED("layer_norm_param_grad_kernel");
}

void launch_add_noise(const uint64_t* words, float* grad, size_t n, double scale, cudaStream_t s) {
  if (n == 0) return;
  add_noise_kernel<<<grid_for((n + 1) / 2), kBlock, 0, s>>>(words, grad, n, scale);
  HS_LAUNCHED("add_noise_kernel");
}

void launch_optimizer(int kind, float* p, const float* g, float* m, float* v, size_t n, float lr, float wd, float b1, float b2,
                      float step, float inv_sqrt_bc2, float eps, cudaStream_t s) {
  if (n == 0) return;
  optimizer_kernel<<<grid_for(n), kBlock, 0, s>>>(kind, p, g, m, v, n, lr, wd, b1, b2, step, inv_sqrt_bc2, eps);
  HS_LAUNCHED("optimizer_kernel");
}

}  // namespace cuda
}  // namespace hemasynth
