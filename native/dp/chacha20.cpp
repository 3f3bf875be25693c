#include "dp/chacha20.h"

#include <cstdio>
#include <cstring>
#include <string>

#if defined(__linux__)
#include <sys/random.h>
#endif

#include "common/error.h"

#if defined(__AVX512F__)
// GCC 12's _mm512_rol_epi32 expands through _mm512_undefined_epi32 and warns
// -Wuninitialized for it (GCC bug 105593); the value is never read uninitialised.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace hemasynth {
namespace {

inline uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

#define HS_QR(a, b, c, d)                  \
  a += b; d ^= a; d = rotl(d, 16);          \
  c += d; b ^= c; b = rotl(b, 12);          \
  a += b; d ^= a; d = rotl(d, 8);           \
  c += d; b ^= c; b = rotl(b, 7);

void init_state(const ChaChaKey& k, uint64_t counter, uint32_t s[16]) {
  s[0] = 0x61707865u; s[1] = 0x3320646eu; s[2] = 0x79622d32u; s[3] = 0x6b206574u;
  for (int i = 0; i < 8; ++i) s[4 + i] = k.key[i];
  s[12] = static_cast<uint32_t>(counter);
  s[13] = static_cast<uint32_t>(counter >> 32);
  s[14] = static_cast<uint32_t>(k.nonce);
  s[15] = static_cast<uint32_t>(k.nonce >> 32);
}

inline void store_le(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); p[2] = uint8_t(v >> 16); p[3] = uint8_t(v >> 24);
}

// LANES blocks at once (LANES·64 bytes of keystream starting at block `counter`).
constexpr int LANES = 16;

#if defined(__AVX512F__)
// AVX-512: one zmm register per state word, lane l = block counter+l; vprold rotates in one
// instruction. The 16×16 word transpose back to block order (4 stages: 32-bit and 64-bit
// unpacks inside 128-bit lanes, then a 4×4 transpose of 128-bit lanes) is the standard one of
// the vectorised ChaCha implementations (Goll & Gueron 2014, "Vectorization of ChaCha Stream
// Cipher", ITNG). Output is bit-identical to chacha20_block (test/unit/federated/chacha20-fast.test.ts).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define HS_QR512(a, b, c, d)                                                   \
  a = _mm512_add_epi32(a, b); d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 16); \
  c = _mm512_add_epi32(c, d); b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 12); \
  a = _mm512_add_epi32(a, b); d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 8);  \
  c = _mm512_add_epi32(c, d); b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 7);

