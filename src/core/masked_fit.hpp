#pragma once
// The masked fit (src/core/masked_fit.cpp) and the tuning of its fill products, visible to its
// tests.
#include <cstddef>
#include <cstdint>

#include "nmfkit/fit.hpp"
#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"
#include "nmfkit/result.hpp"

namespace nmfkit::core {

/// Sᵀ·W is summed by rows of W into one m × k partial per row chunk while these partials fit in
/// this many bytes, else by columns of S.
inline constexpr double kFillPartialsLimitBytes = 64.0 * 1024 * 1024;

/// fit(x, observed, options) (nmfkit/fit.hpp) with the given limit for the fill's partials.
template <typename T>
FitResult<T> masked_fit(const DenseView<T>& x, const DenseView<std::uint8_t>& observed,
                        const FitOptions& options,
                        double partials_limit_bytes = kFillPartialsLimitBytes,
                        const StartFactors<T>* start = nullptr);

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
