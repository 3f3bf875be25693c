#include "smpc/ring.h"

#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/parallel.h"
#include "dp/chacha20.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "mask words are little-endian keystream bytes");

namespace hemasynth {
namespace smpc {

namespace {
// Words per keystream batch: 2048 words = 16 KiB, small enough to stay in L1/L2 while it is
// added into the vector, large enough that the 16-lane ChaCha20 kernel runs full batches.
constexpr size_t kBatchWords = 2048;
constexpr size_t kMinChunk = 1 << 15;

ChaChaKey key_of_seed(const uint8_t* seed) {
  ChaChaKey k;
  for (int i = 0; i < 8; ++i) {
    uint32_t w;
    std::memcpy(&w, seed + 4 * i, 4);  // RFC 8439 reads key words little-endian; x86/ARM are LE
    k.key[i] = w;
  }
  k.nonce = 0;
  return k;
}
}  // namespace

void ring_add(uint64_t* acc, size_t acc_len, const uint64_t* x, size_t n, size_t offset, int threads) {
  require(offset <= acc_len && n <= acc_len - offset, "offset",
          "expected offset + length <= " + std::to_string(acc_len) + " but received offset " + std::to_string(offset) +
              " and length " + std::to_string(n));
  parallel_for(n, threads, kMinChunk * 4, [&](size_t b, size_t e, int) {
    uint64_t* a = acc + offset;
    for (size_t i = b; i < e; ++i) a[i] += x[i];
  });
}

void apply_masks(uint64_t* v, size_t n, const uint8_t* seeds, const int32_t* signs, size_t k, int threads) {
  for (size_t j = 0; j < k; ++j) {
    require(signs[j] == 1 || signs[j] == -1, "signs", "expected +1 or -1 but received " + std::to_string(signs[j]) +
                                                          " at index " + std::to_string(j));
  }
  std::vector<ChaChaKey> keys;
  keys.reserve(k);
  for (size_t j = 0; j < k; ++j) keys.push_back(key_of_seed(seeds + 32 * j));
  // One pass over memory: each worker walks its range in L1-sized batches and adds every
  // seed's keystream into the batch while it is in cache (k keystreams, one read/write of v).
  parallel_for(n, threads, kMinChunk, [&](size_t b, size_t e, int) {
    for (size_t start = b; start < e; start += kBatchWords) {
      size_t len = std::min(kBatchWords, e - start);
      for (size_t j = 0; j < k; ++j) chacha20_add_words(keys[j], start, v + start, len, signs[j] < 0);
    }
  });
}

}  // namespace smpc
}  // namespace hemasynth