void chacha20_blocks(const ChaChaKey& k, uint64_t counter, uint8_t* out /* LANES*64 */) {
  uint32_t init[16];
  init_state(k, 0, init);
  __m512i s[16], x[16];
  for (int w = 0; w < 16; ++w) s[w] = _mm512_set1_epi32(static_cast<int>(init[w]));
  // 64-bit counters counter+l split into low (word 12) and high (word 13) halves; the high
  // half carries when the low half wraps inside the batch.
  alignas(64) uint32_t lo[LANES], hi[LANES];
  for (int l = 0; l < LANES; ++l) {
    uint64_t c = counter + static_cast<uint64_t>(l);
    lo[l] = static_cast<uint32_t>(c);
    hi[l] = static_cast<uint32_t>(c >> 32);
  }
  s[12] = _mm512_load_si512(lo);
  s[13] = _mm512_load_si512(hi);
  for (int w = 0; w < 16; ++w) x[w] = s[w];
  for (int round = 0; round < 10; ++round) {
    HS_QR512(x[0], x[4], x[8], x[12]) HS_QR512(x[1], x[5], x[9], x[13])
    HS_QR512(x[2], x[6], x[10], x[14]) HS_QR512(x[3], x[7], x[11], x[15])
    HS_QR512(x[0], x[5], x[10], x[15]) HS_QR512(x[1], x[6], x[11], x[12])
    HS_QR512(x[2], x[7], x[8], x[13]) HS_QR512(x[3], x[4], x[9], x[14])
  }
  for (int w = 0; w < 16; ++w) x[w] = _mm512_add_epi32(x[w], s[w]);
  // Stages 1–2: for word group g (words 4g..4g+3) and r in 0..3, y[g][r] holds in its 128-bit
  // lane q the words 4g..4g+3 of block 4q+r.
  __m512i y[4][4];
  for (int g = 0; g < 4; ++g) {
    __m512i a = x[4 * g], b = x[4 * g + 1], c = x[4 * g + 2], d = x[4 * g + 3];
    __m512i ab_lo = _mm512_unpacklo_epi32(a, b), ab_hi = _mm512_unpackhi_epi32(a, b);
    __m512i cd_lo = _mm512_unpacklo_epi32(c, d), cd_hi = _mm512_unpackhi_epi32(c, d);
    y[g][0] = _mm512_unpacklo_epi64(ab_lo, cd_lo);
    y[g][1] = _mm512_unpackhi_epi64(ab_lo, cd_lo);
    y[g][2] = _mm512_unpacklo_epi64(ab_hi, cd_hi);
    y[g][3] = _mm512_unpackhi_epi64(ab_hi, cd_hi);
  }
  // Stage 3: block 4q+r = 128-bit lane q of y[0][r], y[1][r], y[2][r], y[3][r].
  for (int r = 0; r < 4; ++r) {
    __m512i u0 = _mm512_shuffle_i32x4(y[0][r], y[1][r], 0x44), u1 = _mm512_shuffle_i32x4(y[0][r], y[1][r], 0xEE);
    __m512i u2 = _mm512_shuffle_i32x4(y[2][r], y[3][r], 0x44), u3 = _mm512_shuffle_i32x4(y[2][r], y[3][r], 0xEE);
    _mm512_storeu_si512(out + 64 * (0 + r), _mm512_shuffle_i32x4(u0, u2, 0x88));
    _mm512_storeu_si512(out + 64 * (4 + r), _mm512_shuffle_i32x4(u0, u2, 0xDD));
    _mm512_storeu_si512(out + 64 * (8 + r), _mm512_shuffle_i32x4(u1, u3, 0x88));
    _mm512_storeu_si512(out + 64 * (12 + r), _mm512_shuffle_i32x4(u1, u3, 0xDD));
  }
}

#undef HS_QR512
#pragma GCC diagnostic pop
#else
// Portable path: word-major loops over LANES blocks that the compiler vectorises across blocks
// (AVX2/SSE/NEON), with the same output as chacha20_block.
void chacha20_blocks(const ChaChaKey& k, uint64_t counter, uint8_t* out /* LANES*64 */) {
  uint32_t init[16];
  init_state(k, 0, init);
  uint32_t x[16][LANES], s0[16][LANES];
  for (int w = 0; w < 16; ++w)
    for (int l = 0; l < LANES; ++l) s0[w][l] = init[w];
  for (int l = 0; l < LANES; ++l) {
    uint64_t c = counter + static_cast<uint64_t>(l);
    s0[12][l] = static_cast<uint32_t>(c);
    s0[13][l] = static_cast<uint32_t>(c >> 32);
  }
  std::memcpy(x, s0, sizeof(x));
  for (int round = 0; round < 10; ++round) {
#define HS_QRV(a, b, c, d) for (int l = 0; l < LANES; ++l) { HS_QR(x[a][l], x[b][l], x[c][l], x[d][l]) }
    HS_QRV(0, 4, 8, 12) HS_QRV(1, 5, 9, 13) HS_QRV(2, 6, 10, 14) HS_QRV(3, 7, 11, 15)
    HS_QRV(0, 5, 10, 15) HS_QRV(1, 6, 11, 12) HS_QRV(2, 7, 8, 13) HS_QRV(3, 4, 9, 14)
#undef HS_QRV
  }
  for (int w = 0; w < 16; ++w)
    for (int l = 0; l < LANES; ++l) store_le(out + l * 64 + w * 4, x[w][l] + s0[w][l]);
}

#endif

}  // namespace

