#include "nmfkit/options.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "nmfkit/errors.hpp"
#include "nmfkit/solver.hpp"
#include "nmfkit/version.hpp"

namespace nmfkit {

namespace {
constexpr std::array<std::string_view, 5> kInitNames = {"random", "nndsvd", "nndsvda", "nndsvdar",
                                                        "custom"};
constexpr std::uint64_t kMaxSeed = 4294967295ULL;  // numpy's RandomState takes 32-bit seeds

/// The knobs of FitOptions that only some update rules take, as the registry lists them.
using Knob = bool SolverInfo::*;

/// Whether `solver` takes `knob` (an unknown solver takes none).
bool takes(std::string_view solver, Knob knob) {
  return has_solver(solver) && solver_info(solver).*knob;
}

/// "solver cd, hals or anls-bpp": the rules that take `knob`.
std::string rules_taking(Knob knob) {
  std::vector<std::string_view> names;
  for (const SolverInfo& r : solvers())
    if (r.*knob) names.push_back(r.name);
  std::string s = "solver";
  for (std::size_t i = 0; i < names.size(); ++i)
    s += std::string(i == 0 ? " " : i + 1 == names.size() ? " or " : ", ") + std::string(names[i]);
  return s;
}

/// Refuses `option` (set to a value other than its default) with a rule that does not take it.
void require_rule(const std::string& solver, Knob knob, const std::string& option) {
  if (!takes(solver, knob))
    throw InvalidArgument(option + " applies only to " + rules_taking(knob) + ", not " + solver);
}

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

/// Refuses every combination in which an option would do nothing; each message names both.
void refuse_idle_combinations(const FitOptions& o) {
  const FitOptions defaults;
  if (o.extrapolate.value_or(false))
    require_rule(o.solver, &SolverInfo::extrapolate, "extrapolate");
  if (o.shuffle) require_rule(o.solver, &SolverInfo::shuffle, "shuffle");
  if (o.hals_max_sweeps != defaults.hals_max_sweeps)
    require_rule(o.solver, &SolverInfo::sweeps, "hals_max_sweeps");
  if (o.hals_sweep_tol != defaults.hals_sweep_tol) {
    require_rule(o.solver, &SolverInfo::sweeps, "hals_sweep_tol");
    if (o.hals_max_sweeps == 1)
      throw InvalidArgument(
          "hals_sweep_tol applies only with hals_max_sweeps > 1, not 1 (a single sweep never "
          "checks it)");
  }
  if (!o.fused_pass) require_rule(o.solver, &SolverInfo::fused_pass, "fused_pass = false");
  if (o.lazy_objective && extrapolates(o))
    throw InvalidArgument(
        "lazy_objective applies only without extrapolation, whose restarts read the objective "
        "after every iteration");
  if (o.l1_ratio != 0 && o.alpha_w == 0 && o.alpha_h <= 0)
    throw InvalidArgument(
        "l1_ratio applies only with alpha_w or alpha_h > 0 (it mixes the "
        "regularisation), not with both 0; got l1_ratio " +
        number(o.l1_ratio));
  if (o.sketch > 0 && o.beta != 2)
    throw InvalidArgument("sketch applies only to the frobenius loss, not " + loss_name(o.beta));
  if (o.sketch_power_iterations != defaults.sketch_power_iterations && o.sketch == 0)
    throw InvalidArgument(
        "sketch_power_iterations applies only with sketch > 0 (a fit of X's projection), not "
        "with sketch 0");
  if (o.seed != 0 && o.init == Init::kCustom && !o.shuffle)
    throw InvalidArgument(
        "seed applies only to random choices (init random, nndsvd, nndsvda or nndsvdar; solver cd "
        "with shuffle), not to init custom; got seed " +
        std::to_string(o.seed));
}

}  // namespace

std::string_view version() {
  return NMFKIT_VERSION;
}

std::string_view init_name(Init init) {
  return kInitNames[static_cast<std::size_t>(init)];
}

std::span<const std::string_view> init_names() {
  return kInitNames;
}

Init parse_init(std::string_view name) {
  for (std::size_t i = 0; i < kInitNames.size(); ++i)
    if (kInitNames[i] == name) return static_cast<Init>(i);
  std::string valid;
  for (std::string_view n : kInitNames) valid += (valid.empty() ? "" : ", ") + std::string(n);
  throw InvalidArgument("unknown init '" + std::string(name) + "' (choose one of " + valid + ")");
}

double parse_loss(std::string_view name) {
  if (name == "frobenius") return 2;
  if (name == "kullback-leibler") return 1;
  if (name == "itakura-saito") return 0;
  const std::string text(name);
  char* end = nullptr;
  const double beta = text.empty() ? std::nan("") : std::strtod(text.c_str(), &end);
  if (end == nullptr || *end != '\0' || !std::isfinite(beta))
    throw InvalidArgument("unknown loss '" + text +
                          "' (choose frobenius, kullback-leibler, itakura-saito or a number beta)");
  return beta;
}

std::string loss_name(double beta) {
  if (beta == 2) return "frobenius";
  if (beta == 1) return "kullback-leibler";
  if (beta == 0) return "itakura-saito";
  return number(beta);
}

void FitOptions::validate() const {
  if (k < 1) throw InvalidArgument("k must be at least 1, got " + std::to_string(k));
  if (!has_solver(solver))
    throw InvalidArgument("unknown solver '" + solver + "' (choose one of " + solver_names() + ")");
  if (!std::isfinite(beta))
    throw InvalidArgument("beta must be a finite number, got " + std::to_string(beta));
  const SolverInfo& rule = solver_info(solver);
  const bool divergence = divergence_rule_beta(beta);
  if (beta != 2 && !rule.any_beta && !(divergence && rule.divergences))
    throw InvalidArgument("solver '" + solver + "' handles only the frobenius loss" +
                          (rule.divergences ? ", kullback-leibler and itakura-saito" : "") +
                          ", not " + loss_name(beta) +
                          (divergence ? " (use solver cd or mu)" : " (use solver mu)"));
  if (divergence && !rule.any_beta) {
    // The Kullback-Leibler rule of such a solver: its Frobenius knobs do nothing there.
    const FitOptions defaults;
    const auto refuse = [&](const std::string& option) {
      throw InvalidArgument(option + " applies only to the frobenius loss with solver " + solver +
                            ", not " + loss_name(beta));
    };
    if (shuffle) refuse("shuffle");
    if (!fused_pass) refuse("fused_pass = false");
  }
  if (!(alpha_w >= 0) || !std::isfinite(alpha_w))
    throw InvalidArgument("alpha_w must be a finite number >= 0, got " + std::to_string(alpha_w));
  if (!std::isfinite(alpha_h))
    throw InvalidArgument("alpha_h must be a finite number (negative: same as alpha_w), got " +
                          std::to_string(alpha_h));
  if (!(l1_ratio >= 0 && l1_ratio <= 1))
    throw InvalidArgument("l1_ratio must be between 0 and 1, got " + std::to_string(l1_ratio));
  if (static_cast<std::size_t>(init) >= kInitNames.size())
    throw InvalidArgument("init has an invalid value " + std::to_string(int(init)));
  if (max_iter < 0)
    throw InvalidArgument("max_iter must be at least 0 (0: the starting factors alone), got " +
                          std::to_string(max_iter));
  if (!(tol >= 0) || !std::isfinite(tol))
    throw InvalidArgument("tol must be a finite number >= 0, got " + std::to_string(tol));
  if (seed > kMaxSeed)
    throw InvalidArgument("seed must be between 0 and 4294967295, got " + std::to_string(seed));
  if (threads < 0)
    throw InvalidArgument("threads must be >= 0 (0 = all cores), got " + std::to_string(threads));
  if (hals_max_sweeps < 1)
    throw InvalidArgument("hals_max_sweeps must be at least 1, got " +
                          std::to_string(hals_max_sweeps));
  if (!(hals_sweep_tol >= 0) || !std::isfinite(hals_sweep_tol))
    throw InvalidArgument("hals_sweep_tol must be a finite number >= 0, got " +
                          std::to_string(hals_sweep_tol));
  if (sketch < 0)
    throw InvalidArgument("sketch must be >= 0 (0: fit X itself), got " + std::to_string(sketch));
  if (sketch_power_iterations < 0)
    throw InvalidArgument("sketch_power_iterations must be >= 0, got " +
                          std::to_string(sketch_power_iterations));
  refuse_idle_combinations(*this);
}

bool extrapolates(const FitOptions& options) {
  if (options.extrapolate) return *options.extrapolate;
  if (!has_solver(options.solver)) return false;
  const SolverInfo& rule = solver_info(options.solver);
  // A rule's own Newton steps for the divergences extrapolate by default (docs/solvers.md).
  return rule.extrapolate_default || (rule.divergences && divergence_rule_beta(options.beta));
}

FitOptions with_solver(FitOptions options, std::string_view solver) {
  const FitOptions defaults;
  options.solver = std::string(solver);
  if (!takes(solver, &SolverInfo::extrapolate)) options.extrapolate.reset();
  if (!takes(solver, &SolverInfo::shuffle)) options.shuffle = defaults.shuffle;
  if (!takes(solver, &SolverInfo::fused_pass)) options.fused_pass = defaults.fused_pass;
  if (!takes(solver, &SolverInfo::sweeps)) {
    options.hals_max_sweeps = defaults.hals_max_sweeps;
    options.hals_sweep_tol = defaults.hals_sweep_tol;
  }
  return options;
}

void FitOptions::validate(Index n_samples, Index n_features) const {
  validate();
  // The NNDSVD starts take k singular vectors; a random or given start may have more components
  // than samples or features (scikit-learn allows it too).
  const Index limit = std::min(n_samples, n_features);
  const bool svd_start = init != Init::kRandom && init != Init::kCustom;
  if (svd_start && k > limit)
    throw InvalidArgument("k must be between 1 and min(n_samples, n_features) = " +
                          std::to_string(limit) + ", got " + std::to_string(k));
  if (sketch > 0 && Index(k) + sketch >= limit)
    throw InvalidArgument("sketch: k + sketch = " + std::to_string(Index(k) + sketch) +
                          " columns must be below min(n_samples, n_features) = " +
                          std::to_string(limit) + " (a sketch that wide is no smaller than X)");
}

}  // namespace nmfkit
