#pragma once
// One optimizer step of one tensor, as handed to a backend driver (CPU or CUDA).
#include <cstddef>
#include <cstdint>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb/kernels/param_rounding.hpp"
#include "bnb/kernels/shard_fold.hpp"
#include "bnb/kernels/state_view.hpp"
#include "bnb/kernels/underflow_guard.hpp"

namespace bnb {

struct StepRequest {
  Algorithm algorithm = Algorithm::adam;
  DType dtype = DType::f32;       // parameter and gradient storage type
  std::size_t n = 0;
  void* param = nullptr;
  const void* grad = nullptr;
  StateView state;
  StepConstants constants{};
  float gnorm_scale = 1.0f;       // percentile clipping (SPEC.md §6.1), applied to every gradient
  float max_unorm = 0.0f;         // update-norm clipping, for the algorithms that clip
  kernels::UnderflowGuard underflow_guard = kernels::UnderflowGuard::off;  // 8-bit (underflow_guard.hpp)
  RoundingKey state_rounding_key{};  // drop_momentum_unstall: the step's random stream for the states
  std::size_t first_element = 0;     // the index of element 0 in the whole tensor (a shard's start)
  int threads = 1;
  // 16-bit parameters (param_rounding.hpp); fp32 parameters ignore them.
  ParamRounding rounding = ParamRounding::nearest;
  RoundingKey rounding_key{};     // stochastic: the step's random stream
  void* compensation = nullptr;   // compensated: n values of dtype, updated in place
  const ShardFold* shards = nullptr;  // set: this request is one shard of the tensor (shard_fold.hpp)
};

struct StepReport {
  float unorm = 0.0f;             // ||update|| when the step clips (SPEC.md §4.7/§4.8), else 0
  float pnorm = 0.0f;             // ||p|| before the step when the step clips, else 0
  float update_scale = 1.0f;      // s
  std::uint64_t nonfinite_grads = 0;
  // 8-bit state: per row, the new values that were non-zero but were encoded as a code that
  // decodes to 0 (underflow_guard.hpp; counted before the guard acts); 0 for other formats.
  std::uint64_t underflows[kMaxStateRows] = {};
};

/// The fixed reduction order every backend uses for sums of squares: per block of
/// kReductionBlock elements, element i adds into lane i mod kReductionLanes (fp32), the lanes
/// combine pairwise, and the block sums add up in block order in double. The result does not
/// depend on the thread count or the SIMD width.
inline constexpr std::size_t kReductionBlock = 256;
inline constexpr int kReductionLanes = 8;

}  // namespace bnb
