#pragma once
// SIGINT and SIGTERM end the tool at once with exit code 130 or 143 (128 + the signal), the
// shell convention, and never leave a partial output file: a signal that arrives while a file
// is being written (a temporary file, then a rename) takes effect when the write is complete.
namespace bnb::app {

/// Installs the handlers (main, before any work).
void install_interrupt_handlers();

/// Defers SIGINT/SIGTERM for its lifetime (file writes); exits on destruction if one came.
class InterruptsDeferred {
 public:
  InterruptsDeferred();
  ~InterruptsDeferred();
  InterruptsDeferred(const InterruptsDeferred&) = delete;
  InterruptsDeferred& operator=(const InterruptsDeferred&) = delete;
};

}  // namespace bnb::app
