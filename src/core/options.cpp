#include "nmfkit/options.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>

#include "nmfkit/errors.hpp"
#include "nmfkit/solver.hpp"
#include "nmfkit/version.hpp"

namespace nmfkit {

namespace {
constexpr std::array<std::string_view, 5> kInitNames = {"random", "nndsvd", "nndsvda", "nndsvdar",
                                                        "custom"};
constexpr std::uint64_t kMaxSeed = 4294967295ULL;  // numpy's RandomState takes 32-bit seeds
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
  std::ostringstream out;
  out << beta;
  return out.str();
}

void FitOptions::validate() const {
  if (k < 1) throw InvalidArgument("k must be at least 1, got " + std::to_string(k));
  if (!has_solver(solver))
    throw InvalidArgument("unknown solver '" + solver + "' (choose one of " + solver_names() + ")");
  if (!std::isfinite(beta))
    throw InvalidArgument("beta must be a finite number, got " + std::to_string(beta));
  if (beta != 2 && !solver_info(solver).any_beta)
    throw InvalidArgument("solver '" + solver + "' handles only the frobenius loss, not " +
                          loss_name(beta) + " (use solver mu)");
  if (!(alpha_w >= 0) || !std::isfinite(alpha_w))
    throw InvalidArgument("alpha_w must be a finite number >= 0, got " + std::to_string(alpha_w));
  if (!std::isfinite(alpha_h))
    throw InvalidArgument("alpha_h must be a finite number (negative: same as alpha_w), got " +
                          std::to_string(alpha_h));
  if (!(l1_ratio >= 0 && l1_ratio <= 1))
    throw InvalidArgument("l1_ratio must be between 0 and 1, got " + std::to_string(l1_ratio));
  if (static_cast<std::size_t>(init) >= kInitNames.size())
    throw InvalidArgument("init has an invalid value " + std::to_string(int(init)));
  if (max_iter < 1)
    throw InvalidArgument("max_iter must be at least 1, got " + std::to_string(max_iter));
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
}

void FitOptions::validate(Index n_samples, Index n_features) const {
  validate();
  const Index limit = std::min(n_samples, n_features);
  if (k > limit)
    throw InvalidArgument("k must be between 1 and min(n_samples, n_features) = " +
                          std::to_string(limit) + ", got " + std::to_string(k));
}

}  // namespace nmfkit
