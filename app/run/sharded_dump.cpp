#include "sharded_dump.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "bnb/errors.hpp"
#include "bnb/kernels/state_format.hpp"
#include "input_file.hpp"

namespace bnb::app {
namespace {

constexpr const char* kIndexFormat = "bnb-bench sharded dump";

/// One file of a dump and the range of every tensor it holds.
struct Source {
  SafetensorsFile file;
  std::map<std::string, ShardRange> ranges;
};

nlohmann::json read_index(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_input_file(path, "sharded dump index"));
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not a JSON index of a sharded dump ({})", path, e.what()));
  }
  if (!j.is_object() || j.value("format", "") != kIndexFormat || !j.contains("files") || !j["files"].is_array() ||
      !j.contains("label") || !j["label"].is_string()) {
    throw DataError(fmt::format("{}: not an index of a sharded dump (\"format\": \"{}\", \"label\", \"files\")", path,
                                kIndexFormat));
  }
  return j;
}

/// The range of tensor `name` in a file: its shard metadata, else the whole parameter.
ShardRange range_in(const SafetensorsFile& f, const std::string& name) {
  const auto it = f.metadata().find("shard/" + name);
  if (it == f.metadata().end()) return {0, f.at("param/" + name).numel()};
  try {
    const auto j = nlohmann::json::parse(it->second);
    return {j.at("begin").get<std::size_t>(), j.at("numel").get<std::size_t>()};
  } catch (const nlohmann::json::exception&) {
    throw DataError(fmt::format("{}: metadata shard/{} is not {{\"begin\", \"numel\", \"tensor_numel\"}}", f.source(),
                                name));
  }
}

std::vector<Source> read_sources(const std::string& dump, const std::map<std::string, ShardRange>& ranges) {
  std::vector<std::string> files;
  if (is_shard_index(dump)) {
    const auto dir = std::filesystem::path(dump).parent_path();
    const nlohmann::json index = read_index(dump);
    for (const auto& f : index["files"]) {
      if (!f.is_string()) throw DataError(fmt::format("{}: \"files\" holds a non-string", dump));
      files.push_back((dir / f.get<std::string>()).string());
    }
  } else {
    files.push_back(dump);
  }
  if (files.empty()) throw DataError(fmt::format("{}: the index names no files", dump));
  std::vector<Source> out;
  for (const auto& f : files) {
    Source s{SafetensorsFile::read(f), {}};
    for (const auto& [name, wanted] : ranges) s.ranges[name] = range_in(s.file, name);
    out.push_back(std::move(s));
  }
  return out;
}

/// Bytes of `count` elements of one row of tensor `key` of parameter `name` (per-block scales:
/// the blocks covering them); 0 for a tensor that every file holds whole (step, maps, ...).
std::size_t row_bytes_of(const SafetensorsFile& f, const std::string& name, const std::string& key,
                         std::size_t count) {
  if (key == "param/" + name) return count * tensor_dtype_size(f.at(key).dtype);
  const auto fmt_it = f.metadata().find("state_format/" + name);
  if (fmt_it == f.metadata().end()) return 0;
  const auto format = parse_state_format(fmt_it->second);
  if (!format) throw DataError(fmt::format("{}: unknown state format \"{}\" of {}", f.source(), fmt_it->second, name));
  const FormatCodec& codec = format_codec(*format);
  const std::string prefix = "state/" + name + "/";
  if (key == prefix + "state1" || key == prefix + "state2") return codec.row_bytes(count);
  if (codec.scale == ScaleKind::per_block &&
      (key == prefix + std::string(codec.scale_name) + "1" || key == prefix + std::string(codec.scale_name) + "2")) {
    const auto bs = f.metadata().find("block_size");
    const std::size_t block = codec.block_of(bs == f.metadata().end() ? kDefaultBlockSize : std::stoul(bs->second));
    return block_count(count, block) * static_cast<std::size_t>(codec.scale_bits) / 8;  // fp32 or bf16 scales
  }
  return 0;
}

