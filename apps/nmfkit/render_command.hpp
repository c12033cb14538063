#pragma once
// `nmfkit render OUTDIR`: re-draws the pictures (components.png, reconstructions.png,
// top-examples.png, loss.svg) and report.html of a fit from its saved W.npy, H.npy and
// summary.json, re-reading the input for the sample images; nothing is refitted.
#include <CLI/CLI.hpp>
#include <string>

namespace nmfkit::cli {

struct RenderArgs {
  std::string outdir;
  std::string cmap;  ///< empty: the fit's colormap
  bool labels = false;
  std::string classes;  ///< --classes; empty: the fit's (auto for fits that recorded none)
  std::string vocab;    ///< --vocab; empty: the fit's copy (OUTDIR/vocab.txt) when it has one
  bool quiet = false;
};

CLI::App* add_render_command(CLI::App& app, RenderArgs& args);
int run_render(const RenderArgs& args);

}  // namespace nmfkit::cli
