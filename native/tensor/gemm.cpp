#include "tensor/gemm.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "common/error.h"
#include "common/parallel.h"

namespace hemasynth {
namespace {

// Register tile: MR rows × NR columns of C held in 2×MR zmm accumulators (16 of 32).
constexpr size_t MR = 8;
constexpr size_t NR = 32;
constexpr size_t KC = 256;  // depth of a packed panel: MR×KC of A (8 KiB) stays in L1
constexpr size_t NC = 512;  // columns of a packed B block: KC×NC (512 KiB) stays in L2
constexpr size_t MC = 128;  // rows of a packed A block: MC×KC (128 KiB) beside B in L2

// Packs op(B)[k0:k0+kc, n0:n0+nc] into NR-wide column panels, zero-padded.
void pack_b(const GemmShape& s, const float* b, size_t k0, size_t kc, size_t n0, size_t nc, float* out) {
  const size_t ldb = s.trans_b ? s.k : s.n;
  for (size_t jp = 0; jp < nc; jp += NR) {
    const size_t w = std::min(NR, nc - jp);
    float* dst = out + jp * kc;
    for (size_t p = 0; p < kc; ++p) {
      float* row = dst + p * NR;
      if (!s.trans_b) {
        const float* src = b + (k0 + p) * ldb + n0 + jp;
        std::memcpy(row, src, w * sizeof(float));
      } else {
        for (size_t j = 0; j < w; ++j) row[j] = b[(n0 + jp + j) * ldb + k0 + p];
      }
      for (size_t j = w; j < NR; ++j) row[j] = 0.0f;
    }
  }
}

// Packs op(A)[i0:i0+mc, k0:k0+kc] into MR-tall row panels (column-major inside), zero-padded.
void pack_a(const GemmShape& s, const float* a, size_t i0, size_t mc, size_t k0, size_t kc, float* out) {
  const size_t lda = s.trans_a ? s.m : s.k;
  for (size_t ip = 0; ip < mc; ip += MR) {
    const size_t h = std::min(MR, mc - ip);
    float* dst = out + ip * kc;
    if (!s.trans_a) {
      for (size_t p = 0; p < kc; ++p) {
        for (size_t r = 0; r < h; ++r) dst[p * MR + r] = a[(i0 + ip + r) * lda + k0 + p];
        for (size_t r = h; r < MR; ++r) dst[p * MR + r] = 0.0f;
      }
    } else {
      for (size_t p = 0; p < kc; ++p) {
        const float* src = a + (k0 + p) * lda + i0 + ip;
        for (size_t r = 0; r < h; ++r) dst[p * MR + r] = src[r];
        for (size_t r = h; r < MR; ++r) dst[p * MR + r] = 0.0f;
      }
    }
  }
}

// C[0:h, 0:w] (+)= Apanel(MR×kc) · Bpanel(kc×NR).
inline void micro_kernel(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, size_t h, size_t w,
                         bool add) {
#if defined(__AVX512F__)
  __m512 acc0[MR], acc1[MR];
  for (size_t r = 0; r < MR; ++r) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
  for (size_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(bp + p * NR);
    const __m512 b1 = _mm512_loadu_ps(bp + p * NR + 16);
    const float* a = ap + p * MR;
    for (size_t r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
      acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
    }
  }
  const __mmask16 m0 = w >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << w) - 1u);
  const __mmask16 m1 = w >= 32 ? __mmask16(0xFFFF) : (w <= 16 ? __mmask16(0) : __mmask16((1u << (w - 16)) - 1u));
  for (size_t r = 0; r < h; ++r) {
    float* row = c + r * ldc;
    __m512 v0 = acc0[r], v1 = acc1[r];
    if (add) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, row));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, row + 16));
    }
    _mm512_mask_storeu_ps(row, m0, v0);
    _mm512_mask_storeu_ps(row + 16, m1, v1);
  }
#else
  float acc[MR][NR] = {};
  for (size_t p = 0; p < kc; ++p) {
    const float* a = ap + p * MR;
    const float* bb = bp + p * NR;
    for (size_t r = 0; r < MR; ++r)
      for (size_t j = 0; j < NR; ++j) acc[r][j] += a[r] * bb[j];
  }
  for (size_t r = 0; r < h; ++r)
    for (size_t j = 0; j < w; ++j) c[r * ldc + j] = add ? c[r * ldc + j] + acc[r][j] : acc[r][j];
#endif
}

// Offsets of the packed B blocks: for each NC column block, for each KC depth block, a
// (nc rounded up to NR) × kc panel set, contiguous.
struct PackedBLayout {
  std::vector<size_t> offset;  // [n_block * k_blocks + k_block]
  size_t k_blocks = 0, n_blocks = 0, total = 0;
};

PackedBLayout layout_b(const GemmShape& s) {
  PackedBLayout L;
  L.k_blocks = (s.k + KC - 1) / KC;
  L.n_blocks = (s.n + NC - 1) / NC;
  for (size_t nb = 0; nb < L.n_blocks; ++nb) {
    const size_t nc = std::min(NC, s.n - nb * NC);
    const size_t nc_pad = (nc + NR - 1) / NR * NR;
    for (size_t kb = 0; kb < L.k_blocks; ++kb) {
      L.offset.push_back(L.total);
      L.total += nc_pad * std::min(KC, s.k - kb * KC);
    }
  }
  return L;
}

