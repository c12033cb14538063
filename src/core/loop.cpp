// The one fit loop: record the objective, extrapolate, report progress, stop. What an iteration
// does is the Steps' business (core/frobenius.cpp, core/beta_steps.cpp).
#include <cmath>
#include <limits>
#include <string>

#include "core/steps.hpp"

namespace nmfkit::core {

namespace {

/// The stopping rule looks at the error's decrease over this many iterations.
constexpr int kStopWindow = 10;

template <typename T>
class Loop {
 public:
  Loop(const FitOptions& o, const LoopSetup& setup, const Context& ctx, FitResult<T>& result)
      : o_(o), setup_(setup), ctx_(ctx), result_(result) {}

  void run(Steps<T>& steps, Factors<T>& f) {
    const bool extrapolate = setup_.extrapolate;
    Extrapolation<T> ex;
    double violation_init = 0;
    if (o_.max_iter == 0) {  // the starting factors alone
      record(steps.start(f), penalty_of(f, setup_.penalties, ctx_));
      return;
    }
    for (int it = 1; it <= o_.max_iter; ++it) {
      if (it == 1) {
        const double loss = steps.start(f);
        const double penalty = penalty_of(f, setup_.penalties, ctx_);
        record(loss, penalty);
        start_error_ = previous_error_ = std::sqrt(2 * data_loss_);
        if (extrapolate)
          ex.start(f, loss, penalty, steps.objective_unit(setup_.x_squared_norm),
                   steps.extrapolation_settle(), ctx_.threads);
      }
      // lazy_objective: formed after the first iteration, every kStopWindow-th (both stopping
      // tests read those) and the last; validate() refuses it with extrapolation.
      const bool wanted =
          !o_.lazy_objective || it == 1 || it % kStopWindow == 0 || it == o_.max_iter;
      steps.objective_wanted = wanted;
      const StepResult step = steps.iterate(f, it, extrapolate ? &ex : nullptr);
      result_.iterations = it;
      if (!wanted && std::isnan(step.data_loss)) {
        record_unformed();
      } else if (extrapolate) {
        {
          ScopedTimer timer(ctx_.timings->updates);
          ex.finish(f, step.data_loss, penalty_of(f, setup_.penalties, ctx_));
        }
        steps.factors_changed(f);
        record(ex.best_loss, ex.best_penalty);
      } else {
        record(step.data_loss, penalty_of(f, setup_.penalties, ctx_));
      }
      if (it == 1) violation_init = step.violation;
      if (!progress(it)) break;
      ctx_.check_cancelled();
      const bool done = steps.stop_rule() == rules::StopRule::kViolation
                            ? violation_init == 0 || step.violation <= o_.tol * violation_init
                        : o_.stopping == Stopping::kScikitLearn ? scikit_learn_test_met(it)
                                                                : error_window_met(it);
      if (done) {
        result_.converged = true;
        break;
      }
    }
    if (extrapolate) ex.take_best(f);
  }

 private:
  /// Appends the objective (data term + penalty) of the scaled problem to the history, in X's
  /// units; the data term alone is what progress reports as the error.
  void record(double data_loss, double penalty_term) {
    const double loss = data_loss + penalty_term;
    if (!std::isfinite(loss))
      throw NumericError("the loss became " + std::to_string(loss) + " at iteration " +
                         std::to_string(result_.iterations) + "; the fit broke down");
    result_.loss_history.push_back(loss * setup_.loss_units);
    result_.history_seconds.push_back(since(ctx_.start));
    data_loss_ = data_loss * setup_.loss_units;
  }

  /// An iteration whose objective the steps left unformed (lazy_objective): NaN in the history.
  void record_unformed() {
    result_.loss_history.push_back(std::numeric_limits<double>::quiet_NaN());
    result_.history_seconds.push_back(since(ctx_.start));
  }

  double error_at(std::size_t i) const { return std::sqrt(2 * result_.loss_history[i]); }

  /// Calls the progress callback; false when it asks to stop.
  bool progress(int it) const {
    if (!o_.progress) return true;
    if (std::isnan(result_.loss_history.back())) {  // left unformed (lazy_objective)
      const double nan = std::numeric_limits<double>::quiet_NaN();
      return o_.progress(
          Progress{it, o_.max_iter, nan, nan, nan, since(ctx_.start), result_.timings});
    }
    const double error = std::sqrt(2 * data_loss_);
    const Progress p{it,
                     o_.max_iter,
                     result_.loss_history.back(),
                     error,
                     result_.x_norm > 0 ? error / result_.x_norm : 0.0,
                     since(ctx_.start),
                     result_.timings};
    return o_.progress(p);
  }

  /// The last kStopWindow iterations together lowered the error by at most tol·error. With
  /// lazy_objective the errors exist only every kStopWindow-th iteration: tested there.
  bool error_window_met(int it) const {
    if (o_.tol <= 0 || it < kStopWindow) return false;
    if (o_.lazy_objective && it % kStopWindow != 0) return false;
    const double earlier = error_at(static_cast<std::size_t>(it - kStopWindow));
    return earlier - error_at(static_cast<std::size_t>(it)) <= o_.tol * earlier;
  }

  /// scikit-learn's mu test: after every 10th iteration, the error (without the penalty) fell by
  /// less than tol times the starting error since the previous test.
  bool scikit_learn_test_met(int it) {
    if (o_.tol <= 0 || it % kStopWindow != 0) return false;
    if (start_error_ == 0) return true;  // nothing left to lower
    const double error = std::sqrt(2 * data_loss_);
    if ((previous_error_ - error) / start_error_ < o_.tol) return true;
    previous_error_ = error;
    return false;
  }

  const FitOptions& o_;
  const LoopSetup& setup_;
  const Context& ctx_;
  FitResult<T>& result_;
  double data_loss_ = 0;       ///< the latest objective without the penalty, in X's units
  double start_error_ = 0;     ///< the error of the starting factors
  double previous_error_ = 0;  ///< the error at scikit-learn's previous test
};

}  // namespace

template <typename T>
double penalty_of(const Factors<T>& f, const Penalties& p, const Context& ctx) {
  return ctx.sum(penalty_value(f.w, p.w)) + penalty_value(f.ht, p.h);
}

template <typename T>
void run_loop(Steps<T>& steps, Factors<T>& f, const FitOptions& o, const LoopSetup& setup,
              const Context& ctx, FitResult<T>& result) {
  Loop<T>(o, setup, ctx, result).run(steps, f);
}

template void run_loop<float>(Steps<float>&, Factors<float>&, const FitOptions&, const LoopSetup&,
                              const Context&, FitResult<float>&);
template void run_loop<double>(Steps<double>&, Factors<double>&, const FitOptions&,
                               const LoopSetup&, const Context&, FitResult<double>&);
template double penalty_of<float>(const Factors<float>&, const Penalties&, const Context&);
template double penalty_of<double>(const Factors<double>&, const Penalties&, const Context&);

}  // namespace nmfkit::core
