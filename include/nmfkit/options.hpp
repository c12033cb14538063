#pragma once
/// FitOptions: every knob of fit(), with its default, and validate().
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "nmfkit/matrix.hpp"

namespace nmfkit {

/// How W and H are initialised.
enum class Init {
  kRandom,    ///< scikit-learn's 'random': |N(0,1)|·sqrt(mean(X)/k), seeded (numpy's RandomState
              ///< stream)
  kNndsvd,    ///< NNDSVD (Boutsidis & Gallopoulos 2008) from a randomized truncated SVD; zeros stay
              ///< zero
  kNndsvda,   ///< NNDSVD with zeros filled by mean(X) (scikit-learn's default)
  kNndsvdar,  ///< NNDSVD with zeros filled by small random values, mean(X)/100·|N(0,1)|
  kCustom,    ///< W0 and H0 given by the caller (fit()'s StartFactors)
};

/// How the data is stored for the fit.
enum class DataFormat {
  kAuto,    ///< sparse (CSR) when the loss is Frobenius or Kullback-Leibler (read at X's
            ///< non-zeros) and at least half the entries are zero (64% for the Frobenius loss
            ///< with more than 12 components, where dense products cost less), else dense
  kDense,   ///< dense row-major
  kSparse,  ///< compressed sparse rows (any loss)
};

/// How tol ends a fit with a rule that has no test of its own (mu, hals, anls-bpp; cd always
/// applies scikit-learn's test on the projected gradient).
enum class Stopping {
  kWindow,       ///< the last 10 iterations together lowered the error by at most tol times its
                 ///< value 10 iterations earlier
  kScikitLearn,  ///< scikit-learn's test for mu: after every 10th iteration, stop when the error
                 ///< fell by less than tol times the starting error since the previous test
};

/// How the NNDSVD starts (nndsvd, nndsvda, nndsvdar) are computed.
enum class NndsvdRecipe {
  kFast,         ///< a randomized SVD sketch of k + 10 columns, rounded down to a multiple of 16
                 ///< where at least 5 extra remain, its power iterations stopped once the leading
                 ///< k singular value estimates move by less than 1% (at most scikit-learn's
                 ///< count); entries below 1e-6 zeroed in X's units, or in units of X's RMS when
                 ///< that is below 1 (so that data of tiny magnitude is not zeroed altogether)
  kScikitLearn,  ///< scikit-learn's _initialize_nmf: its randomized_svd (k + 10 columns, 7 power
                 ///< iterations, 4 when k ≥ 0.1·min(n, m)) and entries below 1e-6 zeroed in X's
                 ///< units, so that a seeded start is scikit-learn's to rounding
};

/// Parses a loss: "frobenius" (β = 2), "kullback-leibler" (1), "itakura-saito" (0) or a number β.
/// Throws InvalidArgument naming the valid choices.
double parse_loss(std::string_view name);
/// The name of β: "frobenius", "kullback-leibler", "itakura-saito", or the number.
std::string loss_name(double beta);

/// Name of an initialisation as used on the command line ("random", "nndsvda", ...).
std::string_view init_name(Init init);
/// Parses an initialisation name; throws InvalidArgument listing the valid names.
Init parse_init(std::string_view name);
/// Every initialisation name, in declaration order.
std::span<const std::string_view> init_names();

/// Where the fit spent its time, in seconds.
struct Timings {
  double init = 0;      ///< initialisation (including the randomized SVD for nndsvd*)
  double products = 0;  ///< X·Hᵀ and Xᵀ·W
  double grams = 0;     ///< WᵀW and HHᵀ
  double updates = 0;   ///< the update rule itself
  double loss = 0;      ///< objective evaluation (Gram trick)
  /// The fused pass (FitOptions::fused_pass): X·Hᵀ, W's update, Xᵀ·W and WᵀW in one pass over X
  double fused = 0;
};

/// What the progress callback receives after every iteration.
struct Progress {
  int iteration = 0;  ///< iterations done so far (1-based)
  int max_iter = 0;   ///< the iteration limit
  double loss = 0;   ///< objective: ½‖X−WH‖²_F (or D_β) plus the regularisation terms (NaN
                     ///< where FitOptions::lazy_objective left it unformed, with the errors)
  double error = 0;  ///< reconstruction error sqrt(2·D_β), ‖X−WH‖_F for Frobenius
  double relative_error = 0;  ///< error / ‖X‖_F
  double seconds = 0;         ///< wall time since the fit started
  Timings timings;            ///< where that time went so far (cumulative)
};

/// Called after every iteration; return false to stop the fit early (it then reports
/// converged=false).
using ProgressCallback = std::function<bool(const Progress&)>;

/// Every knob of fit(). Defaults follow scikit-learn where it has the same knob.
struct FitOptions {
  /// Number of components k >= 1, at most min(n_samples, n_features) for the NNDSVD starts (a
  /// random or custom start may have more). No default: must be set.
  int k = 0;
  /// Update rule, by registered name (see solvers() in solver.hpp). Default "hals" (extrapolated,
  /// see extrapolate): across the benchmark matrix of docs/benchmarks.md it reached the lowest
  /// error soonest on most cases. "cd" is scikit-learn's rule and reaches scikit-learn's objective
  /// exactly (what the Python drop-in uses).
  std::string solver = "hals";
  /// With the Frobenius loss, solver "hals", extrapolate unset and the HALS sweeps at their
  /// defaults: if X has fewer than 10% zeros, fit by "anls-bpp" extrapolated instead. On data
  /// with few zeros (photo patches, spectrograms) its exact solves end 0.6-1.5% lower, and on the
  /// photo patches sooner; on data with more zeros HALS is faster (docs/solvers.md). Not with a
  /// transform, missing entries, a sketch, samples split across processes or a custom
  /// nmfkit::Data (whose zeros are not counted). FitResult::solver names the rule that ran. The
  /// CLI sets it when no rule and no extrapolation choice is given; default false.
  bool exact_when_few_zeros = false;
  /// β of the β-divergence minimised: 2 Frobenius (default), 1 Kullback-Leibler, 0 Itakura-Saito.
  /// Only rules with SolverInfo::any_beta (mu) take β ≠ 2; β ≤ 0 needs X without zeros.
  double beta = 2;
  /// Regularisation of W, as scikit-learn ≥ 1.0: the objective adds
  /// alpha_w·n_features·(l1_ratio·‖W‖₁ + ½(1 − l1_ratio)·‖W‖²_F). Default 0.
  double alpha_w = 0;
  /// Regularisation of H, the same with n_samples; negative (the default) means "same as
  /// alpha_w", scikit-learn's alpha_H='same'.
  double alpha_h = -1;
  /// Mix of L1 (1) and L2 (0) in the regularisation, in [0, 1]. Default 0. Needs alpha_w or
  /// alpha_h > 0 when not 0 (without regularisation there is nothing to mix).
  double l1_ratio = 0;
  /// cd: visit the components in a random order (numpy's permutation) each half-iteration. Only
  /// solver cd takes it.
  bool shuffle = false;
  /// How X is stored during the fit. Default kAuto.
  DataFormat format = DataFormat::kAuto;
  /// Initialisation of W and H. Default nndsvda, as scikit-learn's init=None for k <= min(n, m).
  Init init = Init::kNndsvda;
  /// How the NNDSVD starts are computed. Default kFast; the Python package asks for
  /// kScikitLearn, scikit-learn's own.
  NndsvdRecipe nndsvd_recipe = NndsvdRecipe::kFast;
  /// Maximum number of outer iterations (one update of W and one of H each). Default 200. 0 returns
  /// the starting factors (the initialisation alone) with their error.
  int max_iter = 200;
  /// Stopping tolerance: the fit stops (converged) once the last 10 iterations together lowered
  /// the error ‖X−WH‖_F by at most tol times its value 10 iterations earlier. 0 runs all max_iter.
  double tol = 1e-4;
  /// How tol is applied (see Stopping). Default kWindow.
  Stopping stopping = Stopping::kWindow;
  /// Form the objective only after the first iteration, every 10th and the last, as
  /// scikit-learn's multiplicative updates do. The other iterations leave NaN in loss_history and
  /// report NaN to the progress callback. With Stopping::kScikitLearn (whose test reads every
  /// 10th iteration) the factors, the iteration count and the final error are the same; with
  /// Stopping::kWindow the window's test is then made every 10th iteration only (the 10
  /// iterations since the previous test), so a fit may run up to 9 iterations past the first
  /// window that meets tol. The multiplicative updates for β ≠ 2 skip their divergence's
  /// logarithms in the other iterations (about a third of an iteration on dense X); the
  /// Frobenius loss's objective, from the Gram matrices at no cost, and the coordinate descent
  /// of the divergences, whose passes form it, are formed after every iteration all the same.
  /// Default false (the CLI sets it for mu with β ≠ 2); refused with extrapolation (whose
  /// restarts read the objective after every iteration).
  bool lazy_objective = false;
  /// Seed of every random choice (initialisation, randomized SVD, cd's shuffle). Default 0. With
  /// init custom and no shuffle nothing is random, and a seed other than 0 is refused.
  std::uint64_t seed = 0;
  /// Worker threads; 0 uses every core OpenMP reports. Results do not depend on this number.
  int threads = 0;
  /// Extrapolation with restarts (Ang & Gillis 2019) for the rules that allow it (cd, hals,
  /// anls-bpp): after each update the factor moves further along its last step, by a factor
  /// that grows while the error falls and shrinks (restarting from the last plain iterate) when
  /// it rises; once the error falls by less than the rounding margin the iterations are plain.
  /// The best iterate is returned. Unset (the default): the rule's own default,
  /// SolverInfo::extrapolate_default (on for hals; off for cd, which then stays scikit-learn's
  /// rule, and for anls-bpp), except that cd extrapolates by default for the Kullback-Leibler and
  /// Itakura-Saito losses (its Newton steps, after a warm-up of plain iterations). true with a rule
  /// that cannot extrapolate (mu) is refused by validate(); extrapolates() gives the resolved
  /// choice.
  std::optional<bool> extrapolate;
  /// cd and hals: from the second iteration on, W's half-iteration runs inside one pass over X's
  /// rows (dense or sparse) that also forms Xᵀ·W and WᵀW for H's (X read once per iteration
  /// instead of twice). The same results bit for bit; false runs the separate steps. Default
  /// true; false is refused with another rule, where there is no fused pass to turn off.
  bool fused_pass = true;
  /// HALS: most inner sweeps over a row's coordinates per half-iteration. Default 50. Only
  /// solver hals takes a value other than the default.
  int hals_max_sweeps = 50;
  /// HALS: a row's sweeps stop once a sweep changes it by less than this fraction of the first
  /// sweep's change (Gillis & Glineur 2012 use 0.1). Default 0.1. Only solver hals with
  /// hals_max_sweeps > 1 takes a value other than the default.
  double hals_sweep_tol = 0.1;
  /// Frobenius loss: fit X's projection on a randomized sketch of its range instead of X itself
  /// (randomized HALS, Erichson, Mendible, Wihlborn & Kutz 2018). The sketch Q (n_samples × l,
  /// orthonormal columns, l = k + sketch) spans the range the randomized range finder gives with
  /// sketch_power_iterations power iterations, and every product of the fit reads Q and
  /// B = Qᵀ·X (l × n_features) instead of X: about l/n_features of the products' arithmetic on
  /// dense X, for 2·sketch_power_iterations + 2 passes over X before the first iteration. The
  /// loss history is the Gram trick's with the projection's products and ‖X‖² itself; the final
  /// error is X's own. 0 (the default) fits X. Refused with another loss, with transform, with
  /// samples split across processes, and where l is not below min(n_samples, n_features).
  int sketch = 0;
  /// Power iterations of the sketch's range finder (sketch > 0). Default 4.
  int sketch_power_iterations = 4;
  /// Called after every iteration (may be empty).
  ProgressCallback progress;

  /// Checks the options alone; throws InvalidArgument naming the first bad one. A combination in
  /// which an option would do nothing (shuffle with a rule other than cd, extrapolate with mu, …;
  /// docs/solvers.md lists them) is refused too, the message naming both options.
  void validate() const;
  /// Checks the options against the data shape (k against min(n_samples, n_features)).
  void validate(Index n_samples, Index n_features) const;
};

/// Whether a fit with these options extrapolates: FitOptions::extrapolate when set, otherwise the
/// rule's default (false for an unknown rule).
bool extrapolates(const FitOptions& options);

/// `options` with the update rule `solver`, every knob that rule does not take (shuffle,
/// extrapolate, fused_pass, hals_max_sweeps, hals_sweep_tol) back at its default: what another
/// rule needs to run "the same fit", as the rank selection of fit_auto_k() does with hals.
FitOptions with_solver(FitOptions options, std::string_view solver);

}  // namespace nmfkit
