#include "tensor_buffer.hpp"

#include <cmath>
#include <cstring>

#include "config.hpp"

namespace bnb::app {
namespace {

// Conversions cost about a nanosecond per element: below 10^6 elements a parallel region
// costs more than it saves (and far more on a loaded machine, where threads wait at barriers).
constexpr std::int64_t kParallelMin = std::int64_t{1} << 20;

template <class T>
double load_one(const std::byte* base, std::size_t i) {
  T v;
  std::memcpy(&v, base + i * sizeof(T), sizeof(T));
  return static_cast<double>(kernels::Storage<T>::load(v));
}

template <class T>
void store_one(std::byte* base, std::size_t i, double value) {
  const T v = kernels::Storage<T>::store(static_cast<float>(value));
  std::memcpy(base + i * sizeof(T), &v, sizeof(T));
}

}  // namespace

TensorBuffer::TensorBuffer(DType dtype, std::size_t numel)
    : dtype_(dtype), numel_(numel), bytes_(numel * dtype_size(dtype)) {}

double TensorBuffer::get(std::size_t i) const {
  switch (dtype_) {
    case DType::f16: return load_one<half_t>(bytes_.data(), i);
    case DType::bf16: return load_one<bf16_t>(bytes_.data(), i);
    case DType::f32: break;
  }
  return load_one<float>(bytes_.data(), i);
}

void TensorBuffer::set(std::size_t i, double v) {
  switch (dtype_) {
    case DType::f16: store_one<half_t>(bytes_.data(), i, v); return;
    case DType::bf16: store_one<bf16_t>(bytes_.data(), i, v); return;
    case DType::f32: store_one<float>(bytes_.data(), i, v); return;
  }
}

std::vector<double> TensorBuffer::to_double(int threads) const {
  std::vector<double> out(numel_);
  const auto n = static_cast<std::int64_t>(numel_);
#pragma omp parallel for num_threads(threads) schedule(static) if (n > kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = get(static_cast<std::size_t>(i));
  return out;
}

std::vector<float> TensorBuffer::to_float(int threads) const {
  std::vector<float> out(numel_);
  const auto n = static_cast<std::int64_t>(numel_);
#pragma omp parallel for num_threads(threads) schedule(static) if (n > kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) {
    out[static_cast<std::size_t>(i)] = static_cast<float>(get(static_cast<std::size_t>(i)));
  }
  return out;
}

void TensorBuffer::assign(const double* values, int threads) {
  const auto n = static_cast<std::int64_t>(numel_);
#pragma omp parallel for num_threads(threads) schedule(static) if (n > kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) set(static_cast<std::size_t>(i), values[i]);
}

std::size_t TensorBuffer::count_nonfinite(int threads) const {
  const auto n = static_cast<std::int64_t>(numel_);
  std::size_t count = 0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : count) if (n > kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) count += std::isfinite(get(static_cast<std::size_t>(i))) ? 0u : 1u;
  return count;
}

}  // namespace bnb::app
