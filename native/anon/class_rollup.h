// Equivalence classes of a lattice node as packed keys, and ARX's roll-up: the classes of a
// node are computed from the classes of any already computed specialisation (a node whose
// levels are all lower or equal) instead of from every distinct record.
//
// Each quasi-identifier owns a fixed bit field of the 64-bit key wide enough for its level-0
// codes; a class key holds the generalised code of each quasi-identifier at the node's
// levels. Generalising a class to a higher node therefore only rewrites the fields of the
// attributes whose level changes (through a precomputed code map between the two levels),
// without touching the records. Classes are kept in the order of their first record, so
// every sum over classes adds in the same order as the record-level check.
// Reference: Kohlmayer et al., "Flash: efficient, stable and optimal k-anonymity", IEEE
// PASSAT 2012 (roll-up and history of class tables).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace hemasynth {
namespace anon {

/** Allocator that leaves new elements uninitialised: class lists are sized to their source
 *  before being filled, and zeroing them first would cost as much as filling them. */
template <class T>
struct UninitialisedAllocator : std::allocator<T> {
  template <class U> struct rebind { using other = UninitialisedAllocator<U>; };
  UninitialisedAllocator() = default;
  template <class U> UninitialisedAllocator(const UninitialisedAllocator<U>&) noexcept {}
  template <class U> void construct(U* p) noexcept { ::new (static_cast<void*>(p)) U; }
  template <class U, class... Args> void construct(U* p, Args&&... args) { ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...); }
};
template <class T>
using RawVector = std::vector<T, UninitialisedAllocator<T>>;

/** Classes of one node: packed key and record count of each, in first-record order. */
struct ClassList {
  RawVector<uint64_t> keys;
  RawVector<uint32_t> counts;
  size_t size() const { return keys.size(); }
};

/** Bit layout of the packed keys and the code maps between levels of every quasi-identifier. */
class PackedKeyLayout {
 public:
  /** Field widths for the given level-0 cardinalities; fits() is false when they exceed 63 bits. */
  PackedKeyLayout() = default;
  PackedKeyLayout(const std::vector<int32_t>& cards, const std::vector<int32_t>& heights,
                  const std::vector<const int32_t*>& gens);
  bool fits() const { return fits_; }
  size_t attributes() const { return shift_.size(); }
  uint32_t shift(size_t j) const { return shift_[j]; }
  uint64_t mask(size_t j) const { return mask_[j]; }
  uint64_t field(size_t j, uint64_t key) const { return (key >> shift_[j]) & mask_[j]; }
  /** Code at level `to` of a code at level `from` (from <= to). */
  const int32_t* map(size_t j, int32_t from, int32_t to) const {
    return maps_[j].data() + (static_cast<size_t>(from) * heights_[j] + to) * cards_[j];
  }

 private:
  bool fits_ = false;
  std::vector<uint32_t> shift_;
  std::vector<uint64_t> mask_;
  std::vector<int32_t> cards_, heights_;
  std::vector<std::vector<int32_t>> maps_;  // [j][(from * height + to) * card + code]
};

/** Reusable open-addressing table of class ids (one per thread), so roll-ups do not allocate. */
class ClassTable {
 public:
  /** Groups src (at src_levels) at dst_levels into dst, which is cleared first. */
  void rollup(const PackedKeyLayout& layout, const ClassList& src, const std::vector<int32_t>& src_levels,
              const std::vector<int32_t>& dst_levels, ClassList& dst);
  /** Groups (key, count) pairs given in record order into classes. */
  void group(const std::vector<uint64_t>& keys, const std::vector<uint32_t>& counts, ClassList& dst);

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // no packed key has all 64 bits set
  struct Slot { uint64_t key; uint32_t count; };
  void prepare(size_t expected);
  template <class KeyOf>
  uint32_t insert_all(size_t m, KeyOf key_of, const uint32_t* counts, ClassList& dst);
  void finish(uint32_t n, ClassList& dst);
  // slots_ is all empty between calls: each call clears only the slots it filled (recorded in
  // slot_of_class_), not the whole table.
  std::vector<Slot> slots_;
  RawVector<uint32_t> slot_of_class_;
  uint32_t bits_ = 0;
};

}  // namespace anon
}  // namespace hemasynth
