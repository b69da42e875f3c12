// safetensors reader/writer: every malformed file is a DataError that names the file and the
// defect; round trips are byte-exact; writes are atomic.
#include "bnb/safetensors.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "bnb/errors.hpp"

namespace {

namespace fs = std::filesystem;
using bnb::DataError;
using bnb::IoError;
using bnb::SafetensorsFile;
using bnb::SafetensorsWriter;
using bnb::TensorDType;

/// A file image: the length field (the header's size unless overridden), the header, the data.
std::vector<std::byte> image(const std::string& header, std::size_t data_bytes = 0,
                             std::optional<std::uint64_t> length = std::nullopt) {
  const std::uint64_t n = length.value_or(header.size());
  std::vector<std::byte> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>(n >> (8 * i)));
  for (char c : header) out.push_back(static_cast<std::byte>(c));
  out.resize(out.size() + data_bytes, std::byte{0x5a});
  return out;
}

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("bnb_safetensors_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_file(const std::string& name, const std::vector<std::byte>& bytes) const {
    const auto path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  /// Writes the image to a file and expects read() to reject it with a message naming the file
  /// and containing `problem`.
  void expect_rejected(const std::vector<std::byte>& bytes, const std::string& problem) const {
    const std::string path = write_file("case.safetensors", bytes);
    try {
      (void)SafetensorsFile::read(path);
      ADD_FAILURE() << "accepted a malformed file; expected: " << problem;
    } catch (const DataError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(path), std::string::npos) << message;
      EXPECT_NE(message.find(problem), std::string::npos) << "expected '" << problem << "' in: " << message;
    }
  }

  fs::path dir_;
};

// Two F32 tensors of 2 elements each, tiling 16 bytes of data.
const std::string kTwoTensors =
    R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";

TEST_F(SafetensorsTest, WellFormedImageIsAccepted) {
  // The baseline the malformed cases below are variations of.
  const std::string path = write_file("ok.safetensors", image(kTwoTensors, 16));
  const auto file = SafetensorsFile::read(path);
  ASSERT_EQ(file.tensors().size(), 2u);
  EXPECT_EQ(file.at("b").data.size(), 8u);
  EXPECT_EQ(file.find("c"), nullptr);
  EXPECT_THROW((void)file.at("c"), DataError);
}

TEST_F(SafetensorsTest, RejectsFilesShorterThanTheLengthField) {
  expect_rejected({}, "shorter than the 8-byte header length field");
  expect_rejected(std::vector<std::byte>(5, std::byte{1}), "shorter than the 8-byte header length field");
}

TEST_F(SafetensorsTest, RejectsTruncatedHeader) {
  // The length field promises more header than the file holds.
  expect_rejected(image(R"({"a":{"dtype":"F32")", 0, 100), "truncated header: header length 100");
}

TEST_F(SafetensorsTest, RejectsAbsurdHeaderLength) {
  expect_rejected(image("{}", 0, std::uint64_t{1} << 40), "is absurd");
  expect_rejected(image("{}", 0, ~std::uint64_t{0}), "is absurd");
}

TEST_F(SafetensorsTest, RejectsHeaderThatIsNotJsonOrNotAnObject) {
  expect_rejected(image(R"({"a": {"dtype": )"), "header is not valid JSON");
  expect_rejected(image(""), "header is not valid JSON");
  expect_rejected(image("[1, 2]"), "header is not a JSON object");
  expect_rejected(image("\"text\""), "header is not a JSON object");
  expect_rejected(image("{\"a\": 1e999}"), "header is not valid JSON at byte 18: number overflow parsing '1e999'");
  // Deep nesting must not exhaust the stack while parsing, destroying or echoing the document.
  constexpr std::size_t kDepth = 80'000;
  expect_rejected(image(std::string(kDepth, '[') + std::string(kDepth, ']')), "nested deeper than 64 levels");
  expect_rejected(image(R"({"a":)" + std::string(kDepth, '[')), "a[0][0]");
  for (const char* field : {"__metadata__", "shape", "dtype"}) {
    const std::string deep = std::string(kDepth, '[') + std::string(kDepth, ']');
    expect_rejected(image(std::string(R"({"a":{")") + field + "\":" + deep + "}}"), "nested deeper than 64 levels");
  }
}

