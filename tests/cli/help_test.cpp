// `nmfkit --help`, `nmfkit fit --help` and `nmfkit --version`.
#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"

namespace nmfkit::cli_test {
namespace {

TEST(CliHelp, TopLevelHelpShowsUsageAndTheFitCommand) {
  for (const char* flag : {"--help", "-h"}) {
    const RunResult r = run_cli({flag});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r;
    EXPECT_NE(r.out.find("fit"), std::string::npos) << r;
    EXPECT_NE(r.out.find("--version"), std::string::npos) << r;
    EXPECT_EQ(r.err, "") << r;
  }
}

TEST(CliHelp, VersionPrintsTheVersion) {
  const RunResult r = run_cli({"--version"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(nmfkit \d+\.\d+\.\d+)"))) << r;
  EXPECT_EQ(r.err, "") << r;
}

// The solver names the CLI accepts, taken from its own message for an unknown solver
// ("... (choose one of hals, mu)"), so that a newly registered solver is checked too.
std::vector<std::string> solver_names_from_error() {
  const TempDir dir;
  const RunResult r = run_cli({"fit", (dir / "x.idx").string(), "-k", "1", "-o",
                               (dir / "out").string(), "--solver", "no-such-solver"});
  std::vector<std::string> names;
  const std::string::size_type open = r.err.find("choose one of ");
  if (open == std::string::npos) return names;
  const std::string list = r.err.substr(open + 14, r.err.find(')', open) - open - 14);
  const std::regex name(R"([A-Za-z0-9_\-]+)");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), name); it != std::sregex_iterator();
       ++it)
    names.push_back(it->str());
  return names;
}

TEST(CliHelp, FitHelpListsEveryOptionAndSolver) {
  const RunResult r = run_cli({"fit", "--help"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.err, "") << r;
  EXPECT_NE(r.out.find("Usage"), std::string::npos) << r;
  EXPECT_NE(r.out.find("INPUT"), std::string::npos) << r;
  for (const char* option :
       {"-k", "--components", "-o", "--output", "--solver", "--init", "--max-iter", "--tol",
        "--seed", "--threads", "--limit", "--cmap", "-q", "--quiet"})
    EXPECT_NE(r.out.find(option), std::string::npos) << option << " missing from\n" << r.out;
  for (const char* value : {"random", "nndsvd", "nndsvda", "nndsvdar", "viridis", "gray"})
    EXPECT_NE(r.out.find(value), std::string::npos) << value << " missing from\n" << r.out;

  std::vector<std::string> solvers = solver_names_from_error();
  EXPECT_GE(solvers.size(), 2u) << "could not learn the solver names";
  for (const char* known : {"hals", "mu"})
    EXPECT_NE(std::find(solvers.begin(), solvers.end(), known), solvers.end()) << known;
  // Every solver on a line of its own as "name: description".
  for (const std::string& solver : solvers) {
    const std::regex line("(^|\\n)\\s+" + solver + ": \\S[^\\n]{9,}");
    EXPECT_TRUE(std::regex_search(r.out, line)) << solver << " has no description in\n" << r.out;
  }
}

TEST(CliHelp, HelpWinsOverMissingOptions) {
  const RunResult r = run_cli({"fit", "-h"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_NE(r.out.find("--max-iter"), std::string::npos) << r;
}

}  // namespace
}  // namespace nmfkit::cli_test
