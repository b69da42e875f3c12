// The lists of algorithms (kernels/algorithms/all.hpp) and state formats (kernels/state_format.hpp)
// against what every entry must come with (docs/extending.md): an algorithm its fp64 reference
// and a catalogue row, a state format a codec whose traits are consistent and whose round trip
// is bounded here. Registering an entry without them fails these tests.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bnb/catalogue.hpp"
#include "bnb/param_state.hpp"
#include "bnb/quantize.hpp"
#include "bnb/state_rules.hpp"
#include "bnb_ref/from_product.hpp"
#include "bnb_ref/hyper.hpp"

namespace {

using bnb::Algorithm;
using bnb::StateFormat;

TEST(AlgorithmList, EveryAlgorithmHasItsReference) {
  for (Algorithm a : bnb::kAllAlgorithms) {
    SCOPED_TRACE(std::string(bnb::algorithm_name(a)));
    const bnb_ref::Algo ref = bnb_ref::ref_algo(a);
    EXPECT_EQ(std::string_view(bnb_ref::algo_name(ref)), bnb::algorithm_name(a))
        << "lib/reference has no update rule of this name (bridge/bnb_ref/from_product.hpp)";
    EXPECT_EQ(bnb_ref::state_rows(ref), bnb::kernels::state_rows(a));
  }
}

TEST(AlgorithmList, EveryAlgorithmHasACatalogueRow) {
  for (Algorithm a : bnb::kAllAlgorithms) {
    int names = 0;
    for (const bnb::OptimizerInfo& info : bnb::catalogue()) {
      if (info.algorithm != a || info.reference_form) continue;
      ++names;
      EXPECT_NE(info.map_hyper, nullptr) << info.name << ": no hyper-parameter mapping";
    }
    EXPECT_GT(names, 0) << bnb::algorithm_name(a) << " has no catalogue row (lib/src/catalogue_table.cpp)";
  }
}

TEST(AlgorithmList, EveryRowBelongsToASpecState) {
  for (Algorithm a : bnb::kAllAlgorithms) {
    SCOPED_TRACE(std::string(bnb::algorithm_name(a)));
    const int rows = bnb::kernels::state_rows(a);
    ASSERT_GE(rows, 1);
    EXPECT_EQ(bnb::kernels::state_of_row(a, 0), 1);  // state1 always exists
    for (int r = 1; r < rows; ++r) {
      const int s = bnb::kernels::state_of_row(a, r);
      EXPECT_TRUE(s == bnb::kernels::state_of_row(a, r - 1) || s == bnb::kernels::state_of_row(a, r - 1) + 1)
          << "rows of one SPEC.md §9 state are adjacent, states in order";
      EXPECT_LE(s, 2);
    }
    EXPECT_EQ(bnb::parse_algorithm(bnb::algorithm_name(a)), a);
  }
}

/// Round-trip bounds per codec: mean |x' - x| and mean |x' - x| / |x| of uniform [0, 1) data
/// through the unsigned and the signed map. SPEC.md §10's block-wise bounds for that data
/// (signed abs < 0.0036, rel < 0.015; unsigned abs < 0.0023, rel < 0.012) hold for one scale
/// per tensor too: the scale of [0, 1) data is the same ~1 per block and per tensor. fp32 is
/// stored as it is.
struct CodecBound {
  std::string_view name;
  double signed_abs, signed_rel, unsigned_abs, unsigned_rel;
};
constexpr CodecBound kCodecBounds[] = {
    {"fp32", 0, 0, 0, 0},
    {"blockwise8", 0.0036, 0.015, 0.0023, 0.012},
    {"tensorwise8", 0.0036, 0.015, 0.0023, 0.012},
    // 4-bit (docs/four_bit.md), measured 0.0357 / 0.132 (normal4) and 0.0163 / 1.057 (linear4),
    // bounds ~10% above: linear4 has no zero, so values far below their block's absmax round up
    // to absmax/16 (relative error up to ~60 for the smallest), which dominates its mean.
    {"blockwise4", 0.040, 0.15, 0.018, 1.2},
    // fp8 (docs/fp8.md): e4m3 keeps 3 mantissa bits in every binade, a relative error of at most
    // 2^-4 per element; on this data measured 0.01096 abs, 0.02233 rel (both maps: the rows differ
    // only below the smallest subnormal), bounds ~10% above. Coarser than 8-bit near the block's
    // maximum, finer far below it.
    {"blockwise_fp8", 0.012, 0.025, 0.012, 0.025},
};

const CodecBound* bound_of(std::string_view name) {
  for (const CodecBound& b : kCodecBounds) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

/// One row of n elements in `format` through the state manager's encode (assign) and decode.
std::vector<float> round_trip(StateFormat format, bnb::QuantMap map, const std::vector<float>& x) {
  const bnb::FormatCodec& codec = bnb::format_codec(format);
  bnb::ParamState st;
  st.format = format;
  st.rows = 1;
  st.numel = x.size();
  st.block_size = bnb::kDefaultBlockSize;
  st.row[0] = bnb::StateBuffer::heap(codec.row_bytes(x.size()));
  if (codec.quantized) {
    st.table[0] = bnb::quant_table(bnb::state_map(format, map == bnb::QuantMap::signed_dynamic));
    st.absmax[0].assign(codec.scale_slots(x.size(), st.block_size), 0.0f);
  }
  st.initialized = true;
  st.assign(0, x.data());
  return st.dequantized(0);
}

TEST(StateFormatList, EveryCodecRoundTripsWithinItsBound) {
  constexpr std::size_t kN = 65536 + 77;  // a tail block
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(kN);
  for (float& v : x) v = dist(rng);
  for (int i = 0; i < bnb::kStateFormatCount; ++i) {
    const auto format = static_cast<StateFormat>(i);
    const std::string_view name = bnb::state_format_name(format);
    SCOPED_TRACE(std::string(name));
    const CodecBound* bound = bound_of(name);
    if (bound == nullptr) {
      ADD_FAILURE() << "state format '" << name << "' has no codec tests: add its round-trip bound to "
                    << "kCodecBounds and its cases to the step tests (docs/extending.md)";
      continue;
    }
    for (const bnb::QuantMap map : {bnb::QuantMap::signed_dynamic, bnb::QuantMap::unsigned_dynamic}) {
      const std::vector<float> y = round_trip(format, map, x);
      ASSERT_EQ(y.size(), kN);
      double abs_sum = 0, rel_sum = 0;
      for (std::size_t k = 0; k < kN; ++k) {
        const double err = std::fabs(static_cast<double>(y[k]) - static_cast<double>(x[k]));
        abs_sum += err;
        if (x[k] != 0.0f) rel_sum += err / static_cast<double>(x[k]);
      }
      const bool is_signed = map == bnb::QuantMap::signed_dynamic;
      EXPECT_LE(abs_sum / kN, is_signed ? bound->signed_abs : bound->unsigned_abs);
      EXPECT_LE(rel_sum / kN, is_signed ? bound->signed_rel : bound->unsigned_rel);
    }
  }
}

TEST(StateFormatList, EveryCodecsTraitsAreConsistent) {
  for (int i = 0; i < bnb::kStateFormatCount; ++i) {
    const auto format = static_cast<StateFormat>(i);
    const bnb::FormatCodec& c = bnb::format_codec(format);
    SCOPED_TRACE(std::string(c.name));
    EXPECT_EQ(bnb::parse_state_format(c.name), format);
    EXPECT_EQ(bnb::find_state_format(c.element_bits, c.scale, c.codes), format) << "two codecs with the same traits";
    EXPECT_FALSE(c.title.empty());
    EXPECT_EQ(c.quantized, c.scale != bnb::ScaleKind::none);
    EXPECT_EQ(c.scale_name.empty(), !c.quantized) << "the checkpoint names quantized rows' scales";
    for (std::size_t n : {std::size_t{1}, std::size_t{255}, std::size_t{4096 + 3}}) {
      EXPECT_EQ(c.row_bytes(n), (n * static_cast<std::size_t>(c.element_bits) + 7) / 8) << "whole bytes";
      if (!c.quantized) continue;
      EXPECT_GE(c.scale_count(n, 256) * c.elements_per_scale(n, 256), n) << "every element has a scale";
      EXPECT_EQ(c.map_size(), c.codes == bnb::CodeKind::e4m3 ? 0 : std::size_t{1} << c.element_bits)
          << "a map of 2^bits codes is stored, e4m3 codes have none";
    }
  }
}

TEST(StateFormatList, TheLibraryPicksEveryFormatFromTheConfiguration) {
  // SPEC.md §5.4 through the codec list: a decision that names a format no codec has fails here.
  const bnb::EffectiveConfig base = bnb::resolve_config(bnb::require_optimizer("Adam8bit"), {});
  bnb::EffectiveConfig tensor_wise = base;
  tensor_wise.block_wise = false;
  EXPECT_EQ(bnb::format_codec(bnb::state_format_for(base, 4096)).scale, bnb::ScaleKind::per_block);
  EXPECT_EQ(bnb::format_codec(bnb::state_format_for(tensor_wise, 4096)).scale, bnb::ScaleKind::per_tensor);
  EXPECT_FALSE(bnb::format_codec(bnb::state_format_for(base, 4095)).quantized);
  bnb::EffectiveConfig four = base;
  four.optim_bits = 4;
  EXPECT_EQ(bnb::state_format_for(four, 4096), bnb::StateFormat::blockwise4);
  four.block_wise = false;  // 4-bit state is block-wise only (docs/four_bit.md)
  EXPECT_EQ(bnb::state_format_for(four, 4096), bnb::StateFormat::blockwise4);
  const bnb::EffectiveConfig fp8 = bnb::resolve_config(bnb::require_optimizer("AdamWFp8"), {});
  EXPECT_EQ(bnb::state_format_for(fp8, 4096), bnb::StateFormat::blockwise_fp8);
  EXPECT_EQ(bnb::state_format_for(fp8, 4095), bnb::StateFormat::fp32) << "min_8bit_size holds for fp8 too";
}

}  // namespace
