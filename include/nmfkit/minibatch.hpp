#pragma once
/// Mini-batch NMF: scikit-learn's MiniBatchNMF (Lefèvre, Bach & Févotte 2011's online
/// multiplicative updates). X is visited in consecutive batches of rows; each batch updates its
/// rows of W by one multiplicative step and H by a step whose numerator and denominator are
/// running sums over the batches seen, older batches weighted down by a forget factor. Every
/// β-divergence and scikit-learn's regularisation are supported; see docs/minibatch.md.
#include <functional>

#include "nmfkit/fit.hpp"
#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"
#include "nmfkit/result.hpp"

namespace nmfkit {

/// What the step callback receives after every mini-batch step (scikit-learn's verbose lines).
struct MiniBatchProgress {
  Index step = 0;        ///< steps done so far (1-based)
  Index n_steps = 0;     ///< the step limit: max_iter · ceil(n_samples / batch_size)
  Index batch_rows = 0;  ///< samples in this step's batch
  /// The batch's objective (divergence plus regularisation, as scikit-learn's batch cost) divided
  /// by its number of samples, with the batch's new W and the H before this step's update
  double batch_cost = 0;
  /// The exponentially weighted average of the batch costs that the max_no_improvement rule
  /// watches; scikit-learn starts it at step 2 (has_ewa false at step 1)
  double ewa_cost = 0;
  bool has_ewa = false;
};

/// Called after every step; return false to stop the fit (it then reports converged=false).
using MiniBatchCallback = std::function<bool(const MiniBatchProgress&)>;

/// The knobs of MiniBatchNMF beyond FitOptions. Defaults are scikit-learn's.
struct MiniBatchOptions {
  /// Samples per mini-batch, at least 1; a batch_size above n_samples means n_samples. Default
  /// 1024.
  Index batch_size = 1024;
  /// Weight, in [0, 1], of the past in H's running sums after a whole pass over the data: each
  /// step multiplies them by rho = forget_factor^(batch_size / n_samples). Default 0.7.
  double forget_factor = 0.7;
  /// Solve each batch's W from scratch (up to fresh_restarts_max_iter multiplicative steps from
  /// sqrt(mean(batch)/k)) instead of one step from its last value, and W of all of X at the end
  /// (up to transform_max_iter steps). Default false.
  bool fresh_restarts = false;
  /// Most W steps per batch with fresh_restarts (and per partial fit), at least 1. Default 30.
  int fresh_restarts_max_iter = 30;
  /// Most W steps of transform_minibatch() and of the final W with fresh_restarts; 0 (the
  /// default) uses FitOptions::max_iter.
  int transform_max_iter = 0;
  /// Stop once the averaged batch cost (MiniBatchProgress::ewa_cost) has not reached a new
  /// minimum for this many steps in a row; 0 never stops for that (scikit-learn's None).
  /// Default 10.
  int max_no_improvement = 10;
  /// Called after every step of fit_minibatch() (may be empty).
  MiniBatchCallback on_step;

