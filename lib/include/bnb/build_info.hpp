#pragma once
// What this binary is: version, the git revision it was built from, the build type.
#include <string_view>

namespace bnb {
std::string_view version();
std::string_view git_revision();
std::string_view build_type();
}  // namespace bnb
