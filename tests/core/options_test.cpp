// FitOptions::validate(): the defaults pass for every rule, and every combination in which an
// option would do nothing is refused with a message naming both options. with_solver().
#include "nmfkit/options.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "nmfkit/errors.hpp"
#include "nmfkit/rank.hpp"
#include "nmfkit/solver.hpp"

namespace nmfkit {
namespace {

FitOptions with_k(const std::string& solver) {
  FitOptions o;
  o.k = 3;
  o.solver = solver;
  return o;
}

/// A change to the defaults of `solver`: refused (naming `words`) or fine.
struct Case {
  std::string solver;
  std::function<void(FitOptions&)> set;
  std::vector<std::string> words;  ///< refused: both options, named in the message
};

const std::vector<Case>& refused() {
  static const std::vector<Case> cases = {
      {"mu", [](FitOptions& o) { o.extrapolate = true; }, {"extrapolate", "solver", "mu"}},
      {"hals", [](FitOptions& o) { o.shuffle = true; }, {"shuffle", "solver", "cd", "hals"}},
      {"anls-bpp", [](FitOptions& o) { o.shuffle = true; }, {"shuffle", "solver", "anls-bpp"}},
      {"mu", [](FitOptions& o) { o.shuffle = true; }, {"shuffle", "solver", "mu"}},
      {"cd", [](FitOptions& o) { o.hals_max_sweeps = 5; }, {"hals_max_sweeps", "solver", "cd"}},
      {"mu", [](FitOptions& o) { o.hals_max_sweeps = 5; }, {"hals_max_sweeps", "solver", "mu"}},
      {"anls-bpp",
       [](FitOptions& o) { o.hals_sweep_tol = 0.2; },
       {"hals_sweep_tol", "solver", "anls-bpp"}},
      {"hals",
       [](FitOptions& o) { o.hals_max_sweeps = 1, o.hals_sweep_tol = 0.2; },
       {"hals_sweep_tol", "hals_max_sweeps"}},
      {"anls-bpp",
       [](FitOptions& o) { o.fused_pass = false; },
       {"fused_pass", "solver", "anls-bpp"}},
      {"mu", [](FitOptions& o) { o.fused_pass = false; }, {"fused_pass", "solver", "mu"}},
      {"cd", [](FitOptions& o) { o.l1_ratio = 0.5; }, {"l1_ratio", "alpha_w", "alpha_h"}},
      {"cd",
       [](FitOptions& o) { o.l1_ratio = 1, o.alpha_h = 0; },
       {"l1_ratio", "alpha_w", "alpha_h"}},
      {"cd", [](FitOptions& o) { o.init = Init::kCustom, o.seed = 3; }, {"seed", "init custom"}},
      {"hals", [](FitOptions& o) { o.init = Init::kCustom, o.seed = 3; }, {"seed", "init custom"}},
  };
  return cases;
}

TEST(Validate, TheDefaultsPassForEveryRule) {
  for (const SolverInfo& info : solvers()) {
    FitOptions o = with_k(std::string(info.name));
    EXPECT_NO_THROW(o.validate()) << info.name;
    if (info.any_beta) {
      o.beta = 1;
      EXPECT_NO_THROW(o.validate()) << info.name;
    }
  }
  RankOptions r;
  r.ks = {1, 2};
  EXPECT_NO_THROW(r.validate());
  for (const SolverInfo& info : solvers()) {
    if (info.any_beta) continue;  // the selection needs the frobenius loss
    r.fit.solver = std::string(info.name);
    EXPECT_NO_THROW(r.validate()) << info.name;
  }
}

TEST(Validate, RefusesEveryOptionThatWouldDoNothingNamingBothOptions) {
  for (std::size_t i = 0; i < refused().size(); ++i) {
    const Case& c = refused()[i];
    FitOptions o = with_k(c.solver);
    c.set(o);
    std::string message;
    try {
      o.validate();
    } catch (const InvalidArgument& e) {
      message = e.what();
    }
    ASSERT_FALSE(message.empty()) << "case " << i << " (" << c.solver << ") was not refused";
    for (const std::string& word : c.words)
      EXPECT_NE(message.find(word), std::string::npos)
          << "case " << i << ": no '" << word << "' in: " << message;
  }
}

TEST(Validate, TheSameOptionsWhereTheyDoSomethingPass) {
  const std::vector<Case> fine = {
      {"cd", [](FitOptions& o) { o.extrapolate = true; }, {}},
      {"hals", [](FitOptions& o) { o.extrapolate = true; }, {}},
      {"anls-bpp", [](FitOptions& o) { o.extrapolate = true; }, {}},
      {"cd", [](FitOptions& o) { o.shuffle = true; }, {}},
      {"hals", [](FitOptions& o) { o.hals_max_sweeps = 5, o.hals_sweep_tol = 0.2; }, {}},
      {"hals", [](FitOptions& o) { o.hals_max_sweeps = 1; }, {}},
      {"hals", [](FitOptions& o) { o.fused_pass = false; }, {}},
      {"cd", [](FitOptions& o) { o.fused_pass = false, o.format = DataFormat::kSparse; }, {}},
      {"cd", [](FitOptions& o) { o.fused_pass = false, o.format = DataFormat::kDense; }, {}},
      {"cd", [](FitOptions& o) { o.l1_ratio = 0.5, o.alpha_w = 0.1; }, {}},
      {"cd", [](FitOptions& o) { o.l1_ratio = 0.5, o.alpha_h = 0.1; }, {}},
      {"mu", [](FitOptions& o) { o.beta = 1, o.format = DataFormat::kDense; }, {}},
      {"mu", [](FitOptions& o) { o.beta = 1, o.format = DataFormat::kSparse; }, {}},
      {"cd", [](FitOptions& o) { o.init = Init::kCustom; }, {}},
      {"cd", [](FitOptions& o) { o.init = Init::kCustom, o.shuffle = true, o.seed = 3; }, {}},
      {"cd", [](FitOptions& o) { o.init = Init::kNndsvd, o.seed = 3; }, {}},
  };
  for (std::size_t i = 0; i < fine.size(); ++i) {
    FitOptions o = with_k(fine[i].solver);
    fine[i].set(o);
    EXPECT_NO_THROW(o.validate()) << "case " << i << " (" << fine[i].solver << ")";
  }
}

TEST(WithSolver, ResetsTheKnobsTheNewRuleDoesNotTake) {
  FitOptions cd = with_k("cd");
  cd.shuffle = true;
  cd.extrapolate = true;
  cd.alpha_w = 0.1;
  const FitOptions hals = with_solver(cd, "hals");
  EXPECT_EQ(hals.solver, "hals");
  EXPECT_FALSE(hals.shuffle);
  EXPECT_TRUE(hals.extrapolate);
  EXPECT_EQ(hals.alpha_w, 0.1);
  EXPECT_NO_THROW(hals.validate());
  FitOptions tuned = with_k("hals");
  tuned.hals_max_sweeps = 3;
  tuned.fused_pass = false;
  tuned.extrapolate = true;
  const FitOptions mu = with_solver(tuned, "mu");
  EXPECT_EQ(mu.hals_max_sweeps, FitOptions().hals_max_sweeps);
  EXPECT_TRUE(mu.fused_pass);
  EXPECT_FALSE(mu.extrapolate);
  EXPECT_NO_THROW(mu.validate());
  EXPECT_EQ(with_solver(tuned, "hals").hals_max_sweeps, 3);
}

}  // namespace
}  // namespace nmfkit
