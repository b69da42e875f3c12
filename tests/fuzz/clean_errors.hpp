#pragma once
// What a fuzz target accepts from the code under test: the project's own error types, which the
// CLI turns into exit codes 64, 65 and 74. Any other exception escapes, aborts the process, and
// libFuzzer records the input as a crash (as it does for signals and sanitizer reports).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bnb/errors.hpp"

namespace bnb::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

template <class F>
void expect_clean_errors(F&& f) {
  try {
    f();
  } catch (const ConfigError&) {
  } catch (const DataError&) {
  } catch (const IoError&) {
  }
}

}  // namespace bnb::fuzz
