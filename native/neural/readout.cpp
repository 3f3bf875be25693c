#include "neural/readout.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <string>

#include "common/error.h"
#include "common/parallel.h"
#include "marginal/rng.h"
#include "neural/js_exp.h"

// Compiled with -ffp-contract=off (CMakeLists.txt): every sum and product below is rounded as the
// TypeScript reference rounds it.

namespace hemasynth::neural {

namespace {

using marginal::kSamplingBlockRows;
using marginal::SamplingRng;

constexpr double kPi = 3.141592653589793;  // Math.PI
// Rows whose numerators are computed before their draws (see read_raw_output).
constexpr int64_t kTileRows = 16;

// SamplingRandom.normal() of src/models/sampling-random.ts: Box–Muller on two 32-bit uniforms,
// the sine half discarded. std::log and std::cos are the C library's, V8's Math.log and Math.cos
// other implementations of the same functions: the two agree within an ulp or so (measured:
// |difference| <= 1.8e-15 for log, 1.1e-16 for cos, on 5,000,000 draws), so α, and the position
// made of it, can differ from the TypeScript one by such round-off. A code never depends on them:
// the only way they could reach one is a Gaussian draw within an ulp of ±1, where the rejection
// test (how many draws α takes, and so where the column's stream is for the next rows) could go
// the other way: about 1e-16 per draw.
inline double box_muller(SamplingRng& rng) {
  const double u1 = (static_cast<double>(rng.next_u32()) + 1) / 4294967297.0;
  const double u2 = rng.uniform();
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * kPi * u2);
}

// alphaToPosition(Math.max(-1, Math.min(1, a))) of mode-specific-normalisation.ts (NaN: 0).
inline double alpha_position(double a) {
  if (!std::isnan(a)) a = a < -1 ? -1 : (a > 1 ? 1 : a);
  const double u = (a + 1) / 2;
  return (u <= 0 || std::isnan(u)) ? 0 : (u >= 1 ? 1 - 1.0 / 4294967296.0 : u);
}

using V4f = float __attribute__((vector_size(16)));

// p[k] = Math.exp(lg[k] − max_k lg[k]) for k < size (the softmax numerators of readRawOutput).
// Where every argument lies in [-700, 0] (finite logits less than 700 apart: all but
// pathological rows), four at a time by js_exp4; a column of four codes or more reads its logits
// as whole vectors, the last one overlapping the one before when size is not a multiple of four
// (it recomputes equal values for the lanes already stored). Otherwise one by one by js_exp.
inline void softmax_numerators(const float* lg, int32_t size, double* p) {
  double m = -std::numeric_limits<double>::infinity();
  float lo = lg[0];
  bool nan = false;
  for (int32_t k = 0; k < size; ++k) {
    if (static_cast<double>(lg[k]) > m) m = lg[k];
    lo = std::min(lo, lg[k]);
    nan |= std::isnan(lg[k]);
  }
  if (nan || !(m - lo <= 700) || !std::isfinite(m)) {
    for (int32_t k = 0; k < size; ++k) p[k] = js_exp(static_cast<double>(lg[k]) - m);
    return;
  }
  if (size < 4) {
    V4d x{};
    for (int32_t l = 0; l < size; ++l) x[l] = static_cast<double>(lg[l]) - m;
    V4d e;
    js_exp4(x, e);
    for (int32_t l = 0; l < size; ++l) p[l] = e[l];
    return;
  }
  auto block = [&](int32_t at) {
    V4f f;
    std::memcpy(&f, lg + at, sizeof f);
    const V4d x = __builtin_convertvector(f, V4d) - m;
    V4d e;
    js_exp4(x, e);
    std::memcpy(p + at, &e, sizeof e);
  };
  int32_t k = 0;
  for (; k + 4 <= size; k += 4) block(k);
  if (k < size) block(size - 4);
}

// The rest of readRawOutput's loop body for one row of one column, given the numerators p:
// the code draw, then α or the position draw. Returns false when the condition allows no code.
inline bool draw_cell(const float* row, const ReadoutColumn& c, AlphaMode alpha, double sigma, SamplingRng& rng, double* p,
                      int32_t& code, double& position) {
  const int32_t size = c.size;
  const double* w = c.weights;
  double sum = 0;
  if (w) for (int32_t k = 0; k < size; ++k) { p[k] *= w[k]; sum += p[k]; }
  else for (int32_t k = 0; k < size; ++k) sum += p[k];
  if (!(sum > 0)) {
    // The network puts (numerically) no mass on the allowed codes: follow the condition's weights.
    sum = 0;
    for (int32_t k = 0; k < size; ++k) { p[k] = w ? w[k] : 1; sum += p[k]; }
    if (!(sum > 0)) return false;
  }
  double u = rng.uniform() * sum;
  int32_t k = 0;
  if (size <= 8) {
    // The same walk without branches (a mispredicted exit cost more than walking every code of a
    // small column): once a step fails, u and k stay.
    bool go = true;
    for (int32_t s = 0; s < size - 1; ++s) {
      go = go && u >= p[s];
      u = go ? u - p[s] : u;
      k += go;
    }
  } else {
    while (k < size - 1 && u >= p[k]) { u -= p[k]; ++k; }
  }
  while (w && w[k] == 0 && k > 0) --k;  // floating-point round-off landed on a forbidden code
  code = k;
  if (c.alpha_offset >= 0) {
    double a;
    if (alpha == AlphaMode::kGaussian) {
      // N(μ, σ²) truncated to [−1, 1] by rejection (at most 16 redraws, as the reference).
      const double mu = row[c.alpha_offset];
      a = mu + sigma * box_muller(rng);
      for (int t = 0; t < 16 && (a < -1 || a > 1); ++t) a = mu + sigma * box_muller(rng);
    } else {
      a = std::tanh(static_cast<double>(row[c.alpha_offset]));  // Math.tanh within round-off, no draw
    }
    position = alpha_position(a);
  } else {
    position = rng.uniform();
  }
  return true;
}

}  // namespace

