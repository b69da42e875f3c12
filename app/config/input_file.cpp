#include "input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <new>

#include "bnb/errors.hpp"

namespace bnb::app {
namespace {

// Configs are kilobytes and results files megabytes; anything this large is not one of them.
constexpr off_t kMaxTextFileBytes = off_t{256} << 20;

struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string read_input_file(const std::filesystem::path& file, std::string_view what) {
  const std::string name = file.string();
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  const Descriptor d{::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (d.fd < 0) throw IoError(fmt::format("{}: cannot read the {}: {}", name, what, std::strerror(errno)));
  struct stat info {};
  if (::fstat(d.fd, &info) != 0) throw IoError(fmt::format("{}: cannot read the {}: {}", name, what, std::strerror(errno)));
  if (S_ISDIR(info.st_mode)) throw IoError(fmt::format("{}: cannot read the {}: it is a directory", name, what));
  if (!S_ISREG(info.st_mode)) throw IoError(fmt::format("{}: cannot read the {}: not a regular file", name, what));
  if (info.st_size > kMaxTextFileBytes) {
    throw IoError(fmt::format("{}: cannot read the {}: {} bytes is more than the {} MiB a {} may have", name, what,
                              info.st_size, kMaxTextFileBytes >> 20, what));
  }
  std::string text;
  try {
    text.resize(static_cast<std::size_t>(info.st_size));
  } catch (const std::bad_alloc&) {
    throw IoError(fmt::format("{}: cannot read the {}: not enough memory for {} bytes", name, what, info.st_size));
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(d.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError(fmt::format("{}: read error: {}", name, std::strerror(errno)));
    if (n == 0) break;  // shrank while being read: parse what is there
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

}  // namespace bnb::app