void chacha20_block(const ChaChaKey& k, uint64_t counter, uint8_t out[64]) {
  uint32_t s[16], x[16];
  init_state(k, counter, s);
  std::memcpy(x, s, sizeof(x));
  for (int i = 0; i < 10; ++i) {
    HS_QR(x[0], x[4], x[8], x[12]) HS_QR(x[1], x[5], x[9], x[13])
    HS_QR(x[2], x[6], x[10], x[14]) HS_QR(x[3], x[7], x[11], x[15])
    HS_QR(x[0], x[5], x[10], x[15]) HS_QR(x[1], x[6], x[11], x[12])
    HS_QR(x[2], x[7], x[8], x[13]) HS_QR(x[3], x[4], x[9], x[14])
  }
  for (int i = 0; i < 16; ++i) store_le(out + 4 * i, x[i] + s[i]);
}

void chacha20_stream(const ChaChaKey& k, uint64_t pos, uint8_t* out, size_t len) {
  uint64_t block = pos / 64;
  size_t skip = static_cast<size_t>(pos % 64);
  uint8_t buf[LANES * 64];
  while (len > 0) {
    size_t avail;
    if (skip == 0 && len >= sizeof(buf)) {
      chacha20_blocks(k, block, out);
      out += sizeof(buf); len -= sizeof(buf); block += LANES;
      continue;
    }
    if (len + skip > 64) {
      chacha20_blocks(k, block, buf);
      avail = sizeof(buf) - skip;
      size_t take = std::min(avail, len);
      std::memcpy(out, buf + skip, take);
      out += take; len -= take;
      block += (skip + take + 63) / 64;
    } else {
      chacha20_block(k, block, buf);
      size_t take = std::min<size_t>(64 - skip, len);
      std::memcpy(out, buf + skip, take);
      out += take; len -= take;
      block += 1;
    }
    skip = 0;
  }
}

ChaChaKey chacha_key_from_os() {
  ChaChaKey k;
  uint8_t bytes[40];
  size_t got = 0;
#if defined(__linux__)
  while (got < sizeof(bytes)) {
    ssize_t r = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
#endif
  if (got < sizeof(bytes)) {
    FILE* f = std::fopen("/dev/urandom", "rb");
    if (f) {
      got = std::fread(bytes, 1, sizeof(bytes), f);
      std::fclose(f);
    }
  }
  require(got == sizeof(bytes), "seed", "could not read 40 bytes from the operating system's random source");
  for (int i = 0; i < 8; ++i)
    k.key[i] = uint32_t(bytes[4 * i]) | uint32_t(bytes[4 * i + 1]) << 8 | uint32_t(bytes[4 * i + 2]) << 16 |
               uint32_t(bytes[4 * i + 3]) << 24;
  std::memcpy(&k.nonce, bytes + 32, 8);
  return k;
}

ChaChaKey chacha_key_from_seed(uint64_t seed) {
  ChaChaKey k;
  k.key[0] = static_cast<uint32_t>(seed);
  k.key[1] = static_cast<uint32_t>(seed >> 32);
  const char tag[] = "hemasynth-seeded-ks";  // 24 bytes of words 2..7 (zero-padded)
  uint8_t t[24] = {};
  std::memcpy(t, tag, std::min(sizeof(tag) - 1, sizeof(t)));
  for (int i = 0; i < 6; ++i)
    k.key[2 + i] = uint32_t(t[4 * i]) | uint32_t(t[4 * i + 1]) << 8 | uint32_t(t[4 * i + 2]) << 16 |
                   uint32_t(t[4 * i + 3]) << 24;
  k.nonce = 0;
  return k;
}

Rfc8439Position chacha_key_from_rfc8439(const uint8_t* key, size_t key_len, const uint8_t* nonce, size_t nonce_len,
                                        uint32_t counter) {
  require(key_len == 32, "key", "expected 32 bytes but received " + std::to_string(key_len));
  require(nonce_len == 12, "nonce", "expected 12 bytes but received " + std::to_string(nonce_len));
  Rfc8439Position p;
  for (int i = 0; i < 8; ++i) std::memcpy(&p.key.key[i], key + 4 * i, 4);
  uint32_t n0;
  std::memcpy(&n0, nonce, 4);
  std::memcpy(&p.key.nonce, nonce + 4, 8);
  p.block = static_cast<uint64_t>(counter) | (static_cast<uint64_t>(n0) << 32);
  return p;
}

}  // namespace hemasynth