int64_t read_raw_output(const float* raw, int64_t rows, int64_t width, const std::vector<ReadoutColumn>& columns,
                        AlphaMode alpha, double alpha_sigma, int32_t seed, int64_t first_row,
                        const std::vector<ReadoutOutput>& out, int threads) {
  const int64_t m = static_cast<int64_t>(columns.size());
  require(rows >= 0, "rows", "expected rows >= 0 but received " + std::to_string(rows));
  require(width >= 1, "width", "expected a raw row width >= 1 but received " + std::to_string(width));
  // Stream numbers (block · 4096 + column + 1) stay exact in int64 and the reference's doubles.
  require(first_row >= 0 && first_row <= (int64_t{1} << 52) - rows, "firstRow",
          "expected a first row in [0, 2^52 - rows] but received " + std::to_string(first_row));
  require(alpha == AlphaMode::kGaussian || alpha == AlphaMode::kTanh, "alpha", "expected alpha mode 0 (gaussian) or 1 (tanh)");
  require(std::isfinite(alpha_sigma) && alpha_sigma >= 0, "alphaSigma",
          "expected a finite alpha sigma >= 0 but received " + std::to_string(alpha_sigma));
  require(out.size() == columns.size(), "out", "expected one output per column");
  int32_t max_size = 1;
  for (int64_t j = 0; j < m; ++j) {
    const ReadoutColumn& c = columns[j];
    const std::string col = " of column " + std::to_string(j);
    require(c.size >= 1, "sizes", "expected at least one code" + col + " but received " + std::to_string(c.size));
    require(c.logit_offset >= 0 && static_cast<int64_t>(c.logit_offset) + c.size <= width, "logitOffsets",
            "expected the logits" + col + " (offset " + std::to_string(c.logit_offset) + ", " + std::to_string(c.size) +
                " codes) inside the raw row of width " + std::to_string(width));
    require(c.alpha_offset == -1 || (c.alpha_offset >= 0 && c.alpha_offset < width), "alphaOffsets",
            "expected -1 or an offset in [0, " + std::to_string(width) + ") for alpha" + col + " but received " +
                std::to_string(c.alpha_offset));
    if (c.weights)
      for (int32_t k = 0; k < c.size; ++k)
        require(std::isfinite(c.weights[k]) && c.weights[k] >= 0, "weights",
                "expected finite weights >= 0" + col + " but received " + std::to_string(c.weights[k]) + " at code " + std::to_string(k));
    require(rows == 0 || (out[j].codes && out[j].positions), "out", "expected code and position outputs" + col);
    max_size = std::max(max_size, c.size);
  }
  if (rows == 0 || m == 0) return -1;

  // Segments: the rows of one sampling block (the first and last possibly partial), each read
  // from fresh streams as the reference does at firstRow and at every block boundary.
  std::vector<int64_t> seg_start{0};
  for (int64_t r = (first_row / kSamplingBlockRows + 1) * kSamplingBlockRows - first_row; r < rows; r += kSamplingBlockRows) seg_start.push_back(r);
  seg_start.push_back(rows);
  const int64_t segments = static_cast<int64_t>(seg_start.size()) - 1;
  // Tasks: a segment times a group of columns, enough of them to keep every thread busy. Each
  // (column, segment) has its own stream, read in row order within the task, so neither the
  // grouping nor the thread count changes a result.
  const int64_t t = resolve_threads(threads);
  const int64_t groups = std::min<int64_t>(m, std::max<int64_t>(1, (4 * t + segments - 1) / segments));
  std::atomic<int64_t> failed{std::numeric_limits<int64_t>::max()};
  parallel_for(static_cast<size_t>(segments * groups), threads, 1, [&](size_t t0, size_t t1, int) {
    std::vector<double> p(static_cast<size_t>(kTileRows * max_size));
    std::vector<SamplingRng> rngs;
    std::vector<char> dead;
    for (size_t task = t0; task < t1; ++task) {
      const int64_t s = static_cast<int64_t>(task) / groups, g = static_cast<int64_t>(task) % groups;
      const int64_t j0 = g * m / groups, j1 = (g + 1) * m / groups;
      const int64_t r0 = seg_start[s], r1 = seg_start[s + 1];
      const int64_t block = (first_row + r0) / kSamplingBlockRows;
      rngs.clear();
      for (int64_t j = j0; j < j1; ++j) rngs.emplace_back(seed, block * kSamplingBlockRows + j + 1);
      dead.assign(static_cast<size_t>(j1 - j0), 0);
      // Tiles of rows: a column's numerators for every row of the tile first (independent
      // exponentials, which the core overlaps), then its draws row by row (a chain through the
      // column's stream). The tile's raw rows stay in cache from one column to the next.
      for (int64_t a = r0; a < r1; a += kTileRows) {
        const int64_t b = std::min(r1, a + kTileRows);
        for (int64_t j = j0; j < j1; ++j) {
          if (dead[j - j0]) continue;
          const ReadoutColumn& c = columns[j];
          for (int64_t i = a; i < b; ++i) softmax_numerators(raw + i * width + c.logit_offset, c.size, p.data() + (i - a) * max_size);
          for (int64_t i = a; i < b; ++i) {
            if (!draw_cell(raw + i * width, c, alpha, alpha_sigma, rngs[j - j0], p.data() + (i - a) * max_size, out[j].codes[i], out[j].positions[i])) {
              dead[j - j0] = 1;
              int64_t cur = failed.load();
              while (j < cur && !failed.compare_exchange_weak(cur, j)) {}
              break;
            }
          }
        }
      }
    }
  });
  const int64_t f = failed.load();
  return f == std::numeric_limits<int64_t>::max() ? -1 : f;
}

}  // namespace hemasynth::neural