TEST_F(SafetensorsTest, EchoesUntrustedValuesBounded) {
  // A rejected value is quoted in the message, never in full.
  const std::string deep = std::string(60, '[') + std::string(60, ']');
  const std::string long_name(100'000, 'n');
  try {
    (void)SafetensorsFile::parse(image(R"({"a":{"dtype":)" + deep + R"(,"shape":[1],"data_offsets":[0,4]}})", 4), "t");
    FAIL() << "accepted";
  } catch (const DataError& e) {
    EXPECT_LT(std::string(e.what()).size(), 300u) << e.what();
  }
  try {
    (void)SafetensorsFile::parse(image("{\"" + long_name + R"(":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4), "t");
    FAIL() << "accepted";
  } catch (const DataError& e) {
    EXPECT_LT(std::string(e.what()).size(), 400u) << e.what();
  }
}

TEST_F(SafetensorsTest, RejectsEntriesWithMissingOrMistypedFields) {
  expect_rejected(image(R"({"a": 3})"), "tensor 'a': entry is not an object");
  expect_rejected(image(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 4), "tensor 'a': missing field 'dtype'");
  expect_rejected(image(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", 4), "tensor 'a': missing field 'shape'");
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[1]}})", 4), "tensor 'a': missing field 'data_offsets'");
  expect_rejected(image(R"({"a":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})", 4), "dtype is not a string");
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})", 4), "shape is not an array");
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4),
                  "shape dimension is not a non-negative integer");
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4),
                  "data_offsets is not an array of two integers");
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":{"b":0}}})", 4),
                  "data_offsets is not an array of two integers");
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":["0",4]}})", 4),
                  "data_offsets begin is not a non-negative integer");
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,4]}})", 4),
                  "data_offsets begin is negative");
}

TEST_F(SafetensorsTest, RejectsUnknownDtype) {
  expect_rejected(image(R"({"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}})", 4),
                  "tensor 'a': unknown dtype \"F8_E4M3\"");
  expect_rejected(image(R"({"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}})", 4), "unknown dtype");
}

TEST_F(SafetensorsTest, RejectsNegativeDimensionAndElementCountOverflow) {
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,16]}})", 16),
                  "tensor 'a': negative dimension -1");
  // 2^32 * 2^32 elements wraps to 0 in 64 bits.
  expect_rejected(image(R"({"a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}})"),
                  "tensor 'a': element count of shape");
  // The element count fits but the byte count (times 4) does not.
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})"),
                  "overflows");
  // A zero dimension does not excuse a dimension beyond int64.
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}})"),
                  "overflows");
}

TEST_F(SafetensorsTest, RejectsOffsetsOutOfRangeOrReversed) {
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}})", 16),
                  "tensor 'a': data_offsets [0, 400] out of range: the data section holds 16 bytes");
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8),
                  "tensor 'a': data_offsets [8, 4] are reversed");
  // An offset near 2^64 must not wrap around in the range check.
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,0]}})", 8),
                  "reversed");
}

TEST_F(SafetensorsTest, RejectsOverlappingTensors) {
  expect_rejected(
      image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
            12),
      "tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]");
  // Two tensors on the very same bytes.
  expect_rejected(
      image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})",
            8),
      "overlap");
}

TEST_F(SafetensorsTest, RejectsSizeMismatch) {
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
                  "tensor 'a': size mismatch: data_offsets [0, 8] hold 8 bytes but shape [3] of F32 needs 12");
  expect_rejected(image(R"({"a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,16]}})", 16), "size mismatch");
}

TEST_F(SafetensorsTest, RejectsHolesAndTrailingBytes) {
  // Decision (as the reference implementation): the tensors must tile the data section exactly.
  expect_rejected(
      image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
            12),
      "hole in the data section: bytes [4, 8) belong to no tensor");
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "hole");
  expect_rejected(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8),
                  "trailing bytes: the data section holds 8 bytes but the tensors end at 4");
  expect_rejected(image("{}", 3), "trailing bytes");
}

TEST_F(SafetensorsTest, RejectsDuplicateNames) {
  expect_rejected(
      image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
            8),
      "duplicate tensor name 'a'");
  expect_rejected(image(R"({"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})", 4),
                  "a.dtype: duplicate key \"dtype\"");
}

TEST_F(SafetensorsTest, RejectsMalformedMetadata) {
  expect_rejected(image(R"({"__metadata__": [1]})"), "__metadata__ is not an object of strings");
  expect_rejected(image(R"({"__metadata__": {"steps": 5}})"), "__metadata__ value of 'steps' is not a string");
}

TEST_F(SafetensorsTest, MissingOrUnreadableFileIsIoError) {
  const std::string missing = (dir_ / "missing.safetensors").string();
  try {
    (void)SafetensorsFile::read(missing);
    ADD_FAILURE() << "read a missing file";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)SafetensorsFile::read(dir_.string()), IoError);
  // A FIFO is refused at once: waiting for a writer would hang the tool.
  const std::string fifo = (dir_ / "pipe.safetensors").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW((void)SafetensorsFile::read(fifo), IoError);
}

