// Fixed-point codec between real vectors and the ring Z_2^64 used by secure aggregation.
//
// A value v is clipped to [-clip, clip], scaled and rounded to the nearest integer
// q = round(v·scale), optionally shifted by an integer noise share, and stored as the
// two's-complement residue of q mod 2^64. Sums of such residues are exact in Z_2^64 and equal
// the integer sum as long as |Σq| < 2^63; `fixed_point_capacity_ok` checks, before any round,
// that parties·(clip·scale + noise bound) stays far below that, and `decode_fixed_point`
// rejects any decoded value outside the declared bound, so a sum never wraps silently.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hemasynth {
namespace smpc {

struct EncodeResult {
  size_t clipped = 0;  // how many inputs were outside [-clip, clip]
};

// out[i] = (round(clamp(x[i])·scale) + noise[i]) mod 2^64; noise may be null (no shift).
// Throws Error when a value is NaN, a noise entry is not an integer or the parameters are
// outside their domains (scale·clip must be below 2^52 so the rounding stays exact).
EncodeResult encode_fixed_point(const double* x, size_t n, double scale, double clip, const double* noise,
                                uint64_t* out, int threads);

// out[i] = int64(v[i]) / scale, throwing Error("sum", ...) when |int64(v[i])| > bound: the
// sum of in-range encodings never exceeds the bound, so a larger magnitude means it wrapped
// (or a party sent values outside the agreed range).
void decode_fixed_point(const uint64_t* v, size_t n, double scale, double bound, double* out, int threads);

// True when parties·per_party_bound < 2^62, leaving a factor of two of headroom below the
// wrap point 2^63.
bool fixed_point_capacity_ok(double per_party_bound, double parties);

}  // namespace smpc
}  // namespace hemasynth
