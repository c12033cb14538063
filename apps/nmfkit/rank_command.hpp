#pragma once
// `nmfkit rank`: held-out cross-validation over candidate k (and optionally the cophenetic
// correlation); writes rank.json, rank.svg, rank-components.png and report.html. Also the
// selection `nmfkit fit -k auto` runs.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nmfkit/rank.hpp"
#include "viz/components.hpp"

namespace nmfkit::cli {

struct RankArgs {
  std::string input;
  std::string ks = "auto";
  std::string outdir;
  double holdout = 0.05;
  int folds = 3;
  std::string rule = "auto";
  double knee_fraction = 0.5;
  int patience = 3;
  std::string sample = "auto";
  bool cold = false;
  std::string method = "cv";
  int restarts = 10;
  long long cluster_samples = 500;
  std::string solver = "hals";
  std::string init = "nndsvda";
  int max_iter = 200;
  double tol = 1e-3;
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

/// The selection as JSON: the rule, the choice, every criterion's values and every candidate's
/// errors.
nlohmann::ordered_json rank_json(const RankResult& result, const RankOptions& options);

/// The candidates drawn in rank-components.png: up to five of the ranks scanned around the
/// choice (about half of it, it, the knee, the lowest error, the largest scanned), k ascending.
std::vector<viz::ComponentRow> component_rows(const RankResult& result);

/// Sets the selection's callbacks: `heading` on stderr at the first iteration of the first fit
/// (unless quiet; so that an error stays the only line), then a line per rank (and per fold, or
/// a redrawn status line on a terminal) with the time left; every fit stopped by Ctrl-C
/// (select_rank() then throws Cancelled; see unless_interrupted()).
void watch_selection(RankOptions& options, const std::string& heading, bool quiet);

}  // namespace nmfkit::cli
