#pragma once
// `nmfkit rank`: held-out cross-validation over candidate k (and optionally the cophenetic
// correlation); writes rank.json and rank.svg. Also the selection `nmfkit fit -k auto` runs.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "nmfkit/rank.hpp"

namespace nmfkit::cli {

struct RankArgs {
  std::string input;
  std::string ks;
  std::string outdir;
  double holdout = 0.05;
  int folds = 5;
  std::string method = "cv";
  int restarts = 10;
  long long cluster_samples = 500;
  std::string solver = "hals";
  std::string init = "nndsvda";
  int max_iter = 200;
  double tol = 1e-4;
  std::int64_t seed = 0;
  int threads = 0;
  int concurrent_fits = 0;
  long long limit = 0;
  std::string format = "auto";
  std::string dtype = "float32";
  std::string mask;
  std::string missing;
  bool quiet = false;
};

/// Declares the `rank` subcommand and its options on `app`.
CLI::App* add_rank_command(CLI::App& app, RankArgs& args);

/// Runs `nmfkit rank`; returns the process exit code. Throws nmfkit errors for the caller to map.
int run_rank(const RankArgs& args);

/// The selection as JSON: the rule, the choice, and every candidate's errors.
nlohmann::ordered_json rank_json(const RankResult& result, const RankOptions& options);

/// Sets the selection's callbacks: `heading` and progress lines on stderr once the first fit has
/// finished (unless quiet, so that an error stays the only line), every fit stopped by Ctrl-C
/// (select_rank() then throws Cancelled; see unless_interrupted()).
void watch_selection(RankOptions& options, const std::string& heading, bool quiet);

}  // namespace nmfkit::cli
