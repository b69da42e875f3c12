#include "bnb/checkpoint.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "bnb/errors.hpp"
#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/safetensors.hpp"
#include "bnb/state_rules.hpp"

namespace bnb {
namespace {

constexpr const char* kFormatName = "bnb-bench checkpoint";
constexpr const char* kFormatVersion = "1";

template <class T>
std::span<const std::byte> bytes_of(const T* data, std::size_t count) {
  return {reinterpret_cast<const std::byte*>(data), count * sizeof(T)};
}

/// Kernel rows of state 1 or 2 (a state may hold several rows: saved as [rows, n]).
std::vector<int> rows_of_state(const EffectiveConfig& cfg, int rows, int s) {
  std::vector<int> out;
  for (int r = 0; r < rows; ++r) {
    if (state_of_row(cfg, r) == s) out.push_back(r);
  }
  return out;
}

/// Stored element type of a state row: fp32 values, or the codec's packed codes.
TensorDType row_dtype(const FormatCodec& codec) { return codec.quantized ? TensorDType::u8 : TensorDType::f32; }

/// Stored element type of a codec's scales: fp32, or bf16 for 16-bit scales (docs/four_bit.md).
TensorDType scale_dtype(const FormatCodec& codec) { return codec.scale_bits == 16 ? TensorDType::bf16 : TensorDType::f32; }

/// Stored elements of one state row of n elements: n values or codes, or (n + 1) / 2 bytes of
/// two 4-bit codes each.
std::size_t row_elements(const FormatCodec& codec, std::size_t n) { return codec.quantized ? codec.row_bytes(n) : n; }

std::string args_json(const EffectiveConfig& cfg) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : cfg.args) j[k] = to_string(v);
  return j.dump();
}

}  // namespace

