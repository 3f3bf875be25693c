#include "anon/class_rollup.h"

#include <algorithm>

#include "common/error.h"

namespace hemasynth {
namespace anon {

PackedKeyLayout::PackedKeyLayout(const std::vector<int32_t>& cards, const std::vector<int32_t>& heights,
                                 const std::vector<const int32_t*>& gens)
    : cards_(cards), heights_(heights) {
  const size_t q = cards.size();
  require(heights.size() == q && gens.size() == q, "quasiIdentifiers", "expected one height and hierarchy per quasi-identifier");
  uint32_t used = 0;
  shift_.assign(q, 0);
  mask_.assign(q, 0);
  for (size_t j = 0; j < q; ++j) {
    uint32_t bits = 0;
    while (bits < 32 && (int64_t{1} << bits) < cards[j]) ++bits;
    shift_[j] = used;
    mask_[j] = bits == 0 ? 0 : ((uint64_t{1} << bits) - 1);
    used += bits;
  }
  // 63 bits at most, so that no key can collide with a sentinel and shifts stay defined.
  fits_ = used <= 63;
  if (!fits_) return;
  maps_.assign(q, {});
  for (size_t j = 0; j < q; ++j) {
    const int32_t card = cards[j], height = heights[j];
    auto& m = maps_[j];
    m.assign(static_cast<size_t>(height) * height * card, 0);
    // The hierarchy is a tree (checked by the search), so the level-`to` code of a level-`from`
    // code is the same whichever level-0 code below it is used.
    for (int32_t from = 0; from < height; ++from)
      for (int32_t to = from; to < height; ++to) {
        int32_t* out = m.data() + (static_cast<size_t>(from) * height + to) * card;
        for (int32_t v = 0; v < card; ++v) out[gens[j][static_cast<size_t>(from) * card + v]] = gens[j][static_cast<size_t>(to) * card + v];
      }
  }
}

void ClassTable::prepare(size_t expected) {
  uint32_t bits = 4;
  while ((size_t{1} << bits) < expected * 2) ++bits;
  bits_ = bits;
  const size_t cap = size_t{1} << bits;
  if (slots_.size() < cap) slots_.assign(cap, Slot{kEmpty, 0});
  if (slot_of_class_.size() < expected) slot_of_class_.resize(expected);
}

void ClassTable::finish(uint32_t n, ClassList& dst) {
  uint32_t* counts = dst.counts.data();
  for (uint32_t c = 0; c < n; ++c) {
    Slot& s = slots_[slot_of_class_[c]];
    counts[c] = s.count;
    s.key = kEmpty;
  }
  dst.keys.resize(n);
  dst.counts.resize(n);
}

template <class KeyOf>
uint32_t ClassTable::insert_all(size_t m, KeyOf key_of, const uint32_t* counts_in, ClassList& dst) {
  // Keys are computed a block ahead and their slots prefetched: the probes are random
  // accesses into a table larger than the L1 cache (measured about 10% faster than one by one).
  constexpr size_t kBlock = 16;
  uint64_t block_keys[kBlock];
  size_t block_slots[kBlock];
  const uint32_t bits = bits_;
  const size_t mask = (size_t{1} << bits) - 1;
  Slot* slots = slots_.data();
  // At most m classes; the lists are cut to the classes found by finish().
  dst.keys.resize(m);
  dst.counts.resize(m);
  uint64_t* keys = dst.keys.data();
  uint32_t* slot_of_class = slot_of_class_.data();
  uint32_t n = 0;
  auto probe = [&](uint64_t k, size_t h, uint32_t c) {
    while (true) {
      Slot& s = slots[h];
      if (s.key == k) {
        s.count += c;
        return;
      }
      if (s.key == kEmpty) {
        // New class: ids follow first appearance; its count stays in the slot until finish().
        s.key = k;
        s.count = c;
        slot_of_class[n] = static_cast<uint32_t>(h);
        keys[n] = k;
        ++n;
        return;
      }
      h = (h + 1) & mask;
    }
  };
  auto slot_of = [&](uint64_t k) {
    // Fibonacci hashing: the top bits of the product mix every field of the packed key.
    return static_cast<size_t>((k * 0x9E3779B97F4A7C15ULL) >> (64 - bits));
  };
  size_t base = 0;
  for (; base + kBlock <= m; base += kBlock) {
    for (size_t t = 0; t < kBlock; ++t) {
      const uint64_t k = key_of(base + t);
      const size_t h = slot_of(k);
      block_keys[t] = k;
      block_slots[t] = h;
      __builtin_prefetch(slots + h, 1);
    }
    for (size_t t = 0; t < kBlock; ++t) probe(block_keys[t], block_slots[t], counts_in[base + t]);
  }
  for (; base < m; ++base) {
    const uint64_t k = key_of(base);
    probe(k, slot_of(k), counts_in[base]);
  }
  return n;
}

void ClassTable::group(const std::vector<uint64_t>& keys, const std::vector<uint32_t>& counts, ClassList& dst) {
  require(keys.size() == counts.size(), "counts", "expected one count per key");
  for (uint64_t k : keys)
    if (k == kEmpty) require(false, "keys", "expected packed keys of at most 63 bits");
  const size_t m = keys.size();
  prepare(m);
  const uint64_t* in = keys.data();
  finish(insert_all(m, [in](size_t i) { return in[i]; }, counts.data(), dst), dst);
}

void ClassTable::rollup(const PackedKeyLayout& layout, const ClassList& src, const std::vector<int32_t>& src_levels,
                        const std::vector<int32_t>& dst_levels, ClassList& dst) {
  const size_t q = layout.attributes();
  require(src_levels.size() == q && dst_levels.size() == q, "levels", "expected one level per quasi-identifier");
  require(src.counts.size() == src.keys.size(), "classes", "expected one count per class");
  // Attributes whose level changes, with their field position and code map.
  struct Change { uint32_t shift; uint64_t mask; const int32_t* map; };
  std::vector<Change> changes;
  changes.reserve(q);
  for (size_t j = 0; j < q; ++j) {
    require(src_levels[j] <= dst_levels[j], "levels", "a roll-up source must be a specialisation of the target node");
    if (src_levels[j] == dst_levels[j]) continue;
    changes.push_back({layout.shift(j), layout.mask(j), layout.map(j, src_levels[j], dst_levels[j])});
  }
  const size_t m = src.size();
  prepare(m);
  const uint64_t* sk = src.keys.data();
  uint32_t n = 0;
  if (changes.size() == 1) {
    const Change c = changes[0];
    const uint64_t clear = ~(c.mask << c.shift);
    n = insert_all(m, [&](size_t i) {
      const uint64_t k = sk[i];
      return (k & clear) | (static_cast<uint64_t>(c.map[(k >> c.shift) & c.mask]) << c.shift);
    }, src.counts.data(), dst);
  } else {
    n = insert_all(m, [&](size_t i) {
      uint64_t k = sk[i];
      for (const Change& c : changes)
        k = (k & ~(c.mask << c.shift)) | (static_cast<uint64_t>(c.map[(k >> c.shift) & c.mask]) << c.shift);
      return k;
    }, src.counts.data(), dst);
  }
  finish(n, dst);
}

}  // namespace anon
}  // namespace hemasynth
