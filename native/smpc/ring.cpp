#include "smpc/ring.h"

#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/parallel.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "mask words are little-endian keystream bytes");

namespace hemasynth {
namespace smpc {

namespace {
// Words per keystream batch: 2048 words = 16 KiB, small enough to stay in L1 while every seed's
// keystream is added into it, large enough that the AES kernel runs long full batches.
constexpr size_t kBatchWords = 2048;
constexpr size_t kMinChunk = 1 << 15;
}  // namespace

void ring_add(uint64_t* acc, size_t acc_len, const uint64_t* x, size_t n, size_t offset, int threads, bool subtract) {
  require(offset <= acc_len && n <= acc_len - offset, "offset",
          "expected offset + length <= " + std::to_string(acc_len) + " but received offset " + std::to_string(offset) +
              " and length " + std::to_string(n));
  parallel_for(n, threads, kMinChunk * 4, [&](size_t b, size_t e, int) {
    uint64_t* a = acc + offset;
    if (subtract) {
      for (size_t i = b; i < e; ++i) a[i] -= x[i];
    } else {
      for (size_t i = b; i < e; ++i) a[i] += x[i];
    }
  });
}

void apply_masks(uint64_t* v, size_t n, const uint8_t* seeds, const int32_t* signs, size_t k, int threads,
                 AesPath path) {
  for (size_t j = 0; j < k; ++j) {
    require(signs[j] == 1 || signs[j] == -1, "signs", "expected +1 or -1 but received " + std::to_string(signs[j]) +
                                                          " at index " + std::to_string(j));
  }
  require(aes_ctr_supported(path), "cpu", std::string("expected AES instructions for the native mask PRG but this CPU (") +
                                             aes_ctr_path_name() + ") lacks them");
  std::vector<Aes256Key> keys;
  keys.reserve(k);
  for (size_t j = 0; j < k; ++j) keys.emplace_back(seeds + 32 * j);
  // One pass over memory: each worker walks its range in L1-sized batches and adds every
  // seed's keystream into the batch while it is in cache (k keystreams, one read/write of v).
  parallel_for(n, threads, kMinChunk, [&](size_t b, size_t e, int) {
    for (size_t start = b; start < e; start += kBatchWords) {
      size_t len = std::min(kBatchWords, e - start);
      for (size_t j = 0; j < k; ++j) aes256_ctr_add_words(keys[j], start, v + start, len, signs[j] < 0, path);
    }
  });
}

}  // namespace smpc
}  // namespace hemasynth
