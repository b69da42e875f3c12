#pragma once
// A one-line progress display on stderr: only when stderr is a terminal, only once the run has
// lasted a second, at most ten updates a second, erased when done. Off with --quiet.
#include <chrono>
#include <string>

namespace bnb::app {

class Progress {
 public:
  explicit Progress(bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(const std::string& text);
  void clear();

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace bnb::app
