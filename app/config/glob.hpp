#pragma once
// The CLI matches override and gate label patterns with the library's matcher (bnb/glob.hpp).
#include "bnb/glob.hpp"

namespace bnb::app {

using bnb::glob_match;

}  // namespace bnb::app
