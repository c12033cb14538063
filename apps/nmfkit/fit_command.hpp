#pragma once
// `nmfkit fit`: load the input, factorize it, write W.npy, H.npy, summary.json, model.json (what
// `nmfkit transform` needs), the pictures (components.png, reconstructions.png, top-examples.png,
// loss.svg) and report.html.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "fit_extras.hpp"
#include "input.hpp"
#include "nmfkit/minibatch.hpp"

namespace nmfkit::cli {

struct FitArgs {
  std::string input;
  std::string k;  ///< a number, or "auto"
  std::string outdir;
  std::string solver;  ///< empty: cd for the frobenius loss, mu for the others
  std::string loss = "frobenius";
  std::string init;  ///< empty: init_of() chooses by the loss
  std::string w0, h0;
  double alpha_w = 0;
  std::string alpha_h = "same";
  double l1_ratio = 0;
  bool shuffle = false;
  bool extrapolate = false;
  bool no_extrapolate = false;
  int max_iter = 200;
  int sketch = 0;         ///< --sketch: columns of the sketch beyond k (0: fit X itself)
  int sketch_power = -1;  ///< --sketch-power; -1: not given (FitOptions' default)
  double tol = 1e-4;
  std::int64_t seed = 0;
  int threads = 0;
  long long limit = 0;
  std::string format = "auto";
  std::string dtype = "float32";
  std::string cmap = "viridis";
  std::string sort = "none";     ///< component order: "none" (as fitted) or "usage"
  bool labels = false;           ///< draw component indices on the tiles
  std::string classes = "auto";  ///< --classes: auto, none, folders or a label file
  std::string log_json;          ///< one JSON object per iteration: "-" stdout, else a file
  /// --loss-every-iteration: form mu's divergence after every iteration (by default, for β ≠ 2,
  /// only where the stopping test reads it: FitOptions::lazy_objective)
  bool loss_every_iteration = false;
  std::string vocab;           ///< --vocab: one term per feature; top words instead of images
  InputOptions input_options;  ///< --color, --size, --skip-bad, --shape (limit comes from --limit)
  bool quiet = false;
  FitExtrasArgs extra;  ///< -k auto, --k-range, --restarts, --mask, --missing
  /// --batch-size: > 0 fits by mini-batch NMF (scikit-learn's MiniBatchNMF); 0 the full fit
  std::int64_t batch_size = 0;
  double forget_factor = -1;    ///< --forget-factor (with --batch-size); -1: not given (0.7)
  bool fresh_restarts = false;  ///< --fresh-restarts (with --batch-size)
  int max_no_improvement = -1;  ///< --max-no-improvement (with --batch-size; 0 = off); -1: 10
};

/// The update rule a fit uses: --solver, or by default cd for the frobenius loss (scikit-learn's
/// default) and mu for every other loss (the only rule that fits them). Throws InvalidArgument for
/// a bad --loss.
std::string solver_of(const FitArgs& args);
/// --init, or the default for the loss when it was not given.
std::string init_of(const FitArgs& args);

/// The mini-batch knobs of --batch-size and its companions (MiniBatchOptions' defaults for those
/// not given).
MiniBatchOptions minibatch_of(const FitArgs& args);

/// Declares the `fit` subcommand and its options on `app`.
CLI::App* add_fit_command(CLI::App& app, FitArgs& args);

/// The `nmfkit fit` command line with every option spelled out, shell-quoted; `solver` is the rule
/// that ran (FitResult::solver), which the library may have chosen.
std::string reproduce_command(const FitArgs& args, const std::string& solver);

/// Runs `nmfkit fit`; returns the process exit code. Throws nmfkit errors for the caller to map.
int run_fit(const FitArgs& args);

}  // namespace nmfkit::cli