  /// Throws InvalidArgument naming the first bad knob and its value.
  void validate() const;
};

/// Why fit_minibatch() stopped.
enum class MiniBatchStop {
  kMaxIter,        ///< every one of max_iter passes over the data was done
  kTol,            ///< H changed by at most FitOptions::tol (relative Frobenius norm) in a step
  kNoImprovement,  ///< max_no_improvement steps without a new minimum of the averaged cost
  kCallback,       ///< a progress callback returned false
};
/// "max_iter", "tol", "no_improvement" or "callback".
const char* minibatch_stop_name(MiniBatchStop stop);

/// What a partial fit carries from one call to the next (scikit-learn's components_,
/// _components_numerator, _components_denominator, n_steps_ and _rho): plain data, so that a
/// caller can copy it out and back (to pickle a model). A default-constructed state (h empty)
/// means "not fitted yet".
template <typename T>
struct MiniBatchState {
  Matrix<T> h;            ///< k × n_features components
  Matrix<T> numerator;    ///< k × n_features running numerator of H's step (A)
  Matrix<T> denominator;  ///< k × n_features running denominator of H's step (B)
  Index n_steps = 0;      ///< steps done on this state
  /// The forget factor per step, fixed at the first call from its batch (scikit-learn computes it
  /// once, in the first partial_fit): forget_factor^(min(batch_size, rows) / rows)
  double rho = 0;
};

template <typename T>
struct MiniBatchResult {
  /// W (n_samples × k), H, the error sqrt(2·D_β(X‖WH)) over all of X, iterations (scikit-learn's
  /// n_iter_: the passes over the data begun), converged (a stopping rule ended the fit), the
  /// timings. loss_history holds the objective at the initialisation, then, per pass, the sum of
  /// the objectives of its batches as each batch saw them (for a pass cut short, scaled to all of
  /// X): a cheap estimate along the way, not the objective of the final factors.
  FitResult<T> fit;
  Index n_steps = 0;  ///< mini-batch steps done (scikit-learn's n_steps_)
  MiniBatchStop stop = MiniBatchStop::kMaxIter;
  /// The state after the fit: partial_fit_minibatch() continues from it as scikit-learn's
  /// partial_fit continues a fitted model.
  MiniBatchState<T> state;
};

/// MiniBatchNMF's fit: W and H of X (n_samples × n_features) as scikit-learn's
/// MiniBatchNMF.fit_transform computes them. FitOptions taken: k, beta, alpha_w, alpha_h,
/// l1_ratio, init (the same initialisation of all of X as fit()), max_iter (passes over the
/// data), tol (H's relative change per step; 0 never stops for it), seed, threads (the results
/// do not depend on it) and progress (called after every pass; return false stops). The solver
/// is always multiplicative updates: solver must be "mu" or the default "cd" (which stands for
/// "not chosen"; any other rule is refused), format is ignored (each batch is read as dense rows)
/// and knobs of other rules (shuffle, extrapolate, ...) are refused as validate() refuses them
/// with mu. Errors as fit(): InvalidArgument for bad options, DataError for bad X or start
/// factors, NumericError if the factors become non-finite. X is not scaled: the fit runs in X's
/// units, as scikit-learn's.
template <typename T>
MiniBatchResult<T> fit_minibatch(const DenseView<T>& x, const FitOptions& options,
                                 const MiniBatchOptions& minibatch,
                                 const StartFactors<T>* start = nullptr);
/// fit_minibatch() of X in compressed sparse rows (T float or double, I std::int32_t or
/// std::int64_t), checked as fit() checks it; each batch's rows are made dense in turn.
template <typename T, typename I>
MiniBatchResult<T> fit_minibatch(const CsrView<T, I>& x, const FitOptions& options,
                                 const MiniBatchOptions& minibatch,
                                 const StartFactors<T>* start = nullptr);

/// scikit-learn's MiniBatchNMF.partial_fit: one step on the batch X (its rows × n_features).
/// With an empty state.h (the first call) H is initialised from this batch (init as
/// options.init; for init custom `start` gives H, its W is ignored and may be empty), the
/// numerator becomes H, the denominator ones and rho is fixed; later calls take k from state.h
/// (options.k must agree) and ignore options.init and `start`. W of the batch is solved from
/// scratch (fresh_restarts_max_iter steps). Returns the batch cost (MiniBatchProgress).
template <typename T>
double partial_fit_minibatch(const DenseView<T>& x, const FitOptions& options,
                             const MiniBatchOptions& minibatch, MiniBatchState<T>& state,
                             const StartFactors<T>* start = nullptr);
template <typename T, typename I>
double partial_fit_minibatch(const CsrView<T, I>& x, const FitOptions& options,
                             const MiniBatchOptions& minibatch, MiniBatchState<T>& state,
                             const StartFactors<T>* start = nullptr);

/// scikit-learn's MiniBatchNMF.transform: W of X for the fixed components H (k × n_features),
/// from sqrt(mean(X)/k) by at most transform_max_iter multiplicative steps (0: options.max_iter),
/// stopping once a step changes W by at most options.tol (relative Frobenius norm). k is taken
/// from H. The result's H is a copy of h; iterations the steps done; converged whether tol ended
/// them; error sqrt(2·D_β(X‖WH)).
template <typename T>
FitResult<T> transform_minibatch(const DenseView<T>& x, const DenseView<T>& h,
                                 const FitOptions& options, const MiniBatchOptions& minibatch);
template <typename T, typename I>
FitResult<T> transform_minibatch(const CsrView<T, I>& x, const DenseView<T>& h,
                                 const FitOptions& options, const MiniBatchOptions& minibatch);

}  // namespace nmfkit
