#pragma once
// The 8-bit block codec of the CPU variants (kernels/cpu/simd_codec.hpp), chosen at run time
// like cpu_step. Every variant returns exactly what encode_value()/decode_value() return.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/quant_table.hpp"

namespace bnb::kernels {

/// Which exact nearest-code search a prepared encoder runs: the one-look-up bucket table, the
/// binary search for maps the table does not fit, or (AVX-512 variants, the two built-in maps)
/// the gather-free decade encoder, with the bucket table for the vectors it does not vouch for.
/// All give the same codes (encode_value()); only the speed differs.
enum class EncoderKind { search, buckets, decades };

std::string_view encoder_name(EncoderKind k);
std::optional<EncoderKind> parse_encoder(std::string_view name);

/// The encoder the AVX-512 variants prepare for the built-in maps (other variants and other maps
/// keep the bucket table or the search): the forced one (force_encoder), else the environment
/// variable BNB_CPU_ENCODER=buckets|decades, else automatic_encoder(). Throws
/// std::invalid_argument for any other value of BNB_CPU_ENCODER.
EncoderKind preferred_encoder();
/// By CPU kind: decades where a 512-bit gather is slow (AMD: microcoded on every Zen with
/// AVX-512, ~7 ns on Zen 4), buckets elsewhere (Intel, where the gather won, round 5).
EncoderKind automatic_encoder();
/// buckets or decades, or nullopt for the automatic choice; throws std::invalid_argument for
/// search (a property of the map, not a choice).
void force_encoder(std::optional<EncoderKind> k);

/// An 8-bit codec prepared for one table with one CPU variant. Preparing builds (or finds in a
/// per-thread cache) the encoder's tables, so a caller that codes many blocks prepares once;
/// the object is immutable and may be shared by threads. It keeps its own copy of the table.
class PreparedCodec {
 public:
  virtual ~PreparedCodec() = default;
  /// Codes of x / scale; a zero scale stores the zero code everywhere (SPEC.md §5.3 step 6).
  virtual void encode(const float* x, std::size_t len, float scale, std::uint8_t* out) const = 0;
  /// encode() where scale is the run's absmax: |x[i]| <= scale for every x[i] that is not NaN
  /// (the step codes its blocks this way). Same codes; the precondition lets the decade encoder
  /// skip a clamp.
  virtual void encode_by_absmax(const float* x, std::size_t len, float scale, std::uint8_t* out) const = 0;
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
