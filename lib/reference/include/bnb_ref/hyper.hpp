#pragma once
// The independent fp64 reference of SPEC.md §4 (issue 3): vocabulary shared by its parts.
//
// The reference is written straight from SPEC.md in plain double-precision loops and shares no
// code with the optimized path (nothing from kernels/ or lib/include/bnb): when both agree, the
// agreement means something. It serves the tests and the tool's error measurement.
#include <cstdint>

namespace bnb_ref {

/// The update rules of SPEC.md §4, plus the plain PytorchLARS form (§4.8 last paragraph).
enum class Algo : std::uint8_t { adam, ademamix, momentum, rmsprop, adagrad, lion, lamb, lars, pytorch_lars };

/// How the parameter is stored (SPEC.md §3: "rounded to T after every assignment").
///   f64  : no rounding at all, the ideal double-precision trajectory (use it for fp32 runs:
///          it measures the fp32 path against exact math);
///   f32  : rounded to binary32 after every assignment;
///   f16  : rounded to binary16 via binary32 (the product computes in fp32, then stores);
///   bf16 : rounded to bfloat16 via binary32.
enum class StorageKind : std::uint8_t { f64, f32, f16, bf16 };

/// Hyper-parameters after the beta mapping of SPEC.md §2 (the same meaning the kernels give
/// them): adam/lamb beta1=β1, beta2=β2; ademamix beta1=β1, beta2=β2, beta3=β3, alpha=α;
/// momentum/lars/pytorch_lars beta1=momentum; rmsprop beta1=alpha; lion beta1=β1 (sign
/// interpolation), beta2=β2 (momentum EMA); adagrad uses no beta.
struct RefHyper {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double beta3 = 0.9999;
  double alpha = 5.0;
  double t_alpha = 0;               // ademamix scheduler horizon; 0 = no scheduler
  double t_beta3 = 0;
  double eps = 1e-8;
  double weight_decay = 0;
  double max_unorm = 0;             // update-norm clip (lamb, lars, rmsprop, pytorch_lars); 0 = off
  bool skip_zeros = false;          // SPEC.md §4.9
  double percentile_clipping = 100; // SPEC.md §6.1; active when < 100
  bool nesterov = false;            // pytorch_lars only
  double dampening = 0;             // pytorch_lars only
};

/// State rows per element, in the kernels' order: adam/lamb (m, v), ademamix (m1, m2, nu),
/// every one-state algorithm one row (pytorch_lars: its momentum buffer).
int state_rows(Algo a);

/// "adam", "ademamix", ..., "pytorch_lars".
const char* algo_name(Algo a);

}  // namespace bnb_ref