TEST_F(SafetensorsTest, EveryTruncationAndByteCorruptionIsRejectedCleanly) {
  // Robustness sweep for the sanitizer builds: any prefix of a valid file, and the valid file
  // with any one header byte replaced, either parses or throws DataError, and never reads out of
  // bounds (ASan would abort).
  SafetensorsWriter w;
  const std::vector<float> values = {1.f, 2.f, 3.f};
  w.add("x", TensorDType::f32, {3}, std::as_bytes(std::span(values)));
  w.add("y", TensorDType::u8, {2, 1}, std::as_bytes(std::span(values).first(1)).first(2));
  w.set_metadata("k", "v");
  const auto valid = w.serialize();
  for (std::size_t len = 0; len < valid.size(); ++len) {
    std::vector<std::byte> prefix(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(len));
    EXPECT_THROW((void)SafetensorsFile::parse(std::move(prefix), "prefix"), DataError) << "length " << len;
  }
  std::uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, valid.data(), 8);
  int accepted = 0;
  for (std::size_t i = 0; i < 8 + header_bytes; ++i) {
    for (char c : {'0', '9', '-', '"', '{', ']', ' ', '\xff'}) {
      auto corrupt = valid;
      corrupt[i] = static_cast<std::byte>(c);
      try {
        const auto f = SafetensorsFile::parse(std::move(corrupt), "corrupt");
        ++accepted;
        for (const auto& t : f.tensors()) EXPECT_EQ(t.data.size(), t.numel() * bnb::tensor_dtype_size(t.dtype));
      } catch (const DataError&) {
      }
    }
  }
  EXPECT_GT(accepted, 0);  // e.g. a digit inside a metadata string or a space in the padding
}

TEST_F(SafetensorsTest, RoundTripsEveryDtypeWithMetadata) {
  struct Case {
    std::string name;
    TensorDType dtype;
    std::vector<std::int64_t> shape;
  };
  const std::vector<Case> cases = {
      {"f32", TensorDType::f32, {2, 3}},  {"f16", TensorDType::f16, {5}},    {"bf16", TensorDType::bf16, {3, 1, 2}},
      {"u8", TensorDType::u8, {7}},       {"i32", TensorDType::i32, {2, 2}}, {"i64", TensorDType::i64, {3}},
      {"f64", TensorDType::f64, {1, 2}},  {"scalar", TensorDType::f32, {}},  {"empty", TensorDType::i64, {0, 4}},
  };
  SafetensorsWriter w;
  std::vector<std::vector<std::byte>> payloads;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const std::size_t bytes = bnb::element_count(cases[c].shape) * bnb::tensor_dtype_size(cases[c].dtype);
    std::vector<std::byte> data(bytes);
    for (std::size_t i = 0; i < bytes; ++i) data[i] = static_cast<std::byte>(31 * c + 7 * i + 1);
    w.add(cases[c].name, cases[c].dtype, cases[c].shape, data);
    payloads.push_back(std::move(data));
  }
  w.set_metadata("optimizer", "adam8bit");
  w.set_metadata("steps", "12");
  const std::string path = (dir_ / "round.safetensors").string();
  w.write_atomic(path);

  const auto file = SafetensorsFile::read(path);
  ASSERT_EQ(file.tensors().size(), cases.size());
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const auto& t = file.at(cases[c].name);
    EXPECT_EQ(t.dtype, cases[c].dtype) << cases[c].name;
    EXPECT_EQ(t.shape, cases[c].shape) << cases[c].name;
    ASSERT_EQ(t.data.size(), payloads[c].size()) << cases[c].name;
    EXPECT_TRUE(std::equal(t.data.begin(), t.data.end(), payloads[c].begin())) << cases[c].name;
  }
  EXPECT_EQ(file.metadata(), (std::map<std::string, std::string>{{"optimizer", "adam8bit"}, {"steps", "12"}}));

  // The header is space-padded so the data section starts 8-byte aligned, as PyTorch writes it.
  const auto bytes = w.serialize();
  std::uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data(), 8);
  EXPECT_EQ(header_bytes % 8, 0u);
}

TEST_F(SafetensorsTest, DtypeNamesRoundTrip) {
  for (auto d : {TensorDType::f32, TensorDType::f16, TensorDType::bf16, TensorDType::u8, TensorDType::i32,
                 TensorDType::i64, TensorDType::f64}) {
    EXPECT_EQ(bnb::parse_tensor_dtype(bnb::tensor_dtype_name(d)), d);
  }
  EXPECT_EQ(bnb::parse_tensor_dtype("BOOL"), std::nullopt);
  EXPECT_EQ(bnb::param_dtype_of(bnb::tensor_dtype_of(bnb::DType::bf16)), bnb::DType::bf16);
  EXPECT_EQ(bnb::param_dtype_of(TensorDType::u8), std::nullopt);
}

