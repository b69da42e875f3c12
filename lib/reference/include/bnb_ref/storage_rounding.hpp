#pragma once
// Emulation of parameter storage (SPEC.md §3): a double result rounded the way the product
// stores it — to binary32 first (the product computes in fp32), then to the 16-bit type with
// round-to-nearest-even. Written independently of the product's converters (bnb/kernels/dtype.hpp):
// fp16 goes through the compiler's _Float16, bf16 through an explicit rounding of the binary32
// bit pattern.
#include "bnb_ref/hyper.hpp"

namespace bnb_ref {

/// x rounded to binary32 (round-to-nearest-even; NaN and Inf kept).
double round_to_f32(double x);
/// x rounded to binary32, then to binary16 (overflow to Inf, subnormals kept).
double round_to_f16(double x);
/// x rounded to binary32, then to bfloat16 (NaN stays NaN).
double round_to_bf16(double x);

/// The rounding for `kind` (f64: x unchanged).
double round_to_storage(double x, StorageKind kind);

}  // namespace bnb_ref
