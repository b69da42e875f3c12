#pragma once
// The CUDA kernels (kernels/cuda/step_kernels.cuh) on the CPU emulation of the CUDA execution
// model, compiled once (emulated_kernels.cpp, the bnb_test_emulation library) for every test that
// runs them: instantiating every algorithm x dtype x format costs about 15 s of compilation.
#include "bnb/kernels/cuda_step.hpp"

namespace bnb::kernels::cuda {

/// finalize_kernel's default stage; 4 makes the single-block finalizer take several rounds.
inline constexpr unsigned kDefaultFinalizeStage = 1024;

/// Launches pre-pass (when the request needs one), finalize and step of `r` with the packed
/// `args` on the emulation, in cuda_step's order. `finalize_stage`: kDefaultFinalizeStage or 4.
void run_emulated_kernels(const StepRequest& r, const KernelArgs& args, unsigned finalize_stage);

/// The finalizer alone on `chunks` partials of `args` (kDefaultFinalizeStage or 4).
void run_emulated_finalize(const KernelArgs& args, std::size_t chunks, unsigned finalize_stage);

/// The finalizer's parallel norm sums alone (one block): thread 0's sums, and whether the
/// finalizer takes them (both provably equal to the ordered sums) instead of the ordered chain.
bool emulated_parallel_sums_are_exact(const KernelArgs& args, std::size_t chunks, double& unorm_sq, double& pnorm_sq);

}  // namespace bnb::kernels::cuda
