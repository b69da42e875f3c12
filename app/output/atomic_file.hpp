#pragma once
// Results are written atomically (DESIGN.md §3.2): a temporary file in the same directory,
// flushed, then renamed over the target, so an interrupted run never leaves a partial file.
#include <string>
#include <string_view>

namespace bnb::app {

/// IoError naming the path on failure (the temporary file is removed).
void write_file_atomic(const std::string& path, std::string_view contents);

/// Throws ConfigError when a file cannot be created at `path` (checked before any work).
void check_writable_file(const std::string& path, std::string_view option);
/// Creates `dir` if needed; ConfigError when it cannot be created or written.
void check_writable_dir(const std::string& dir, std::string_view option);

}  // namespace bnb::app
