#pragma once
// The library reports errors as exceptions; the CLI maps their type to an exit code
// (DESIGN.md §3): ConfigError -> 64, DataError -> 65, IoError -> 74, anything else -> 70.
#include <stdexcept>
#include <string>

namespace bnb {

/// A configuration is invalid (bad argument, unknown name, override matching nothing, ...).
struct ConfigError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// `device: "cuda"` cannot run here: the build has no CUDA, or no device is usable. A
/// configuration error (exit 64) whose message is the reason.
struct DeviceUnavailable : ConfigError {
  using ConfigError::ConfigError;
};

/// Input data is malformed (a trace or checkpoint file, a tensor of the wrong size).
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A file could not be read or written.
struct IoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace bnb
