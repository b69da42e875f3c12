// The pre-pass finalizer: one thread block turns the per-chunk partials into the step's scalars,
// in exactly the order of cpu_detail::pre_pass and tensor_step (chunk sums added in chunk order in
// double, then sqrt, rounded to float, then clip_scale), so that the update scale, the reported
// norms and the tensor-wise maxima equal the CPU's bit for bit.
#include <cmath>

#include "step_kernels.cuh"

namespace bnb::kernels::cuda {
namespace device {
namespace {

/// Partials staged in shared memory per round so that thread 0's ordered sum reads fast memory.
constexpr unsigned kStage = 1024;

__global__ void __launch_bounds__(kThreadsPerBlock) finalize_kernel(const KernelArgs a, std::size_t chunks) {
  __shared__ float unorm_stage[kStage];
  __shared__ float pnorm_stage[kStage];
  __shared__ float scratch[kMaxWarps + 1];

  double unorm_sq = 0.0, pnorm_sq = 0.0;  // meaningful in thread 0
  if (a.clips) {
    for (std::size_t base = 0; base < chunks; base += kStage) {
      const std::size_t left = chunks - base;
      const unsigned count = left < kStage ? static_cast<unsigned>(left) : kStage;
      for (unsigned j = threadIdx.x; j < count; j += blockDim.x) {
        unorm_stage[j] = a.unorm_part[base + j];
        pnorm_stage[j] = a.pnorm_part[base + j];
      }
      __syncthreads();
      if (threadIdx.x == 0) {
        for (unsigned j = 0; j < count; ++j) {
          unorm_sq += static_cast<double>(unorm_stage[j]);
          pnorm_sq += static_cast<double>(pnorm_stage[j]);
        }
      }
      __syncthreads();
    }
  }

  float new_max[kMaxStateRows] = {};
  if (a.format == StateFormat::tensorwise8) {
    const std::size_t rows = static_cast<std::size_t>(a.rows);
    for (int k = 0; k < a.rows; ++k) {
      float m = 0.0f;  // chunk maxima are never NaN, so the combination order does not matter
      for (std::size_t c = threadIdx.x; c < chunks; c += blockDim.x) m = keep_max(m, a.max_part[c * rows + static_cast<std::size_t>(k)]);
      new_max[k] = block_max(m, scratch);
    }
  }

  if (threadIdx.x == 0) {
    StepScalars s;
    if (a.clips) {
      s.unorm = static_cast<float>(sqrt(unorm_sq));
      s.pnorm = static_cast<float>(sqrt(pnorm_sq));
      s.update_scale = clip_scale(a.algorithm, s.unorm, s.pnorm, a.max_unorm, a.constants.eps);
    }
    if (a.format == StateFormat::tensorwise8) {
      for (int k = 0; k < a.rows; ++k) {
        s.old_max[k] = a.absmax[k][0];  // the step kernel decodes with it
        s.new_max[k] = new_max[k];
        a.absmax[k][0] = new_max[k];
      }
    }
    *a.scalars = s;
  }
}

}  // namespace
}  // namespace device

void launch_finalize(const KernelArgs& args, std::size_t chunks, cudaStream_t stream) {
  device::finalize_kernel<<<1, kThreadsPerBlock, 0, stream>>>(args, chunks);
}

}  // namespace bnb::kernels::cuda
