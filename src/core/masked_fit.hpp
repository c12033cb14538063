#pragma once
// Tuning of the masked fit's fill products (src/core/masked_fit.cpp), visible to its tests.
#include <cstddef>

#include "nmfkit/matrix.hpp"

namespace nmfkit::core {

/// Sᵀ·W is summed by rows of W into one m × k partial per row chunk while these partials fit in
/// this many bytes, else by columns of S.
extern double fill_partials_limit_bytes;

/// Up to this padded k, S·Hᵀ accumulates a row on the stack; beyond, on the heap.
inline constexpr Index kFillStackValues = 256;

/// The fill's rows are padded with zeros to whole vectors of this many values.
template <typename T>
inline constexpr int kFillLanes = 64 / static_cast<int>(sizeof(T));

/// k rounded up to whole vectors of `bytes`-sized values.
inline Index fill_padded(Index k, std::size_t bytes) {
  const Index lanes = 64 / static_cast<Index>(bytes);
  return (k + lanes - 1) / lanes * lanes;
}

}  // namespace nmfkit::core
