#pragma once
// One running peer bridge (scripts/bnb_bench_peer, protocol in docs/peers.md): a Python
// interpreter spoken to in JSON lines over its stdin/stdout, its stderr kept in a file for
// messages. Owns the child: the destructor asks it to quit and reaps it.
#include <sys/types.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace bnb::app {

/// The bridge process died or answered something that is not a protocol reply.
struct PeerCrash : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Where the interpreter and the bridge are: `--python`, else BNB_BENCH_PYTHON, else "python3";
/// BNB_BENCH_PEER_BRIDGE, else the scripts/ folder of the source tree the tool was built from.
struct PeerLauncher {
  std::string python;
  std::filesystem::path bridge;

  static PeerLauncher resolve(const std::string& python_option);
};

class PeerProcess {
 public:
  /// Starts the bridge and checks its greeting. ConfigError (exit 64) when the interpreter cannot
  /// be started or is not a Python the bridge runs on, naming what to install.
  PeerProcess(const PeerLauncher& launcher, const std::filesystem::path& stderr_file);
  ~PeerProcess();
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  /// Sends one request and returns the reply (an object with "ok"). PeerCrash when the process
  /// is gone or the reply is not JSON.
  nlohmann::json request(const nlohmann::json& req);

  /// The last lines the bridge wrote on stderr (library warnings, a traceback), for messages.
  std::string stderr_tail() const;

 private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  std::FILE* from_child_ = nullptr;
  std::filesystem::path stderr_file_;
};

}  // namespace bnb::app
