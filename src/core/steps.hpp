#pragma once
// The one fit loop and the seam it calls: Steps, how one loss improves the factors and measures
// the objective. The loop owns everything else: the history, extrapolation, progress, the
// stopping rule and cancellation.
#include <limits>
#include <memory>

#include "core/context.hpp"
#include "core/extrapolation.hpp"
#include "core/init.hpp"
#include "core/penalty.hpp"
#include "nmfkit/result.hpp"
#include "solvers/update_rule.hpp"

namespace nmfkit::core {

/// What one iteration reports: the data term of the objective after it (in the scaled problem's
/// units), and the rule's violation measure for StopRule::kViolation.
struct StepResult {
  double data_loss = 0;
  double violation = 0;
};

/// The iterations of one loss. W is always updated; H too unless it is held fixed (transform).
template <typename T>
class Steps {
 public:
  virtual ~Steps() = default;
  /// The data term at the starting factors (before any update).
  virtual double start(Factors<T>& f) = 0;
  /// One iteration: W, then H. With `ex`, the W update saves the best W before changing it and is
  /// extrapolated after it (Extrapolation's save_best_w/step_w or their row versions).
  virtual StepResult iterate(Factors<T>& f, int it, Extrapolation<T>* ex) = 0;
  /// The factors were changed outside iterate() (extrapolation moved or restored them).
  virtual void factors_changed(const Factors<T>& f) = 0;
  virtual rules::StopRule stop_rule() const { return rules::StopRule::kErrorWindow; }
  /// The rounding of the objective as iterate() computes it, for extrapolation's margins
  /// (Extrapolation::start). By default the Gram trick's: eps(T)·½‖X‖², x_squared_norm being
  /// ‖X‖² of the problem fitted.
  virtual double objective_unit(double x_squared_norm) const {
    return std::numeric_limits<T>::epsilon() * 0.5 * x_squared_norm;
  }
  /// Extrapolation's warm-up (Extrapolation::start's settle): 0, none, by default.
  virtual double extrapolation_settle() const { return 0; }
  /// Set by the loop before each iterate(): false when nothing reads that iteration's objective
  /// (FitOptions::lazy_objective). Steps whose objective costs a pass of its own may then return
  /// NaN as the data loss instead of forming it; the others ignore it.
  bool objective_wanted = true;
};

/// What the loop needs besides the steps.
struct LoopSetup {
  Penalties penalties;
  double loss_units = 1;      ///< c^β: the scaled problem's objective times this is X's
  double x_squared_norm = 0;  ///< ‖X/c‖², for extrapolation's rounding margin
  bool extrapolate = false;
  bool update_h = true;
};

/// Runs the iterations on f; fills result's history, iterations and converged.
template <typename T>
void run_loop(Steps<T>& steps, Factors<T>& f, const FitOptions& o, const LoopSetup& setup,
              const Context& ctx, FitResult<T>& result);

/// The objective's penalty at f: W's part summed over samples (ctx), H's.
template <typename T>
double penalty_of(const Factors<T>& f, const Penalties& p, const Context& ctx);

/// The Frobenius loss (every rule of the registry) on data seen through `products`.
template <typename T>
class Products;
template <typename T>
std::unique_ptr<Steps<T>> frobenius_steps(Products<T>& products, const FitOptions& o,
                                          const Penalties& p, const Context& ctx, bool update_h,
                                          Index k);

template <typename T>
class Scaled;
/// Any other β-divergence, by the multiplicative updates of core/beta.hpp.
template <typename T>
std::unique_ptr<Steps<T>> beta_steps(const Scaled<T>& x, const FitOptions& o, const Penalties& p,
                                     const Context& ctx, bool update_h);

/// The Kullback-Leibler and Itakura-Saito losses by coordinate descent (solver cd with β = 1 or 0,
/// core/kl_cd_steps.cpp).
template <typename T>
std::unique_ptr<Steps<T>> kl_cd_steps(const Scaled<T>& x, const FitOptions& o, const Penalties& p,
                                      const Context& ctx, bool update_h);

}  // namespace nmfkit::core