// Rows [i_begin, i_end) of C, all columns, from the shared packed B.
void gemm_rows(const GemmShape& s, const float* a, const float* bpacked, const PackedBLayout& L, float* c,
               bool accumulate, const float* bias, size_t i_begin, size_t i_end, std::vector<float>& apack) {
  if (i_end <= i_begin) return;
  for (size_t nb = 0; nb < L.n_blocks; ++nb) {
    const size_t n0 = nb * NC, nc = std::min(NC, s.n - n0);
    if (s.k == 0 && !accumulate)
      for (size_t i = i_begin; i < i_end; ++i) std::fill(c + i * s.n + n0, c + i * s.n + n0 + nc, 0.0f);
    for (size_t kb = 0; kb < L.k_blocks; ++kb) {
      const size_t k0 = kb * KC, kc = std::min(KC, s.k - k0);
      const float* bp = bpacked + L.offset[nb * L.k_blocks + kb];
      const bool add = accumulate || k0 > 0;
      for (size_t i0 = i_begin; i0 < i_end; i0 += MC) {
        const size_t mc = std::min(MC, i_end - i0);
        apack.resize((mc + MR - 1) / MR * MR * kc);
        pack_a(s, a, i0, mc, k0, kc, apack.data());
        for (size_t ip = 0; ip < mc; ip += MR) {
          const size_t h = std::min(MR, mc - ip);
          for (size_t jp = 0; jp < nc; jp += NR) {
            const size_t w = std::min(NR, nc - jp);
            micro_kernel(kc, apack.data() + ip * kc, bp + jp * kc, c + (i0 + ip) * s.n + n0 + jp, s.n, h, w, add);
          }
        }
      }
    }
  }
  if (bias) {
    for (size_t i = i_begin; i < i_end; ++i) {
      float* row = c + i * s.n;
      for (size_t j = 0; j < s.n; ++j) row[j] += bias[j];
    }
  }
}

}  // namespace

void gemm_f32(const GemmShape& s, const float* a, const float* b, float* c, bool accumulate, const float* bias,
              int threads, GemmWorkspace* workspace) {
  if (s.m == 0 || s.n == 0) return;
  const double flops = 2.0 * s.m * s.n * static_cast<double>(s.k);
  int t = resolve_threads(threads);
  if (flops < 4e6) t = 1;
  GemmWorkspace local;
  GemmWorkspace& ws = workspace ? *workspace : local;
  if (ws.a.size() < static_cast<size_t>(t)) ws.a.resize(t);
  if (ws.b.empty()) ws.b.resize(1);
  // B is packed once, shared by every thread (in parallel over its blocks).
  const PackedBLayout L = layout_b(s);
  std::vector<float>& bpacked = ws.b[0];
  bpacked.resize(L.total);
  parallel_for(L.n_blocks * L.k_blocks, t, 1, [&](size_t bb, size_t be, int) {
    for (size_t blk = bb; blk < be; ++blk) {
      const size_t nb = blk / L.k_blocks, kb = blk % L.k_blocks;
      const size_t n0 = nb * NC, k0 = kb * KC;
      pack_b(s, b, k0, std::min(KC, s.k - k0), n0, std::min(NC, s.n - n0), bpacked.data() + L.offset[blk]);
    }
  });
  // Rows are handed out in small tasks from a shared counter, so a thread the OS delays on a
  // shared machine does not hold up the others (dynamic rather than static scheduling).
  size_t task_rows = (s.m + 4 * static_cast<size_t>(t) - 1) / (4 * static_cast<size_t>(t));
  task_rows = std::max(MR, std::min(MC, (task_rows + MR - 1) / MR * MR));
  const size_t tasks = (s.m + task_rows - 1) / task_rows;
  std::atomic<size_t> next{0};
  parallel_for(static_cast<size_t>(t), t, 1, [&](size_t, size_t, int w) {
    for (size_t task = next.fetch_add(1); task < tasks; task = next.fetch_add(1)) {
      const size_t i0 = task * task_rows;
      gemm_rows(s, a, bpacked.data(), L, c, accumulate, bias, i0, std::min(s.m, i0 + task_rows), ws.a[w]);
    }
  });
}

void gemm_f32_checked(const GemmShape& s, const float* a, size_t a_len, const float* b, size_t b_len, float* c,
                      size_t c_len, bool accumulate, const float* bias, size_t bias_len, int threads,
                      GemmWorkspace* workspace) {
  require(a_len == checked_mul(s.m, s.k, "a"), "a",
          "expected length m*k = " + std::to_string(s.m * s.k) + " but received " + std::to_string(a_len));
  require(b_len == checked_mul(s.k, s.n, "b"), "b",
          "expected length k*n = " + std::to_string(s.k * s.n) + " but received " + std::to_string(b_len));
  require(c_len == checked_mul(s.m, s.n, "c"), "c",
          "expected length m*n = " + std::to_string(s.m * s.n) + " but received " + std::to_string(c_len));
  if (bias) require(bias_len == s.n, "bias", "expected length n = " + std::to_string(s.n) + " but received " +
                                                 std::to_string(bias_len));
  gemm_f32(s, a, b, c, accumulate, bias, threads, workspace);
}

}  // namespace hemasynth