void save_checkpoint(const Optimizer& opt, std::span<const void* const> params, const std::string& path,
                     const std::map<std::string, std::string>& metadata) {
  if (params.size() != opt.param_count()) {
    throw std::invalid_argument("save_checkpoint: " + std::to_string(params.size()) + " parameter buffers for " +
                                std::to_string(opt.param_count()) + " parameters");
  }
  SafetensorsWriter w;
  w.set_metadata("format", kFormatName);
  w.set_metadata("format_version", kFormatVersion);
  w.set_metadata("optimizer", opt.info().name);
  w.set_metadata("block_size", std::to_string(opt.options().block_size));
  for (const auto& [k, v] : metadata) w.set_metadata(k, v);

  for (std::size_t i = 0; i < opt.param_count(); ++i) {
    const ParamSpec& spec = opt.param(i);
    const ParamState& st = opt.state(i);
    const EffectiveConfig& cfg = opt.config(i);
    const std::size_t local = spec.local_numel();
    const std::string prefix = "state/" + spec.name + "/";
    w.add("param/" + spec.name, tensor_dtype_of(spec.dtype), {static_cast<std::int64_t>(local)},
          {static_cast<const std::byte*>(params[i]), local * dtype_size(spec.dtype)});
    if (spec.shard) {  // a shard of a sharded run: which range of the tensor (docs/distributed.md)
      w.set_metadata("shard/" + spec.name, nlohmann::json{{"begin", spec.shard->begin},
                                                          {"numel", spec.shard->numel},
                                                          {"tensor_numel", spec.numel}}.dump());
    }
    w.set_metadata("config/" + spec.name, args_json(cfg));
    w.add(prefix + "step", TensorDType::i64, {}, bytes_of(&st.step, 1));
    if (!st.initialized) continue;
    const FormatCodec& codec = format_codec(st.format);
    w.set_metadata("state_format/" + spec.name, std::string(codec.name));
    for (int s = 1; s <= 2; ++s) {
      const std::vector<int> rows = rows_of_state(cfg, st.rows, s);
      if (rows.empty()) continue;
      const std::string k = std::to_string(s);
      std::vector<std::byte> data;
      for (int r : rows) data.insert(data.end(), st.row[r].data(), st.row[r].data() + st.row[r].size());
      const auto stored = static_cast<std::int64_t>(row_elements(codec, local));
      std::vector<std::int64_t> shape = rows.size() > 1
                                            ? std::vector<std::int64_t>{static_cast<std::int64_t>(rows.size()), stored}
                                            : std::vector<std::int64_t>{stored};
      w.add(prefix + "state" + k, row_dtype(codec), shape, data);
      if (!codec.quantized) continue;
      const std::size_t map_size = codec.map_size();
      if (map_size != 0) {  // e4m3 codes have no map (docs/fp8.md)
        w.add(prefix + "qmap" + k, TensorDType::f32, {static_cast<std::int64_t>(map_size)},
              bytes_of(st.table[rows[0]]->values, map_size));
      }
      // Each row's scales as stored: fp32 values, or bf16 ones (two per fp32 slot, the odd
      // count's last half-slot left out), docs/four_bit.md.
      const std::size_t per_row = codec.scale_count(st.numel, st.block_size);  // the state's elements (a shard's)
      const std::size_t scale_bytes = per_row * static_cast<std::size_t>(codec.scale_bits) / 8;
      std::vector<std::byte> scales;
      for (int r : rows) {
        const auto row_scales = bytes_of(st.absmax[r].data(), st.absmax[r].size());
        scales.insert(scales.end(), row_scales.begin(), row_scales.begin() + static_cast<std::ptrdiff_t>(scale_bytes));
      }
      const auto count = static_cast<std::int64_t>(per_row);
      shape = rows.size() > 1 ? std::vector<std::int64_t>{static_cast<std::int64_t>(rows.size()), count}
                              : std::vector<std::int64_t>{count};
      w.add(prefix + std::string(codec.scale_name) + k, scale_dtype(codec), shape, scales);
    }
    if (st.compensation.size() != 0) {
      w.add(prefix + "compensation", tensor_dtype_of(spec.dtype), {static_cast<std::int64_t>(local)},
            {st.compensation.data(), st.compensation.size()});
    }
    if (!st.gnorm_vec.empty()) {
      w.add(prefix + "gnorm_vec", TensorDType::f32, {static_cast<std::int64_t>(st.gnorm_vec.size())},
            bytes_of(st.gnorm_vec.data(), st.gnorm_vec.size()));
    }
    if (cfg.hyper.max_unorm > 0) w.add(prefix + "unorm", TensorDType::f32, {}, bytes_of(&st.unorm, 1));
  }
  w.write_atomic(path);
}

std::map<std::string, std::string> checkpoint_metadata(const std::string& path) {
  return SafetensorsFile::read(path).metadata();
}

namespace {

const TensorEntry& expect(const SafetensorsFile& f, const std::string& name, TensorDType dtype, std::size_t numel) {
  const TensorEntry& t = f.at(name);
  if (t.dtype != dtype) {
    throw DataError(f.source() + ": tensor '" + name + "' has dtype " + std::string(tensor_dtype_name(t.dtype)) +
                    ", expected " + std::string(tensor_dtype_name(dtype)));
  }
  if (t.numel() != numel) {
    throw DataError(f.source() + ": tensor '" + name + "' has " + std::to_string(t.numel()) + " elements, expected " +
                    std::to_string(numel));
  }
  return t;
}

/// A metadata value for a message: it comes from the file, so a long one is cut.
std::string shown(const std::string& value) {
  constexpr std::size_t kMaxShownChars = 80;
  return value.size() <= kMaxShownChars ? value : value.substr(0, kMaxShownChars) + "...";
}

std::string meta(const SafetensorsFile& f, const std::string& key) {
  const auto it = f.metadata().find(key);
  if (it == f.metadata().end()) throw DataError(f.source() + ": checkpoint metadata has no '" + key + "'");
  return it->second;
}

/// Everything of one parameter read and checked, applied only once every parameter passed.
struct LoadedParam {
  std::int64_t step = 0;
  bool initialized = false;
  StateFormat format = StateFormat::fp32;
  std::vector<std::byte> param;
  std::vector<std::vector<std::byte>> rows;
  std::vector<std::vector<float>> absmax;
  std::vector<std::vector<float>> maps;  // per row; empty for fp32
  std::vector<std::byte> compensation;  // param_rounding compensated
  std::vector<float> gnorm_vec;
  float unorm = 0;
};

}  // namespace

