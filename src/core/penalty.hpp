#pragma once
// scikit-learn's regularisation of W and H, in the units of the scaled problem a fit solves, and
// its value: used by the fit loop and both losses' iterations.
#include <cmath>

#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"
#include "solvers/update_rule.hpp"

namespace nmfkit::core {

/// scikit-learn's regularisation of W and H (alpha·l1_ratio·n_features for W's L1, …), turned
/// into the units of the scaled problem: dividing the objective by c^β, with W = √c·W',
/// leaves l1·c^(½−β) and l2·c^(1−β).
struct Penalties {
  rules::Penalty w, h;
};

inline Penalties penalties(const FitOptions& o, Index n, Index m, double c) {
  const double alpha_h = o.alpha_h < 0 ? o.alpha_w : o.alpha_h;
  const double l1_units = std::pow(c, 0.5 - o.beta), l2_units = std::pow(c, 1.0 - o.beta);
  Penalties p;
  p.w.l1 = o.alpha_w * o.l1_ratio * double(m) * l1_units;
  p.w.l2 = o.alpha_w * (1 - o.l1_ratio) * double(m) * l2_units;
  p.h.l1 = alpha_h * o.l1_ratio * double(n) * l1_units;
  p.h.l2 = alpha_h * (1 - o.l1_ratio) * double(n) * l2_units;
  return p;
}

/// l1·Σ F + ½·l2·‖F‖² (F ≥ 0).
template <typename T>
double penalty_value(const Matrix<T>& f, const rules::Penalty& penalty) {
  if (penalty.l1 == 0 && penalty.l2 == 0) return 0;
  double sum = 0, squares = 0;
  for (T v : f.values) {
    sum += double(v);
    squares += double(v) * double(v);
  }
  return penalty.l1 * sum + 0.5 * penalty.l2 * squares;
}

}  // namespace nmfkit::core
