// Decoding integer codes to column values for the discretiser's encoders (see
// src/transform/decode.ts: the same arithmetic and uniform streams), all columns in one call,
// writing straight into the typed arrays that become Arrow buffers, plus Arrow validity bitmaps.
#pragma once
#include <cstdint>
#include <vector>

namespace hemasynth::marginal {

// Per-column spec, kDecodeSpecWidth doubles: levels (0 categories, 1 bins), integer, lo, hi,
// rLo, rHi, loOpen, hiOpen, missing code (-1 none), output (0 float64, 1 int32), then the
// tails of src/transform/decode.ts outerBinTails: low bin, low scale, high bin, high scale
// (bin -1 or scale <= 0: uniform).
constexpr int64_t kDecodeSpecWidth = 14;

struct DecodeColumnIo {
  const int32_t* codes;  // rows codes
  void* values;          // rows doubles (output 0) or int32 (output 1)
  uint8_t* valid;        // rows bytes: 1 present, 0 missing
  // rows positions 0..255 or null: a bin column's value sits at share (position + u) / 256 of its
  // bin's decoded distribution, u the column stream's draw, instead of at u (a low tail's share
  // counted from its inner edge), as decode.ts decodeColumn with positions.
  const uint8_t* positions = nullptr;
  // rows uniforms in [0, 1) or null: row i's draw is uniforms[i] instead of the stream's next
  // (the neural generators' positions, from α: decode.ts decodeColumn with uniform(i) = position i).
  const double* uniforms = nullptr;
};

// Categories: value = code (0 where missing). Bins: a uniform value of the code's interval
// intersected with the restriction and clamped to [lo, hi] (integers: a uniform integer; the
// spec's tail bins: a truncated exponential away from the inner edge; a tilted bin: its linear density), drawn
// from the stream (seed, streams[c]) one uniform per present row. Throws on a code outside
// [0, levels) other than the missing code.
// tilts: edges_len doubles beside the edges; tilts[edge_offsets[c] + k] is bin k's tilt t in
// (-1, 1) (0: uniform): its values follow the density 1 + t(2u - 1) (src/transform/bin-tilts.ts).
void decode_columns(const std::vector<DecodeColumnIo>& io, int64_t rows, const double* specs, const double* edges,
                    const double* tilts, int64_t edges_len, const int32_t* edge_offsets, const int32_t* streams, int32_t seed,
                    int threads);

// Packs bytes (nonzero = set) into an LSB-first bitmap of (n + 7) / 8 bytes; returns the zero count.
int64_t pack_validity(const uint8_t* bytes, int64_t n, uint8_t* bitmap);

}  // namespace hemasynth::marginal
