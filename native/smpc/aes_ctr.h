// AES-256 in counter mode (FIPS-197, NIST SP 800-38A) as the mask PRG of secure aggregation:
// the keystream of a 32-byte seed is AES-256-CTR with key = seed and initial counter block 0
// (the counter is the whole 16-byte block read as a big-endian integer, as OpenSSL's
// "aes-256-ctr"), read as little-endian 64-bit words: word i is keystream bytes [8i, 8i+8),
// i.e. half i mod 2 of block ⌊i/2⌋.
//
// Why AES and not ChaCha20: masking and unmasking expand one keystream per seed over vectors of
// 10^7 words, so the PRG sets their cost. On CPUs with VAES (512-bit AES rounds, four blocks per
// instruction: Intel Ice Lake and later, AMD Zen 4 and later) AES-256-CTR runs at several times
// the speed of the best 16-lane ChaCha20 on the same core. Bonawitz et al. 2017 §4 only ask for a
// secure PRG; AES-256-CTR is the NIST-standard one and gives 128-bit security after Grover as well.
//
// Paths: VAES + AVX-512 (8 registers × 4 blocks in flight, enough to cover the aesenc latency),
// AES-NI (8 blocks in flight), chosen at run time. A CPU with neither gets aes_ctr_supported() ==
// false and the caller expands the stream through OpenSSL (src/federated/ring-codec.ts): a
// table-based software AES would leak the seed through cache timing.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hemasynth {
namespace smpc {

enum class AesPath { automatic, vaes512, aesni };

// Whether this CPU can run `path` (automatic: any native path).
bool aes_ctr_supported(AesPath path = AesPath::automatic);

// The path `automatic` picks on this CPU, as text ("vaes512", "aesni" or "none").
const char* aes_ctr_path_name();

// The 15 round keys of an AES-256 key, expanded once per seed; wiped when destroyed (the
// schedule is the seed in another form).
class Aes256Key {
 public:
  // Expands a 32-byte key. Throws hemasynth::Error (field "cpu") where no native path exists.
  explicit Aes256Key(const uint8_t* key);
  ~Aes256Key();
  Aes256Key(const Aes256Key&) = default;
  Aes256Key& operator=(const Aes256Key&) = default;
  const uint8_t* round_keys() const { return round_keys_; }

 private:
  alignas(16) uint8_t round_keys_[15 * 16];
};

// v[i] += W(word_pos + i) (or −= when `subtract`) mod 2^64 for i < n, where W(j) is keystream
// word j of AES-256-CTR with `key`. Throws hemasynth::Error when the path is not supported here
// or when word_pos + n passes 2^64 words.
void aes256_ctr_add_words(const Aes256Key& key, uint64_t word_pos, uint64_t* v, size_t n, bool subtract,
                          AesPath path = AesPath::automatic);

}  // namespace smpc
}  // namespace hemasynth
