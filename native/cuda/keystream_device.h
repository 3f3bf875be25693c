// The trainer keystream's arithmetic as __host__ __device__ functions, so the GPU draws the same
// numbers as native/dp (chacha20.cpp, keystream.cpp) and the host instantiation can be tested
// against it without a GPU (native/tests/cuda_keystream_test.cpp).
//
// Stream layout (native/dp/chacha20.h): ChaCha20 block function of RFC 8439 §2.3 with a 64-bit
// block counter in state words 12–13 and a 64-bit nonce in words 14–15; byte p of the stream is
// byte p mod 64 of block p / 64. Every draw reads 8-byte little-endian words at 8-byte aligned
// positions (uniforms advance by 8 bytes, Gaussian pairs by 16), so a word never straddles
// two blocks.
//
// Variates (native/dp/keystream.h, which argues the method and its floating-point caveats):
//   uniform   u  = (w >> 11)·2^-53 ∈ [0, 1)
//   Gaussian  u1 = ((w0 >> 11) + 1)·2^-53 ∈ (0, 1], u2 = (w1 >> 11)·2^-53,
//             z0 = sqrt(−2 ln u1)·cos 2πu2, z1 = sqrt(−2 ln u1)·sin 2πu2,
// with ln and sincos evaluated by the same polynomials as keystream.cpp (not libm / CUDA's
// libdevice), so host and device agree to the last bit or two of binary64 (compilers may fuse
// a multiply-add differently) and to the bit after rounding to float32 in all but rare ties.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "dp/chacha20.h"
#include "dp/keystream_math.h"  // HS_HD and the shared ln polynomial

namespace hemasynth {
namespace cuda {

// The key as plain words (hemasynth::ChaChaKey without std::array, passable to kernels by value).
struct StreamKey {
  uint32_t key[8];
  uint64_t nonce;
};

// A host key (dp/chacha20.h) as the device reads it.
inline StreamKey stream_key(const ChaChaKey& k) {
  StreamKey s;
  for (int i = 0; i < 8; ++i) s.key[i] = k.key[static_cast<size_t>(i)];
  s.nonce = k.nonce;
  return s;
}

HS_HD uint32_t ks_rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

// RFC 8439 §2.3 block function: the 16 output words (before serialisation as little-endian bytes).
HS_HD void ks_block(const StreamKey& k, uint64_t counter, uint32_t out[16]) {
  uint32_t s[16] = {0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u,
                    k.key[0], k.key[1], k.key[2], k.key[3], k.key[4], k.key[5], k.key[6], k.key[7],
                    static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32),
                    static_cast<uint32_t>(k.nonce), static_cast<uint32_t>(k.nonce >> 32)};
  uint32_t x[16];
  for (int i = 0; i < 16; ++i) x[i] = s[i];
#define HS_KSQR(a, b, c, d)                                  \
  x[a] += x[b]; x[d] = ks_rotl(x[d] ^ x[a], 16);             \
  x[c] += x[d]; x[b] = ks_rotl(x[b] ^ x[c], 12);             \
  x[a] += x[b]; x[d] = ks_rotl(x[d] ^ x[a], 8);              \
  x[c] += x[d]; x[b] = ks_rotl(x[b] ^ x[c], 7);
  for (int r = 0; r < 10; ++r) {
    HS_KSQR(0, 4, 8, 12) HS_KSQR(1, 5, 9, 13) HS_KSQR(2, 6, 10, 14) HS_KSQR(3, 7, 11, 15)
    HS_KSQR(0, 5, 10, 15) HS_KSQR(1, 6, 11, 12) HS_KSQR(2, 7, 8, 13) HS_KSQR(3, 4, 9, 14)
  }
#undef HS_KSQR
  for (int i = 0; i < 16; ++i) out[i] = x[i] + s[i];
}

// The 8-byte little-endian word at stream byte `pos` (pos % 8 == 0): words 2j, 2j+1 of its block.
HS_HD uint64_t ks_word_from_block(const uint32_t blk[16], uint64_t pos) {
  const unsigned j = static_cast<unsigned>((pos % 64) / 8);
  return static_cast<uint64_t>(blk[2 * j]) | (static_cast<uint64_t>(blk[2 * j + 1]) << 32);
}

HS_HD double ks_uniform(uint64_t w) { return static_cast<double>(w >> 11) * (1.0 / 9007199254740992.0); }

// ln x for x ∈ (0, 1]: the host's polynomial (dp/keystream_math.h).
HS_HD double ks_log_unit(double x) { return keystream_log_unit(x); }

// sin and cos of 2πu, u ∈ [0, 1): keystream.cpp sincos_2pi (octant k = round(8u), Taylor series
// on [−π/8, π/8], rotation by kπ/4). The octant tables are switch-selected so no static array
// is needed in device code.
HS_HD void ks_sincos_2pi(double u, double* sn, double* cs) {
  const double two_pi = 6.283185307179586476925286766559;
  const double r2 = 0.70710678118654752440;
  const double k = nearbyint(u * 8.0);
  const double t = two_pi * (u - k * 0.125);
  const double t2 = t * t;
  double sp = -1.0 / 6227020800.0;
  sp = sp * t2 + 1.0 / 39916800.0; sp = sp * t2 - 1.0 / 362880.0; sp = sp * t2 + 1.0 / 5040.0;
  sp = sp * t2 - 1.0 / 120.0; sp = sp * t2 + 1.0 / 6.0;
  const double st = t - t * t2 * sp;
  double cp = 1.0 / 87178291200.0;
  cp = cp * t2 - 1.0 / 479001600.0; cp = cp * t2 + 1.0 / 3628800.0; cp = cp * t2 - 1.0 / 40320.0;
  cp = cp * t2 + 1.0 / 720.0; cp = cp * t2 - 1.0 / 24.0; cp = cp * t2 + 0.5;
  const double ct = 1.0 - t2 * cp;
  double so, co;  // sin, cos of kπ/4
  switch (static_cast<int>(k) & 7) {
    case 0: so = 0.0; co = 1.0; break;
    case 1: so = r2; co = r2; break;
    case 2: so = 1.0; co = 0.0; break;
    case 3: so = r2; co = -r2; break;
    case 4: so = 0.0; co = -1.0; break;
    case 5: so = -r2; co = -r2; break;
    case 6: so = -1.0; co = 0.0; break;
    default: so = -r2; co = r2; break;
  }
  *sn = so * ct + co * st;
  *cs = co * ct - so * st;
}

// The Gaussian pair from two consecutive stream words (Box–Muller, keystream.h).
HS_HD void ks_box_muller(uint64_t w0, uint64_t w1, double* z0, double* z1) {
  const double u1 = static_cast<double>((w0 >> 11) + 1) * (1.0 / 9007199254740992.0);
  const double u2 = static_cast<double>(w1 >> 11) * (1.0 / 9007199254740992.0);
  const double r = sqrt(-2.0 * ks_log_unit(u1));
  double sn, cs;
  ks_sincos_2pi(u2, &sn, &cs);
  *z0 = r * cs;
  *z1 = r * sn;
}

}  // namespace cuda
}  // namespace hemasynth
