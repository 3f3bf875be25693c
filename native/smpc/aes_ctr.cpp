#include "smpc/aes_ctr.h"

#include <cstring>
#include <string>

#include "common/error.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "keystream words are little-endian bytes");

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HEMASYNTH_AES_X86 1
#endif

namespace hemasynth {
namespace smpc {

namespace {

// Blocks per batch of the direct path: 8 registers in flight (aesenc has a latency of about four
// cycles and a throughput of one or two per cycle, so fewer would leave the AES units idle).
constexpr int kInFlight = 8;

#ifdef HEMASYNTH_AES_X86

// AES-256 key schedule with AESKEYGENASSIST (Gueron, "Intel Advanced Encryption Standard (AES)
// New Instructions Set", white paper rev. 3.01, 2012, figure 28): 15 round keys.
__attribute__((target("aes,sse4.1"))) __m128i schedule_even(__m128i k, __m128i assist) {
  assist = _mm_shuffle_epi32(assist, 0xff);
  k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
  k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
  k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
  return _mm_xor_si128(k, assist);
}

__attribute__((target("aes,sse4.1"))) __m128i schedule_odd(__m128i even, __m128i k) {
  __m128i assist = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(even, 0x00), 0xaa);
  k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
  k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
  k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
  return _mm_xor_si128(k, assist);
}

#define HEMASYNTH_AES256_ROUND_PAIR(i, rcon)                                         \
  rk[i] = schedule_even(rk[i - 2], _mm_aeskeygenassist_si128(rk[i - 1], rcon)); \
  rk[i + 1] = schedule_odd(rk[i], rk[i - 1]);

__attribute__((target("aes,sse4.1"))) void expand_key(const uint8_t* key, __m128i rk[15]) {
  rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  rk[1] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key + 16));
  HEMASYNTH_AES256_ROUND_PAIR(2, 0x01)
  HEMASYNTH_AES256_ROUND_PAIR(4, 0x02)
  HEMASYNTH_AES256_ROUND_PAIR(6, 0x04)
  HEMASYNTH_AES256_ROUND_PAIR(8, 0x08)
  HEMASYNTH_AES256_ROUND_PAIR(10, 0x10)
  HEMASYNTH_AES256_ROUND_PAIR(12, 0x20)
  rk[14] = schedule_even(rk[12], _mm_aeskeygenassist_si128(rk[13], 0x40));
}
#undef HEMASYNTH_AES256_ROUND_PAIR

// The counter block of block index b (< 2^64): bytes 0–7 zero, bytes 8–15 b big-endian. In a
// register that is the 64-bit lane 1 holding bswap(b); the vector paths keep b natively and
// byte-swap lane 1 with one shuffle per register.
__attribute__((target("aes,sse4.1,ssse3"))) inline __m128i counter_block(uint64_t b) {
  return _mm_set_epi64x(static_cast<long long>(__builtin_bswap64(b)), 0);
}

// One block's keystream into out[16] (edges of a range that starts or ends mid-block).
__attribute__((target("aes,sse4.1"))) void keystream_block(const __m128i rk[15], uint64_t b, uint8_t out[16]) {
  __m128i x = _mm_xor_si128(counter_block(b), rk[0]);
  for (int r = 1; r < 14; ++r) x = _mm_aesenc_si128(x, rk[r]);
  x = _mm_aesenclast_si128(x, rk[14]);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), x);
}

