#pragma once
// Prefetch of managed memory to the current device (SPEC.md §7), shared by ManagedBuffer and
// cuda_step's automatic prefetch of managed state buffers.
#include <cuda_runtime.h>

#include <cstddef>

namespace bnb::kernels::cuda {

/// Prefetches [data, data+bytes) to the current device on `stream` when the device reports
/// concurrent managed access; returns whether it did.
bool prefetch_managed(const void* data, std::size_t bytes, cudaStream_t stream);

}  // namespace bnb::kernels::cuda