/// Tensor `key` of parameter `name` for elements [begin, end), from the sources that cover it.
std::vector<std::byte> cut(const std::vector<Source>& sources, const std::string& name, const std::string& key,
                           ShardRange want, std::size_t rows) {
  std::vector<std::byte> out;
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t at = want.begin;
    const std::size_t end = want.begin + want.numel;
    for (const Source& s : sources) {
      const ShardRange have = s.ranges.at(name);
      if (at >= end) break;
      if (at < have.begin || at >= have.begin + have.numel) continue;
      const std::size_t upto = std::min(end, have.begin + have.numel);
      const TensorEntry& t = s.file.at(key);
      const std::size_t row = row_bytes_of(s.file, name, key, have.numel);
      const std::size_t from = row_bytes_of(s.file, name, key, at - have.begin);
      const std::size_t to = row_bytes_of(s.file, name, key, upto - have.begin);
      if (t.data.size() != rows * row) {
        throw DataError(fmt::format("{}: tensor '{}' has {} bytes, expected {}", s.file.source(), key, t.data.size(),
                                    rows * row));
      }
      out.insert(out.end(), t.data.begin() + static_cast<std::ptrdiff_t>(r * row + from),
                 t.data.begin() + static_cast<std::ptrdiff_t>(r * row + to));
      at = upto;
    }
    if (at < end) {
      throw DataError(fmt::format("the dump's files hold elements up to {} of '{}', the run needs [{}, {})", at, name,
                                  want.begin, end));
    }
  }
  return out;
}

}  // namespace

std::string shard_index_path(const std::string& dir, const std::string& label) {
  return (std::filesystem::path(dir) / (label + ".shards.json")).string();
}

std::string shard_file_path(const std::string& dir, const std::string& label, int rank, int ranks) {
  return (std::filesystem::path(dir) / fmt::format("{}.rank{}-of-{}.safetensors", label, rank, ranks)).string();
}

void write_shard_index(const std::string& path, const std::string& label, int ranks) {
  nlohmann::json files = nlohmann::json::array();
  for (int k = 0; k < ranks; ++k) {
    files.push_back(std::filesystem::path(shard_file_path(".", label, k, ranks)).filename().string());
  }
  const nlohmann::json j = {{"format", kIndexFormat}, {"label", label}, {"ranks", ranks}, {"files", files}};
  write_file_atomic(path, j.dump(2) + "\n");
}

bool is_shard_index(const std::string& path) { return path.ends_with(".shards.json"); }

std::string shard_index_label(const std::string& path) { return read_index(path)["label"].get<std::string>(); }

SafetensorsFile checkpoint_of_ranges(const std::string& dump, const std::map<std::string, ShardRange>& ranges) {
  const std::vector<Source> sources = read_sources(dump, ranges);
  const SafetensorsFile& first = sources.front().file;
  SafetensorsWriter w;
  for (const auto& [k, v] : first.metadata()) {
    if (!k.starts_with("shard/")) w.set_metadata(k, v);
  }
  for (const TensorEntry& t : first.tensors()) {
    // The parameter the tensor belongs to: param/NAME or state/NAME/<key>.
    std::string name;
    if (t.name.starts_with("param/")) {
      name = t.name.substr(6);
    } else if (t.name.starts_with("state/")) {
      name = t.name.substr(6, t.name.rfind('/') - 6);
    }
    const auto want = ranges.find(name);
    if (want == ranges.end() || row_bytes_of(first, name, t.name, 1) == 0) {
      w.add(t.name, t.dtype, t.shape, t.data);  // the same in every file
      continue;
    }
    const std::size_t rows = t.shape.size() > 1 ? static_cast<std::size_t>(t.shape[0]) : 1;
    const std::vector<std::byte> data = cut(sources, name, t.name, want->second, rows);
    const auto elements = static_cast<std::int64_t>(data.size() / rows / tensor_dtype_size(t.dtype));
    w.add(t.name, t.dtype,
          rows > 1 || t.shape.size() > 1 ? std::vector<std::int64_t>{static_cast<std::int64_t>(rows), elements}
                                         : std::vector<std::int64_t>{elements},
          data);
  }
  return SafetensorsFile::parse(w.serialize(), dump);
}

}  // namespace bnb::app
