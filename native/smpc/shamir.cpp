#include "smpc/shamir.h"

#include <string>

#include "common/error.h"

namespace hemasynth {
namespace smpc {

namespace {
using u128 = unsigned __int128;
constexpr uint64_t P = kShamirPrime;

inline uint64_t reduce(u128 x) {
  // x < 2^122: fold twice at bit 61, then one conditional subtraction.
  uint64_t lo = static_cast<uint64_t>(x & P);
  u128 hi = x >> 61;
  u128 s = static_cast<u128>(lo) + hi;
  uint64_t r = static_cast<uint64_t>((s & P) + (s >> 61));
  return r >= P ? r - P : r;
}
inline uint64_t add(uint64_t a, uint64_t b) { uint64_t s = a + b; return s >= P ? s - P : s; }
inline uint64_t sub(uint64_t a, uint64_t b) { return a >= b ? a - b : a + P - b; }
inline uint64_t mul(uint64_t a, uint64_t b) { return reduce(static_cast<u128>(a) * b); }
uint64_t power(uint64_t a, uint64_t e) {
  uint64_t r = 1;
  while (e) {
    if (e & 1) r = mul(r, a);
    a = mul(a, a);
    e >>= 1;
  }
  return r;
}
// Fermat: a^(p−2) = a^−1 for a ≠ 0.
inline uint64_t inverse(uint64_t a) { return power(a, P - 2); }

uint64_t read_limb(const uint8_t* secret, size_t len, size_t l) {
  uint64_t v = 0;
  for (size_t b = 0; b < kShamirLimbBytes; ++b) {
    size_t idx = l * kShamirLimbBytes + b;
    if (idx < len) v |= static_cast<uint64_t>(secret[idx]) << (8 * b);
  }
  return v;
}
}  // namespace

std::vector<uint64_t> shamir_split(const uint8_t* secret, size_t secret_len, int threshold, int shares,
                                   const uint8_t* randomness, size_t randomness_len) {
  require(secret_len >= 1 && secret_len <= 4096, "secret", "expected 1 to 4096 bytes but received " + std::to_string(secret_len));
  require(shares >= 1 && shares <= 65535, "shares", "expected 1 to 65535 shares but received " + std::to_string(shares));
  require(threshold >= 1 && threshold <= shares, "threshold",
          "expected a threshold in [1, " + std::to_string(shares) + "] but received " + std::to_string(threshold));
  size_t limbs = shamir_limbs(secret_len);
  size_t need = limbs * static_cast<size_t>(threshold - 1) * 8;
  require(randomness_len == need, "randomness",
          "expected " + std::to_string(need) + " random bytes but received " + std::to_string(randomness_len));
  std::vector<uint64_t> out(static_cast<size_t>(shares) * limbs);
  std::vector<uint64_t> coef(static_cast<size_t>(threshold));
  for (size_t l = 0; l < limbs; ++l) {
    coef[0] = read_limb(secret, secret_len, l);
    for (int c = 1; c < threshold; ++c) {
      uint64_t r = 0;
      const uint8_t* src = randomness + (l * static_cast<size_t>(threshold - 1) + static_cast<size_t>(c - 1)) * 8;
      for (int b = 0; b < 8; ++b) r |= static_cast<uint64_t>(src[b]) << (8 * b);
      coef[c] = r % P;
    }
    for (int i = 0; i < shares; ++i) {
      uint64_t x = static_cast<uint64_t>(i + 1);
      // Horner's rule.
      uint64_t y = 0;
      for (int c = threshold - 1; c >= 0; --c) y = add(mul(y, x), coef[c]);
      out[static_cast<size_t>(i) * limbs + l] = y;
    }
  }
  return out;
}

void shamir_combine(const int64_t* xs, size_t k, const uint64_t* ys, size_t secret_len, uint8_t* secret_out) {
  require(k >= 1, "shares", "expected at least one share");
  require(secret_len >= 1 && secret_len <= 4096, "secretLength", "expected 1 to 4096 bytes but received " + std::to_string(secret_len));
  size_t limbs = shamir_limbs(secret_len);
  for (size_t i = 0; i < k; ++i) {
    require(xs[i] >= 1 && static_cast<uint64_t>(xs[i]) < P, "xs", "expected share indices >= 1 but received " + std::to_string(xs[i]));
    for (size_t j = 0; j < i; ++j)
      require(xs[i] != xs[j], "xs", "expected distinct share indices but index " + std::to_string(xs[i]) + " repeats");
    for (size_t l = 0; l < limbs; ++l)
      require(ys[i * limbs + l] < P, "ys", "expected field elements below 2^61 − 1 in share " + std::to_string(xs[i]));
  }
  // Lagrange basis at 0: λ_i = Π_{j≠i} x_j / (x_j − x_i).
  std::vector<uint64_t> lambda(k);
  for (size_t i = 0; i < k; ++i) {
    uint64_t num = 1, den = 1;
    for (size_t j = 0; j < k; ++j) {
      if (j == i) continue;
      num = mul(num, static_cast<uint64_t>(xs[j]));
      den = mul(den, sub(static_cast<uint64_t>(xs[j]), static_cast<uint64_t>(xs[i])));
    }
    lambda[i] = mul(num, inverse(den));
  }
  for (size_t l = 0; l < limbs; ++l) {
    uint64_t s = 0;
    for (size_t i = 0; i < k; ++i) s = add(s, mul(lambda[i], ys[i * limbs + l]));
    require(s < (uint64_t(1) << (8 * kShamirLimbBytes)), "shares",
            "expected shares of one secret but the interpolated limb " + std::to_string(l) +
                " does not fit 7 bytes: the shares are from different secrets, altered, or fewer than the threshold");
    for (size_t b = 0; b < kShamirLimbBytes; ++b) {
      size_t idx = l * kShamirLimbBytes + b;
      if (idx < secret_len) secret_out[idx] = static_cast<uint8_t>(s >> (8 * b));
      else require(((s >> (8 * b)) & 0xFF) == 0, "shares", "expected zero padding in the last limb: the shares do not belong together");
    }
  }
}

}  // namespace smpc
}  // namespace hemasynth
