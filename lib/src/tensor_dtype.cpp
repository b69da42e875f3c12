// The element types of tensor files (DESIGN.md §3.3): names, sizes, the mapping to parameter
// dtypes, shapes, and widening to fp32.
#include <array>
#include <cstring>
#include <string>

#include "bnb/errors.hpp"
#include "bnb/safetensors.hpp"

namespace bnb {
namespace {

constexpr std::array<TensorDType, 7> kAllDTypes = {TensorDType::f32, TensorDType::f16, TensorDType::bf16,
                                                   TensorDType::u8,  TensorDType::i32, TensorDType::i64,
                                                   TensorDType::f64};

}  // namespace

std::string_view tensor_dtype_name(TensorDType d) {
  switch (d) {
    case TensorDType::f32: return "F32";
    case TensorDType::f16: return "F16";
    case TensorDType::bf16: return "BF16";
    case TensorDType::u8: return "U8";
    case TensorDType::i32: return "I32";
    case TensorDType::i64: return "I64";
    case TensorDType::f64: return "F64";
  }
  return "?";
}

std::optional<TensorDType> parse_tensor_dtype(std::string_view name) {
  for (TensorDType d : kAllDTypes) {
    if (tensor_dtype_name(d) == name) return d;
  }
  return std::nullopt;
}

std::size_t tensor_dtype_size(TensorDType d) {
  switch (d) {
    case TensorDType::u8: return 1;
    case TensorDType::f16:
    case TensorDType::bf16: return 2;
    case TensorDType::f32:
    case TensorDType::i32: return 4;
    case TensorDType::i64:
    case TensorDType::f64: return 8;
  }
  return 0;
}

TensorDType tensor_dtype_of(DType d) {
  switch (d) {
    case DType::f32: return TensorDType::f32;
    case DType::f16: return TensorDType::f16;
    case DType::bf16: return TensorDType::bf16;
  }
  return TensorDType::f32;
}

std::optional<DType> param_dtype_of(TensorDType d) {
  switch (d) {
    case TensorDType::f32: return DType::f32;
    case TensorDType::f16: return DType::f16;
    case TensorDType::bf16: return DType::bf16;
    default: return std::nullopt;
  }
}

std::size_t element_count(std::span<const std::int64_t> shape) {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

std::string shape_string(std::span<const std::int64_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::vector<float> to_f32_values(const TensorEntry& t) {
  const std::size_t n = t.data.size() / tensor_dtype_size(t.dtype);
  std::vector<float> out(n);
  switch (t.dtype) {
    case TensorDType::f32:
      if (n) std::memcpy(out.data(), t.data.data(), n * sizeof(float));
      return out;
    case TensorDType::f16:
    case TensorDType::bf16:
      for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t bits = 0;
        std::memcpy(&bits, t.data.data() + 2 * i, sizeof bits);
        out[i] = t.dtype == TensorDType::f16 ? kernels::half_to_float(half_t{bits}) : kernels::bf16_to_float(bf16_t{bits});
      }
      return out;
    default:
      throw DataError("tensor '" + t.name + "' has dtype " + std::string(tensor_dtype_name(t.dtype)) +
                      ", expected F32, F16 or BF16");
  }
}

}  // namespace bnb
