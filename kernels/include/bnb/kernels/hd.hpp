#pragma once
// BNB_HD marks functions that compile for both host and device: the per-element math and the
// state codec are written once and shared by the CPU and CUDA drivers (DESIGN.md §2).
#if defined(__CUDACC__)
#define BNB_HD __host__ __device__ __forceinline__
#else
#define BNB_HD inline
#endif
