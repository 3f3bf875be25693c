#include "cuda/sgemm.cuh"

#include <algorithm>
#include <climits>
#include <string>

#include "common/error.h"

namespace hemasynth {
namespace cuda {

void check_cuda(cudaError_t e, const char* site) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call is not blamed for it
  throw Error("cuda", std::string(site) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

GemmScratch::~GemmScratch() {
  if (data) cudaFree(data);
}

namespace {

constexpr int kBK = 8;      // k depth of one shared-memory slice
constexpr int kPad = 4;     // row padding of the shared tiles: spreads the transposing stores over banks, keeps float4 alignment
constexpr int kThreads = 256;

// One BM×BN tile of C (or of one split-K partial) per block; 16×16 threads, each owning
// (BM/16)×(BN/16) outputs in groups of 4 rows/columns 64 apart (float4 reads, no bank conflicts).
// Global loads are scalar with bounds checks (any shape, any alignment) and coalesced along the
// operand's contiguous dimension; the next slice is loaded into registers while the current
// one is multiplied (two shared buffers, one barrier per slice).
template <int BM, int BN, bool TA, bool TB>
__global__ void __launch_bounds__(kThreads) sgemm_kernel(int m, int n, int k, int kchunk, const float* __restrict__ a,
                                                         const float* __restrict__ b, float* __restrict__ c,
                                                         float* __restrict__ partial, GemmEpilogue ep) {
  constexpr int TM = BM / 16, TN = BN / 16;
  constexpr int GM = TM / 4, GN = TN / 4;
  constexpr int LA = BM * kBK / kThreads, LB = BN * kBK / kThreads;
  __shared__ __align__(16) float As[2][kBK][BM + kPad];
  __shared__ __align__(16) float Bs[2][kBK][BN + kPad];
  const int tid = threadIdx.x;
  const int tx = tid % 16, ty = tid / 16;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  const int kbeg = blockIdx.z * kchunk;
  const int kend = min(k, kbeg + kchunk);
  float ra[LA], rb[LB];

  auto load = [&](int k0) {
#pragma unroll
    for (int i = 0; i < LA; ++i) {
      const int idx = tid + i * kThreads;
      const int r = TA ? idx % BM : idx / kBK;
      const int kk = TA ? idx / BM : idx % kBK;
      const int gr = row0 + r, gk = k0 + kk;
      ra[i] = (gr < m && gk < kend) ? (TA ? a[static_cast<size_t>(gk) * m + gr] : a[static_cast<size_t>(gr) * k + gk]) : 0.0f;
    }
#pragma unroll
    for (int i = 0; i < LB; ++i) {
      const int idx = tid + i * kThreads;
      const int cc = TB ? idx / kBK : idx % BN;
      const int kk = TB ? idx % kBK : idx / BN;
      const int gc = col0 + cc, gk = k0 + kk;
      rb[i] = (gc < n && gk < kend) ? (TB ? b[static_cast<size_t>(gc) * k + gk] : b[static_cast<size_t>(gk) * n + gc]) : 0.0f;
    }
  };
  auto store = [&](int buf) {
#pragma unroll
    for (int i = 0; i < LA; ++i) {
      const int idx = tid + i * kThreads;
      const int r = TA ? idx % BM : idx / kBK;
      const int kk = TA ? idx / BM : idx % kBK;
      As[buf][kk][r] = ra[i];
    }
#pragma unroll
    for (int i = 0; i < LB; ++i) {
      const int idx = tid + i * kThreads;
      const int cc = TB ? idx / kBK : idx % BN;
      const int kk = TB ? idx % kBK : idx / BN;
      Bs[buf][kk][cc] = rb[i];
    }
  };

  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

  if (kbeg < kend) {
    load(kbeg);
    store(0);
    __syncthreads();
    int buf = 0;
    for (int k0 = kbeg; k0 < kend; k0 += kBK) {
      const bool more = k0 + kBK < kend;
      if (more) load(k0 + kBK);
#pragma unroll
      for (int kk = 0; kk < kBK; ++kk) {
        float av[TM], bv[TN];
#pragma unroll
        for (int g = 0; g < GM; ++g) {
          const float4 v = *reinterpret_cast<const float4*>(&As[buf][kk][ty * 4 + 64 * g]);
          av[4 * g] = v.x; av[4 * g + 1] = v.y; av[4 * g + 2] = v.z; av[4 * g + 3] = v.w;
        }
#pragma unroll
        for (int g = 0; g < GN; ++g) {
          const float4 v = *reinterpret_cast<const float4*>(&Bs[buf][kk][tx * 4 + 64 * g]);
          bv[4 * g] = v.x; bv[4 * g + 1] = v.y; bv[4 * g + 2] = v.z; bv[4 * g + 3] = v.w;
        }
#pragma unroll
        for (int i = 0; i < TM; ++i)
#pragma unroll
          for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
      }
      if (more) {
        store(buf ^ 1);
        __syncthreads();
        buf ^= 1;
      }
    }
  }

  const size_t mn = static_cast<size_t>(m) * n;
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int r = row0 + ty * 4 + (i % 4) + 64 * (i / 4);
    if (r >= m) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int cc = col0 + tx * 4 + (j % 4) + 64 * (j / 4);
      if (cc >= n) continue;
      const size_t at = static_cast<size_t>(r) * n + cc;
      if (partial) {
        partial[static_cast<size_t>(blockIdx.z) * mn + at] = acc[i][j];
      } else {
        const float v = acc[i][j] + (ep.bias ? ep.bias[cc] : 0.0f);
        c[at] = v;
        if (ep.post) ep.post[at] = activation_value(ep.activation, v, ep.slope);
      }
    }
  }
}

// Sums the split-K partials in a fixed order (deterministic), then bias and activation.
__global__ void splitk_reduce_kernel(size_t mn, int n, int splits, const float* __restrict__ partial, float* __restrict__ c,
                                     GemmEpilogue ep) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= mn) return;
  float s = 0.0f;
  for (int z = 0; z < splits; ++z) s += partial[static_cast<size_t>(z) * mn + i];
  if (ep.bias) s += ep.bias[i % n];
  c[i] = s;
  if (ep.post) ep.post[i] = activation_value(ep.activation, s, ep.slope);
}

