// exp(x) computed step for step as JavaScript's Math.exp in Node (V8's base::ieee754::exp, the
// fdlibm e_exp.c algorithm of FreeBSD msun), so a native softmax gives the TypeScript one's
// probabilities bit for bit. The C library's exp is another algorithm, correctly rounded more
// often than fdlibm: on 20,000,000 arguments of softmax-like ranges glibc's exp differed from
// Node 20's Math.exp in the last bit on 1,552,024 (7.8%), js_exp and js_exp4 on none (both with
// -march=native and with the portable SSE2 build). A code draw compares a uniform against
// running sums of those probabilities, so a differing last bit could move a code on a boundary.
// Compile with -ffp-contract=off (CMakeLists.txt): a fused multiply-add would round differently.
#pragma once
#include <cstdint>
#include <cstring>

namespace hemasynth::neural {

inline double js_exp(double x) {
  constexpr double one = 1.0, halF[2] = {0.5, -0.5}, o_threshold = 7.09782712893383973096e+02,
                   u_threshold = -7.45133219101941108420e+02,
                   ln2HI[2] = {6.93147180369123816490e-01, -6.93147180369123816490e-01},
                   ln2LO[2] = {1.90821492927058770002e-10, -1.90821492927058770002e-10},
                   invln2 = 1.44269504088896338700e+00, P1 = 1.66666666666666019037e-01,
                   P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05,
                   P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08, E = 2.718281828459045,
                   huge = 1.0e+300, twom1000 = 9.33263618503218878990e-302, two1023 = 8.988465674311579539e307;
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  uint32_t hx = static_cast<uint32_t>(bits >> 32);
  const int32_t xsb = static_cast<int32_t>((hx >> 31) & 1);
  hx &= 0x7FFFFFFFu;
  if (hx >= 0x40862E42u) {  // |x| >= 709.78...
    if (hx >= 0x7FF00000u) {
      if (((hx & 0xFFFFFu) | static_cast<uint32_t>(bits)) != 0) return x + x;  // NaN
      return xsb == 0 ? x : 0.0;                                                // exp(±inf) = {inf, 0}
    }
    if (x > o_threshold) return huge * huge;
    if (x < u_threshold) return twom1000 * twom1000;
  }
  double hi = 0.0, lo = 0.0;
  int32_t k = 0;
  if (hx > 0x3FD62E42u) {    // |x| > 0.5 ln2
    if (hx < 0x3FF0A2B2u) {  // and |x| < 1.5 ln2
      if (x == 1.0) return E;
      hi = x - ln2HI[xsb];
      lo = ln2LO[xsb];
      k = 1 - xsb - xsb;
    } else {
      k = static_cast<int32_t>(invln2 * x + halF[xsb]);
      const double t = k;
      hi = x - t * ln2HI[0];  // exact
      lo = t * ln2LO[0];
    }
    x = hi - lo;
  } else if (hx < 0x3E300000u) {  // |x| < 2^-28
    if (huge + x > one) return one + x;
  } else {
    k = 0;
  }
  const double t = x * x;
  double twopk;
  const uint64_t high = k >= -1021 ? static_cast<uint64_t>(static_cast<uint32_t>(0x3FF00000 + static_cast<int32_t>(static_cast<uint32_t>(k) << 20)))
                                   : static_cast<uint64_t>(0x3FF00000u + (static_cast<uint32_t>(k + 1000) << 20));
  const uint64_t tw = high << 32;
  std::memcpy(&twopk, &tw, sizeof twopk);
  const double c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return one - ((x * c) / (c - 2.0) - x);
  const double y = one - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * two1023;
    return y * twopk;
  }
  return y * twopk * twom1000;
}

// js_exp of four arguments in [-700, 700] other than 1 at once, with the same operations (GCC/Clang
// vector extensions: AVX2 or AVX-512 registers under -march=native, SSE2 pairs otherwise), each
// lane rounded as the scalar js_exp rounds it. The three argument reductions of the scalar code
// are one formula here: k = 0 (|x| <= ln2 / 2) and k = ±1 (|x| < 1.5 ln2) are the general
// k·ln2 reduction with t = k, which computes the same hi and lo exactly (0·ln2HI = 0,
// ±1·ln2HI = ±ln2HI), and the scalar k = 0 result 1 − (x·c / (c − 2) − x) equals
// 1 − ((0 − x·c / (2 − c)) − x) because negating a rounded quotient or difference is exact. In
// that range no result overflows or is subnormal (k >= -1010), so 2^k is built from its bits. The
// caller sends other arguments (overflow, underflow, NaN, 1) to the scalar js_exp.
// Arguments by reference: a 32-byte vector passed by value has another ABI without AVX (GCC warns).
using V4d = double __attribute__((vector_size(32)));
using V4l = int64_t __attribute__((vector_size(32)));
using V4i = int32_t __attribute__((vector_size(16)));

inline void js_exp4(const V4d& x, V4d& out) {
  constexpr double ln2HI = 6.93147180369123816490e-01, ln2LO = 1.90821492927058770002e-10,
                   invln2 = 1.44269504088896338700e+00, P1 = 1.66666666666666019037e-01,
                   P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05,
                   P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08;
  V4l bits;
  std::memcpy(&bits, &x, sizeof bits);
  const V4l hx = (bits >> 32) & 0x7FFFFFFF;
  const V4l neg = bits < 0;
  const V4d half = neg ? V4d{} - 0.5 : V4d{} + 0.5;
  const V4i kb = __builtin_convertvector(invln2 * x + half, V4i);  // truncation, as static_cast<int>
  const V4i sign1 = __builtin_convertvector(neg, V4i) | 1;         // -1 or 1
  const V4i reduce = __builtin_convertvector(hx > 0x3FD62E42, V4i), near = __builtin_convertvector(hx < 0x3FF0A2B2, V4i);
  const V4i k = reduce ? (near ? sign1 : kb) : V4i{};
  const V4d t = __builtin_convertvector(k, V4d);
  const V4d hi = x - t * ln2HI;
  const V4d lo = t * ln2LO;
  const V4d r = hi - lo;
  const V4d tt = r * r;
  const V4d c = r - tt * (P1 + tt * (P2 + tt * (P3 + tt * (P4 + tt * P5))));
  const V4d y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
  const V4l pk = (__builtin_convertvector(k, V4l) + 0x3FF) << 52;
  V4d twopk;
  std::memcpy(&twopk, &pk, sizeof twopk);
  const V4d result = y * twopk;
  out = hx < 0x3E300000 ? 1.0 + x : result;  // |x| < 2^-28: 1 + x
}

}  // namespace hemasynth::neural
