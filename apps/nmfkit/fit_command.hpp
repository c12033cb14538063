#pragma once
// `nmfkit fit`: load the input, factorize it, write components.png, W.npy, H.npy, summary.json
// and model.json (what `nmfkit transform` needs).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "fit_extras.hpp"

namespace nmfkit::cli {

struct FitArgs {
  std::string input;
  std::string k;  ///< a number, or "auto"
  std::string outdir;
  std::string solver = "hals";
  std::string loss = "frobenius";
  std::string init = "nndsvda";
  std::string w0, h0;
  double alpha_w = 0;
  std::string alpha_h = "same";
  double l1_ratio = 0;
  bool shuffle = false;
  int max_iter = 200;
  double tol = 1e-4;
  std::int64_t seed = 0;
  int threads = 0;
  long long limit = 0;
  std::string format = "auto";
  std::string dtype = "float32";
  std::string cmap = "viridis";
  bool quiet = false;
  FitExtrasArgs extra;  ///< -k auto, --k-range, --restarts, --mask, --missing
};

/// Declares the `fit` subcommand and its options on `app`.
CLI::App* add_fit_command(CLI::App& app, FitArgs& args);

/// Runs `nmfkit fit`; returns the process exit code. Throws nmfkit errors for the caller to map.
int run_fit(const FitArgs& args);

}  // namespace nmfkit::cli