// Whole blocks [block, block + blocks) added into v (two words a block), 8 blocks a batch.
__attribute__((target("aes,sse4.1,ssse3"))) void add_blocks_aesni(const __m128i rk[15], uint64_t block, uint64_t* v,
                                                               size_t blocks, bool subtract) {
  const __m128i swap_hi = _mm_set_epi8(8, 9, 10, 11, 12, 13, 14, 15, 7, 6, 5, 4, 3, 2, 1, 0);
  __m128i ctr = _mm_set_epi64x(static_cast<long long>(block), 0);
  const __m128i one = _mm_set_epi64x(1, 0);
  size_t i = 0;
  for (; i + kInFlight <= blocks; i += kInFlight) {
    __m128i x[kInFlight];
    for (int j = 0; j < kInFlight; ++j) {
      x[j] = _mm_xor_si128(_mm_shuffle_epi8(ctr, swap_hi), rk[0]);
      ctr = _mm_add_epi64(ctr, one);
    }
    for (int r = 1; r < 14; ++r)
      for (int j = 0; j < kInFlight; ++j) x[j] = _mm_aesenc_si128(x[j], rk[r]);
    for (int j = 0; j < kInFlight; ++j) {
      x[j] = _mm_aesenclast_si128(x[j], rk[14]);
      __m128i* p = reinterpret_cast<__m128i*>(v + 2 * (i + j));
      __m128i cur = _mm_loadu_si128(p);
      _mm_storeu_si128(p, subtract ? _mm_sub_epi64(cur, x[j]) : _mm_add_epi64(cur, x[j]));
    }
  }
  for (; i < blocks; ++i) {
    alignas(16) uint64_t ks[2];
    keystream_block(rk, block + i, reinterpret_cast<uint8_t*>(ks));
    for (int h = 0; h < 2; ++h) v[2 * i + h] = subtract ? v[2 * i + h] - ks[h] : v[2 * i + h] + ks[h];
  }
}

// maskz form: the unmasked broadcast trips a false -Wmaybe-uninitialized in GCC 12's header.
__attribute__((target("avx512f"))) inline __m512i broadcast(__m128i x) { return _mm512_maskz_broadcast_i32x4(0xffff, x); }

__attribute__((target("avx512f,avx512bw,vaes,aes,sse4.1,ssse3"))) void add_blocks_vaes512(const __m128i rk[15], uint64_t block,
                                                                                      uint64_t* v, size_t blocks,
                                                                                      bool subtract) {
  __m512i k[15];
  for (int r = 0; r < 15; ++r) k[r] = broadcast(rk[r]);
  // Per 128-bit lane: keep bytes 0–7, reverse bytes 8–15 (the native counter becomes big-endian).
  const __m512i swap_hi = broadcast(_mm_set_epi8(8, 9, 10, 11, 12, 13, 14, 15, 7, 6, 5, 4, 3, 2, 1, 0));
  __m512i ctr = _mm512_set_epi64(static_cast<long long>(block + 3), 0, static_cast<long long>(block + 2), 0,
                                 static_cast<long long>(block + 1), 0, static_cast<long long>(block), 0);
  const __m512i four = _mm512_set_epi64(4, 0, 4, 0, 4, 0, 4, 0);
  constexpr size_t kBatch = 4 * kInFlight;
  size_t i = 0;
  for (; i + kBatch <= blocks; i += kBatch) {
    __m512i x[kInFlight];
    for (int j = 0; j < kInFlight; ++j) {
      x[j] = _mm512_xor_si512(_mm512_shuffle_epi8(ctr, swap_hi), k[0]);
      ctr = _mm512_add_epi64(ctr, four);
    }
    for (int r = 1; r < 14; ++r)
      for (int j = 0; j < kInFlight; ++j) x[j] = _mm512_aesenc_epi128(x[j], k[r]);
    for (int j = 0; j < kInFlight; ++j) {
      x[j] = _mm512_aesenclast_epi128(x[j], k[14]);
      uint64_t* p = v + 2 * (i + 4 * static_cast<size_t>(j));
      __m512i cur = _mm512_loadu_si512(p);
      _mm512_storeu_si512(p, subtract ? _mm512_sub_epi64(cur, x[j]) : _mm512_add_epi64(cur, x[j]));
    }
  }
  if (i < blocks) add_blocks_aesni(rk, block + i, v + 2 * i, blocks - i, subtract);
}

// The CPU's AES capabilities, probed once: aes256_ctr_add_words asks for every 16 KiB batch.
struct AesCapabilities {
  bool aesni;
  bool vaes512;
};

const AesCapabilities& capabilities() {
  static const AesCapabilities caps = [] {
    __builtin_cpu_init();
    bool aesni = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
    bool vaes = aesni && __builtin_cpu_supports("vaes") && __builtin_cpu_supports("avx512f") &&
                __builtin_cpu_supports("avx512bw");
    return AesCapabilities{aesni, vaes};
  }();
  return caps;
}

