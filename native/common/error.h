// Errors thrown by the C++ core. The core never trusts its caller: every entry point
// checks lengths, dtypes and bounds and throws hemasynth::Error naming the field.
#pragma once
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace hemasynth {

class Error : public std::runtime_error {
 public:
  Error(std::string field, const std::string& message)
      : std::runtime_error(field.empty() ? message : field + ": " + message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// require(cond, "x", "expected ...") throws Error("x", "expected ...") when cond is false.
inline void require(bool cond, const char* field, const std::string& message) {
  if (!cond) throw Error(field, message);
}

// Checked size arithmetic: a*b that cannot overflow size_t, or an Error naming the field.
inline size_t checked_mul(size_t a, size_t b, const char* field) {
  if (a != 0 && b > static_cast<size_t>(-1) / a) throw Error(field, "size overflow");
  return a * b;
}

// Refuses a non-finite value in a rows×cols matrix, naming the cell (a NaN input would turn
// every parameter of a trainer into NaN in one step).
inline void require_finite(const float* v, size_t rows, size_t cols, const char* field) {
  for (size_t i = 0; i < rows * cols; ++i)
    if (!std::isfinite(v[i]))
      throw Error(field, "expected finite values but row " + std::to_string(i / cols) + ", column " +
                             std::to_string(i % cols) + " is " + (std::isnan(v[i]) ? "NaN" : "infinite"));
}

}  // namespace hemasynth
