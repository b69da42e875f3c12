#pragma once
// The store of a 16-bit parameter under its rounding mode (bnb/kernels/param_rounding.hpp), on
// the fp32 staging buffers of step_loops.hpp's tensor_run: loops of the shared per-element math,
// written so that GCC vectorizes them.
#include <cstddef>
#include <cstdint>

#include "bnb/kernels/param_rounding.hpp"
#include "bnb/kernels/step_request.hpp"
#include "vector_storage.hpp"

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

/// What a run needs of the step's rounding: the mode, the stochastic key, the tensor's
/// compensation buffer (T values), and the tensor index of the run's first element.
struct ParamStore {
  ParamRounding mode = ParamRounding::nearest;
  RoundingKey key{};
  void* compensation = nullptr;
  std::size_t first = 0;

  static ParamStore of(const StepRequest& r, std::size_t first) {
    return ParamStore{r.rounding, r.rounding_key, r.compensation, first};
  }
  ParamStore at(std::size_t offset) const { return ParamStore{mode, key, compensation, first + offset}; }
};

/// p[i] stochastically rounded to T's grid with the random bits of element first + i. The
/// index's high half is the same for the whole run (runs start at multiples of 256), so it is
/// folded into the key (rounding_bits xors it into key.hi) and the loop hashes 32-bit indices:
/// the same bits, without 64-bit lanes in the vectorized loop.
template <class T>
void stochastic_run(float* __restrict p, std::size_t len, RoundingKey key, std::size_t first) {
  const auto low = static_cast<std::uint32_t>(first);
  if (len > std::size_t{0xffffffffu} - low) {  // crosses a multiple of 2^32: the general form
    for (std::size_t i = 0; i < len; ++i) p[i] = stochastic_round<T>(p[i], rounding_bits(key, first + i));
    return;
  }
  const RoundingKey folded{key.lo, key.hi ^ static_cast<std::uint32_t>(first >> 32)};
  for (std::size_t i = 0; i < len; ++i) {
    const std::uint32_t e = low + static_cast<std::uint32_t>(i);
    p[i] = stochastic_round<T>(p[i], rounding_bits(folded, std::uint64_t{e}));
  }
}

/// The compensated store of every element: x[i] is the update's result from p_old[i] + c[i];
/// the new parameter goes to x, the new compensation to c.
template <class T>
void compensated_run(const float* __restrict p_old, float* __restrict c, float* __restrict x, std::size_t len) {
  for (std::size_t i = 0; i < len; ++i) {
    float p = p_old[i];
    float ci = c[i];
    compensated_store<VectorStorage<T>>(p + ci, x[i], p, ci);
    x[i] = p;
    c[i] = ci;
  }
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
