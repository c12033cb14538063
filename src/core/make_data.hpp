#pragma once
// Chooses how X is stored for a fit (dense, or compressed sparse rows when most entries are zero)
// and wraps it, normalised, in the Data interface.
#include <memory>

#include "core/data.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit::core {

/// kAuto stores X as CSR from this fraction of zero entries on.
inline constexpr double kAutoSparseZeroFraction = 0.5;

template <typename T>
struct DataChoice {
  std::unique_ptr<Data<T>> data;        ///< X/c in the chosen format
  const DenseView<T>* dense = nullptr;  ///< X itself when the format is dense (β ≠ 2 needs it)
  bool has_zero = false;                ///< X has at least one zero entry
  double zero_fraction = 0;
  DenseView<T> view;
  Matrix<T> owned;  ///< X in T when it was given otherwise (as 8-bit levels) and stored dense
};

/// Checks X and stores it as `format` asks; kAuto picks sparse when at least half the entries
/// are zero and the loss is Frobenius (β = 2), dense otherwise.
template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const DenseView<T>& x, DataFormat format, double beta,
                                         int threads);

/// As make_data for X(i, j) = T(levels(i, j) · scale) (scale finite and > 0): sparse X is stored
/// as 8-bit codes straight from the levels (when it has at most kernels::kMaxCsrBytesCols
/// columns); dense X is converted into the choice's own matrix.
template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const DenseView<std::uint8_t>& levels, double scale,
                                         DataFormat format, double beta, int threads);

}  // namespace nmfkit::core
