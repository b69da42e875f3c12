#include "peers/peer_scratch.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bnb/errors.hpp"

namespace bnb::app {

PeerScratch::PeerScratch() {
  std::error_code ec;
  const std::filesystem::path base = ::access("/dev/shm", W_OK) == 0 ? std::filesystem::path("/dev/shm")
                                                                     : std::filesystem::temp_directory_path(ec);
  std::string pattern = (base / "bnb-bench-peers-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw IoError(fmt::format("cannot create a folder for the peer bridge in {}: {}", base.string(), std::strerror(errno)));
  }
  path_ = pattern;
}

PeerScratch::~PeerScratch() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // best effort: nothing to report at this point
}

}  // namespace bnb::app
