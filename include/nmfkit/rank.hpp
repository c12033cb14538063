#pragma once
/// select_rank(): proposes the number of components k by cross-validation on held-out entries,
/// optionally with the consensus-clustering stability of Brunet et al. (2004).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nmfkit/errors.hpp"
#include "nmfkit/fit.hpp"
#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit {

/// Parses the candidate ranks: a range "2..40", a range with a step "2..40:2", or a list
/// "4,8,16" (ascending after sorting, duplicates removed). Throws InvalidArgument for an empty,
/// inverted or malformed range and for values below 1.
std::vector<int> parse_ranks(std::string_view text);

/// Which criterion turns the held-out curve into a choice of k.
enum class RankRule {
  /// The minimum when the curve has one (it rises clearly after its lowest point, or comes within
  /// one standard error of it before the knee): the one-standard-error choice; when it keeps
  /// falling, the knee; with neither, the one-standard-error choice over the ranks scanned.
  kAuto,
  /// The one-standard-error rule: the smallest k whose mean held-out error is within one
  /// standard error of the lowest mean.
  kMinimum,
  /// The knee (point of diminishing returns): the first k after which the next components (over
  /// the next two candidates) lower the held-out error by less, per component, than
  /// `knee_fraction` of the average lowering per component from the first candidate to k, and
  /// than `knee_relative_gain` of the error at k. Without a knee in the ranks scanned: the
  /// one-standard-error choice.
  kKnee,
};

/// "auto", "minimum" or "knee".
const char* rank_rule_name(RankRule rule);
/// The rule named `name`; throws InvalidArgument for an unknown name.
RankRule parse_rank_rule(std::string_view name);

/// What the selection's progress callback receives after every finished fit.
struct RankProgress {
  int k = 0;               ///< the rank of the fit that finished
  int fold = 0;            ///< its fold (0-based), or its restart for the cophenetic fits
  bool consensus = false;  ///< a cophenetic restart rather than a cross-validation fold
  int fits_done = 0;       ///< fits finished so far
  int fits_at_most = 0;    ///< fits if the scan runs to the last candidate (it may stop sooner)
  int ranks_done = 0;      ///< candidates whose every fold has finished, in order
  double seconds = 0;      ///< since the selection started
  /// An estimate of the time left if the scan ran to the last candidate (at the pace of the last
  /// fit): the scan usually stops sooner, so this is at most what is left.
  double seconds_left = 0;
  /// Set when ranks_done just grew: the finished candidate's point (means, standard error).
  const struct RankPoint* finished = nullptr;
};

/// Every knob of select_rank().
struct RankOptions {
  /// The candidate ranks (at least one; each 1 <= k <= min(n_samples, n_features)), scanned in
  /// ascending order.
  std::vector<int> ks;
  /// Fraction of the (observed) entries held out in each fold, in (0, 0.5]. Default 0.05.
  double holdout = 0.05;
  /// Number of folds: independent random hold-out sets, the same for every k. Default 3.
  int folds = 3;
  /// The criterion that chooses k from the curve. Default kAuto.
  RankRule rule = RankRule::kAuto;
  /// The knee's threshold (see RankRule::kKnee), in (0, 1). Default 0.5.
  double knee_fraction = 0.5;
  /// The knee's second threshold (see RankRule::kKnee), in (0, 1]. Default 0.015.
  double knee_relative_gain = 0.015;
  /// Stop the scan once this many candidates past the current choice have been fitted without
  /// changing it (the curve has turned up or flattened); 0 scans every candidate. Default 3.
  int patience = 3;
  /// Fit the folds on at most this many samples, a fixed random subset (rows), instead of all of
  /// them: the held-out curve's shape does not need every sample. 0 (the default): all samples
  /// when X has at most kAutoSampleEntries entries, else as many rows as make that many entries
  /// (at least kMinSampleRows, or all when there are fewer).
  Index sample_rows = 0;
  static constexpr double kAutoSampleEntries = 5e6;
  static constexpr Index kMinSampleRows = 2000;
  /// Start each fold's fit at k from the same fold's fit at the previous candidate, with the new
  /// components taken from the non-negative part of the leading singular vectors of its residual
  /// (the first candidate starts with fit.init). Default true; false fits every k from fit.init.
  bool warm_start = true;
  /// Keep every candidate's components (H of the first fold, k × n_features) in the result.
  bool keep_components = false;
  /// Also compute the cophenetic correlation of the consensus matrix (Brunet et al. 2004) and the
  /// stability of the parts across those random restarts.
  bool cophenetic = false;
  /// Cophenetic: factorizations (random init, seeds seed, seed+1, …) per k. Default 10.
  int restarts = 10;
  /// Cophenetic: at most this many samples (a fixed random subset) are clustered. Default 500.
  Index max_cluster_samples = 500;
  /// How many fits run at once: 0 (default) as many as there are threads, each with one thread,
  /// but during the scan at most one per fold (the folds' chains; the cophenetic restarts use
  /// every thread); 1: one at a time, each with every thread. Each running fit holds a copy of X.
  int concurrent_fits = 0;
  /// The factorization of every fold (solver, max_iter, tol, seed, threads, …); k is ignored.
  /// fit.seed also seeds the hold-out sets and the sample; fit.threads is the total number of
  /// threads, shared among concurrent fits. fit.progress, when set, is called from several
  /// threads at once.
  /// The solver defaults to hals (not fit()'s cd) and the tolerance to kSelectionTol (not fit()'s
  /// 1e-4): many fits, each only needing a good held-out error, and each starting near its answer.
  FitOptions fit = hals_options();

