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

struct Refused {
  std::string what;                      ///< the combination, for the failure message
  std::function<void(FitOptions&)> set;  ///< makes it from the defaults
  std::vector<std::string> words;        ///< both options, named in the message
};

const std::vector<Refused>& refused() {
  static const std::vector<Refused> cases = {
      {"extrapolate with mu",
       [](FitOptions& o) {
         o.solver = "mu";
         o.extrapolate = true;
       },
       {"extrapolate", "solver", "mu"}},
      {"shuffle with hals",
       [](FitOptions& o) {
         o.solver = "hals";
         o.shuffle = true;
       },
       {"shuffle", "solver", "cd", "hals"}},
      {"shuffle with anls-bpp",
       [](FitOptions& o) {
         o.solver = "anls-bpp";
         o.shuffle = true;
       },
       {"shuffle", "solver", "anls-bpp"}},
      {"shuffle with mu",
       [](FitOptions& o) {
         o.solver = "mu";
         o.shuffle = true;
       },
       {"shuffle", "solver", "mu"}},
      {"hals_max_sweeps with cd",
       [](FitOptions& o) {
         o.solver = "cd";
         o.hals_max_sweeps = 5;
       },
       {"hals_max_sweeps", "solver", "cd"}},
      {"hals_max_sweeps with mu",
       [](FitOptions& o) {
         o.solver = "mu";
         o.hals_max_sweeps = 5;
       },
       {"hals_max_sweeps", "solver", "mu"}},
      {"hals_sweep_tol with anls-bpp",
       [](FitOptions& o) {
         o.solver = "anls-bpp";
         o.hals_sweep_tol = 0.2;
       },
       {"hals_sweep_tol", "solver", "anls-bpp"}},
      {"hals_sweep_tol with one sweep",
       [](FitOptions& o) {
         o.solver = "hals";
         o.hals_max_sweeps = 1;
         o.hals_sweep_tol = 0.2;
       },
       {"hals_sweep_tol", "hals_max_sweeps"}},
      {"fused_pass off with anls-bpp",
       [](FitOptions& o) {
         o.solver = "anls-bpp";
         o.fused_pass = false;
       },
       {"fused_pass", "solver", "anls-bpp"}},
      {"fused_pass off with mu",
       [](FitOptions& o) {
         o.solver = "mu";
         o.fused_pass = false;
       },
       {"fused_pass", "solver", "mu"}},
      {"fused_pass off with format dense",
       [](FitOptions& o) {
         o.solver = "cd";
         o.fused_pass = false;
         o.format = DataFormat::kDense;
       },
       {"fused_pass", "format dense"}},
      {"l1_ratio without regularisation",
       [](FitOptions& o) { o.l1_ratio = 0.5; },
       {"l1_ratio", "alpha_w", "alpha_h"}},
      {"l1_ratio with alpha_h 0 and alpha_w 0",
       [](FitOptions& o) {
         o.l1_ratio = 1;
         o.alpha_h = 0;
       },
       {"l1_ratio", "alpha_w", "alpha_h"}},
      {"seed with init custom",
       [](FitOptions& o) {
         o.init = Init::kCustom;
         o.seed = 3;
       },
       {"seed", "init custom"}},
      {"seed with init custom and hals",
       [](FitOptions& o) {
         o.solver = "hals";
         o.init = Init::kCustom;
         o.seed = 3;
       },
       {"seed", "init custom"}},
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
  for (const Refused& c : refused()) {
    FitOptions o = with_k("cd");
    c.set(o);
    std::string message;
    try {
      o.validate();
    } catch (const InvalidArgument& e) {
      message = e.what();
    }
    ASSERT_FALSE(message.empty()) << c.what << " was not refused";
    for (const std::string& word : c.words)
      EXPECT_NE(message.find(word), std::string::npos)
          << c.what << ": no '" << word << "' in: " << message;
  }
}

TEST(Validate, TheSameOptionsWhereTheyDoSomethingPass) {
  const std::vector<std::function<void(FitOptions&)>> fine = {
      [](FitOptions& o) {
        o.solver = "cd";
        o.extrapolate = true;
      },
      [](FitOptions& o) {
        o.solver = "hals";
        o.extrapolate = true;
      },
      [](FitOptions& o) {
        o.solver = "anls-bpp";
        o.extrapolate = true;
      },
      [](FitOptions& o) {
        o.solver = "cd";
        o.shuffle = true;
      },
      [](FitOptions& o) {
        o.solver = "hals";
        o.hals_max_sweeps = 5;
        o.hals_sweep_tol = 0.2;
      },
      [](FitOptions& o) {
        o.solver = "hals";
        o.hals_max_sweeps = 1;
      },
      [](FitOptions& o) {
        o.solver = "hals";
        o.fused_pass = false;
      },
      [](FitOptions& o) {
        o.solver = "cd";
        o.fused_pass = false;
        o.format = DataFormat::kSparse;
      },
      [](FitOptions& o) {
        o.l1_ratio = 0.5;
        o.alpha_w = 0.1;
      },
      [](FitOptions& o) {
        o.l1_ratio = 0.5;
        o.alpha_h = 0.1;
      },
      [](FitOptions& o) {
        o.solver = "mu";
        o.beta = 1;
        o.format = DataFormat::kDense;
      },
      [](FitOptions& o) {
        o.init = Init::kCustom;
        o.seed = 0;
      },
      [](FitOptions& o) {
        o.init = Init::kCustom;
        o.shuffle = true;
        o.seed = 3;
      },
      [](FitOptions& o) {
        o.init = Init::kNndsvd;
        o.seed = 3;
      },
  };
  for (std::size_t i = 0; i < fine.size(); ++i) {
    FitOptions o = with_k("cd");
    fine[i](o);
    EXPECT_NO_THROW(o.validate()) << "case " << i;
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
