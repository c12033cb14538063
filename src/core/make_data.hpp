#pragma once
// Chooses how X is stored for a fit: dense, or compressed sparse rows when most entries are zero.
#include <memory>
#include <vector>

#include "core/data.hpp"
#include "kernels/csr.hpp"
#include "nmfkit/fit.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit::core {

/// kAuto stores X as CSR from this fraction of zero entries on.
inline constexpr double kAutoSparseZeroFraction = 0.5;

template <typename T>
struct DataChoice {
  std::unique_ptr<nmfkit::Data<T>> data;      ///< X in the chosen format
  const nmfkit::Data<T>* external = nullptr;  ///< or the caller's storage of X (then data is empty)
  bool dense = false;                         ///< the format is dense
  double zero_fraction = 0;
  /// X in T (row-major, unpadded) when it was given otherwise (as 8-bit levels) and stored dense:
  /// written in full once sized, on pages of its own (kernels::DefaultInit).
  std::vector<T, kernels::DefaultInit<T>> owned;

  const nmfkit::Data<T>& storage() const { return external != nullptr ? *external : *data; }
  /// "dense", "sparse", or "custom" for a caller's storage.
  const char* format() const { return external != nullptr ? "custom" : dense ? "dense" : "sparse"; }
};

/// Checks X and stores it as `format` asks; kAuto picks sparse when at least half the entries
/// are zero and `sparse_suits` (the loss reads X only through products or at its non-zeros:
/// Frobenius, Kullback-Leibler), dense otherwise. A dense choice refers to x.
template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const DenseView<T>& x, DataFormat format,
                                         bool sparse_suits, int threads);

/// As make_data for X(i, j) = T(levels(i, j) · scale) (scale finite and > 0): sparse X is stored
/// as 8-bit codes straight from the levels (when it has at most kernels::kMaxCsrBytesCols
/// columns); dense X is converted into the choice's own matrix.
template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const DenseView<std::uint8_t>& levels, double scale,
                                         DataFormat format, bool sparse_suits, int threads);

/// As make_data for the levels `source.read` gives, a block of rows at a time: a sparse X is
/// built from two passes over them (the non-zeros of each row counted, then copied) and they are
/// never held whole; a dense X reads them into one buffer first, freed once converted. Checks
/// the source as the levels' make_data checks a view (empty, no read function, scale).
template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const LevelsSource& source, DataFormat format,
                                         bool sparse_suits, int threads);

}  // namespace nmfkit::core
