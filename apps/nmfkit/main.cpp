// nmfkit's command line: parses argv, runs the subcommand, maps errors to exit codes
// (0 success, 1 data or runtime error, 2 usage error, 130 interrupted).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "fit_command.hpp"
#include "interrupt.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/version.hpp"
#include "rank_command.hpp"
#include "render_command.hpp"
#include "transform_command.hpp"

namespace {

int error_line(const std::string& message, int code) {
  std::string line = message;
  for (char& c : line)
    if (c == '\n') c = ' ';
  std::cerr << "nmfkit: error: " << line << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "nmfkit: fast non-negative matrix factorization of images and matrices.\n"
      "X (samples x features, one flattened image per row) ~= W (samples x k) . H "
      "(k x features);\nthe k rows of H are the component images.",
      "nmfkit"};
  // The kernels' instruction set is looked up only when asked for: a bad NMFKIT_ISA fails there.
  app.set_version_flag("--version", [] {
    return "nmfkit " + std::string(nmfkit::version()) +
           " (kernels: " + std::string(nmfkit::kernel_isa()) + ")";
  });
  app.require_subcommand(1);
  app.footer("Run 'nmfkit fit --help' for the options of a command.");
  nmfkit::cli::FitArgs fit_args;
  CLI::App* fit = nmfkit::cli::add_fit_command(app, fit_args);
  nmfkit::cli::TransformArgs transform_args;
  CLI::App* transform = nmfkit::cli::add_transform_command(app, transform_args);
  nmfkit::cli::RenderArgs render_args;
  CLI::App* render = nmfkit::cli::add_render_command(app, render_args);
  nmfkit::cli::RankArgs rank_args;
  CLI::App* rank = nmfkit::cli::add_rank_command(app, rank_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return error_line(std::string(e.what()) + " (see 'nmfkit --help')", 2);
  } catch (const nmfkit::InvalidArgument& e) {  // --version with a bad NMFKIT_ISA
    return error_line(e.what(), 2);
  }

  nmfkit::cli::install_interrupt_handler();
  try {
    if (fit->parsed()) return nmfkit::cli::run_fit(fit_args);
    if (transform->parsed()) return nmfkit::cli::run_transform(transform_args);
    if (render->parsed()) return nmfkit::cli::run_render(render_args);
    if (rank->parsed()) return nmfkit::cli::run_rank(rank_args);
    return error_line("no command given (see 'nmfkit --help')", 2);
  } catch (const nmfkit::cli::Interrupted&) {
    return error_line("interrupted; nothing was written", 130);
  } catch (const nmfkit::InvalidArgument& e) {
    return error_line(e.what(), 2);
  } catch (const nmfkit::Error& e) {
    return error_line(e.what(), 1);
  } catch (const std::bad_alloc&) {
    return error_line("out of memory", 1);
  } catch (const std::exception& e) {
    return error_line(e.what(), 1);
  }
}
