#pragma once
// Tensor files in the safetensors format (DESIGN.md §3.3): an 8-byte little-endian header length
// N, N bytes of JSON {"NAME": {"dtype", "shape", "data_offsets"}, "__metadata__": {str: str}},
// then the raw little-endian tensor data, offsets relative to the start of the data section.
//
// The reader trusts nothing in the file: every malformed file is rejected with a DataError naming
// the file and the defect, before any tensor byte is touched. Like the reference implementation
// (the Python/Rust `safetensors` package) it requires the tensors to tile the data section
// exactly: a gap between tensors or bytes after the last one are rejected, as are overlaps.
// Unknown fields inside a tensor entry are ignored (as the reference implementation does).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bnb/kernels/dtype.hpp"

namespace bnb {

/// The element types a tensor file may hold.
enum class TensorDType : std::uint8_t { f32, f16, bf16, u8, i32, i64, f64 };

/// "F32", "F16", "BF16", "U8", "I32", "I64", "F64" (the safetensors spelling).
std::string_view tensor_dtype_name(TensorDType d);
std::optional<TensorDType> parse_tensor_dtype(std::string_view name);
std::size_t tensor_dtype_size(TensorDType d);

/// The file type of a parameter storage type, and back (nullopt: not a parameter type).
TensorDType tensor_dtype_of(DType d);
std::optional<DType> param_dtype_of(TensorDType d);

/// Product of the dimensions (1 for a scalar); the caller has validated them.
std::size_t element_count(std::span<const std::int64_t> shape);

/// "[40, 130]", for messages.
std::string shape_string(std::span<const std::int64_t> shape);

/// One tensor of a file. `data` is a view into the file's buffer: it stays valid while the
/// SafetensorsFile it came from (or any copy of it) lives. It may be unaligned: copy it out
/// (std::memcpy, to_f32_values) rather than casting the pointer.
struct TensorEntry {
  std::string name;
  TensorDType dtype = TensorDType::f32;
  std::vector<std::int64_t> shape;
  std::span<const std::byte> data;

  std::size_t numel() const { return element_count(shape); }
};

/// The values of an F32, F16 or BF16 tensor as fp32 (exact widening). DataError otherwise.
std::vector<float> to_f32_values(const TensorEntry& t);

/// A validated tensor file held in memory. Copies share the buffer.
class SafetensorsFile {
 public:
  /// Reads and validates `path`. IoError if it cannot be read, DataError if it is malformed.
  static SafetensorsFile read(const std::string& path);
  /// Validates a whole file image; `source` names it in messages.
  static SafetensorsFile parse(std::vector<std::byte> image, const std::string& source);

  /// Tensors in data-section order.
  const std::vector<TensorEntry>& tensors() const { return tensors_; }
  const TensorEntry* find(std::string_view name) const;
  /// Like find, but a missing tensor is a DataError naming the file.
  const TensorEntry& at(std::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::shared_ptr<const std::vector<std::byte>> image_;
  std::vector<TensorEntry> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// Builds a tensor file: tensors in the order added, data contiguous, the header padded with
/// spaces to a multiple of 8 bytes so the data section starts 8-byte aligned.
class SafetensorsWriter {
 public:
  /// Copies `data`. DataError if the name is empty, "__metadata__" or already added, or if the
  /// byte count is not numel(shape) * dtype size, or a dimension is negative.
  void add(std::string name, TensorDType dtype, std::vector<std::int64_t> shape, std::span<const std::byte> data);
  void set_metadata(std::string key, std::string value);

  std::vector<std::byte> serialize() const;
  /// Writes to a temporary file in the same directory, flushes it and renames it over `path`,
  /// so readers never see a half-written file. IoError (naming the path) on any failure; the
  /// temporary file is removed.
  void write_atomic(const std::string& path) const;

 private:
  struct Pending {
    std::string name;
    TensorDType dtype;
    std::vector<std::int64_t> shape;
    std::vector<std::byte> data;
  };
  std::vector<Pending> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace bnb
