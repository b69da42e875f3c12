#pragma once
// Exit codes of DESIGN.md §3 (sysexits style). 1-15 are a bit mask of failed gates.
namespace bnb::app {

enum ExitCode : int {
  kOk = 0,
  kGateSpeed = 1,
  kGateAccuracy = 2,
  kGateMemory = 4,
  kGateNonFinite = 8,
  kUsage = 64,    // usage or configuration error
  kDataErr = 65,  // malformed input data (trace, checkpoint)
  kSoftware = 70, // internal error
  kIoErr = 74,    // I/O error
};

}  // namespace bnb::app
