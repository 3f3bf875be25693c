#include "marginal/copula_sampler.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/parallel.h"
#include "marginal/normal_cdf.h"
#include "marginal/rng.h"
#include "marginal/ziggurat.h"
#include "tensor/gemm.h"

namespace hemasynth::marginal {

void sample_copula(const double* L, int64_t d, const double* B, int64_t k, const double* zc, int64_t zc_len,
                   const double* thresholds, int64_t thresholds_len, const int32_t* offsets, const int32_t* code_of,
                   const int32_t* targets, int64_t out_cols, int64_t rows, int32_t seed, int threads, int32_t* const* out_columns, size_t out_columns_len,
                   const int32_t* pos_slots, uint8_t* const* pos_columns, size_t pos_columns_len) {
  if (zc_len != rows * k) throw Error("zc", "Expected rows x k conditioned latents");
  if (offsets[0] != 0 || offsets[d] != thresholds_len) throw Error("thresholdOffsets", "Expected offsets from 0 to the thresholds length");
  for (int64_t j = 0; j < d; ++j) {
    if (offsets[j + 1] <= offsets[j]) throw Error("thresholdOffsets", "Expected increasing offsets (at least one cell per column)");
    for (int32_t t = offsets[j] + 1; t < offsets[j + 1]; ++t) {
      if (!(thresholds[t] >= thresholds[t - 1])) throw Error("thresholds", "Expected ascending thresholds for column " + std::to_string(j));
    }
  }
  for (int64_t t = 0; t < thresholds_len; ++t) {
    if (code_of[t] < -1) throw Error("codeOf", "Expected a code >= 0, or -1 (leave the column's code), for every cell");
  }
  for (int64_t j = 0; j < d; ++j) {
    if (targets[j] < 0 || targets[j] >= out_cols) throw Error("targets", "Expected output columns in [0, " + std::to_string(out_cols) + ") but received " + std::to_string(targets[j]));
  }
  require(out_columns_len == static_cast<size_t>(out_cols), "out", "expected one array per output column");
  for (int64_t c = 0; c < out_cols && rows > 0; ++c) require(out_columns[c] != nullptr, "out", "expected an array for every output column");
  for (int64_t j = 0; j < d; ++j) {
    const int32_t s = pos_slots[j];
    if (s < -1 || s >= static_cast<int64_t>(pos_columns_len)) throw Error("positionSlots", "Expected -1 or a positions array in [0, " + std::to_string(pos_columns_len) + ") for latent " + std::to_string(j) + " but received " + std::to_string(s));
    if (s >= 0 && rows > 0 && pos_columns[s] == nullptr) throw Error("positions", "Expected a positions array for slot " + std::to_string(s) + " (latent " + std::to_string(j) + ")");
  }
  if (d == 0 || rows == 0) return;
  // Φ at every threshold (the cells' CDF bounds), once.
  std::vector<double> cdf_at(static_cast<size_t>(thresholds_len));
  for (int64_t t = 0; t < thresholds_len; ++t) cdf_at[t] = NormalCdf::exact(thresholds[t]);
  const NormalCdf& phi = NormalCdf::get();
  // Latents with no off-diagonal entry in L (row or column) are independent of all others:
  // z = L_jj g needs no product. Only the dependent ones go through the GEMM.
  std::vector<int64_t> dep_pos(static_cast<size_t>(d), -1), ind_pos(static_cast<size_t>(d), -1);
  std::vector<char> coupled(static_cast<size_t>(d), 0);
  for (int64_t i = 0; i < d; ++i) for (int64_t j = 0; j < i; ++j) if (L[i * d + j] != 0) { coupled[i] = 1; coupled[j] = 1; }
  std::vector<int64_t> dep, ind;
  for (int64_t j = 0; j < d; ++j) {
    if (coupled[j]) { dep_pos[j] = static_cast<int64_t>(dep.size()); dep.push_back(j); }
    else { ind_pos[j] = static_cast<int64_t>(ind.size()); ind.push_back(j); }
  }
  const int64_t fd = static_cast<int64_t>(dep.size()), fi = static_cast<int64_t>(ind.size());
  // The dependent latents fall into components that share no entry of L (the strata's clinical
  // latents; an assay panel's tied missingness latents, whose rows of L have one entry, their
  // group's). Each component is one GEMM over the columns its rows use (its support) instead of
  // one fd x fd GEMM: on the SCD cohort at eps = 3, 303 x 303 + 200 x 1 + 40 x 1 products per
  // row against 543 x 543.
  std::vector<int64_t> root(static_cast<size_t>(fd));
  for (int64_t a = 0; a < fd; ++a) root[a] = a;
  auto find = [&](int64_t x) { while (root[x] != x) x = root[x] = root[root[x]]; return x; };
  for (int64_t a = 0; a < fd; ++a) for (int64_t b = 0; b < a; ++b) if (L[dep[a] * d + dep[b]] != 0) root[find(a)] = find(b);
  struct Component { std::vector<int64_t> members, support; std::vector<float> lf; };
  std::vector<Component> comps;
  {
    std::vector<int64_t> index(static_cast<size_t>(fd), -1);
    for (int64_t a = 0; a < fd; ++a) {
      const int64_t r = find(a);
      if (index[r] < 0) { index[r] = static_cast<int64_t>(comps.size()); comps.emplace_back(); }
      comps[index[r]].members.push_back(a);
    }
    for (Component& c : comps) {
      std::vector<char> used(static_cast<size_t>(fd), 0);
      for (int64_t a : c.members) for (int64_t b : c.members) if (b <= a && L[dep[a] * d + dep[b]] != 0) used[b] = 1;
      for (int64_t b : c.members) if (used[b]) c.support.push_back(b);
      c.lf.resize(c.members.size() * c.support.size());
      for (size_t x = 0; x < c.members.size(); ++x)
        for (size_t y = 0; y < c.support.size(); ++y) c.lf[x * c.support.size() + y] = static_cast<float>(L[dep[c.members[x]] * d + dep[c.support[y]]]);
    }
  }
  size_t widest = 0;
  for (const Component& c : comps) widest = std::max({widest, c.members.size(), c.support.size()});
  // Normals are drawn only for the dependent latents some row of L uses (the supports' union).
  // A panel's tied missingness latents have a zero diagonal and no other row uses them: on the
  // SCD cohort at eps = 3, 240 of 546 latents, whose normals were drawn and never read.
  std::vector<int64_t> drawn_pos(static_cast<size_t>(fd), -1);
  for (const Component& c : comps) for (int64_t b : c.support) drawn_pos[b] = 0;
  int64_t fg = 0;
  for (int64_t b = 0; b < fd; ++b) if (drawn_pos[b] == 0) drawn_pos[b] = fg++;
  const ZigguratTables& zt = ZigguratTables::get();
  int64_t blocks = (rows + kSamplingBlockRows - 1) / kSamplingBlockRows;
  // Tiles of kTile rows keep G and Z (kTile x d floats each) in L2 while a column's cells are
  // looked up. Per tile the stream gives the drawn dependent latents' normals row by row, then the
  // independent ones' (the TypeScript reference draws in the same order).
  constexpr int64_t kTile = 128;
  parallel_for(static_cast<size_t>(blocks), threads, 1, [&](size_t b0, size_t b1, int) {
    std::vector<float> g(static_cast<size_t>(kTile * fg)), z(static_cast<size_t>(kTile * fd));
    std::vector<float> gc(kTile * widest), zc_tile(kTile * widest);
    std::vector<double> gi(static_cast<size_t>(kTile * fi));
    GemmWorkspace ws;
    for (size_t blk = b0; blk < b1; ++blk) {
      SamplingRng rng(seed, static_cast<int64_t>(blk));
      const int64_t r0 = static_cast<int64_t>(blk) * kSamplingBlockRows, r1 = std::min(rows, r0 + kSamplingBlockRows);
      for (int64_t t0 = r0; t0 < r1; t0 += kTile) {
        const int64_t n = std::min(kTile, r1 - t0);
        for (int64_t t = 0; t < n * fg; ++t) g[t] = static_cast<float>(ziggurat_normal(rng, zt));
        for (int64_t t = 0; t < n * fi; ++t) gi[t] = ziggurat_normal(rng, zt);
        for (const Component& c : comps) {
          // Z_c = G_c L_cᵀ: G's support columns gathered, the members' columns scattered back.
          const size_t nm = c.members.size(), ns = c.support.size();
          for (int64_t i = 0; i < n; ++i) for (size_t y = 0; y < ns; ++y) gc[i * ns + y] = g[i * fg + drawn_pos[c.support[y]]];
          GemmShape s;
          s.m = static_cast<size_t>(n); s.n = nm; s.k = ns; s.trans_b = true;
          gemm_f32(s, gc.data(), c.lf.data(), zc_tile.data(), false, nullptr, 1, &ws);
          for (int64_t i = 0; i < n; ++i) for (size_t x = 0; x < nm; ++x) z[i * fd + c.members[x]] = zc_tile[i * nm + x];
        }
        for (int64_t j = 0; j < d; ++j) {
          const double* th = thresholds + offsets[j];
          const int32_t* codes = code_of + offsets[j];
          const int32_t last = offsets[j + 1] - offsets[j] - 1;
          const double* brow = B + j * k;
          const int64_t dp = dep_pos[j], ip = ind_pos[j];
          const double ljj = L[j * d + j];
          int32_t* dst = out_columns[targets[j]] + t0;
          uint8_t* share = pos_slots[j] >= 0 ? pos_columns[pos_slots[j]] + t0 : nullptr;
          const double* cdf = cdf_at.data() + offsets[j];
          for (int64_t i = 0; i < n; ++i) {
            double v = dp >= 0 ? static_cast<double>(z[i * fd + dp]) : ljj * gi[i * fi + ip];
            if (k > 0) { const double* zr = zc + (t0 + i) * k; for (int64_t t = 0; t < k; ++t) v += brow[t] * zr[t]; }
            // Thresholds ascend, so the cell is the number of thresholds <= v (branch-free).
            int32_t pos = 0;
            for (int32_t t = 0; t < last; ++t) pos += v >= th[t];
            // -1: this latent leaves the column's code (a missingness latent's "present" cell).
            if (codes[pos] >= 0) dst[i] = codes[pos];
            if (share) {
              const double lo = pos > 0 ? cdf[pos - 1] : 0.0, hi = cdf[pos], w = hi - lo;
              const double u = w > 0 ? (phi(v) - lo) / w : 0.5;
              share[i] = static_cast<uint8_t>(std::min(255.0, std::max(0.0, std::floor(u * 256.0))));
            }
          }
        }
      }
    }
  });
}

}  // namespace hemasynth::marginal
