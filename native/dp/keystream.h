// Random variates from a ChaCha20 keystream, read at an explicit byte position so that every
// consumer (Poisson sampling, dropout, reparameterisation, DP noise) reads a fixed range and
// the TypeScript backend, reading the same stream, draws the same values.
//
// Uniforms: one 64-bit little-endian word per draw, top 53 bits → k·2^-53 in [0, 1) (every
// double in that grid is equally likely, and the comparison u < q is exact in binary64).
//
// Gaussians: Box–Muller on pairs of 53-bit uniforms, computed in binary64:
//   u1 = (k1 + 1)·2^-53 ∈ (0, 1],  u2 = k2·2^-53,  r = sqrt(−2 ln u1),
//   z0 = r cos(2π u2),  z1 = r sin(2π u2).
// Why this method and its floating-point caveats:
//  * Mironov (2012), "On significance of the least significant bits for differential privacy"
//    (CCS), showed that textbook floating-point Laplace samplers leak through the set of
//    representable outputs. Holohan & Braghin (2021), "Secure random sampling in differential
//    privacy" (ESORICS), showed the same for naïve Gaussian samplers (Box–Muller and polar) and
//    that the attack needs the noise to be added at (or near) full double precision to a value
//    the attacker can bracket.
//  * Mitigations used here: the uniforms come from a CSPRNG and carry the full 53 bits (no
//    32-bit grid; u1 never 0, so ln never sees 0 and |z| ≤ sqrt(2·53·ln 2) ≈ 8.57, a tail cut at
//    probability < 1e-16); the noise σC·z is added once to the sum of clipped gradients and the
//    result is rounded to float32, then divided by the expected batch size and passed through
//    the optimizer, which removes the low-order structure an attacker would need. DP-SGD's
//    released object is the model after many such rounded updates, not one noisy value.
//  * What is not claimed: exact (discrete or snapped) Gaussian sampling in the sense of
//    Canonne, Kamath & Steinke (2020). The accountant's ε therefore assumes ideal real-valued
//    Gaussian noise, as opacus and TF-Privacy do; docs/nn.md states this.
#pragma once
#include <cstddef>
#include <cstdint>

#include "dp/chacha20.h"

namespace hemasynth {

class Keystream {
 public:
  explicit Keystream(const ChaChaKey& key, uint64_t position = 0) : key_(key), pos_(position) {}
  uint64_t position() const { return pos_; }
  void seek(uint64_t pos) { pos_ = pos; }
  const ChaChaKey& key() const { return key_; }

  // n uniforms in [0,1) (8 bytes each), advancing the position by 8n.
  void uniforms(double* out, size_t n, int threads);
  // n standard normals (16 bytes per pair, ceil(n/2) pairs), advancing by 16·ceil(n/2).
  void gaussians(double* out, size_t n, int threads);
  // out[i] += scale·z_i in float32, same stream use as gaussians().
  void add_gaussian_noise(float* out, size_t n, double scale, int threads);

 private:
  ChaChaKey key_;
  uint64_t pos_;
};

}  // namespace hemasynth