void load_checkpoint(Optimizer& opt, std::span<void* const> params, const SafetensorsFile& f) {
  if (params.size() != opt.param_count()) {
    throw std::invalid_argument("load_checkpoint: " + std::to_string(params.size()) + " parameter buffers for " +
                                std::to_string(opt.param_count()) + " parameters");
  }
  const std::string& path = f.source();
  if (meta(f, "format") != kFormatName) throw DataError(path + ": not a bnb-bench checkpoint");
  if (meta(f, "format_version") != kFormatVersion) {
    throw DataError(path + ": checkpoint format version " + shown(meta(f, "format_version")) + " is not supported (expected " +
                    kFormatVersion + ")");
  }
  if (meta(f, "optimizer") != opt.info().name) {
    throw DataError(path + ": checkpoint was written by optimizer " + shown(meta(f, "optimizer")) + ", not " + opt.info().name);
  }
  if (meta(f, "block_size") != std::to_string(opt.options().block_size)) {
    throw DataError(path + ": checkpoint block size " + shown(meta(f, "block_size")) + " differs from the configured " +
                    std::to_string(opt.options().block_size));
  }

  std::vector<LoadedParam> loaded(opt.param_count());
  for (std::size_t i = 0; i < opt.param_count(); ++i) {
    const ParamSpec& spec = opt.param(i);
    const EffectiveConfig& cfg = opt.config(i);
    const std::size_t n = spec.local_numel();
    const std::string prefix = "state/" + spec.name + "/";
    LoadedParam& L = loaded[i];
    const TensorEntry& p = expect(f, "param/" + spec.name, tensor_dtype_of(spec.dtype), n);
    L.param.assign(p.data.begin(), p.data.end());
    std::memcpy(&L.step, expect(f, prefix + "step", TensorDType::i64, 1).data.data(), sizeof L.step);
    if (L.step < 0) throw DataError(path + ": parameter '" + spec.name + "' has a negative step count");
    const auto fmt_it = f.metadata().find("state_format/" + spec.name);
    if (fmt_it == f.metadata().end()) {
      if (L.step != 0) throw DataError(path + ": parameter '" + spec.name + "' has steps but no state");
      continue;
    }
    L.initialized = true;
    L.format = state_format_for(cfg, spec.numel);
    const FormatCodec& codec = format_codec(L.format);
    if (fmt_it->second != codec.name) {
      throw DataError(path + ": parameter '" + spec.name + "' was saved with " + shown(fmt_it->second) +
                      " state, but the configuration gives " + std::string(codec.name));
    }
    const int rows = state_row_count(cfg);
    L.rows.resize(static_cast<std::size_t>(rows));
    L.absmax.resize(static_cast<std::size_t>(rows));
    L.maps.resize(static_cast<std::size_t>(rows));
    const std::size_t row_bytes = codec.row_bytes(n);
    const std::size_t per_row = codec.scale_count(n, opt.options().block_size);
    for (int s = 1; s <= 2; ++s) {
      const std::vector<int> rs = rows_of_state(cfg, rows, s);
      if (rs.empty()) continue;
      const std::string k = std::to_string(s);
      const TensorEntry& t = expect(f, prefix + "state" + k, row_dtype(codec), rs.size() * row_elements(codec, n));
      for (std::size_t j = 0; j < rs.size(); ++j) {
        L.rows[static_cast<std::size_t>(rs[j])].assign(t.data.begin() + static_cast<std::ptrdiff_t>(j * row_bytes),
                                                       t.data.begin() + static_cast<std::ptrdiff_t>((j + 1) * row_bytes));
      }
      if (!codec.quantized) continue;
      if (codec.codes == CodeKind::e4m3) {
        // The encoder never writes e4m3's NaN codes: a file that has them is damaged.
        const auto bad = std::find_if(t.data.begin(), t.data.end(), [](std::byte b) { return (std::to_integer<unsigned>(b) & 0x7Fu) == 0x7Fu; });
        if (bad != t.data.end()) {
          throw DataError(path + ": '" + prefix + "state" + k + "' holds the e4m3 NaN code at index " +
                          std::to_string(bad - t.data.begin()) + " (docs/fp8.md)");
        }
      }
      const std::vector<float> map = codec.map_size() == 0 ? std::vector<float>{}
                                     : to_f32_values(expect(f, prefix + "qmap" + k, TensorDType::f32, codec.map_size()));
      for (std::size_t j = 0; j < map.size(); ++j) {
        if (!std::isfinite(map[j]) || (j > 0 && !(map[j - 1] < map[j]))) {
          throw DataError(path + ": map '" + prefix + "qmap" + k + "' is not finite and strictly ascending at index " +
                          std::to_string(j));
        }
      }
      const std::string name(codec.scale_name);
      const TensorEntry& scales = expect(f, prefix + name + k, scale_dtype(codec), rs.size() * per_row);
      const std::size_t scale_bytes = per_row * static_cast<std::size_t>(codec.scale_bits) / 8;
      for (std::size_t j = 0; j < rs.size(); ++j) {
        const auto r = static_cast<std::size_t>(rs[j]);
        L.maps[r] = map;
        L.absmax[r].assign(codec.scale_slots(n, opt.options().block_size), 0.0f);
        std::memcpy(L.absmax[r].data(), scales.data.data() + j * scale_bytes, scale_bytes);
      }
    }
    if (opt.uses_compensation(i)) {
      const TensorEntry& c = expect(f, prefix + "compensation", tensor_dtype_of(spec.dtype), n);
      L.compensation.assign(c.data.begin(), c.data.end());
    }
    if (cfg.percentile_clipping < 100) {
      L.gnorm_vec = to_f32_values(expect(f, prefix + "gnorm_vec", TensorDType::f32, kGnormHistory));
    }
    if (cfg.hyper.max_unorm > 0) L.unorm = to_f32_values(expect(f, prefix + "unorm", TensorDType::f32, 1))[0];
  }

  // Everything checked: apply.
  for (std::size_t i = 0; i < opt.param_count(); ++i) {
    LoadedParam& L = loaded[i];
    std::memcpy(params[i], L.param.data(), L.param.size());
    ParamState& st = opt.mutable_state(i);
    if (!L.initialized) {
      st = ParamState{};
      st.step = L.step;
      continue;
    }
    opt.initialize_state(i);
    st.step = L.step;
    for (std::size_t r = 0; r < L.rows.size(); ++r) {
      std::memcpy(st.row[r].data(), L.rows[r].data(), L.rows[r].size());
      if (!format_codec(L.format).quantized) continue;
      st.absmax[r] = L.absmax[r];
      if (L.maps[r].empty()) continue;  // e4m3: the table is the format's, set by initialize_state
      st.table[r] = kernels::make_quant_table(L.maps[r].data(), static_cast<int>(L.maps[r].size()), st.table[r]->is_signed);
    }
    if (!L.compensation.empty()) std::memcpy(st.compensation.data(), L.compensation.data(), L.compensation.size());
    if (!L.gnorm_vec.empty()) st.gnorm_vec = L.gnorm_vec;
    st.unorm = L.unorm;
  }
}

void load_checkpoint(Optimizer& opt, std::span<void* const> params, const std::string& path) {
  load_checkpoint(opt, params, SafetensorsFile::read(path));
}

}  // namespace bnb
