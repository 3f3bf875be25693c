// Host instantiation of native/cuda/keystream_device.h (the arithmetic the GPU trainer runs)
// against RFC 8439's test vector and against native/dp's cpu keystream, so the GPU's noise
// source is checked on machines without a GPU. Exit status 0 when every check passes.
//   build/hemasynth_native_tests   (CMake builds native/tests/*.cpp into this executable)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cuda/keystream_device.h"
#include "dp/chacha20.h"
#include "dp/keystream.h"

namespace {

int failures = 0;

void expect(bool ok, const char* what, double detail = 0.0) {
  if (!ok) {
    ++failures;
    std::printf("FAIL %s (%.17g)\n", what, detail);
  }
}

hemasynth::cuda::StreamKey device_key(const hemasynth::ChaChaKey& k) {
  hemasynth::cuda::StreamKey s;
  for (int i = 0; i < 8; ++i) s.key[i] = k.key[static_cast<size_t>(i)];
  s.nonce = k.nonce;
  return s;
}

uint64_t word_at(const hemasynth::cuda::StreamKey& k, uint64_t pos) {
  uint32_t blk[16];
  hemasynth::cuda::ks_block(k, pos / 64, blk);
  return hemasynth::cuda::ks_word_from_block(blk, pos);
}

// RFC 8439 §2.3.2: key 00 01 … 1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, block counter 1.
// In the 64-bit counter / 64-bit nonce layout: counter = 1 | 0x09000000 << 32, nonce = 0x4a000000.
void rfc8439_block() {
  hemasynth::cuda::StreamKey k;
  for (int i = 0; i < 8; ++i)
    k.key[i] = uint32_t(4 * i) | uint32_t(4 * i + 1) << 8 | uint32_t(4 * i + 2) << 16 | uint32_t(4 * i + 3) << 24;
  k.nonce = 0x4a000000ull;
  const uint32_t expected[16] = {0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033,
                                 0x9aaa2204, 0x4e6cd4c3, 0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9,
                                 0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2};
  uint32_t out[16];
  hemasynth::cuda::ks_block(k, 1ull | (0x09000000ull << 32), out);
  for (int i = 0; i < 16; ++i) expect(out[i] == expected[i], "RFC 8439 2.3.2 block word", i);
}

// Every byte of the device block function equals native/dp's, for several keys and counters
// (including a counter past 2^32, which uses word 13).
void blocks_match_cpu() {
  for (uint64_t seed : {0ull, 1ull, 42ull, 9007199254740991ull}) {
    const hemasynth::ChaChaKey hk = hemasynth::chacha_key_from_seed(seed);
    const hemasynth::cuda::StreamKey dk = device_key(hk);
    for (uint64_t counter : {0ull, 1ull, 7ull, 4294967295ull, 4294967296ull, 123456789012ull}) {
      uint8_t cpu[64];
      hemasynth::chacha20_block(hk, counter, cpu);
      uint32_t dev[16];
      hemasynth::cuda::ks_block(dk, counter, dev);
      uint8_t bytes[64];
      for (int i = 0; i < 16; ++i)
        for (int b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<uint8_t>(dev[i] >> (8 * b));
      expect(std::memcmp(cpu, bytes, 64) == 0, "device block == cpu block", static_cast<double>(counter));
    }
  }
}

// Uniforms: bit-identical to Keystream::uniforms at any 8-byte position.
void uniforms_match_cpu() {
  const hemasynth::ChaChaKey hk = hemasynth::chacha_key_from_seed(7);
  const hemasynth::cuda::StreamKey dk = device_key(hk);
  for (uint64_t pos : {0ull, 8ull, 56ull, 64ull, 1000ull * 8, (1ull << 35) + 24}) {
    const size_t n = 3000;
    std::vector<double> cpu(n);
    hemasynth::Keystream ks(hk, pos);
    ks.uniforms(cpu.data(), n, 1);
    expect(ks.position() == pos + 8 * n, "uniforms advance 8 bytes each");
    for (size_t i = 0; i < n; ++i) {
      const double u = hemasynth::cuda::ks_uniform(word_at(dk, pos + 8 * i));
      if (u != cpu[i]) { expect(false, "device uniform == cpu uniform", static_cast<double>(i)); break; }
    }
  }
}

// Gaussians: Box–Muller with keystream.cpp's polynomials; equal to a few ulp of binary64 (the
// two compilations may fuse multiply-adds differently), and equal after the float32 rounding of
// add_gaussian_noise except at rare ties (at most one float ulp apart).
void gaussians_match_cpu() {
  const hemasynth::ChaChaKey hk = hemasynth::chacha_key_from_seed(11);
  const hemasynth::cuda::StreamKey dk = device_key(hk);
  double worst = 0.0, worst_float_ulps = 0.0;
  for (uint64_t pos : {0ull, 8ull, 48ull, 56ull, 4096ull + 8}) {  // 56: a pair straddling two blocks
    const size_t n = 20001;                                        // odd: the last pair is half used
    std::vector<double> cpu(n);
    hemasynth::Keystream ks(hk, pos);
    ks.gaussians(cpu.data(), n, 1);
    expect(ks.position() == pos + 16 * ((n + 1) / 2), "gaussians advance 16 bytes per pair");
    std::vector<float> noisy(n, 0.25f);
    hemasynth::Keystream ks2(hk, pos);
    ks2.add_gaussian_noise(noisy.data(), n, 0.37, 1);
    double sum = 0.0, sq = 0.0;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t p = pos + 16 * (i / 2);
      double z0, z1;
      hemasynth::cuda::ks_box_muller(word_at(dk, p), word_at(dk, p + 8), &z0, &z1);
      const double z = (i & 1) ? z1 : z0;
      worst = std::max(worst, std::fabs(z - cpu[i]) / std::max(1.0, std::fabs(cpu[i])));
      const float f = static_cast<float>(0.25 + 0.37 * z);
      const double ulp = std::fabs(std::nextafter(noisy[i], 1e30f) - noisy[i]);
      worst_float_ulps = std::max(worst_float_ulps, std::fabs(static_cast<double>(f) - noisy[i]) / ulp);
      sum += z;
      sq += z * z;
    }
    // The stream really is standard normal (sanity: mean within 5 standard errors, variance ~1).
    expect(std::fabs(sum / n) < 5.0 / std::sqrt(static_cast<double>(n)), "gaussian mean ~ 0", sum / n);
    expect(std::fabs(sq / n - 1.0) < 0.05, "gaussian variance ~ 1", sq / n);
  }
  expect(worst <= 1e-14, "device gaussian == cpu gaussian to 1e-14", worst);
  expect(worst_float_ulps <= 1.0, "noise after float32 rounding within one ulp", worst_float_ulps);
  std::printf("gaussians: worst relative difference %.3g, worst float32 difference %.0f ulp\n", worst, worst_float_ulps);
}

// log and sincos polynomials at the edges of their ranges.
void special_points() {
  expect(hemasynth::cuda::ks_log_unit(1.0) == 0.0, "ln 1 = 0");
  const double tiny = std::ldexp(1.0, -53);
  expect(std::fabs(hemasynth::cuda::ks_log_unit(tiny) - std::log(tiny)) < 1e-13, "ln 2^-53", hemasynth::cuda::ks_log_unit(tiny));
  double s, c;
  hemasynth::cuda::ks_sincos_2pi(0.25, &s, &c);
  expect(std::fabs(s - 1.0) < 1e-16 && std::fabs(c) < 1e-16, "sincos(π/2)", s);
  hemasynth::cuda::ks_sincos_2pi(0.999999, &s, &c);
  expect(std::fabs(s - std::sin(2 * M_PI * 0.999999)) < 1e-15, "sin near 2π", s);
}

}  // namespace

int main() {
  rfc8439_block();
  blocks_match_cpu();
  uniforms_match_cpu();
  gaussians_match_cpu();
  special_points();
  if (failures) {
    std::printf("cuda keystream (host instantiation): %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("cuda keystream (host instantiation): all checks passed\n");
  return 0;
}
