// CUDA kernels mirroring the cpu ops. One kernel, one launcher per op; the launchers own the
// device buffers for the duration of one call (the host-pointer API keeps the bindings thin).
#include <cuda_runtime.h>

#include <cmath>
#include <string>
#include <vector>

#if defined(HEMASYNTH_WITH_CUBLAS)
#include <cublas_v2.h>
#endif

#include "common/error.h"
#include "cuda/keystream_device.h"
#include "cuda/ops.h"
#include "cuda/sgemm.cuh"
#include "cuda/trainer_kernels.cuh"
#include "dp/chacha20.h"

namespace hemasynth {
namespace cuda {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw Error("cuda", std::string(what) + ": " + cudaGetErrorString(e));
  }
}

// Device buffer owned for one call.
template <class T>
struct DeviceBuffer {
  T* ptr = nullptr;
  size_t n = 0;
  explicit DeviceBuffer(size_t count) : n(count) {
    if (n) check(cudaMalloc(reinterpret_cast<void**>(&ptr), n * sizeof(T)), "cudaMalloc");
  }
  DeviceBuffer(const T* host, size_t count) : DeviceBuffer(count) {
    if (n) check(cudaMemcpy(ptr, host, n * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy to device");
  }
  void to_host(T* host) const {
    if (n) check(cudaMemcpy(host, ptr, n * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy to host");
  }
  ~DeviceBuffer() { if (ptr) cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

inline unsigned blocks_for(size_t n, unsigned threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

#if defined(HEMASYNTH_WITH_CUBLAS)
__global__ void add_bias_kernel(float* c, const float* bias, size_t m, size_t n) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < m * n) c[i] += bias[i % n];
}
#endif

// ---- elementwise, row-wise ---------------------------------------------------------------
__global__ void activation_kernel(int kind, const float* x, float* y, size_t n, float slope) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  const float v = x[i];
  switch (kind) {
    case 2: y[i] = v > 0.0f ? v : 0.0f; break;
    case 3: y[i] = v > 0.0f ? v : slope * v; break;
    case 4: y[i] = tanhf(v); break;
    default: y[i] = v >= 0.0f ? 1.0f / (1.0f + expf(-v)) : expf(v) / (1.0f + expf(v)); break;
  }
}

// One block per row; shared-memory reductions (blockDim.x = 256).
__global__ void softmax_kernel(const float* x, float* y, size_t cols) {
  __shared__ float red[256];
  const float* xr = x + blockIdx.x * cols;
  float* yr = y + blockIdx.x * cols;
  float mx = -INFINITY;
  for (size_t j = threadIdx.x; j < cols; j += blockDim.x) mx = fmaxf(mx, xr[j]);
  red[threadIdx.x] = mx;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) { if (threadIdx.x < s) red[threadIdx.x] = fmaxf(red[threadIdx.x], red[threadIdx.x + s]); __syncthreads(); }
  mx = red[0];
  __syncthreads();
  float sum = 0.0f;
  for (size_t j = threadIdx.x; j < cols; j += blockDim.x) { const float e = expf(xr[j] - mx); yr[j] = e; sum += e; }
  red[threadIdx.x] = sum;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) { if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s]; __syncthreads(); }
  const float inv = 1.0f / red[0];
  for (size_t j = threadIdx.x; j < cols; j += blockDim.x) yr[j] *= inv;
}

__global__ void layer_norm_kernel(const float* x, const float* gain, const float* bias, float* y, size_t cols, float eps) {
  __shared__ double red[256];
  const float* xr = x + blockIdx.x * cols;
  float* yr = y + blockIdx.x * cols;
  double s = 0.0;
  for (size_t j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
  red[threadIdx.x] = s;
  __syncthreads();
  for (int k = blockDim.x / 2; k > 0; k >>= 1) { if (threadIdx.x < k) red[threadIdx.x] += red[threadIdx.x + k]; __syncthreads(); }
  const double mean = red[0] / static_cast<double>(cols);
  __syncthreads();
  double v = 0.0;
  for (size_t j = threadIdx.x; j < cols; j += blockDim.x) { const double d = xr[j] - mean; v += d * d; }
  red[threadIdx.x] = v;
  __syncthreads();
  for (int k = blockDim.x / 2; k > 0; k >>= 1) { if (threadIdx.x < k) red[threadIdx.x] += red[threadIdx.x + k]; __syncthreads(); }
  const double rs = rsqrt(red[0] / static_cast<double>(cols) + eps);
  for (size_t j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = static_cast<float>((xr[j] - mean) * rs) * gain[j] + bias[j];
}

__global__ void ghost_kernel(const float* a, size_t in, const float* g, size_t out, double* sqnorm) {
  __shared__ double ra[256], rg[256];
  const size_t i = blockIdx.x;
  double na = 0.0, ng = 0.0;
  for (size_t j = threadIdx.x; j < in; j += blockDim.x) { const double v = a[i * in + j]; na += v * v; }
  for (size_t j = threadIdx.x; j < out; j += blockDim.x) { const double v = g[i * out + j]; ng += v * v; }
  ra[threadIdx.x] = na;
  rg[threadIdx.x] = ng;
  __syncthreads();
  for (int k = blockDim.x / 2; k > 0; k >>= 1) {
    if (threadIdx.x < k) { ra[threadIdx.x] += ra[threadIdx.x + k]; rg[threadIdx.x] += rg[threadIdx.x + k]; }
    __syncthreads();
  }
  if (threadIdx.x == 0) sqnorm[i] += ra[0] * rg[0] + rg[0];
}

// z = float((x + g)/τ) with g = −ln(−ln(u + 2⁻⁵⁴)), as nn/activation.cpp gumbel_softmax_rows.
__global__ void gumbel_logits_kernel(const float* x, const double* u, float* z, size_t n, double tau) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  const double g = -log(-log(u[i] + 0x1p-54));
  z[i] = static_cast<float>((static_cast<double>(x[i]) + g) / tau);
}

// ---- keystream Gaussians (keystream_device.h: the same arithmetic as native/dp) -------------
// One thread per Gaussian pair: the two 8-byte words at base + 16·p (each inside one block).
__global__ void gaussian_kernel(StreamKey k, uint64_t base, double* out, size_t n) {
  const size_t p = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (p >= (n + 1) / 2) return;  // one thread per pair, pairs = ceil(n/2)
  const uint64_t pos = base + 16 * static_cast<uint64_t>(p);
  uint32_t blk[16];
  ks_block(k, pos / 64, blk);
  const uint64_t w0 = ks_word_from_block(blk, pos);
  if ((pos + 8) / 64 != pos / 64) ks_block(k, (pos + 8) / 64, blk);
  const uint64_t w1 = ks_word_from_block(blk, pos + 8);
  double z0, z1;
  ks_box_muller(w0, w1, &z0, &z1);
  out[2 * p] = z0;
  if (2 * p + 1 < n) out[2 * p + 1] = z1;
}

}  // namespace

void matmul_f32(const GemmShape& s, const float* a, const float* b, float* c, const float* bias) {
  if (s.m == 0 || s.n == 0) return;
  DeviceBuffer<float> da(a, s.m * s.k), db(b, s.k * s.n), dc(s.m * s.n);
  DeviceBuffer<float> dbias(bias, bias ? s.n : 0);
#if defined(HEMASYNTH_WITH_CUBLAS)
  // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands.
  cublasHandle_t h;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) throw Error("cuda", "cublasCreate failed");
  const float one = 1.0f, zero = 0.0f;
  cublasStatus_t st = cublasSgemm(h, s.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, s.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                                  static_cast<int>(s.n), static_cast<int>(s.m), static_cast<int>(s.k), &one, db.ptr,
                                  static_cast<int>(s.trans_b ? s.k : s.n), da.ptr, static_cast<int>(s.trans_a ? s.m : s.k),
                                  &zero, dc.ptr, static_cast<int>(s.n));
  cublasDestroy(h);
  if (st != CUBLAS_STATUS_SUCCESS) throw Error("cuda", "cublasSgemm failed");
  if (bias) add_bias_kernel<<<blocks_for(s.m * s.n, 256), 256>>>(dc.ptr, dbias.ptr, s.m, s.n);
#else
  int device = 0, sms = 1;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
  GemmEpilogue ep;
  ep.bias = bias ? dbias.ptr : nullptr;
  GemmScratch scratch;
  sgemm(s, da.ptr, db.ptr, dc.ptr, ep, sms, scratch, nullptr);
  check(cudaDeviceSynchronize(), "matmul kernel");
#endif
  check(cudaGetLastError(), "matmul kernel");
  dc.to_host(c);
}

