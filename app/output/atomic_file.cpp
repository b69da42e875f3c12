#include "atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>

#include "bnb/errors.hpp"
#include "interrupt.hpp"

namespace bnb::app {
namespace {

std::string temp_name(const std::string& path) { return fmt::format("{}.tmp.{}", path, getpid()); }

}  // namespace

void write_file_atomic(const std::string& path, std::string_view contents) {
  const InterruptsDeferred whole_file_or_nothing;
  const std::string tmp = temp_name(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw IoError(fmt::format("{}: write failed: {}", path, std::strerror(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw IoError(fmt::format("{}: write failed: {}", path, std::strerror(err)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw IoError(fmt::format("{}: cannot rename the temporary file into place: {}", path, std::strerror(err)));
  }
}

void check_writable_file(const std::string& path, std::string_view option) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ConfigError(fmt::format("{}: {} is a directory", option, path));
  const InterruptsDeferred no_probe_left_behind;
  const std::string tmp = temp_name(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw ConfigError(fmt::format("{}: cannot write {}: {}", option, path, std::strerror(errno)));
  ::close(fd);
  ::unlink(tmp.c_str());
}

void check_writable_dir(const std::string& dir, std::string_view option) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir, ec)) {
    throw ConfigError(fmt::format("{}: cannot create the directory {}: {}", option, dir,
                                  ec ? ec.message() : std::string("not a directory")));
  }
  check_writable_file((std::filesystem::path(dir) / ".bnb-bench-write-test").string(), option);
}

}  // namespace bnb::app