TEST_F(SafetensorsTest, ConvertsHalfTypesToF32) {
  // 1.5 and -2 are exact in both 16-bit formats.
  const std::vector<std::uint16_t> half = {0x3e00, 0xc000};
  const std::vector<std::uint16_t> bf16 = {0x3fc0, 0xc000};
  SafetensorsWriter w;
  w.add("h", TensorDType::f16, {2}, std::as_bytes(std::span(half)));
  w.add("b", TensorDType::bf16, {2}, std::as_bytes(std::span(bf16)));
  w.add("u", TensorDType::u8, {1}, std::as_bytes(std::span(half)).first(1));
  const auto file = SafetensorsFile::parse(w.serialize(), "memory");
  EXPECT_EQ(bnb::to_f32_values(file.at("h")), (std::vector<float>{1.5f, -2.f}));
  EXPECT_EQ(bnb::to_f32_values(file.at("b")), (std::vector<float>{1.5f, -2.f}));
  EXPECT_THROW((void)bnb::to_f32_values(file.at("u")), DataError);
}

TEST_F(SafetensorsTest, WriterRejectsInconsistentTensors) {
  SafetensorsWriter w;
  const std::vector<float> v(4);
  w.add("a", TensorDType::f32, {4}, std::as_bytes(std::span(v)));
  EXPECT_THROW(w.add("a", TensorDType::f32, {4}, std::as_bytes(std::span(v))), DataError);
  EXPECT_THROW(w.add("b", TensorDType::f32, {5}, std::as_bytes(std::span(v))), DataError);
  EXPECT_THROW(w.add("c", TensorDType::f32, {-4}, std::as_bytes(std::span(v))), DataError);
  EXPECT_THROW(w.add("__metadata__", TensorDType::f32, {4}, std::as_bytes(std::span(v))), DataError);
}

TEST_F(SafetensorsTest, AtomicWriteReplacesTheFileAndLeavesNoTemporary) {
  const std::string path = (dir_ / "out.safetensors").string();
  const std::vector<float> first = {1.f}, second = {2.f, 3.f};
  SafetensorsWriter a, b;
  a.add("p", TensorDType::f32, {1}, std::as_bytes(std::span(first)));
  b.add("p", TensorDType::f32, {2}, std::as_bytes(std::span(second)));
  a.write_atomic(path);
  b.write_atomic(path);  // replaces the existing file
  EXPECT_EQ(bnb::to_f32_values(SafetensorsFile::read(path).at("p")), second);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"out.safetensors"});
}

TEST_F(SafetensorsTest, UnwritableOutputIsIoErrorAndLeavesNothing) {
  SafetensorsWriter w;
  const std::string in_missing_dir = (dir_ / "no" / "such" / "dir" / "out.safetensors").string();
  try {
    w.write_atomic(in_missing_dir);
    ADD_FAILURE() << "wrote into a missing directory";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(in_missing_dir), std::string::npos) << e.what();
  }
  // The target is a directory: the rename fails and the temporary file is removed.
  fs::create_directory(dir_ / "target");
  EXPECT_THROW(w.write_atomic((dir_ / "target").string()), IoError);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"target"});
}

TEST_F(SafetensorsTest, ReadsTheExampleFilesWrittenByPython) {
  const auto trace = SafetensorsFile::read(BNB_TEST_DATA_DIR "/example_trace.safetensors");
  const std::vector<std::pair<std::string, std::vector<std::int64_t>>> expected = {
      {"init/w", {40, 130}}, {"init/b", {130}}, {"grad/w", {5, 40, 130}}, {"grad/b", {5, 130}}};
  ASSERT_EQ(trace.tensors().size(), expected.size());
  for (const auto& [name, shape] : expected) {
    const auto& t = trace.at(name);
    EXPECT_EQ(t.dtype, TensorDType::f32) << name;
    EXPECT_EQ(t.shape, shape) << name;
    EXPECT_EQ(t.data.size(), t.numel() * 4) << name;
  }
  const auto result = SafetensorsFile::read(BNB_TEST_DATA_DIR "/example_adam_result.safetensors");
  EXPECT_EQ(result.metadata().at("optimizer"), "Adam");
  EXPECT_EQ(result.at("param/w").shape, (std::vector<std::int64_t>{40, 130}));
}

}  // namespace