void activation_f32(int kind, const float* x, float* y, size_t n, float slope) {
  if (n == 0) return;
  DeviceBuffer<float> dx(x, n), dy(n);
  activation_kernel<<<blocks_for(n, 256), 256>>>(kind, dx.ptr, dy.ptr, n, slope);
  check(cudaGetLastError(), "activation kernel");
  dy.to_host(y);
}

void softmax_rows_f32(const float* x, float* y, size_t rows, size_t cols) {
  if (rows == 0) return;
  DeviceBuffer<float> dx(x, rows * cols), dy(rows * cols);
  softmax_kernel<<<static_cast<unsigned>(rows), 256>>>(dx.ptr, dy.ptr, cols);
  check(cudaGetLastError(), "softmax kernel");
  dy.to_host(y);
}

void layer_norm_f32(const float* x, const float* gain, const float* bias, float* y, size_t rows, size_t cols, float eps) {
  if (rows == 0) return;
  DeviceBuffer<float> dx(x, rows * cols), dg(gain, cols), db(bias, cols), dy(rows * cols);
  layer_norm_kernel<<<static_cast<unsigned>(rows), 256>>>(dx.ptr, dg.ptr, db.ptr, dy.ptr, cols, eps);
  check(cudaGetLastError(), "layer norm kernel");
  dy.to_host(y);
}

