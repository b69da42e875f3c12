#include "emulated_kernels.hpp"

#include <stdexcept>

// The kernels themselves, compiled for the CPU emulation of the CUDA execution model (which
// defines CUDA's keywords as macros: this translation unit only).
#include "../../kernels/cuda/emulation/cuda_emulation.hpp"
#include "../../kernels/cuda/step_kernels.cuh"

namespace bnb::kernels::cuda {
namespace {

template <unsigned kStage>
void launch_all(const StepRequest& r, const KernelArgs& args) {
  namespace em = emulation;
  const int rows = state_rows(r.algorithm);
  const std::size_t chunks = block_count(r.n, kReductionBlock);
  em::Scheduler& s = em::Scheduler::instance();
  with_algorithm(r.algorithm, [&]<class A>() {
    auto run = [&]<class T, StateFormat F>() {
      if constexpr (!device::kHasKernels<A, F>) {
        throw std::invalid_argument("no CUDA kernels for this combination: cuda_step refuses it");
      } else {
        if (needs_prepass(r)) {
          const LaunchGeometry g = prepass_geometry(r.n);
          if (g.grid > 0) s.launch(static_cast<unsigned>(g.grid), g.threads, 0, [&] { device::prepass_kernel<A, T, F>(args); });
          s.launch(1, kThreadsPerBlock, 0, [&] { device::finalize_kernel<kStage>(args, chunks); });
        }
        const LaunchGeometry g = step_geometry(F, rows, r.n, r.state.block_size);
        if (g.grid > 0) {
          s.launch(static_cast<unsigned>(g.grid), g.threads, g.shared_bytes, [&] { device::step_kernel<A, T, F>(args); });
        }
      }
    };
    auto by_format = [&]<class T>() {
      switch (r.state.format) {
        case StateFormat::fp32: return run.template operator()<T, StateFormat::fp32>();
        case StateFormat::blockwise8: return run.template operator()<T, StateFormat::blockwise8>();
        case StateFormat::tensorwise8: return run.template operator()<T, StateFormat::tensorwise8>();
        case StateFormat::blockwise_fp8: return run.template operator()<T, StateFormat::blockwise_fp8>();
        case StateFormat::blockwise4: return run.template operator()<T, StateFormat::blockwise4>();
      }
    };
    switch (r.dtype) {
      case DType::f32: return by_format.template operator()<float>();
      case DType::f16: return by_format.template operator()<half_t>();
      case DType::bf16: return by_format.template operator()<bf16_t>();
    }
  });
}

}  // namespace

void run_emulated_kernels(const StepRequest& r, const KernelArgs& args, unsigned finalize_stage) {
  switch (finalize_stage) {
    case kDefaultFinalizeStage: return launch_all<kDefaultFinalizeStage>(r, args);
    case 4: return launch_all<4>(r, args);
    default: throw std::invalid_argument("run_emulated_kernels: finalize stage 1024 or 4");
  }
}

void run_emulated_finalize(const KernelArgs& args, std::size_t chunks, unsigned finalize_stage) {
  emulation::Scheduler& s = emulation::Scheduler::instance();
  switch (finalize_stage) {
    case kDefaultFinalizeStage:
      return s.launch(1, kThreadsPerBlock, 0, [&] { device::finalize_kernel<kDefaultFinalizeStage>(args, chunks); });
    case 4: return s.launch(1, kThreadsPerBlock, 0, [&] { device::finalize_kernel<4>(args, chunks); });
    default: throw std::invalid_argument("run_emulated_finalize: finalize stage 1024 or 4");
  }
}

bool emulated_parallel_sums_are_exact(const KernelArgs& args, std::size_t chunks, double& unorm_sq, double& pnorm_sq) {
  bool exact = false;
  emulation::Scheduler::instance().launch(1, kThreadsPerBlock, 0, [&] {
    double u = 0.0, q = 0.0;
    bool e = false;
    device::parallel_norm_sums(args, chunks, u, q, e);
    if (threadIdx.x == 0) {
      unorm_sq = u;
      pnorm_sq = q;
      exact = e;
    }
  });
  return exact;
}

}  // namespace bnb::kernels::cuda
