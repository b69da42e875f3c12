#include "peers/peer_process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "bnb/errors.hpp"

extern char** environ;

namespace bnb::app {
namespace {

constexpr int kProtocol = 1;
// Lines of the bridge's stderr quoted in a message: enough for the end of a traceback.
constexpr std::size_t kTailLines = 6;

void send_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    // A socket rather than a pipe: MSG_NOSIGNAL turns a dead child into EPIPE instead of SIGPIPE.
    const ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw PeerCrash(fmt::format("the peer bridge stopped reading requests ({})", std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

PeerLauncher PeerLauncher::resolve(const std::string& python_option) {
  PeerLauncher l;
  const char* env_python = std::getenv("BNB_BENCH_PYTHON");
  l.python = !python_option.empty() ? python_option : (env_python && *env_python) ? env_python : "python3";
  const char* env_bridge = std::getenv("BNB_BENCH_PEER_BRIDGE");
  l.bridge = (env_bridge && *env_bridge) ? std::filesystem::path(env_bridge) : std::filesystem::path(BNB_BENCH_PEER_BRIDGE_DIR);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(l.bridge / "__main__.py", ec)) {
    throw ConfigError(fmt::format("the peer bridge is not at {} (set BNB_BENCH_PEER_BRIDGE to the scripts/bnb_bench_peer "
                                  "folder of a bnb-bench source tree)", l.bridge.string()));
  }
  return l;
}

PeerProcess::PeerProcess(const PeerLauncher& launcher, const std::filesystem::path& stderr_file)
    : stderr_file_(stderr_file) {
  int sock[2], out[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    throw IoError(fmt::format("cannot create the pipes to the peer bridge: {}", std::strerror(errno)));
  }
  const int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err < 0) throw IoError(fmt::format("{}: {}", stderr_file.string(), std::strerror(errno)));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, sock[1], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err, 2);
  const std::string bridge = launcher.bridge.string();
  std::vector<char*> argv = {const_cast<char*>(launcher.python.c_str()), const_cast<char*>("-u"),
                             const_cast<char*>(bridge.c_str()), nullptr};
  const int rc = ::posix_spawnp(&pid_, launcher.python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(sock[1]);
  ::close(out[1]);
  ::close(err);
  if (rc != 0) {
    ::close(sock[0]);
    ::close(out[0]);
    pid_ = -1;
    throw ConfigError(fmt::format("cannot start the Python interpreter \"{}\" for the peer entries ({}): install "
                                  "python3 (apt-get install python3), or name one with --python PATH or "
                                  "BNB_BENCH_PYTHON", launcher.python, std::strerror(rc)));
  }
  to_child_ = sock[0];
  from_child_ = ::fdopen(out[0], "r");

  nlohmann::json hello;
  try {
    hello = request({{"op", "hello"}});
  } catch (const PeerCrash& e) {
    throw ConfigError(fmt::format("\"{}\" could not run the peer bridge {} (it needs Python 3.8 or newer): {}{}",
                                  launcher.python, bridge, e.what(), stderr_tail()));
  }
  if (hello.value("protocol", 0) != kProtocol) {
    throw ConfigError(fmt::format("the peer bridge {} speaks protocol {}, this bnb-bench speaks {}", bridge,
                                  hello.value("protocol", 0), kProtocol));
  }
}

PeerProcess::~PeerProcess() {
  if (to_child_ >= 0) {
    try {
      send_all(to_child_, "{\"op\": \"quit\"}\n");
    } catch (const PeerCrash&) {
      // Already gone: reaped below.
    }
    ::close(to_child_);
  }
  if (from_child_) std::fclose(from_child_);
  if (pid_ > 0) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

nlohmann::json PeerProcess::request(const nlohmann::json& req) {
  send_all(to_child_, req.dump() + "\n");
  std::string line;
  for (int c; (c = std::fgetc(from_child_)) != EOF && c != '\n';) line.push_back(static_cast<char>(c));
  if (line.empty()) throw PeerCrash("the peer bridge exited without answering");
  nlohmann::json reply = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!reply.is_object() || !reply.contains("ok")) {
    throw PeerCrash(fmt::format("the peer bridge answered something that is not a reply: {}", line.substr(0, 200)));
  }
  return reply;
}

std::string PeerProcess::stderr_tail() const {
  std::ifstream in(stderr_file_);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) {
    if (l.empty()) continue;
    lines.push_back(std::move(l));
    if (lines.size() > kTailLines) lines.erase(lines.begin());
  }
  std::string out;
  for (const auto& l : lines) out += "\n    " + l;
  return out;
}

}  // namespace bnb::app
