// ChaCha20 keystream (RFC 8439, section 2.3) as the cryptographic source of all randomness a
// trainer uses: DP noise, Poisson sampling, dropout masks, reparameterisation noise.
//
// Layout of the 16-word state: constants, 256-bit key, then a 64-bit block counter in words
// 12–13 and a 64-bit nonce in words 14–15 (Bernstein's original layout). For block counters
// below 2^32 this is exactly RFC 8439 with nonce = (counter_hi=0 || nonce64), which is how the
// RFC test vector is checked; the 64-bit counter lets one key run for 2^70 bytes.
//
// The stream is seekable by byte position, so independent chunks (one per thread) read
// disjoint, fixed ranges and the values never depend on the thread count.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace hemasynth {

struct ChaChaKey {
  std::array<uint32_t, 8> key{};
  uint64_t nonce = 0;
};

// One 64-byte block with the given 64-bit counter (RFC 8439 block function).
void chacha20_block(const ChaChaKey& k, uint64_t counter, uint8_t out[64]);

// Keystream bytes [pos, pos+len) into out.
void chacha20_stream(const ChaChaKey& k, uint64_t pos, uint8_t* out, size_t len);

// Key from the operating system (getrandom, falling back to /dev/urandom); throws on failure.
ChaChaKey chacha_key_from_os();

// Reproducible key from an integer seed: key words 0–1 hold the seed, the others the ASCII
// tag "hemasynth-seeded", so a seeded stream never equals an OS-keyed one by accident.
// For reproducible experiments only: anyone who knows the seed knows the noise.
ChaChaKey chacha_key_from_seed(uint64_t seed);

// An RFC 8439 key (32 bytes), nonce (12 bytes) and 32-bit block counter in this core's layout:
// RFC word 13 (the first nonce word) becomes the high half of the 64-bit block counter, the other
// two nonce words the 64-bit nonce. Lengths are checked (Error naming "key" or "nonce").
struct Rfc8439Position {
  ChaChaKey key;
  uint64_t block;
};
Rfc8439Position chacha_key_from_rfc8439(const uint8_t* key, size_t key_len, const uint8_t* nonce, size_t nonce_len,
                                        uint32_t counter);

}  // namespace hemasynth