void activation_backward_f32(int kind, const float* x, const float* y, const float* dy, float* dx, size_t n, float slope) {
  if (n == 0) return;
  DeviceBuffer<float> dxin(x, n), dyout(y, n), ddy(dy, n), ddx(n);
  launch_activation_backward(kind, dxin.ptr, dyout.ptr, ddy.ptr, ddx.ptr, n, slope, nullptr);
  check(cudaDeviceSynchronize(), "activation backward kernel");
  ddx.to_host(dx);
}

void gumbel_softmax_f32(const float* x, float* y, size_t rows, size_t cols, double tau, uint64_t seed) {
  const size_t n = checked_mul(rows, cols, "x");
  if (n == 0) return;
  const StreamKey k = stream_key(chacha_key_from_seed(seed));
  DeviceBuffer<uint64_t> words(n);
  DeviceBuffer<double> u(n);
  DeviceBuffer<float> dx(x, n), z(n), dy(n);
  launch_keystream_words(k, 0, n, words.ptr, nullptr);
  launch_variates(words.ptr, n, 0, u.ptr, nullptr);
  gumbel_logits_kernel<<<blocks_for(n, 256), 256>>>(dx.ptr, u.ptr, z.ptr, n, tau);
  check(cudaGetLastError(), "gumbel logits kernel");
  softmax_kernel<<<static_cast<unsigned>(rows), 256>>>(z.ptr, dy.ptr, cols);
  check(cudaDeviceSynchronize(), "gumbel softmax kernels");
  dy.to_host(y);
}

void loss_f32(const LossTerm* terms, size_t n_terms, const float* out, size_t oc, const float* tgt, size_t tc, size_t rows,
              double* loss, float* grad) {
  if (rows == 0) return;
  std::vector<DeviceLossTerm> host(n_terms);
  for (size_t t = 0; t < n_terms; ++t)
    host[t] = {static_cast<int>(terms[t].kind), static_cast<int>(terms[t].out_offset), static_cast<int>(terms[t].tgt_offset),
               static_cast<int>(terms[t].width), terms[t].weight};
  DeviceBuffer<DeviceLossTerm> dterms(host.data(), host.size());
  DeviceBuffer<float> dout(out, checked_mul(rows, oc, "output")), dtgt(tgt, checked_mul(rows, tc, "target")), dgrad(rows * oc);
  DeviceBuffer<double> dloss(rows);
  check(cudaMemset(dloss.ptr, 0, rows * sizeof(double)), "cudaMemset");  // the kernel adds each row's terms
  launch_loss(dterms.ptr, static_cast<int>(n_terms), dout.ptr, oc, dtgt.ptr, tc, rows, dloss.ptr, dgrad.ptr, nullptr);
  check(cudaDeviceSynchronize(), "loss kernel");
  dloss.to_host(loss);
  dgrad.to_host(grad);
}

void linear_ghost_sqnorms(const float* a, size_t in, const float* g, size_t out, size_t rows, double* sqnorm) {
  if (rows == 0) return;
  DeviceBuffer<float> da(a, rows * in), dg(g, rows * out);
  DeviceBuffer<double> ds(sqnorm, rows);
  ghost_kernel<<<static_cast<unsigned>(rows), 256>>>(da.ptr, in, dg.ptr, out, ds.ptr);
  check(cudaGetLastError(), "ghost norm kernel");
  ds.to_host(sqnorm);
}

void gaussians(uint64_t seed, uint64_t position, double* out, size_t n) {
  require(position % 8 == 0, "position", "expected a multiple of 8 bytes");
  if (n == 0) return;
  const StreamKey k = stream_key(chacha_key_from_seed(seed));
  DeviceBuffer<double> d(n);
  const size_t pairs = (n + 1) / 2;
  gaussian_kernel<<<blocks_for(pairs, 256), 256>>>(k, position, d.ptr, n);
  check(cudaGetLastError(), "gaussian kernel");
  d.to_host(out);
}

}  // namespace cuda
}  // namespace hemasynth
