// Open-addressing hash table from 64-bit keys to dense ids, cleared in O(1) by a generation
// stamp so one table serves every lattice node of a search without reallocating.
#pragma once
#include <cstdint>
#include <vector>

namespace hemasynth {
namespace anon {

class KeyTable {
 public:
  void reset(size_t expected) {
    size_t cap = 16;
    while (cap < expected * 2) cap <<= 1;
    if (cap != keys_.size()) {
      keys_.assign(cap, 0);
      ids_.assign(cap, 0);
      stamps_.assign(cap, 0);
      generation_ = 0;
    }
    ++generation_;
    if (generation_ == 0) {  // wrapped: clear for real
      std::fill(stamps_.begin(), stamps_.end(), 0);
      generation_ = 1;
    }
    mask_ = cap - 1;
    size_ = 0;
  }
  // Returns the id of key, inserting it with the next dense id when absent.
  int32_t id(uint64_t key) {
    size_t h = static_cast<size_t>(mix(key)) & mask_;
    while (true) {
      if (stamps_[h] != generation_) {
        stamps_[h] = generation_;
        keys_[h] = key;
        ids_[h] = static_cast<int32_t>(size_++);
        return ids_[h];
      }
      if (keys_[h] == key) return ids_[h];
      h = (h + 1) & mask_;
    }
  }
  size_t size() const { return size_; }
  static uint64_t mix(uint64_t x) {  // splitmix64 finaliser
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }

 private:
  std::vector<uint64_t> keys_;
  std::vector<int32_t> ids_;
  std::vector<uint32_t> stamps_;
  uint32_t generation_ = 0;
  size_t mask_ = 0, size_ = 0;
};

}  // namespace anon
}  // namespace hemasynth
