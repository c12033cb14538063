#pragma once
/// fit(), transform(), inverse_transform(): X ≈ W·H with non-negative W (n × k) and H (k × m).
#include <cstdint>
#include <functional>

#include "nmfkit/context.hpp"
#include "nmfkit/data.hpp"
#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"
#include "nmfkit/result.hpp"

namespace nmfkit {

/// Starting factors for init = Init::kCustom: W0 (n_samples × k) and H0 (k × n_features), ≥ 0.
template <typename T>
struct StartFactors {
  DenseView<T> w;
  DenseView<T> h;
};

/// Factorizes the non-negative X (n_samples × n_features, row-major) into W·H.
/// Throws InvalidArgument for bad options, DataError for negative/NaN/Inf/empty X or bad start
/// factors, NumericError if the iteration breaks down. Single precision data is fitted in single
/// precision. `start` is required when options.init is Init::kCustom and ignored otherwise.
FitResult<float> fit(const DenseView<float>& x, const FitOptions& options,
                     const StartFactors<float>* start = nullptr);
FitResult<double> fit(const DenseView<double>& x, const FitOptions& options,
                      const StartFactors<double>* start = nullptr);

/// X given as 8-bit levels: X(i, j) = scale · levels(i, j), rounded to float (8-bit pixels:
/// scale 1/255), as a float copy of X would hold it.
struct LevelsView {
  DenseView<std::uint8_t> levels;
  double scale = 1.0 / 255.0;
};

/// fit() of that X, in single precision, without a float copy of it when X is stored sparse
/// (options.format sparse, or auto and X zero enough: DataFormat::kAuto): the
/// products then read the levels' 8-bit codes directly. Dense X is converted to float internally.
/// The result is that of fit() on the float copy up to rounding in ‖X‖ (summed in another order).
FitResult<float> fit(const LevelsView& x, const FitOptions& options,
                     const StartFactors<float>* start = nullptr);

/// X given as 8-bit levels (X(i, j) = scale · level, as LevelsView) that the fit reads a block of
/// rows at a time through `read`, from a file say, without ever holding them whole when X is
/// stored sparse: the levels are read twice (their non-zeros counted, then copied into the sparse
/// form), so the fit's memory is that form and O((n + m)k), not the levels as well. When X is
/// stored dense they are read into one buffer and converted to float, as fit(LevelsView) does.
struct LevelsSource {
  Index rows = 0;
  Index cols = 0;
  double scale = 1.0 / 255.0;
  /// Rows per read; 0: about 16 MiB of levels per read (at least one row).
  Index block_rows = 0;
  /// Writes the levels of rows [first, first + count) (count × cols bytes, row after row) to out;
  /// what it throws ends the fit.
  std::function<void(Index first, Index count, std::uint8_t* out)> read;
};

/// fit() of the levels `x.read` gives, with fit(LevelsView)'s result.
FitResult<float> fit(const LevelsSource& x, const FitOptions& options,
                     const StartFactors<float>* start = nullptr);

/// fit() of X in the caller's storage (data.hpp): rows read from disk, the rows one process
/// holds (with a context whose reducer combines the sums over samples across processes), another
/// library's matrix. The fit reads X only through the interface; it does not check X's entries.
/// The result's format is "custom".
FitResult<float> fit(const Data<float>& x, const FitOptions& options,
                     const StartFactors<float>* start = nullptr, const FitContext& context = {});
FitResult<double> fit(const Data<double>& x, const FitOptions& options,
                      const StartFactors<double>* start = nullptr, const FitContext& context = {});

/// fit() of X in compressed sparse rows in the caller's memory, without a copy (T float or double,
/// I std::int32_t or std::int64_t). The structure is checked (DataError: offsets that do not start
/// at 0 or decrease, columns out of range or not increasing within a row; negative, NaN or
/// infinite values, naming the entry). X is stored sparse whatever options.format says.
template <typename T, typename I>
FitResult<T> fit(const CsrView<T, I>& x, const FitOptions& options,
                 const StartFactors<T>* start = nullptr);

/// Factorizes X from its observed entries only: `observed` (the shape of X) is nonzero where X is
/// observed and 0 where it is missing. Missing entries take no part in the fit or the loss (they
/// may hold anything, NaN included); loss_history, error and relative_error are over the observed
/// entries. Every Frobenius update rule is supported (see docs/masks.md); another loss, a mask of
/// the wrong shape or one that hides every entry of a sample or of a feature throws
/// (InvalidArgument or DataError). `start` is required when options.init is Init::kCustom.
FitResult<float> fit(const DenseView<float>& x, const DenseView<std::uint8_t>& observed,
                     const FitOptions& options, const StartFactors<float>* start = nullptr);
FitResult<double> fit(const DenseView<double>& x, const DenseView<std::uint8_t>& observed,
                      const FitOptions& options, const StartFactors<double>* start = nullptr);

/// W for the samples X with the components H (k × n_features) held fixed: scikit-learn's
/// transform(). The same solver, loss, regularisation, max_iter and tol as `options` (options.k
/// is taken from H). W starts as scikit-learn starts it: sqrt(mean(X)/k) everywhere for mu,
/// zeros otherwise. The result's H is a copy of `h`.
FitResult<float> transform(const DenseView<float>& x, const DenseView<float>& h,
                           const FitOptions& options);
FitResult<double> transform(const DenseView<double>& x, const DenseView<double>& h,
                            const FitOptions& options);
/// transform() of X in compressed sparse rows in the caller's memory, without a copy (checked as
/// fit() of a CsrView checks it).
template <typename T, typename I>
FitResult<T> transform(const CsrView<T, I>& x, const DenseView<T>& h, const FitOptions& options);

/// W·H: the data a factorization represents (scikit-learn's inverse_transform).
Matrix<float> inverse_transform(const DenseView<float>& w, const DenseView<float>& h);
Matrix<double> inverse_transform(const DenseView<double>& w, const DenseView<double>& h);

}  // namespace nmfkit
