#pragma once
// The update-rule interface. Both factors are stored row by row (W as n × k, H as its transpose
// m × k), so one rule serves both half-iterations: it improves F ≥ 0 for
//     min ½‖Y − F·Oᵀ‖² + l1·Σ F + ½·l2·‖F‖²  given  P = Y·O (rows × k)  and  G = OᵀO (k × k),
// with (Y, O) = (X, Hᵀ) for W and (Xᵀ, W) for Hᵀ. Each row of F is an independent problem
//     min_{f ≥ 0} ½ fᵀ(G + l2·I)f − (p − l1)ᵀf.
#include <memory>
#include <optional>
#include <string_view>

#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"
#include "solvers/coordinate_descent_row.hpp"

namespace nmfkit::rules {

/// The regularisation of the factor being updated, already scaled as scikit-learn scales it
/// (l1 = alpha·l1_ratio·n_features for W, …·n_samples for H; likewise l2 with 1 − l1_ratio).
struct Penalty {
  double l1 = 0;
  double l2 = 0;
};

/// How the fit loop decides that a fit with this rule has converged.
enum class StopRule {
  kErrorWindow,  ///< the error fell by at most tol over the last 10 iterations (nmfkit's rule)
  kViolation,  ///< Σ|projected gradient| over an iteration ≤ tol × that of the first iteration
               ///< (scikit-learn's coordinate descent)
};

/// A half-iteration of a rule that solves each row's problem by coordinate descent
/// (coordinate_descent_lanes): all a pass over X needs to update the rows block by block.
struct LanesProblem {
  Matrix<double> g;  ///< G + l2·I
  double l1 = 0;
  SweepControl control;
};

template <typename T>
class UpdateRule {
 public:
  virtual ~UpdateRule() = default;
  /// Updates every row of f; returns the rule's violation measure for this half-iteration
  /// (Σ|projected gradient| for rules whose stop_rule() is kViolation, else anything ≥ 0).
  virtual double update(Matrix<T>& f, const Matrix<T>& p, const Matrix<double>& g,
                        const Penalty& penalty, int threads) = 0;
  /// For rules that solve the rows by coordinate descent: this half-iteration's problem, to be
  /// run on the rows block by block (coordinate_descent_lanes, violations summed in row order)
  /// instead of calling update(), with the same result. Counts as the half-iteration's update
  /// (a rule that draws an order draws it here). Other rules: nothing.
  virtual std::optional<LanesProblem> lanes_problem(const Matrix<double>& g,
                                                    const Penalty& penalty) {
    (void)g, (void)penalty;
    return std::nullopt;
  }
  virtual StopRule stop_rule() const { return StopRule::kErrorWindow; }
};

template <typename T>
using RuleFactory = std::unique_ptr<UpdateRule<T>> (*)(const FitOptions&);

/// The rule registered under `name` (throws InvalidArgument for an unknown name).
template <typename T>
std::unique_ptr<UpdateRule<T>> make_update_rule(std::string_view name, const FitOptions& options);

/// G + l2·I as a new matrix (the Gram matrix of the penalised row problem).
inline Matrix<double> penalised_gram(const Matrix<double>& g, double l2) {
  Matrix<double> out = g;
  for (Index j = 0; j < g.rows; ++j) out(j, j) += l2;
  return out;
}

// One factory per rule, each defined in its own file.
template <typename T>
std::unique_ptr<UpdateRule<T>> make_hals(const FitOptions& options);
template <typename T>
std::unique_ptr<UpdateRule<T>> make_cd(const FitOptions& options);
template <typename T>
std::unique_ptr<UpdateRule<T>> make_anls_bpp(const FitOptions& options);
template <typename T>
std::unique_ptr<UpdateRule<T>> make_mu(const FitOptions& options);

}  // namespace nmfkit::rules
