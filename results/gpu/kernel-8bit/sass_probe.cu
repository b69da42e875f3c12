// The step kernels results/gpu/kernel-8bit.md counts (sass_counts.sh compiles this against a source
// tree): the 8-bit block-wise kernels of a one-, two- and three-row algorithm, the tensor-wise and
// the 32-bit Adam kernel, fp32 parameters.
#include "step_kernels.cuh"
namespace d = bnb::kernels::cuda::device;
using namespace bnb;
using namespace bnb::kernels;
template __global__ void d::step_kernel<Adam, float, StateFormat::blockwise8>(const cuda::KernelArgs);
template __global__ void d::step_kernel<Lion, float, StateFormat::blockwise8>(const cuda::KernelArgs);
template __global__ void d::step_kernel<AdEMAMix, float, StateFormat::blockwise8>(const cuda::KernelArgs);
template __global__ void d::step_kernel<Adam, float, StateFormat::fp32>(const cuda::KernelArgs);
template __global__ void d::step_kernel<Adam, float, StateFormat::tensorwise8>(const cuda::KernelArgs);
