#pragma once
// Bit-level reinterpretation usable in host and device code.
#include <cstdint>
#include <cstring>

#include "bnb/kernels/hd.hpp"

namespace bnb::kernels {

BNB_HD std::uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}

BNB_HD float bits_float(std::uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

}  // namespace bnb::kernels
