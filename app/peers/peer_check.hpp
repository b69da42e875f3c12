#pragma once
// Validation of the peer entries (docs/peers.md), part of every check `run` and `validate` make
// before any work: one bridge process builds each entry's class with its arguments on small
// tensors of the run's dtypes, so an unknown class or argument is a configuration error (exit
// 64) carrying the library's own message.
#include <string>

#include "config.hpp"

namespace bnb::app {

/// No-op without peer entries (then nothing needs Python). ConfigError naming the entry's JSON
/// path, or naming what to install when the interpreter or a library is missing.
void check_peers(const Config& c, const std::string& python_option);

/// True when some entry of the config is run by another library.
bool has_peers(const Config& c);

}  // namespace bnb::app
