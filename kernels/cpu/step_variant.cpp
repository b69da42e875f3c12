// The CPU step for one instruction set. This file is compiled once per variant (scalar, avx2,
// avx512, avx512vbmi) with BNB_CPU_VARIANT naming the namespace and the variant's -m flags; cpu_dispatch.cpp
// picks one at run time. All variants compute bit-identical results (no FMA contraction, IEEE
// sqrt and division everywhere). The steps of fp16 and bf16 tensors are compiled next to it
// (sixteen_bit_step_variant.cpp), the drop_momentum_unstall ones too (unstall_variant.cpp).
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/simd/cpu_codec.hpp"
#include "tensor_step.hpp"

#ifndef BNB_CPU_VARIANT
#error "BNB_CPU_VARIANT must name the variant namespace"
#endif

namespace bnb::kernels::BNB_CPU_VARIANT {
namespace {

using StepFn = void (*)(const StepRequest&, StepReport&);

using FormatTable = std::array<StepFn, kStateFormatCount>;

template <class A, std::size_t... F>
constexpr FormatTable by_format(std::index_sequence<F...>) {
  return {&cpu_detail::table_step<A, float, static_cast<StateFormat>(F)>...};
}

template <std::size_t... I>
constexpr auto make_table(std::index_sequence<I...>) {
  constexpr auto formats = std::make_index_sequence<kStateFormatCount>{};
  return std::array<FormatTable, sizeof...(I)>{by_format<AlgorithmAt<static_cast<int>(I)>>(formats)...};
}

// fp32 tensors' steps, indexed [Algorithm][StateFormat], from the lists of algorithms/all.hpp and
// state_format.hpp (all.hpp checks that the type list follows the enum).
constexpr auto kStepTable = make_table(std::make_index_sequence<kAlgorithmCount>{});

}  // namespace

void step(const StepRequest& r, StepReport& report) {
  if (r.dtype != DType::f32) return cpu_detail::sixteen_bit_step(r, report);
  kStepTable[static_cast<int>(r.algorithm)][static_cast<int>(r.state.format)](r, report);
}

double sum_squares(DType dtype, const void* data, std::size_t n, int threads, const ShardFold* shards) {
  switch (dtype) {
    case DType::f32: return cpu_detail::sum_squares<float>(data, n, threads, shards);
    case DType::f16: return cpu_detail::sum_squares<half_t>(data, n, threads, shards);
    case DType::bf16: return cpu_detail::sum_squares<bf16_t>(data, n, threads, shards);
  }
  return 0;
}

namespace {

/// PreparedCodec for this variant: the table copied, then the encoder and decoder built on it.
class VariantCodec final : public PreparedCodec {
 public:
  explicit VariantCodec(const QuantTable& t) : table_(t), encoder_(table_), decoder_(table_) {}

  void encode(const float* x, std::size_t len, float scale, std::uint8_t* out) const override {
    cpu_detail::encode_run(encoder_, table_, x, len, scale, out);
  }
  void encode_by_absmax(const float* x, std::size_t len, float scale, std::uint8_t* out) const override {
    cpu_detail::encode_run<true>(encoder_, table_, x, len, scale, out);
  }
  void decode(const std::uint8_t* codes, std::size_t len, float scale, float* out) const override {
    decoder_.decode(codes, len, scale, out);
  }
  float abs_max(const float* x, std::size_t len) const override { return cpu_detail::block_abs_max(x, len); }
  EncoderKind encoder_kind() const override { return encoder_.kind(); }

 private:
  QuantTable table_;
  cpu_detail::Encoder encoder_;
  cpu_detail::Decoder decoder_;
};

}  // namespace

std::unique_ptr<const PreparedCodec> prepare_codec(const QuantTable& t) { return std::make_unique<VariantCodec>(t); }

}  // namespace bnb::kernels::BNB_CPU_VARIANT
