#pragma once
// The folder where bnb-bench and the peer bridges exchange tensor files: in /dev/shm when it is
// usable (memory-backed, so the exchange costs copies, not disk writes), else the temporary
// folder. Removed with everything in it when the run ends.
#include <filesystem>

namespace bnb::app {

class PeerScratch {
 public:
  PeerScratch();  // IoError when no folder can be made
  ~PeerScratch();
  PeerScratch(const PeerScratch&) = delete;
  PeerScratch& operator=(const PeerScratch&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace bnb::app
