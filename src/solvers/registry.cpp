// Every update rule nmfkit has, in one place: name, one-line description, factories.
#include <array>
#include <string>

#include "nmfkit/errors.hpp"
#include "nmfkit/solver.hpp"
#include "solvers/update_rule.hpp"

namespace nmfkit {

namespace {

struct Entry {
  SolverInfo info;
  rules::RuleFactory<float> make_float;
  rules::RuleFactory<double> make_double;
};

constexpr std::array kEntries = {
    Entry{{"hals",
           "HALS: exact non-negative coordinate updates, several sweeps per half-iteration "
           "(Cichocki & Phan 2009; Gillis & Glineur 2012), extrapolated by default",
           false, true, false, true, true, true},
          &rules::make_hals<float>,
          &rules::make_hals<double>},
    Entry{{"cd",
           "scikit-learn's coordinate descent: one sweep per half-iteration, its "
           "projected-gradient stopping rule; for kullback-leibler and itakura-saito, Newton steps "
           "on "
           "each entry (Hsieh & Dhillon 2011), extrapolated by default",
           false, true, true, false, true, false, true},
          &rules::make_cd<float>,
          &rules::make_cd<double>},
    Entry{{"anls-bpp",
           "ANLS by block principal pivoting: each half-iteration solves its non-negative least "
           "squares exactly (Kim & Park 2011)",
           false, true, false, false, false},
          &rules::make_anls_bpp<float>,
          &rules::make_anls_bpp<double>},
    Entry{{"mu",
           "multiplicative updates for any beta-divergence (Lee & Seung 2001; Fevotte & Idier "
           "2011)",
           true, false, false, false, false},
          &rules::make_mu<float>,
          &rules::make_mu<double>},
};

constexpr std::array<SolverInfo, kEntries.size()> make_infos() {
  std::array<SolverInfo, kEntries.size()> infos{};
  for (std::size_t i = 0; i < kEntries.size(); ++i) infos[i] = kEntries[i].info;
  return infos;
}
constexpr std::array kInfos = make_infos();

const Entry& find(std::string_view name) {
  for (const Entry& e : kEntries)
    if (e.info.name == name) return e;
  throw InvalidArgument("unknown solver '" + std::string(name) + "' (choose one of " +
                        solver_names() + ")");
}

}  // namespace

std::span<const SolverInfo> solvers() {
  return kInfos;
}

const SolverInfo& solver_info(std::string_view name) {
  return find(name).info;
}

bool has_solver(std::string_view name) {
  for (const Entry& e : kEntries)
    if (e.info.name == name) return true;
  return false;
}

std::string solver_names() {
  std::string names;
  for (const Entry& e : kEntries) names += (names.empty() ? "" : ", ") + std::string(e.info.name);
  return names;
}

namespace rules {

template <>
std::unique_ptr<UpdateRule<float>> make_update_rule<float>(std::string_view name,
                                                           const FitOptions& options) {
  return find(name).make_float(options);
}
template <>
std::unique_ptr<UpdateRule<double>> make_update_rule<double>(std::string_view name,
                                                             const FitOptions& options) {
  return find(name).make_double(options);
}

}  // namespace rules
}  // namespace nmfkit
