#pragma once
/// fit_best(): the best of several fits from consecutive seeds. fit_auto_k(): k chosen by held-out
/// cross-validation (select_rank()), then fit_best() at that k.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "nmfkit/fit.hpp"
#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"
#include "nmfkit/rank.hpp"
#include "nmfkit/result.hpp"

namespace nmfkit {

/// The fits fit_best() ran and the one it kept.
template <typename T>
struct BestFit {
  /// The fit with the lowest final objective (loss_history.back()), the first on a tie; its seed
  /// is fit.seed.
  FitResult<T> fit;
  std::vector<std::uint64_t> seeds;  ///< every fit's seed, in the order run: seed, seed + 1, …
  std::vector<double> objectives;    ///< every fit's final objective, in the same order
  std::size_t best = 0;              ///< the index of `fit` in seeds and objectives
  /// options.progress returned false: the fit it stopped is the last one run (and, as fit()'s
  /// result, a candidate like the others); fewer than `restarts` fits were run when it was not
  /// the last.
  bool stopped = false;
};

/// Fits X `restarts` times with seeds options.seed, options.seed + 1, … (modulo 2³²) and keeps
/// the fit with the lowest final objective, the first on a tie: fit() itself for restarts = 1.
/// Stopping: when options.progress returns false the fit in progress stops (as in fit()) and no
/// further fit is started (the result says `stopped`). Throws InvalidArgument for restarts < 1,
/// and for restarts > 1 when nothing is random (init custom without cd's shuffle: every fit would
/// be the same); otherwise throws as fit().
BestFit<float> fit_best(const DenseView<float>& x, const FitOptions& options, int restarts,
                        const StartFactors<float>* start = nullptr);
BestFit<double> fit_best(const DenseView<double>& x, const FitOptions& options, int restarts,
                         const StartFactors<double>* start = nullptr);
/// X given as 8-bit levels (see fit(const LevelsView&, …)).
BestFit<float> fit_best(const LevelsView& x, const FitOptions& options, int restarts,
                        const StartFactors<float>* start = nullptr);
/// X given as 8-bit levels read a block of rows at a time (see fit(const LevelsSource&, …)); each
/// restart reads them again.
BestFit<float> fit_best(const LevelsSource& x, const FitOptions& options, int restarts,
                        const StartFactors<float>* start = nullptr);
/// X in compressed sparse rows in the caller's memory (see fit(const CsrView<T, I>&, …)); T float
/// or double, I std::int32_t or std::int64_t.
template <typename T, typename I>
BestFit<T> fit_best(const CsrView<T, I>& x, const FitOptions& options, int restarts,
                    const StartFactors<T>* start = nullptr);
/// X from its observed entries only (see fit(x, observed, options)).
BestFit<float> fit_best(const DenseView<float>& x, const DenseView<std::uint8_t>& observed,
                        const FitOptions& options, int restarts,
                        const StartFactors<float>* start = nullptr);
BestFit<double> fit_best(const DenseView<double>& x, const DenseView<std::uint8_t>& observed,
                         const FitOptions& options, int restarts,
                         const StartFactors<double>* start = nullptr);

/// Every knob of fit_auto_k().
struct AutoKOptions {
  /// The fit at the chosen k (fit.k is ignored) and the base of the selection's fits.
  FitOptions fit;
  /// fit_best()'s restarts at the chosen k. Default 1.
  int restarts = 1;
  /// How k is selected. Unset (the default): auto_k_selection(fit, n_samples, n_features). Set
  /// it from that function to change the candidates, the folds or the rule, or to add progress
  /// callbacks; it is used as given.
  std::optional<RankOptions> selection;
  /// Called once k is chosen, before the fit at that k (for instance to report the choice).
  std::function<void(const RankResult&)> selected;
};

/// The default selection of fit_auto_k() for `fit` on X of n_samples × n_features: candidates
/// 1..min(30, n_samples, n_features) with select_rank()'s defaults (3 folds of 5%, the auto rule,
/// patience 3, a row sample of large X, warm starts), and for every fold, with the tolerance
/// max(fit.tol, RankOptions::kSelectionTol), the fit's settings with
/// the rule hals (select_rank()'s default: many fits that each only need a good error) when the
/// loss is frobenius, with_solver(fit, "hals"), and fit.solver otherwise; no progress callbacks.
/// Set its `fit` back to the fit's options to select with the fit's own rule.
RankOptions auto_k_selection(const FitOptions& fit, Index n_samples, Index n_features);

/// What fit_auto_k() found.
template <typename T>
struct AutoKFit {
  RankResult selection;  ///< the cross-validation; selection.chosen_k is the k of `best`
  BestFit<T> best;       ///< fit_best() at that k
};

/// Chooses k as select_rank() does (its chosen_k) and fits X at that k with fit_best(), restarts
/// and all. `observed` (optional, nonzero = observed) marks missing entries for both. Stopping:
/// when selection.progress returns false the selection throws Cancelled (nothing is fitted); when
/// fit.progress returns false the final fit stops as in fit_best() (best.stopped).
/// Throws InvalidArgument for restarts < 1 or init custom (the starting factors fix k) before
/// selecting, and as select_rank() and fit_best() otherwise.
AutoKFit<float> fit_auto_k(const DenseView<float>& x, const AutoKOptions& options,
                           const DenseView<std::uint8_t>* observed = nullptr);
AutoKFit<double> fit_auto_k(const DenseView<double>& x, const AutoKOptions& options,
                            const DenseView<std::uint8_t>* observed = nullptr);
/// fit_auto_k() of X in compressed sparse rows or as 8-bit levels: the selection as select_rank()
/// of that form (a dense sample of the rows), the fit at the chosen k as fit_best() of it, so X is
/// never copied dense.
template <typename T, typename I>
AutoKFit<T> fit_auto_k(const CsrView<T, I>& x, const AutoKOptions& options);
AutoKFit<float> fit_auto_k(const LevelsView& x, const AutoKOptions& options);
AutoKFit<float> fit_auto_k(const LevelsSource& x, const AutoKOptions& options);

}  // namespace nmfkit
