#pragma once
// The 8-bit block codec of the CPU variants (kernels/cpu/simd_codec.hpp), chosen at run time
// like cpu_step. Every variant returns exactly what encode_value()/decode_value() return.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/quant_table.hpp"

namespace bnb::kernels {

/// Which exact nearest-code search a prepared encoder runs: the one-look-up bucket table, or the
/// binary search for maps the table does not fit.
enum class EncoderKind { search, buckets };

/// An 8-bit codec prepared for one table with one CPU variant. Preparing builds (or finds in a
/// per-thread cache) the encoder's tables, so a caller that codes many blocks prepares once;
/// the object is immutable and may be shared by threads. It keeps its own copy of the table.
class PreparedCodec {
 public:
  virtual ~PreparedCodec() = default;
  /// Codes of x / scale; a zero scale stores the zero code everywhere (SPEC.md §5.3 step 6).
  virtual void encode(const float* x, std::size_t len, float scale, std::uint8_t* out) const = 0;
  /// values[code] * scale.
  virtual void decode(const std::uint8_t* codes, std::size_t len, float scale, float* out) const = 0;
  /// max |x| with NaNs skipped: exactly abs_max() of block_codec.hpp, vectorized (the block's
  /// scale, SPEC.md §5.3 step 4).
  virtual float abs_max(const float* x, std::size_t len) const = 0;
  virtual EncoderKind encoder_kind() const = 0;
};

/// A codec for t with the active CPU variant (or the given one).
std::unique_ptr<const PreparedCodec> prepare_cpu_codec(const QuantTable& t);
std::unique_ptr<const PreparedCodec> prepare_cpu_codec(CpuVariant v, const QuantTable& t);

#define BNB_DECLARE_CODEC_VARIANT(ns) \
  namespace ns {                      \
  std::unique_ptr<const PreparedCodec> prepare_codec(const QuantTable& t); \
  }
BNB_DECLARE_CODEC_VARIANT(scalar)
BNB_DECLARE_CODEC_VARIANT(avx2)
BNB_DECLARE_CODEC_VARIANT(avx512)
BNB_DECLARE_CODEC_VARIANT(avx512vbmi)
#undef BNB_DECLARE_CODEC_VARIANT

}  // namespace bnb::kernels
