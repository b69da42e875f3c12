// safetensors reader and writer (DESIGN.md §3.3). The reader validates the whole header (types,
// dtypes, shapes, offsets, tiling of the data section) before it hands out any view into the
// data, so no later access can leave the buffer.
#include "bnb/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>

#include "bnb/errors.hpp"
#include "bnb/json_text.hpp"

namespace bnb {

static_assert(std::endian::native == std::endian::little, "tensor files are little-endian; so must the host be");

namespace {

constexpr std::size_t kLengthFieldBytes = 8;
// A header this large is not a tensor file header but a corrupt length; refusing it early keeps a
// corrupt file from making us parse (or allocate for) garbage.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
constexpr const char* kMetadataKey = "__metadata__";

std::string errno_text(int err) { return std::strerror(err); }

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw DataError(source + ": " + what);
}

/// A tensor or metadata name for a message: names come from the file, so a long one is cut.
std::string quoted_name(const std::string& name) {
  constexpr std::size_t kMaxNameChars = 80;
  return "'" + (name.size() <= kMaxNameChars ? name : name.substr(0, kMaxNameChars) + "...") + "'";
}

std::string offsets_string(std::uint64_t begin, std::uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

/// Reads one non-negative integer of a header field, or fails naming the tensor and field.
std::uint64_t header_unsigned(const nlohmann::json& v, const std::string& source, const std::string& what) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) fail(source, what + " is negative (" + json_excerpt(v) + ")");
  fail(source, what + " is not a non-negative integer (" + json_excerpt(v) + ")");
}

/// The JSON header, refused when it is not strict JSON: nlohmann alone keeps the last of two
/// equal keys silently (two tensors could share a name) and recurses without bound.
nlohmann::json parse_header(std::span<const std::byte> text, const std::string& source) {
  nlohmann::json header;
  try {
    header = parse_json_strict(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  } catch (const JsonTextError& e) {
    if (e.path.empty()) {
      fail(source, "header is not valid JSON at byte " + std::to_string(kLengthFieldBytes + e.byte) + ": " + e.what());
    }
    const bool tensor_level = e.path.find_first_of(".[") == std::string::npos;
    if (tensor_level && std::string_view(e.what()).rfind("duplicate key", 0) == 0) {
      fail(source, "duplicate tensor name " + quoted_name(e.path) + " in the header");
    }
    fail(source, "header is not valid JSON: " + e.path + ": " + e.what());
  }
  if (!header.is_object()) fail(source, "header is not a JSON object but " + std::string(header.type_name()));
  return header;
}

std::map<std::string, std::string> parse_metadata(const nlohmann::json& m, const std::string& source) {
  if (!m.is_object()) fail(source, "__metadata__ is not an object of strings");
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : m.items()) {
    if (!value.is_string()) fail(source, "__metadata__ value of " + quoted_name(key) + " is not a string (" + json_excerpt(value) + ")");
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

/// A header entry after its fields were checked, offsets still relative to the data section.
struct Located {
  TensorEntry entry;
  std::uint64_t begin = 0, end = 0;
};

Located parse_entry(const std::string& name, const nlohmann::json& e, std::uint64_t data_bytes,
                    const std::string& source) {
  const std::string who = "tensor " + quoted_name(name);
  if (!e.is_object()) fail(source, who + ": entry is not an object");
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!e.contains(field)) fail(source, who + ": missing field '" + field + "'");
  }
  Located out;
  out.entry.name = name;

  const auto& dtype = e.at("dtype");
  if (!dtype.is_string()) fail(source, who + ": dtype is not a string (" + json_excerpt(dtype) + ")");
  const auto parsed = parse_tensor_dtype(dtype.get_ref<const std::string&>());
  if (!parsed) {
    fail(source, who + ": unknown dtype " + json_excerpt(dtype) + " (supported: F32, F16, BF16, U8, I32, I64, F64)");
  }
  out.entry.dtype = *parsed;

  const auto& shape = e.at("shape");
  if (!shape.is_array()) fail(source, who + ": shape is not an array (" + json_excerpt(shape) + ")");
  std::uint64_t numel = 1;
  bool overflow = false;
  for (const auto& d : shape) {
    if (d.is_number_integer() && !d.is_number_unsigned()) {
      fail(source, who + ": negative dimension " + json_excerpt(d) + " in shape " + json_excerpt(shape));
    }
    const std::uint64_t dim = header_unsigned(d, source, who + ": shape dimension");
    if (dim > static_cast<std::uint64_t>(INT64_MAX)) overflow = true;
    overflow = __builtin_mul_overflow(numel, dim, &numel) || overflow;
    out.entry.shape.push_back(static_cast<std::int64_t>(std::min<std::uint64_t>(dim, INT64_MAX)));
  }
  std::uint64_t bytes = 0;
  overflow = __builtin_mul_overflow(numel, std::uint64_t{tensor_dtype_size(out.entry.dtype)}, &bytes) || overflow;
  // A zero dimension makes the product 0 however large the others are; still refuse them.
  if (overflow) fail(source, who + ": element count of shape " + json_excerpt(shape) + " overflows");

  const auto& offsets = e.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2) {
    fail(source, who + ": data_offsets is not an array of two integers (" + json_excerpt(offsets) + ")");
  }
  out.begin = header_unsigned(offsets[0], source, who + ": data_offsets begin");
  out.end = header_unsigned(offsets[1], source, who + ": data_offsets end");
  if (out.begin > out.end) fail(source, who + ": data_offsets " + offsets_string(out.begin, out.end) + " are reversed");
  if (out.end > data_bytes) {
    fail(source, who + ": data_offsets " + offsets_string(out.begin, out.end) +
                     " out of range: the data section holds " + std::to_string(data_bytes) + " bytes");
  }
  if (out.end - out.begin != bytes) {
    fail(source, who + ": size mismatch: data_offsets " + offsets_string(out.begin, out.end) + " hold " +
                     std::to_string(out.end - out.begin) + " bytes but shape " + shape_string(out.entry.shape) +
                     " of " + std::string(tensor_dtype_name(out.entry.dtype)) + " needs " + std::to_string(bytes));
  }
  return out;
}

