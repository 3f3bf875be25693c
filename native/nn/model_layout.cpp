#include "nn/model_layout.h"

#include <cmath>
#include <string>

#include "common/error.h"

namespace hemasynth {

std::string layer_field(size_t l) { return "layers[" + std::to_string(l) + "]"; }

ModelLayout resolve_model(const ModelSpec& model) {
  ModelLayout L;
  require(model.input_size >= 1 && model.input_size <= (int64_t(1) << 24), "inputSize",
          "expected an integer in [1, 16777216] but received " + std::to_string(model.input_size));
  require(!model.layers.empty(), "layers", "expected at least one layer");
  size_t w = static_cast<size_t>(model.input_size), nparams = 0;
  std::vector<size_t> open;
  L.width.push_back(w);
  for (size_t l = 0; l < model.layers.size(); ++l) {
    const LayerSpec& s = model.layers[l];
    const std::string f = layer_field(l);
    ResolvedLayer r;
    r.spec = s;
    r.in = w;
    r.depth = static_cast<int>(open.size());
    switch (s.kind) {
      case LayerKind::Linear:
        require(s.size >= 1 && s.size <= (int64_t(1) << 24), f.c_str(), "expected Linear size in [1, 16777216]");
        r.out = static_cast<size_t>(s.size);
        r.w_off = nparams;
        nparams += checked_mul(r.in, r.out, f.c_str());
        r.b_off = nparams;
        nparams += r.out;
        break;
      case LayerKind::ReLU: case LayerKind::Tanh: case LayerKind::Sigmoid:
        r.out = w;
        break;
      case LayerKind::LeakyReLU:
        require(std::isfinite(s.param) && s.param >= 0 && s.param < 1, f.c_str(), "expected LeakyReLU slope in [0, 1)");
        r.out = w;
        break;
      case LayerKind::LayerNorm:
        require(std::isfinite(s.param) && s.param > 0, f.c_str(), "expected LayerNorm eps > 0");
        r.out = w;
        r.w_off = nparams;
        r.b_off = nparams + w;
        nparams += 2 * w;
        break;
      case LayerKind::Dropout:
        require(std::isfinite(s.param) && s.param >= 0 && s.param < 1, f.c_str(), "expected Dropout rate in [0, 1)");
        r.out = w;
        break;
      case LayerKind::ResidualBegin:
        r.out = w;
        open.push_back(l);
        break;
      case LayerKind::ResidualEnd:
        require(!open.empty(), f.c_str(), "ResidualEnd without a matching ResidualBegin");
        r.partner = open.back();
        open.pop_back();
        L.layers[r.partner].end = l;
        r.depth = static_cast<int>(open.size()) + 1;
        require(L.width[r.partner] == w, f.c_str(),
                "a residual block must keep its width: input " + std::to_string(L.width[r.partner]) + ", output " +
                    std::to_string(w));
        r.out = w;
        break;
      case LayerKind::GaussianSample:
        require(s.size >= 1 && static_cast<size_t>(2 * s.size) == w, f.c_str(),
                "GaussianSample of size " + std::to_string(s.size) + " needs an input of width " +
                    std::to_string(2 * s.size) + " ([mean, log-variance]) but the previous layer gives " + std::to_string(w));
        require(std::isfinite(s.param) && s.param >= 0, f.c_str(), "expected a KL weight >= 0");
        r.out = static_cast<size_t>(s.size);
        break;
      default:
        throw Error(f, "unknown layer kind " + std::to_string(static_cast<int>(s.kind)));
    }
    w = r.out;
    L.width.push_back(w);
    L.layers.push_back(r);
  }
  require(open.empty(), "layers", "a ResidualBegin has no matching ResidualEnd");
  L.params = nparams;
  return L;
}

}  // namespace hemasynth
