// Vector arithmetic in the ring Z_2^64 (unsigned 64-bit words wrap by definition in C++), and
// mask expansion: the pseudorandom vector of a 32-byte seed is the AES-256-CTR keystream
// (key = seed, counter block from 0; smpc/aes_ctr.h) read as little-endian 64-bit words, so word
// i is keystream bytes [8i, 8i+8). Bonawitz et al. 2017 ("Practical Secure Aggregation
// for Privacy-Preserving Machine Learning", CCS) §4 require masks from a secure PRG; a
// statistical generator would let the coordinator predict and strip them.
#pragma once
#include <cstddef>
#include <cstdint>

#include "smpc/aes_ctr.h"

namespace hemasynth {
namespace smpc {

// acc[offset + i] += x[i] (or −= when `subtract`) for i < n (mod 2^64). Requires offset + n <= acc_len.
void ring_add(uint64_t* acc, size_t acc_len, const uint64_t* x, size_t n, size_t offset, int threads,
              bool subtract = false);

// v[i] += Σ_j sign_j · PRG(seed_j)[i] (mod 2^64), for k seeds of 32 bytes each and signs ±1.
// Parallel over disjoint index ranges; each range reads its own keystream positions, so the
// result does not depend on the thread count. `path` picks the AES code path (tests compare them);
// throws hemasynth::Error (field "cpu") on a CPU without AES instructions.
void apply_masks(uint64_t* v, size_t n, const uint8_t* seeds, const int32_t* signs, size_t k, int threads,
                 AesPath path = AesPath::automatic);

}  // namespace smpc
}  // namespace hemasynth
