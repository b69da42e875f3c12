#pragma once
// The one list of state formats (how an optimizer state row is stored, SPEC.md §5) and their
// codecs. A codec is a type that says how a row is stored (element bits, scales, whether a
// quantization map is used), where the scale of an element lives, how a run of elements decodes,
// and what a row costs in bytes. The CPU and CUDA steps, the state manager, checkpoints, memory
// accounting and the CLI see formats only through these traits (format_codec(), with_codec<>,
// StateCodec<F>). Adding a format = one line in the list + its codec type (docs/extending.md).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "bnb/kernels/hd.hpp"

//   X(id, Codec): `id` is the format's name (enum member, checkpoints, reports), `Codec` its type.
#define BNB_STATE_FORMATS(X)   \
  X(fp32, Fp32Codec)           \
  X(blockwise8, Blockwise8Codec) \
  X(tensorwise8, Tensorwise8Codec) \
  X(blockwise4, Blockwise4Codec) \
  X(blockwise_fp8, BlockwiseFp8Codec)

namespace bnb {

#define BNB_STATE_FORMAT_ENUM(id, codec) id,
enum class StateFormat : std::uint8_t { BNB_STATE_FORMATS(BNB_STATE_FORMAT_ENUM) };
#undef BNB_STATE_FORMAT_ENUM

#define BNB_STATE_FORMAT_ONE(id, codec) +1
inline constexpr int kStateFormatCount = 0 BNB_STATE_FORMATS(BNB_STATE_FORMAT_ONE);
#undef BNB_STATE_FORMAT_ONE

inline constexpr std::size_t kDefaultBlockSize = 256;

/// Number of blocks of `block` elements covering n elements (the last one may be a tail).
constexpr std::size_t block_count(std::size_t n, std::size_t block) { return (n + block - 1) / block; }

/// Where the scales of a row live: none (values stored as they are), one per block of
/// block_size elements, or one for the whole row.
enum class ScaleKind : std::uint8_t { none, per_block, per_tensor };

/// What a quantized element's code is: an index into a quantization map (SPEC.md §5.2; the map
/// is part of the state and of checkpoints), or an e4m3 floating-point number (docs/fp8.md; the
/// format fixes the values, no map is stored).
enum class CodeKind : std::uint8_t { map_index, e4m3 };

/// The shared arithmetic of every codec, from its element width, scale kind and, for a codec
/// whose blocks do not follow the configured block size, its own fixed block (0 = configured).
template <int kBits, ScaleKind kScaleKind, std::size_t kOwnBlock = 0, CodeKind kCodeKind = CodeKind::map_index,
          int kScaleWidth = 32>
struct CodecBase {
  static constexpr int kElementBits = kBits;
  /// Bits of one stored scale: 32 (fp32) or 16 (bf16, two per fp32 slot of the scale array,
  /// bnb/kernels/scale16.hpp).
  static constexpr int kScaleBits = kScaleWidth;
  static constexpr CodeKind kCodes = kCodeKind;
  static constexpr ScaleKind kScale = kScaleKind;
  static constexpr std::size_t kFixedBlock = kOwnBlock;
  /// Codes through a quantization map (SPEC.md §5.2) rather than values stored as they are.
  static constexpr bool kQuantized = kScaleKind != ScaleKind::none;

