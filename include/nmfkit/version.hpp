#pragma once
#include <string_view>

namespace nmfkit {
/// The library version, "major.minor.patch".
std::string_view version();
}  // namespace nmfkit
