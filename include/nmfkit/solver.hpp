#pragma once
/// The registry of update rules: every rule's name and a one-line description, in one place.
#include <span>
#include <string>
#include <string_view>

namespace nmfkit {

struct SolverInfo {
  std::string_view name;         ///< what --solver and FitOptions::solver take
  std::string_view description;  ///< one line for --help
  bool any_beta = false;         ///< handles every β-divergence, not only the Frobenius loss
  bool extrapolate = false;      ///< takes FitOptions::extrapolate
  bool shuffle = false;          ///< takes FitOptions::shuffle
  bool sweeps = false;           ///< takes FitOptions::hals_max_sweeps and hals_sweep_tol
  bool fused_pass = false;       ///< runs W's update inside the fused pass (FitOptions::fused_pass)
  bool extrapolate_default = false;  ///< extrapolates when FitOptions::extrapolate is unset
  /// takes β = 1 (Kullback-Leibler) and β = 0 (Itakura-Saito) too, by a rule of its own for them
  bool divergences = false;
};

/// Every registered update rule, in the registry's order (FitOptions::solver names the default).
std::span<const SolverInfo> solvers();
/// The registered rule called `name`; throws InvalidArgument for an unknown name.
const SolverInfo& solver_info(std::string_view name);
/// True if `name` is a registered update rule.
bool has_solver(std::string_view name);
/// True for the β that a rule with SolverInfo::divergences fits by its own rule: 1
/// (Kullback-Leibler) and 0 (Itakura-Saito).
inline bool divergence_rule_beta(double beta) {
  return beta == 1 || beta == 0;
}
/// "hals, cd, anls-bpp, mu": the registered names joined for messages.
std::string solver_names();

}  // namespace nmfkit
