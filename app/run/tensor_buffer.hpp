#pragma once
// Parameter and gradient storage of the tool: raw bytes of a parameter dtype, plus conversions
// to and from double (exact widening; narrowing rounds to fp32 first, then to the 16-bit type,
// the way the library stores parameters).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bnb/array_memory.hpp"
#include "bnb/kernels/dtype.hpp"

namespace bnb::app {

class TensorBuffer {
 public:
  TensorBuffer() = default;
  TensorBuffer(DType dtype, std::size_t numel);

  DType dtype() const { return dtype_; }
  std::size_t numel() const { return numel_; }
  std::size_t bytes() const { return bytes_.size(); }
  void* data() { return bytes_.data(); }
  const void* data() const { return bytes_.data(); }

  double get(std::size_t i) const;
  void set(std::size_t i, double v);
  /// All values widened to double (threads: OpenMP threads for large tensors).
  std::vector<double> to_double(int threads) const;
  std::vector<float> to_float(int threads) const;
  void assign(const double* values, int threads);
  /// NaN or Inf elements.
  std::size_t count_nonfinite(int threads) const;

 private:
  DType dtype_ = DType::f32;
  std::size_t numel_ = 0;
  std::vector<std::byte, ArrayAllocator<std::byte>> bytes_;  // aligned as the step reads it (array_memory.hpp)
};

}  // namespace bnb::app
