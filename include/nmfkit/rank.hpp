#pragma once
/// select_rank(): proposes the number of components k by cross-validation on held-out entries,
/// optionally with the consensus-clustering stability of Brunet et al. (2004).
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "nmfkit/errors.hpp"
#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit {

/// Parses the candidate ranks: a range "2..40", a range with a step "2..40:2", or a list
/// "4,8,16" (ascending after sorting, duplicates removed). Throws InvalidArgument for an empty,
/// inverted or malformed range and for values below 1.
std::vector<int> parse_ranks(std::string_view text);

/// Every knob of select_rank().
struct RankOptions {
  /// The candidate ranks (at least one; each 1 <= k <= min(n_samples, n_features)).
  std::vector<int> ks;
  /// Fraction of the (observed) entries held out in each fold, in (0, 0.5]. Default 0.05.
  double holdout = 0.05;
  /// Number of folds: independent random hold-out sets, the same for every k. Default 5.
  int folds = 5;
  /// Also compute the cophenetic correlation of the consensus matrix (Brunet et al. 2004).
  bool cophenetic = false;
  /// Cophenetic: factorizations (random init, seeds seed, seed+1, …) per k. Default 10.
  int restarts = 10;
  /// Cophenetic: at most this many samples (a fixed random subset) are clustered. Default 500.
  Index max_cluster_samples = 500;
  /// How many fits run at once: 0 (default) as many as there are threads, each with one thread;
  /// 1: one at a time, each with every thread. Each running fit holds a copy of X.
  int concurrent_fits = 0;
  /// The factorization of every fold (solver, max_iter, tol, seed, threads, …); k is ignored.
  /// fit.seed also seeds the hold-out sets; fit.threads is the total number of threads, shared
  /// among concurrent fits. fit.progress, when set, is called from several threads at once.
  /// The solver defaults to hals (not fit()'s cd): many fits, each only needing a good error.
  FitOptions fit = hals_options();

  static FitOptions hals_options() {
    FitOptions o;
    o.solver = "hals";
    return o;
  }
  /// Called (from one thread at a time) after every finished fit with the number done and the
  /// total; return false to stop early (select_rank then throws Cancelled).
  std::function<bool(int done, int total)> progress;

  /// Checks the options alone; throws InvalidArgument naming the first bad one.
  void validate() const;
};

/// The held-out error and the stability of one candidate rank.
struct RankPoint {
  int k = 0;
  /// Per fold: ‖held-out X − W·H‖ / ‖held-out X‖ over the held-out entries.
  std::vector<double> fold_errors;
  double mean_error = 0;      ///< mean over the folds
  double standard_error = 0;  ///< standard deviation over the folds / sqrt(folds)
  double train_error = 0;     ///< mean relative error over the fitted (observed) entries
  double cophenetic = -1;     ///< cophenetic correlation in [−1, 1]; −1 when not computed
  double seconds = 0;         ///< wall time of this rank's fits added up
};

struct RankResult {
  std::vector<RankPoint> points;  ///< one per candidate, k ascending
  int best_k = 0;                 ///< the k with the lowest mean held-out error
  int one_se_k = 0;               ///< the smallest k whose mean is within one standard error of
                                  ///< the best's: the choice
  int folds = 0;
  double holdout = 0;
  Index cluster_samples = 0;  ///< samples clustered for the cophenetic correlation (0: none)
  double seconds = 0;         ///< wall time of the whole selection
};

/// For each candidate k and each fold: holds out a random `holdout` fraction of the observed
/// entries, fits the rest (fit() with a mask), and measures the error on the held-out entries.
/// `observed` (optional, the shape of X, nonzero = observed) marks entries that are missing
/// altogether. The same seed gives the same result whatever the thread count. Throws as fit().
RankResult select_rank(const DenseView<float>& x, const RankOptions& options,
                       const DenseView<std::uint8_t>* observed = nullptr);
RankResult select_rank(const DenseView<double>& x, const RankOptions& options,
                       const DenseView<std::uint8_t>* observed = nullptr);

}  // namespace nmfkit
