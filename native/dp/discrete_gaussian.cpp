#include "dp/discrete_gaussian.h"

#include <cmath>
#include <cstring>

#include "common/error.h"
#include "common/parallel.h"

namespace hemasynth {

namespace {

using u128 = unsigned __int128;
constexpr size_t kChunk = 4096;

u128 mul_checked(u128 a, u128 b) {
  if (a != 0 && b > (~u128(0)) / a) throw Error("sigma", "discrete Gaussian: a 128-bit product overflowed (sigma too large)");
  return a * b;
}

// Uniform bits from one ChaCha20 stream (one nonce per chunk).
class Bits {
 public:
  Bits(const ChaChaKey& key, uint64_t nonce) : key_(key) { key_.nonce = nonce; }
  uint64_t next64() {
    if (at_ == 8) { chacha20_block(key_, counter_++, buf_); at_ = 0; }
    uint64_t w;
    std::memcpy(&w, buf_ + 8 * at_++, 8);
    return w;
  }
  // Uniform integer in [0, d) for d >= 1, by rejection on the smallest covering power of two.
  u128 below(u128 d) {
    if (d <= 1) return 0;
    u128 m = d - 1;
    int bits = 0;
    while (m) { bits++; m >>= 1; }
    if (bits <= 64) {  // one word per try
      const uint64_t mask = bits == 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
      for (;;) {
        uint64_t x = next64() & mask;
        if (x < d) return x;
      }
    }
    for (;;) {
      u128 x = (u128(next64()) << 64) | next64();
      if (bits < 128) x &= (u128(1) << bits) - 1;
      if (x < d) return x;
    }
  }

 private:
  ChaChaKey key_;
  uint64_t counter_ = 0;
  uint8_t buf_[64];
  int at_ = 8;
};

bool bernoulli(Bits& r, u128 n, u128 d) { return r.below(d) < n; }

// Bernoulli(exp(−n/d)), Algorithm 1 of Canonne, Kamath & Steinke.
bool bernoulli_exp(Bits& r, u128 n, u128 d) {
  if (n <= d) {
    u128 k = 1;
    for (;;) {
      if (!bernoulli(r, n, mul_checked(d, k))) break;
      k++;
    }
    return (k & 1) == 1;
  }
  for (u128 i = 0; i < n / d; i++)
    if (!bernoulli_exp(r, 1, 1)) return false;
  return bernoulli_exp(r, n % d, d);
}

// Discrete Laplace of scale t (Algorithm 2 with s = 1).
int64_t discrete_laplace(Bits& r, uint64_t t) {
  for (;;) {
    u128 u = r.below(t);
    if (!bernoulli_exp(r, u, t)) continue;
    uint64_t v = 0;
    while (bernoulli_exp(r, 1, 1)) v++;
    u128 y = u + mul_checked(t, v);
    bool negative = bernoulli(r, 1, 2);
    if (negative && y == 0) continue;
    if (y > u128(INT64_MAX)) throw Error("sigma", "discrete Gaussian: a Laplace proposal beyond 2^63");
    return negative ? -static_cast<int64_t>(y) : static_cast<int64_t>(y);
  }
}

}  // namespace

void discrete_gaussian_variance(double sigma, uint64_t* num, int* shift) {
  require(std::isfinite(sigma) && sigma > 0 && sigma <= std::ldexp(1.0, 30), "sigma", "expected a finite sigma in (0, 2^30]");
  // σ² in exact binary: σ = m·2^e with a 53-bit m, so σ² = m²·2^(2e) with m² < 2^106.
  int e;
  double frac = std::frexp(sigma, &e);                       // sigma = frac·2^e, frac in [0.5, 1)
  uint64_t m = static_cast<uint64_t>(std::ldexp(frac, 53));  // exact
  int exp2 = 2 * (e - 53);
  u128 sq = u128(m) * m;                                     // σ² = sq·2^exp2
  // Round sq up to 40 significant bits.
  int bits = 0;
  for (u128 x = sq; x; x >>= 1) bits++;
  int drop = bits > 40 ? bits - 40 : 0;
  u128 kept = sq >> drop;
  if ((kept << drop) != sq) kept += 1;
  exp2 += drop;
  // Make it a/2^k with k >= 0 (an integer a when σ² is large).
  while (exp2 > 0) { kept <<= 1; exp2--; }
  *num = static_cast<uint64_t>(kept);
  *shift = -exp2;
}

void discrete_gaussian_fill(const ChaChaKey& key, double sigma, int64_t* out, size_t n, int threads) {
  uint64_t a64;
  int k;
  discrete_gaussian_variance(sigma, &a64, &k);
  require(k < 64, "sigma", "expected sigma >= 2^-20");
  const u128 a = a64, b = u128(1) << k;  // σ² = a/b
  const uint64_t t = static_cast<uint64_t>(std::floor(sigma)) + 1;
  const u128 den = mul_checked(mul_checked(mul_checked(2, a), b), mul_checked(t, t));
  const size_t chunks = (n + kChunk - 1) / kChunk;
  parallel_for(chunks, threads, 1, [&](size_t c0, size_t c1, int) {
    for (size_t c = c0; c < c1; c++) {
      Bits r(key, c);
      size_t end = std::min(n, (c + 1) * kChunk);
      for (size_t i = c * kChunk; i < end; i++) {
        for (;;) {
          int64_t y = discrete_laplace(r, t);
          u128 abs_y = static_cast<u128>(y < 0 ? -y : y);
          // γ = (|y| − σ²/t)² / (2σ²) = (|y|·b·t − a)² / (2·a·b·t²)
          u128 lhs = mul_checked(mul_checked(abs_y, b), t);
          u128 diff = lhs >= a ? lhs - a : a - lhs;
          if (bernoulli_exp(r, mul_checked(diff, diff), den)) { out[i] = y; break; }
        }
      }
    }
  });
}

}  // namespace hemasynth
