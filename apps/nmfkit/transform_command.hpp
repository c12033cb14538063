#pragma once
// `nmfkit transform --model DIR INPUT -o OUT`: W for new samples with a fitted model's H fixed.
#include <CLI/CLI.hpp>
#include <string>

namespace nmfkit::cli {

struct TransformArgs {
  std::string model;
  std::string input;
  std::string outdir;
  int threads = 0;
  std::string classes = "auto";  ///< --classes of the new samples
  std::string vocab;             ///< --vocab: must match the model's vocabulary when it has one
  long long limit = 0;
  bool quiet = false;
};

CLI::App* add_transform_command(CLI::App& app, TransformArgs& args);
int run_transform(const TransformArgs& args);

}  // namespace nmfkit::cli
