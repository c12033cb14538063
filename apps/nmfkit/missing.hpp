#pragma once
// The observed-entry mask of X from --mask FILE (an NPY of X's shape, nonzero = observed) and
// --missing nan (NaN entries of X are missing).
#include <cstdint>
#include <string>
#include <vector>

#include "input.hpp"

namespace nmfkit::cli {

struct Missing {
  std::vector<std::uint8_t> observed;  ///< rows × cols, 1 = observed; empty: all observed
  Index count = 0;                     ///< entries missing
  bool any() const { return !observed.empty(); }
};

/// Builds the mask; `limited` says the input was cut by --limit (the mask is then cut too).
/// Throws InvalidArgument for a bad --missing value, DataError for an unreadable mask or one of
/// the wrong shape.
template <typename T>
Missing missing_entries(const std::string& mask_path, const std::string& missing, const Input& in,
                        const std::vector<T>& x, bool limited);

}  // namespace nmfkit::cli