template <int BM, int BN>
void launch(const GemmShape& s, bool ta, bool tb, dim3 grid, int kchunk, const float* a, const float* b, float* c,
            float* partial, const GemmEpilogue& ep, cudaStream_t stream) {
  const int m = static_cast<int>(s.m), n = static_cast<int>(s.n), k = static_cast<int>(s.k);
  if (!ta && !tb) sgemm_kernel<BM, BN, false, false><<<grid, kThreads, 0, stream>>>(m, n, k, kchunk, a, b, c, partial, ep);
  else if (ta && !tb) sgemm_kernel<BM, BN, true, false><<<grid, kThreads, 0, stream>>>(m, n, k, kchunk, a, b, c, partial, ep);
  else if (!ta && tb) sgemm_kernel<BM, BN, false, true><<<grid, kThreads, 0, stream>>>(m, n, k, kchunk, a, b, c, partial, ep);
  else sgemm_kernel<BM, BN, true, true><<<grid, kThreads, 0, stream>>>(m, n, k, kchunk, a, b, c, partial, ep);
  HS_LAUNCHED("sgemm_kernel");
}

}  // namespace

void sgemm(const GemmShape& s, const float* a, const float* b, float* c, const GemmEpilogue& ep, int sm_count,
           GemmScratch& scratch, cudaStream_t stream) {
  if (s.m == 0 || s.n == 0) return;
  require(s.m <= INT_MAX / 2 && s.n <= INT_MAX / 2 && s.k <= INT_MAX / 2, "matmul",
          "expected m, k, n below 2^30 on the GPU but received " + std::to_string(s.m) + "×" + std::to_string(s.k) + "×" +
              std::to_string(s.n));
  require(c != nullptr && (s.k == 0 || (a != nullptr && b != nullptr)), "matmul", "null device buffer");
  const long long sms = std::max(1, sm_count);
  const long long mm = static_cast<long long>(s.m), nn = static_cast<long long>(s.n), kk = static_cast<long long>(s.k);
  const long long tiles128 = ((mm + 127) / 128) * ((nn + 127) / 128);
  const bool big = tiles128 >= sms;
  const long long bm = big ? 128 : 64;
  const long long rows_of_tiles = (mm + bm - 1) / bm, cols_of_tiles = (nn + bm - 1) / bm;
  require(rows_of_tiles <= 65535, "matmul", "expected at most " + std::to_string(65535 * bm) + " rows on the GPU");
  const long long tiles = rows_of_tiles * cols_of_tiles;
  long long splits = 1;
  if (tiles < sms && kk >= 512) splits = std::max(1LL, std::min((2 * sms + tiles - 1) / tiles, kk / 256));
  long long kchunk = kk == 0 ? kBK : ((kk + splits - 1) / splits + kBK - 1) / kBK * kBK;
  splits = kk == 0 ? 1 : (kk + kchunk - 1) / kchunk;
  float* partial = nullptr;
  if (splits > 1) {
    const size_t need = static_cast<size_t>(splits) * s.m * s.n;
    if (scratch.capacity < need) {
      if (scratch.data) HS_CUDA(cudaFree(scratch.data));
      scratch.data = nullptr;
      scratch.capacity = 0;
      HS_CUDA(cudaMalloc(reinterpret_cast<void**>(&scratch.data), need * sizeof(float)));
      scratch.capacity = need;
    }
    partial = scratch.data;
  }
  const dim3 grid(static_cast<unsigned>(cols_of_tiles), static_cast<unsigned>(rows_of_tiles), static_cast<unsigned>(splits));
  if (big) launch<128, 128>(s, s.trans_a, s.trans_b, grid, static_cast<int>(kchunk), a, b, c, partial, ep, stream);
  else launch<64, 64>(s, s.trans_a, s.trans_b, grid, static_cast<int>(kchunk), a, b, c, partial, ep, stream);
  if (partial) {
    const size_t mn = s.m * s.n;
    splitk_reduce_kernel<<<static_cast<unsigned>((mn + 255) / 256), 256, 0, stream>>>(mn, static_cast<int>(s.n),
                                                                                        static_cast<int>(splits), partial, c, ep);
    HS_LAUNCHED("splitk_reduce_kernel");
  }
}

}  // namespace cuda
}  // namespace hemasynth
