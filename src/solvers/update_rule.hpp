#pragma once
// The update-rule interface. Both factors are stored row by row (W as n × k, H as its transpose
// m × k), so one rule serves both half-iterations: it improves F ≥ 0 for
//     min ½‖Y − F·Oᵀ‖²  given  P = Y·O (rows × k)  and  G = OᵀO (k × k),
// with (Y, O) = (X, Hᵀ) for W and (Xᵀ, W) for Hᵀ. Each row of F is an independent problem.
#include <memory>
#include <string_view>

#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit::rules {

template <typename T>
class UpdateRule {
 public:
  virtual ~UpdateRule() = default;
  virtual void update(Matrix<T>& f, const Matrix<T>& p, const Matrix<double>& g, int threads) = 0;
};

template <typename T>
using RuleFactory = std::unique_ptr<UpdateRule<T>> (*)(const FitOptions&);

/// The rule registered under `name` (throws InvalidArgument for an unknown name).
template <typename T>
std::unique_ptr<UpdateRule<T>> make_update_rule(std::string_view name, const FitOptions& options);

// One factory per rule, each defined in its own file.
template <typename T>
std::unique_ptr<UpdateRule<T>> make_hals(const FitOptions& options);
template <typename T>
std::unique_ptr<UpdateRule<T>> make_mu(const FitOptions& options);

}  // namespace nmfkit::rules
