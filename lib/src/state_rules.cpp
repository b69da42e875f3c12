#include "bnb/state_rules.hpp"

#include "bnb/kernels/algorithms/all.hpp"

namespace bnb {

StateFormat state_format_for(const EffectiveConfig& cfg, std::size_t numel) {
  const bool quantized = cfg.optim_bits < 32 && !cfg.reference_form && numel >= cfg.min_8bit_size;
  if (!quantized) return StateFormat::fp32;
  if (cfg.fp8) return StateFormat::blockwise_fp8;  // always block-wise (docs/fp8.md)
  // 4-bit state is block-wise only.
  const bool per_block = cfg.block_wise || cfg.optim_bits == 4;
  return *find_state_format(cfg.optim_bits, per_block ? ScaleKind::per_block : ScaleKind::per_tensor);
}

// PytorchLARS' catalogue algorithm is the lars rule (one momentum row, state1), so the
// algorithm's traits hold for it too; only its format (always fp32) differs.
int state_row_count(const EffectiveConfig& cfg) { return kernels::state_rows(cfg.algorithm); }

int state_of_row(const EffectiveConfig& cfg, int row) { return kernels::state_of_row(cfg.algorithm, row); }

std::string state_name(const EffectiveConfig& cfg, int row) { return "state" + std::to_string(state_of_row(cfg, row)); }

bool state_row_is_signed(const EffectiveConfig& cfg, int row) { return kernels::row_is_signed(cfg.algorithm, row); }

bool state_row_map_is_signed(const EffectiveConfig& cfg, StateFormat format, int row) {
  const FormatCodec& codec = format_codec(format);
  const bool bitsandbytes_format = codec.element_bits == 8 && codec.codes == CodeKind::map_index;
  if (bitsandbytes_format) return state_row_is_signed(cfg, row);
  const bool sum_of_squares = cfg.algorithm == Algorithm::rmsprop || cfg.algorithm == Algorithm::adagrad;
  return state_row_is_signed(cfg, row) && !sum_of_squares;
}

std::string_view reported_algorithm(const EffectiveConfig& cfg) {
  return cfg.reference_form ? "pytorch_lars" : algorithm_name(cfg.algorithm);
}

double state_bytes_bound(const EffectiveConfig& cfg, std::size_t numel) {
  constexpr double kSmallestBlock = 64;
  const FormatCodec& codec = format_codec(state_format_for(cfg, numel));
  const double n = static_cast<double>(numel);
  const double scales = codec.scale == ScaleKind::none ? 0.0 : 4.0 * n / kSmallestBlock;
  // A compensated 16-bit parameter adds its compensation buffer (2 bytes per element).
  const double compensation = cfg.param_rounding == ParamRounding::compensated ? 2.0 * n : 0.0;
  return static_cast<double>(state_row_count(cfg)) * (codec.element_bits / 8.0 * n + scales) + compensation;
}

}  // namespace bnb
