#pragma once
// Chooses how X is stored for a fit: dense, or compressed sparse rows when most entries are zero.
#include <array>
#include <memory>
#include <vector>

#include "core/data.hpp"
#include "kernels/csr.hpp"
#include "nmfkit/fit.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit::core {

/// kAuto stores X as CSR from this fraction of zero entries on (Kullback-Leibler).
inline constexpr double kAutoSparseZeroFraction = 0.5;
/// The Frobenius loss with kAutoTinyComponents < k <= kAutoFewComponents: from this fraction on.
inline constexpr double kAutoSparseZeroFractionFewComponents = 0.55;
/// The Frobenius loss with more than kAutoFewComponents components, or at most
/// kAutoTinyComponents: from this fraction on.
inline constexpr double kAutoSparseZeroFractionManyComponents = 0.64;
inline constexpr Index kAutoFewComponents = 12;
inline constexpr Index kAutoTinyComponents = 4;
/// A zero fraction no X reaches: kAuto stores it dense.
inline constexpr double kNeverSparse = 2.0;

/// The fraction of zero entries from which format kAuto stores X as compressed sparse rows, for a
/// fit of k components with the loss β: a cost model measured on 8-bit images thinned to
/// 19–50% non-zeros (docs/performance.md, "Which storage"). Per stored entry the sparse products
/// cost several times what a dense entry does, and more so as k grows, so with more than
/// kAutoFewComponents components dense storage wins from about 36% non-zeros on, with fewer
/// from about 45% (since the dense products' panels, 2026-12-07: Fashion-MNIST's 50% non-zeros
/// ran 15-25% faster dense at k = 6 to 12 under either instruction set, 45% was level, 39%
/// sparse). With at most kAutoTinyComponents the dense products read X at memory speed
/// while a stored entry still costs its decoding and its scattered row: dense wins from about
/// 36% non-zeros on again (with the AVX-512 kernels; the AVX2 ones are level there). The choice
/// depends on the data and k alone, never on the machine. Kullback-Leibler keeps half (its rule
/// keeps its own copies of X's lines); the losses that read every entry (β ∉ {1, 2}) never store
/// X sparse.
double auto_sparse_zero_fraction(double beta, Index k);
/// X's value of each 8-bit level, q · scale in T. Throws InvalidArgument for a scale that is not
/// finite and positive, or whose levels leave T's range.
template <typename T>
std::array<T, 256> level_palette(double scale);
/// Whether `format` stores X sparse: kSparse, or kAuto with at least `sparse_from` of X zero.
bool sparse_chosen(DataFormat format, double sparse_from, double zero_fraction);

template <typename T>
struct DataChoice {
  std::unique_ptr<nmfkit::Data<T>> data;      ///< X in the chosen format
  const nmfkit::Data<T>* external = nullptr;  ///< or the caller's storage of X (then data is empty)
  bool dense = false;                         ///< the format is dense
  double zero_fraction = 0;
  /// X in T (row-major, unpadded) when it was given otherwise (as 8-bit levels) and stored dense:
  /// written in full once sized, on pages of its own (kernels::DefaultInit).
  std::vector<T, kernels::DefaultInit<T>> owned;
  /// The 8-bit levels of X when they were read here (make_data's LevelsSource form) and X is
  /// stored dense as levels (core::DenseLevelsStorage).
  std::vector<std::uint8_t, kernels::DefaultInit<std::uint8_t>> owned_levels;

  const nmfkit::Data<T>& storage() const { return external != nullptr ? *external : *data; }
  /// "dense", "sparse", or "custom" for a caller's storage.
  const char* format() const { return external != nullptr ? "custom" : dense ? "dense" : "sparse"; }
};

/// Checks X and stores it as `format` asks; kAuto picks sparse when at least `sparse_from` of the
/// entries are zero (auto_sparse_zero_fraction), dense otherwise. A dense choice refers to x.
template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const DenseView<T>& x, DataFormat format,
                                         double sparse_from, int threads);

/// As make_data for X(i, j) = T(levels(i, j) · scale) (scale finite and > 0): sparse X is stored
/// as 8-bit codes straight from the levels (when it has at most kernels::kMaxCsrBytesCols
/// columns); dense X in single precision is read from the levels in place (DenseLevelsStorage:
/// the choice refers to them), in double converted into the choice's own matrix.
template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const DenseView<std::uint8_t>& levels, double scale,
                                         DataFormat format, double sparse_from, int threads);

/// As make_data for the levels `source.read` gives, a block of rows at a time: a sparse X is
/// built from two passes over them (the non-zeros of each row counted, then copied) and they are
/// never held whole; a dense X reads them into one buffer first, freed once converted. Checks
/// the source as the levels' make_data checks a view (empty, no read function, scale).
template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const LevelsSource& source, DataFormat format,
                                         double sparse_from, int threads);

}  // namespace nmfkit::core
