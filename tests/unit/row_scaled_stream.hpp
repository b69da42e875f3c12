#pragma once
// The accuracy trace of the sub-8-bit formats (scripts/four_bit_emulation.py, fp8_emulation.py):
// a rows x cols weight whose gradient rows have scales 10^-u, u spread over `decades`, around a
// persistent per-element mean; and AdamW's error on it against the fp64 reference, relative to
// the distance travelled (the tool's error.param.rel_travel).
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "step8_harness.hpp"

namespace step8 {

class RowScaledStream {
 public:
  RowScaledStream(std::uint64_t seed, double decades, std::size_t rows, std::size_t cols)
      : cols_(cols), normal_(seed), mean_(normal_.draw(rows * cols, 0.5)) {
    const std::vector<float> u = normal_.draw(rows, 1.0);
    for (std::size_t r = 0; r < rows; ++r) {
      scale_.push_back(std::pow(10.0, -decades * (0.5 + 0.5 * std::erf(static_cast<double>(u[r]) / std::sqrt(2.0)))));
    }
  }
  std::vector<float> next() {
    std::vector<float> g = normal_.draw(mean_.size(), 1.0);
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = static_cast<float>(scale_[i / cols_] * static_cast<double>(mean_[i] + g[i]));
    return g;
  }

 private:
  std::size_t cols_;
  Normal normal_;
  std::vector<float> mean_;
  std::vector<double> scale_;
};

/// ||p - p_ref|| / ||p_ref - p0|| after `steps` steps of the Adam-family optimizer `name` on a
/// rows x cols row-scaled stream (4 decades).
inline double rel_travel(const std::string& name, int steps, std::size_t rows, std::size_t cols) {
  Run8 run({bnb::Algorithm::adam, name, {}, {}}, bnb::DType::f32, rows * cols);
  bnb_ref::RefOptimizer ref(bnb_ref::Algo::adam, bnb_ref::ref_hyper(run.config().hyper), run.size());
  Normal init(5);
  const std::vector<float> p0 = run.set_param(init.draw(run.size(), 0.1));
  ref.set_param(std::span<const float>(p0));
  RowScaledStream stream(3, 4.0, rows, cols);
  for (int t = 0; t < steps; ++t) {
    run.step(stream.next());
    ref.step(std::span<const float>(run.grad()));
  }
  const std::vector<float> p = run.param();
  double err = 0, travel = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    err += std::pow(static_cast<double>(p[i]) - ref.param()[i], 2);
    travel += std::pow(ref.param()[i] - static_cast<double>(p0[i]), 2);
  }
  return std::sqrt(err / travel);
}

}  // namespace step8
