// Shamir t-of-n secret sharing (Shamir 1979, "How to share a secret", CACM 22(11)) over the
// prime field GF(p), p = 2^61 − 1 (a Mersenne prime: reduction is a shift and an add).
//
// A secret of L bytes is cut into ceil(L/7) limbs of 7 bytes (each < 2^56 < p) and every limb
// is shared with its own random polynomial of degree t−1. Share x (x = 1..n) holds the limb
// evaluations f_l(x) as little-endian 64-bit words. Any t shares give the secret by Lagrange
// interpolation at 0; t−1 shares are independent of it (the coefficients are uniform).
//
// Coefficients come from caller-supplied random bytes (node:crypto randomBytes), 8 per
// coefficient, reduced mod p: 2^64 = 8p + 8, so the statistical distance from uniform is below
// 2^-61 per coefficient.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hemasynth {
namespace smpc {

constexpr uint64_t kShamirPrime = (uint64_t(1) << 61) - 1;
constexpr size_t kShamirLimbBytes = 7;

inline size_t shamir_limbs(size_t secret_len) { return (secret_len + kShamirLimbBytes - 1) / kShamirLimbBytes; }

// Returns n·limbs field elements: share x = i+1 occupies [i·limbs, (i+1)·limbs).
// randomness must hold limbs·(t−1)·8 bytes.
std::vector<uint64_t> shamir_split(const uint8_t* secret, size_t secret_len, int threshold, int shares,
                                   const uint8_t* randomness, size_t randomness_len);

// xs: k distinct share indices in [1, p); ys: k·limbs field elements. Writes secret_len bytes.
// Throws Error when indices repeat, a value is not a field element, or the interpolated limbs
// do not fit their 7 bytes (shares that belong to different secrets or were altered).
void shamir_combine(const int64_t* xs, size_t k, const uint64_t* ys, size_t secret_len, uint8_t* secret_out);

}  // namespace smpc
}  // namespace hemasynth