  static constexpr double kSelectionTol = 1e-3;
  static FitOptions hals_options() {
    FitOptions o;
    o.solver = "hals";
    o.extrapolate = false;  // many short held-out fits: plain sweeps (docs/rank.md's measurements)
    o.tol = kSelectionTol;
    return o;
  }
  /// Called (from one thread at a time) after every finished fit; return false to stop early
  /// (select_rank then throws Cancelled).
  std::function<bool(const RankProgress&)> progress;

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
  /// Held-out error lowered per added component from the previous candidate (0 for the first).
  double gain = 0;
  /// Held-out error lowered per added component from the first candidate (0 for the first).
  double average_gain = 0;
  /// With the cophenetic correlation: how alike the restarts' components are, 1 − the mean over
  /// pairs of restarts of the dissimilarity of Wu et al. (2016, staNMF): for each component the
  /// cosine of its best match in the other restart, 1 − that averaged both ways. 1: the same
  /// parts from every start; −1 when not computed.
  double stability = -1;
  double cophenetic = -1;  ///< cophenetic correlation in [−1, 1]; −1 when not computed
  double iterations = 0;   ///< mean iterations of the folds' fits
  double seconds = 0;      ///< wall time of this rank's fits added up
  /// With keep_components: the first fold's H (k × n_features, row-major); else empty.
  std::vector<float> components;
};

struct RankResult {
  std::vector<RankPoint> points;  ///< one per candidate scanned, k ascending
  int chosen_k = 0;               ///< the rule's choice
  /// Which criterion chose: "minimum" (the one-standard-error rule, the curve having a minimum or
  /// being flat within a standard error of it before the knee), "knee",
  /// or "one-standard-error" (no minimum and no knee in the ranks scanned, or rule kMinimum).
  std::string criterion;
  int best_k = 0;              ///< the k with the lowest mean held-out error
  int one_se_k = 0;            ///< the smallest k whose mean is within one standard error of
                               ///< the best's
  int knee_k = 0;              ///< the knee (see RankRule::kKnee); 0 when there is none
  bool minimum = false;        ///< the curve rises clearly (by more than a standard error of
                               ///< its lowest point) after its lowest point
  int candidates = 0;          ///< the ranks that could have been scanned
  bool stopped_early = false;  ///< the patience rule ended the scan before the last candidate
  int folds = 0;
  double holdout = 0;
  Index sample_rows = 0;      ///< samples the folds were fitted on
  Index cluster_samples = 0;  ///< samples clustered for the cophenetic correlation (0: none)
  double seconds = 0;         ///< wall time of the whole selection
};

/// For each candidate k (ascending) and each fold: holds out a random `holdout` fraction of the
/// observed entries (of the sampled rows), fits the rest (fit() with a mask, warm-started from the
/// previous candidate), and measures the error on the held-out entries; stops once `patience`
/// candidates past the choice have not changed it.
/// `observed` (optional, the shape of X, nonzero = observed) marks entries that are missing
/// altogether. The same seed gives the same result whatever the thread count. Throws as fit().
RankResult select_rank(const DenseView<float>& x, const RankOptions& options,
                       const DenseView<std::uint8_t>* observed = nullptr);
RankResult select_rank(const DenseView<double>& x, const RankOptions& options,
                       const DenseView<std::uint8_t>* observed = nullptr);
/// select_rank() of X in another of fit()'s forms, without a dense copy of X: the rows the folds
/// are fitted on (a sample of at most RankOptions::kAutoSampleEntries entries by default, or
/// sample_rows of them) and the cophenetic fits' samples are made dense, the rest of X is never
/// copied. With the same values the result is that of the dense X's selection, bit for bit (the
/// same rows sampled, the same fits). X in compressed sparse rows (checked as fit() checks it;
/// T float or double, I std::int32_t or std::int64_t) ...
template <typename T, typename I>
RankResult select_rank(const CsrView<T, I>& x, const RankOptions& options);
/// ... or as 8-bit levels, in memory or read a block of rows at a time (single precision).
RankResult select_rank(const LevelsView& x, const RankOptions& options);
RankResult select_rank(const LevelsSource& x, const RankOptions& options);

}  // namespace nmfkit