/// The tensors must tile [0, data_bytes) exactly, as the safetensors format requires.
void check_tiling(std::vector<Located>& located, std::uint64_t data_bytes, const std::string& source) {
  std::sort(located.begin(), located.end(),
            [](const Located& a, const Located& b) { return std::pair(a.begin, a.end) < std::pair(b.begin, b.end); });
  std::uint64_t covered = 0;  // [0, covered) is tiled by the tensors seen so far
  std::string last_name;
  std::uint64_t last_begin = 0;
  for (const auto& l : located) {
    if (l.begin < covered) {
      fail(source, "tensor " + quoted_name(l.entry.name) + " data_offsets " + offsets_string(l.begin, l.end) +
                       " overlap tensor " + quoted_name(last_name) + " " + offsets_string(last_begin, covered));
    }
    if (l.begin > covered) {
      fail(source, "hole in the data section: bytes [" + std::to_string(covered) + ", " + std::to_string(l.begin) + ")" +
                       " belong to no tensor (before tensor " + quoted_name(l.entry.name) + ")");
    }
    covered = l.end;
    last_name = l.entry.name;
    last_begin = l.begin;
  }
  if (covered < data_bytes) {
    fail(source, "trailing bytes: the data section holds " + std::to_string(data_bytes) + " bytes but the tensors end at " +
                     std::to_string(covered));
  }
}

