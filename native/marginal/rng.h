// xoshiro128** (Blackman & Vigna 2018) seeded by SplitMix32: the sampling generator shared bit
// for bit with src/models/sampling-random.ts, so native and TypeScript sampling agree exactly.
// Sampling from a DP model is post-processing: it needs speed and reproducibility, not secrecy.
#pragma once
#include <cstdint>

namespace hemasynth::marginal {

constexpr int64_t kSamplingBlockRows = 4096;

class SamplingRng {
 public:
  SamplingRng(int32_t seed, int64_t stream) {
    uint32_t s = static_cast<uint32_t>(seed) ^ (static_cast<uint32_t>(stream + 1) * 0x632be5abu);
    a_ = splitmix(s); b_ = splitmix(s); c_ = splitmix(s); d_ = splitmix(s);
    if ((a_ | b_ | c_ | d_) == 0) a_ = 1;
  }
  uint32_t next_u32() {
    uint32_t result = rotl(b_ * 5u, 7) * 9u;
    uint32_t t = b_ << 9;
    c_ ^= a_; d_ ^= b_; b_ ^= c_; a_ ^= d_; c_ ^= t; d_ = rotl(d_, 11);
    return result;
  }
  double uniform() { return static_cast<double>(next_u32()) / 4294967296.0; }

 private:
  static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
  static uint32_t splitmix(uint32_t& s) {
    s += 0x9e3779b9u;
    uint32_t z = s;
    z = (z ^ (z >> 16)) * 0x85ebca6bu;
    z = (z ^ (z >> 13)) * 0xc2b2ae35u;
    return z ^ (z >> 16);
  }
  uint32_t a_, b_, c_, d_;
};

}  // namespace hemasynth::marginal