bool cpu_has(AesPath path) {
  return path == AesPath::vaes512 ? capabilities().vaes512 : capabilities().aesni;
}

AesPath resolve(AesPath path) {
  if (path != AesPath::automatic) return path;
  static const AesPath best = cpu_has(AesPath::vaes512) ? AesPath::vaes512 : AesPath::aesni;
  return best;
}

#endif  // HEMASYNTH_AES_X86

}  // namespace

bool aes_ctr_supported(AesPath path) {
#ifdef HEMASYNTH_AES_X86
  return cpu_has(path);
#else
  (void)path;
  return false;
#endif
}

const char* aes_ctr_path_name() {
#ifdef HEMASYNTH_AES_X86
  if (!cpu_has(AesPath::automatic)) return "none";
  return resolve(AesPath::automatic) == AesPath::vaes512 ? "vaes512" : "aesni";
#else
  return "none";
#endif
}

namespace {
void require_path(AesPath path) {
  require(aes_ctr_supported(path), "cpu",
          std::string("expected a CPU with ") + (path == AesPath::vaes512 ? "VAES and AVX-512" : "AES-NI") +
              " for the native AES-256-CTR keystream but this one has none (use the OpenSSL path)");
}
}  // namespace

Aes256Key::Aes256Key(const uint8_t* key) {
  require(key != nullptr, "key", "expected a 32-byte AES-256 key but received none");
  require_path(AesPath::aesni);
#ifdef HEMASYNTH_AES_X86
  __m128i rk[15];
  expand_key(key, rk);
  std::memcpy(round_keys_, rk, sizeof(round_keys_));
  volatile uint8_t* wipe = reinterpret_cast<volatile uint8_t*>(rk);
  for (size_t b = 0; b < sizeof(rk); ++b) wipe[b] = 0;
#endif
}

Aes256Key::~Aes256Key() {
  volatile uint8_t* wipe = round_keys_;
  for (size_t b = 0; b < sizeof(round_keys_); ++b) wipe[b] = 0;
}

void aes256_ctr_add_words(const Aes256Key& key, uint64_t word_pos, uint64_t* v, size_t n, bool subtract, AesPath path) {
  require(n == 0 || v != nullptr, "vector", "expected " + std::to_string(n) + " words but received none");
  require(word_pos <= UINT64_MAX - n, "offset",
          "expected the keystream range to end below word 2^64 but it starts at word " + std::to_string(word_pos) +
              " and holds " + std::to_string(n) + " words");
  require_path(path);
  if (n == 0) return;
#ifdef HEMASYNTH_AES_X86
  __m128i rk[15];
  std::memcpy(rk, key.round_keys(), sizeof(rk));
  uint64_t block = word_pos / 2;
  size_t done = 0;
  alignas(16) uint64_t edge[2];
  if (word_pos % 2 == 1) {  // range starts at the second word of a block
    keystream_block(rk, block, reinterpret_cast<uint8_t*>(edge));
    v[0] = subtract ? v[0] - edge[1] : v[0] + edge[1];
    done = 1;
    ++block;
  }
  size_t whole = (n - done) / 2;
  if (resolve(path) == AesPath::vaes512) {
    add_blocks_vaes512(rk, block, v + done, whole, subtract);
  } else {
    add_blocks_aesni(rk, block, v + done, whole, subtract);
  }
  done += 2 * whole;
  block += whole;
  if (done < n) {  // range ends at the first word of a block
    keystream_block(rk, block, reinterpret_cast<uint8_t*>(edge));
    v[done] = subtract ? v[done] - edge[0] : v[done] + edge[0];
  }
  volatile uint8_t* wipe = reinterpret_cast<volatile uint8_t*>(rk);
  for (size_t b = 0; b < sizeof(rk); ++b) wipe[b] = 0;
#else
  (void)key; (void)word_pos; (void)v; (void)subtract;
#endif
}

}  // namespace smpc
}  // namespace hemasynth