std::uint64_t read_le64(const std::byte* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// Closes a POSIX descriptor on every exit path.
struct FileDescriptor {
  int fd = -1;
  explicit FileDescriptor(int f) : fd(f) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

void write_all(int fd, const std::vector<std::byte>& bytes, const std::string& name) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError("cannot write '" + name + "': " + errno_text(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

SafetensorsFile SafetensorsFile::read(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (file.fd < 0) throw IoError("cannot open '" + path + "': " + errno_text(errno));
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) throw IoError("cannot stat '" + path + "': " + errno_text(errno));
  if (!S_ISREG(info.st_mode)) throw IoError("cannot read '" + path + "': not a regular file");
  std::vector<std::byte> image(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < image.size()) {
    const ssize_t n = ::read(file.fd, image.data() + done, image.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError("cannot read '" + path + "': " + errno_text(errno));
    if (n == 0) throw IoError("cannot read '" + path + "': file shrank while being read");
    done += static_cast<std::size_t>(n);
  }
  return parse(std::move(image), path);
}

SafetensorsFile SafetensorsFile::parse(std::vector<std::byte> image, const std::string& source) {
  const std::uint64_t size = image.size();
  if (size < kLengthFieldBytes) {
    fail(source, "file is " + std::to_string(size) + " bytes, shorter than the 8-byte header length field");
  }
  const std::uint64_t header_bytes = read_le64(image.data());
  if (header_bytes > kMaxHeaderBytes) {
    fail(source, "header length " + std::to_string(header_bytes) + " is absurd (limit " +
                     std::to_string(kMaxHeaderBytes) + " bytes): not a tensor file or corrupt");
  }
  if (header_bytes > size - kLengthFieldBytes) {
    fail(source, "truncated header: header length " + std::to_string(header_bytes) + " but only " +
                     std::to_string(size - kLengthFieldBytes) + " bytes follow the length field");
  }
  const std::uint64_t data_start = kLengthFieldBytes + header_bytes;
  const std::uint64_t data_bytes = size - data_start;
  const nlohmann::json header =
      parse_header(std::span<const std::byte>(image).subspan(kLengthFieldBytes, header_bytes), source);

  SafetensorsFile file;
  file.source_ = source;
  std::vector<Located> located;
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey) {
      file.metadata_ = parse_metadata(value, source);
    } else {
      located.push_back(parse_entry(name, value, data_bytes, source));
    }
  }
  check_tiling(located, data_bytes, source);

  file.image_ = std::make_shared<const std::vector<std::byte>>(std::move(image));
  const std::byte* data = file.image_->data() + data_start;
  for (auto& l : located) {
    l.entry.data = std::span<const std::byte>(data + l.begin, l.end - l.begin);
    file.tensors_.push_back(std::move(l.entry));
  }
  return file;
}

const TensorEntry* SafetensorsFile::find(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const TensorEntry& SafetensorsFile::at(std::string_view name) const {
  const TensorEntry* t = find(name);
  if (!t) fail(source_, "no tensor '" + std::string(name) + "'");
  return *t;
}

void SafetensorsWriter::add(std::string name, TensorDType dtype, std::vector<std::int64_t> shape,
                            std::span<const std::byte> data) {
  if (name.empty() || name == kMetadataKey) throw DataError("invalid tensor name '" + name + "'");
  for (const auto& t : tensors_) {
    if (t.name == name) throw DataError("tensor '" + name + "' added twice");
  }
  for (auto d : shape) {
    if (d < 0) throw DataError("tensor '" + name + "': negative dimension in shape " + shape_string(shape));
  }
  const std::size_t expected = element_count(shape) * tensor_dtype_size(dtype);
  if (data.size() != expected) {
    throw DataError("tensor '" + name + "': " + std::to_string(data.size()) + " bytes given but shape " +
                    shape_string(shape) + " of " + std::string(tensor_dtype_name(dtype)) + " needs " +
                    std::to_string(expected));
  }
  tensors_.push_back({std::move(name), dtype, std::move(shape), {data.begin(), data.end()}});
}

void SafetensorsWriter::set_metadata(std::string key, std::string value) {
  metadata_.insert_or_assign(std::move(key), std::move(value));
}

std::vector<std::byte> SafetensorsWriter::serialize() const {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) header[kMetadataKey] = metadata_;
  std::uint64_t offset = 0;
  for (const auto& t : tensors_) {
    const std::uint64_t end = offset + t.data.size();
    header[t.name] = {{"dtype", tensor_dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("cannot encode tensor file header: ") + e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');

  std::vector<std::byte> out(kLengthFieldBytes + text.size() + offset);
  const std::uint64_t header_bytes = text.size();
  std::memcpy(out.data(), &header_bytes, sizeof header_bytes);
  std::memcpy(out.data() + kLengthFieldBytes, text.data(), text.size());
  std::byte* data = out.data() + kLengthFieldBytes + text.size();
  for (const auto& t : tensors_) {
    if (!t.data.empty()) std::memcpy(data, t.data.data(), t.data.size());
    data += t.data.size();
  }
  return out;
}

void SafetensorsWriter::write_atomic(const std::string& path) const {
  const std::vector<std::byte> bytes = serialize();
  // Same directory as the target, so the rename stays within one file system and is atomic.
  static std::atomic<unsigned> counter{0};
  const std::string temp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  FileDescriptor file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (file.fd < 0) throw IoError("cannot write '" + path + "': cannot create '" + temp + "': " + errno_text(errno));
  try {
    write_all(file.fd, bytes, temp);
    if (::fsync(file.fd) != 0) throw IoError("cannot write '" + temp + "': " + errno_text(errno));
    const int fd = std::exchange(file.fd, -1);
    if (::close(fd) != 0) throw IoError("cannot write '" + temp + "': " + errno_text(errno));
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
      throw IoError("cannot write '" + path + "': rename from '" + temp + "' failed: " + errno_text(errno));
    }
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
}

}  // namespace bnb