  /// Bytes of one row of n elements (scales aside); packed codes round up to whole bytes.
  static constexpr std::size_t row_bytes(std::size_t n) { return (n * kBits + 7) / 8; }
  /// The block size the codec uses when `configured` is the configured one.
  BNB_HD static constexpr std::size_t block_of(std::size_t configured) { return kOwnBlock != 0 ? kOwnBlock : configured; }
  /// Scales of one row of n elements.
  static constexpr std::size_t scale_count(std::size_t n, std::size_t block_size) {
    if constexpr (kScaleKind == ScaleKind::per_block) return block_count(n, block_of(block_size));
    return kScaleKind == ScaleKind::per_tensor ? 1 : 0;
  }
  /// fp32 slots of the scale array that holds them (16-bit scales: two per slot).
  static constexpr std::size_t scale_slots(std::size_t n, std::size_t block_size) {
    return (scale_count(n, block_size) * kScaleWidth + 31) / 32;
  }
  /// Elements sharing one scale (a run decodes and encodes with one scale).
  static constexpr std::size_t elements_per_scale(std::size_t n, std::size_t block_size) {
    if constexpr (kScaleKind == ScaleKind::per_block) return block_of(block_size);
    return std::max<std::size_t>(n, 1);
  }
  /// The index of element e's scale.
  BNB_HD static std::size_t scale_index(std::size_t e, std::size_t block_size) {
    if constexpr (kScaleKind == ScaleKind::per_block) return e / block_of(block_size);
    return 0;
  }
};

/// One fp32 value per element and row, stepped in place.
struct Fp32Codec : CodecBase<32, ScaleKind::none> {
  static constexpr StateFormat kId = StateFormat::fp32;
  static constexpr std::string_view kTitle = "32-bit";
  static constexpr std::string_view kScaleName = "";
};

/// uint8 codes + one fp32 absmax per block of block_size elements and row.
struct Blockwise8Codec : CodecBase<8, ScaleKind::per_block> {
  static constexpr StateFormat kId = StateFormat::blockwise8;
  static constexpr std::string_view kTitle = "8-bit block-wise";
  static constexpr std::string_view kScaleName = "absmax";
};

/// uint8 codes + one fp32 max per row (block_wise = false).
struct Tensorwise8Codec : CodecBase<8, ScaleKind::per_tensor> {
  static constexpr StateFormat kId = StateFormat::tensorwise8;
  static constexpr std::string_view kTitle = "8-bit tensor-wise";
  static constexpr std::string_view kScaleName = "max";
};

/// Two 4-bit codes per byte (element 2i in the low nibble, 2i+1 in the high one) + one bf16
/// absmax (rounded up) per 64 elements, whatever the configured block size (docs/four_bit.md).
struct Blockwise4Codec : CodecBase<4, ScaleKind::per_block, 64, CodeKind::map_index, 16> {
  static constexpr StateFormat kId = StateFormat::blockwise4;
  static constexpr std::string_view kTitle = "4-bit block-wise";
  static constexpr std::string_view kScaleName = "absmax";
};

/// One e4m3 code per element (sign, 4 exponent bits, 3 mantissa bits) + one fp32 scale
/// (absmax / 448) per 256 elements, whatever the configured block size (docs/fp8.md).
struct BlockwiseFp8Codec : CodecBase<8, ScaleKind::per_block, 256, CodeKind::e4m3> {
  static constexpr StateFormat kId = StateFormat::blockwise_fp8;
  static constexpr std::string_view kTitle = "fp8 (e4m3) block-wise";
  static constexpr std::string_view kScaleName = "scale";
};

template <StateFormat F>
struct CodecOf;
#define BNB_STATE_FORMAT_CODEC(id, codec)                                       \
  template <>                                                                  \
  struct CodecOf<StateFormat::id> {                                            \
    using type = codec;                                                        \
    static_assert(codec::kId == StateFormat::id, #codec ": kId is its own line"); \
  };
BNB_STATE_FORMATS(BNB_STATE_FORMAT_CODEC)
#undef BNB_STATE_FORMAT_CODEC

/// The codec type of a compile-time format.
template <StateFormat F>
using StateCodec = typename CodecOf<F>::type;

/// Calls f.template operator()<Codec>() for the run-time format.
template <class F>
decltype(auto) with_codec(StateFormat format, F&& f) {
  switch (format) {
#define BNB_STATE_FORMAT_CASE(id, codec) \
  case StateFormat::id: return f.template operator()<codec>();
    BNB_STATE_FORMATS(BNB_STATE_FORMAT_CASE)
#undef BNB_STATE_FORMAT_CASE
  }
  return f.template operator()<Fp32Codec>();
}

/// A codec's traits as run-time values.
struct FormatCodec {
  std::string_view name;        // "fp32", "blockwise8", ...: checkpoints and reports
  std::string_view title;       // "32-bit", "8-bit block-wise", ...: messages
  std::string_view scale_name;  // checkpoint tensor and memory buffer of the scales; "" = none
  int element_bits = 32;
  ScaleKind scale = ScaleKind::none;
  bool quantized = false;
  std::size_t fixed_block = 0;  // the codec's own block size; 0 = the configured one
  CodeKind codes = CodeKind::map_index;
  int scale_bits = 32;  // 32: fp32 scales; 16: bf16 scales, two per fp32 slot

  constexpr std::size_t row_bytes(std::size_t n) const { return (n * static_cast<std::size_t>(element_bits) + 7) / 8; }
  /// Entries of the quantization map (2^element_bits) of a quantized codec; 0 when the codes
  /// are numbers (e4m3) and the state has no map.
  constexpr std::size_t map_size() const {
    return quantized && codes == CodeKind::map_index ? std::size_t{1} << element_bits : 0;
  }
  constexpr std::size_t block_of(std::size_t configured) const { return fixed_block != 0 ? fixed_block : configured; }
  constexpr std::size_t scale_count(std::size_t n, std::size_t block_size) const {
    return scale == ScaleKind::per_block ? block_count(n, block_of(block_size)) : scale == ScaleKind::per_tensor ? 1 : 0;
  }
  constexpr std::size_t scale_slots(std::size_t n, std::size_t block_size) const {
    return (scale_count(n, block_size) * static_cast<std::size_t>(scale_bits) + 31) / 32;
  }
  constexpr std::size_t elements_per_scale(std::size_t n, std::size_t block_size) const {
    return scale == ScaleKind::per_block ? block_of(block_size) : std::max<std::size_t>(n, 1);
  }
};

inline constexpr std::array<FormatCodec, kStateFormatCount> kFormatCodecs{{
#define BNB_STATE_FORMAT_ROW(id, codec) \
  {#id, codec::kTitle, codec::kScaleName, codec::kElementBits, codec::kScale, codec::kQuantized, codec::kFixedBlock, \
   codec::kCodes, codec::kScaleBits},
    BNB_STATE_FORMATS(BNB_STATE_FORMAT_ROW)
#undef BNB_STATE_FORMAT_ROW
}};

constexpr const FormatCodec& format_codec(StateFormat f) { return kFormatCodecs[static_cast<std::size_t>(f)]; }

constexpr std::string_view state_format_name(StateFormat f) { return format_codec(f).name; }

/// The format called `name` (exact), nullopt when there is none.
constexpr std::optional<StateFormat> parse_state_format(std::string_view name) {
  for (int i = 0; i < kStateFormatCount; ++i) {
    if (kFormatCodecs[static_cast<std::size_t>(i)].name == name) return static_cast<StateFormat>(i);
  }
  return std::nullopt;
}

/// The format of a state with `bits` per element, one scale per block or per tensor and codes of
/// `codes`' kind: the codec whose traits match, nullopt when no codec has them.
constexpr std::optional<StateFormat> find_state_format(int bits, ScaleKind scale,
                                                       CodeKind codes = CodeKind::map_index) {
  for (int i = 0; i < kStateFormatCount; ++i) {
    const FormatCodec& c = kFormatCodecs[static_cast<std::size_t>(i)];
    if (c.element_bits == bits && c.scale == scale && c.codes == codes) return static_cast<StateFormat>(i);
  }
  return std::nullopt;
}

}  // namespace bnb
