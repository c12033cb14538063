#include "fit_command.hpp"

#include <cstdio>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "input.hpp"
#include "interrupt.hpp"
#include "io/npy.hpp"
#include "nmfkit/nmfkit.hpp"
#include "output_dir.hpp"
#include "viz/colormap.hpp"
#include "viz/components.hpp"

namespace nmfkit::cli {

namespace {

std::string join(std::span<const std::string_view> names, const char* sep) {
  std::string s;
  for (std::string_view n : names) s += (s.empty() ? "" : sep) + std::string(n);
  return s;
}

std::string solver_help() {
  std::string s = "Update rule (default hals):";
  for (const SolverInfo& info : solvers())
    s += "\n  " + std::string(info.name) + ": " + std::string(info.description);
  return s;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

nlohmann::ordered_json summary_json(const FitArgs& args, const Input& in,
                                    const FitResult<float>& r) {
  nlohmann::ordered_json j;
  j["nmfkit_version"] = std::string(version());
  j["input"] = args.input;
  j["input_path"] = in.path;
  j["shape"] = {in.rows, in.cols};
  if (in.image.channels == 1)
    j["image_shape"] = {in.image.height, in.image.width};
  else
    j["image_shape"] = {in.image.height, in.image.width, in.image.channels};
  j["scaled_from_uint8"] = in.scaled_from_uint8;
  j["dtype"] = "float32";
  j["k"] = args.k;
  j["solver"] = r.solver;
  j["init"] = std::string(init_name(r.init));
  j["seed"] = r.seed;
  j["threads"] = r.threads;
  j["max_iter"] = args.max_iter;
  j["tol"] = args.tol;
  j["iterations"] = r.iterations;
  j["converged"] = r.converged;
  j["seconds"] = r.seconds;
  j["timings"] = {{"init", r.timings.init},
                  {"products", r.timings.products},
                  {"grams", r.timings.grams},
                  {"updates", r.timings.updates},
                  {"loss", r.timings.loss}};
  j["error"] = r.error;
  j["relative_error"] = r.relative_error;
  j["x_norm"] = r.x_norm;
  j["loss_history"] = r.loss_history;
  j["files"] = {"components.png", "W.npy", "H.npy", "summary.json"};
  return j;
}

void write_text(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw DataError("cannot create '" + path + "'");
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) throw DataError("cannot write '" + path + "'");
}

}  // namespace

CLI::App* add_fit_command(CLI::App& app, FitArgs& a) {
  CLI::App* fit = app.add_subcommand(
      "fit", "Factorize INPUT into k components; write components.png, W.npy, H.npy, summary.json");
  fit->add_option("INPUT", a.input,
                  "A dataset name (mnist: fetched if missing; fashion-mnist), an IDX file "
                  "(plain or .gz) or an NPY file, one sample per row")
      ->required();
  fit->add_option("-k,--components", a.k, "Number of components k (1 <= k <= min(n, m))")
      ->required();
  fit->add_option("-o,--output", a.outdir, "Output folder (created; files in it are replaced)")
      ->required();
  fit->add_option("--solver", a.solver, solver_help());
  fit->add_option("--init", a.init,
                  "Initialisation: " + join(init_names(), ", ") + " (default nndsvda)");
  fit->add_option("--max-iter", a.max_iter, "Maximum number of iterations (default 200)")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
  fit->add_option("--tol", a.tol,
                  "Stop once 10 iterations lower the error by at most this fraction "
                  "(default 1e-4; 0 = run max-iter iterations)")
      ->check(CLI::NonNegativeNumber);
  fit->add_option("--seed", a.seed, "Random seed, 0 to 4294967295 (default 0)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{4294967295}));
  fit->add_option("--threads", a.threads, "Threads (default 0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  fit->add_option("--limit", a.limit, "Use only the first N samples (default 0 = all)")
      ->check(CLI::NonNegativeNumber);
  fit->add_option(
      "--cmap", a.cmap,
      "Colormap of components.png: " + join(viz::colormap_names(), ", ") + " (default viridis)");
  fit->add_flag("-q,--quiet", a.quiet, "Print no progress, only errors and the summary");
  fit->footer(
      "Example: nmfkit fit mnist -k 10 -o out/mnist-k10\n"
      "Exit codes: 0 success, 1 data or runtime error, 2 usage error, 130 interrupted.");
  return fit;
}

int run_fit(const FitArgs& args) {
  FitOptions options;
  options.k = args.k;
  options.solver = args.solver;
  options.init = parse_init(args.init);
  options.max_iter = args.max_iter;
  options.tol = args.tol;
  options.seed = static_cast<std::uint64_t>(args.seed);
  options.threads = args.threads;
  options.validate();  // fail fast, before reading any data
  viz::ComponentsStyle style;
  style.colormap = viz::parse_colormap(args.cmap);

  OutputDir out(args.outdir);
  const Input in = load_input(args.input, args.limit);
  options.validate(in.rows, in.cols);
  // The heading is printed with the first iteration, once fit() has accepted the data, so a
  // data error stays the only line on stderr.
  const std::string heading = "nmfkit: " + in.description + ", " + std::to_string(in.rows) + " x " +
                              std::to_string(in.cols) + "; k = " + std::to_string(options.k) +
                              ", solver " + options.solver + ", init " + args.init;
  options.progress = [&args, &heading](const Progress& p) {
    if (interrupted()) return false;
    if (!args.quiet && p.iteration == 1) std::cerr << heading << "\n";
    if (!args.quiet && (p.iteration == 1 || p.iteration % 10 == 0))
      std::cerr << "  iteration " << p.iteration << "/" << p.max_iter << "  relative error "
                << fixed(p.relative_error, 6) << "  " << fixed(p.seconds, 1) << " s\n";
    return true;
  };

  const FitResult<float> r = fit(in.view(), options);
  if (interrupted()) throw Interrupted();

  const std::int64_t w_shape[] = {r.W.rows, r.W.cols};
  const std::int64_t h_shape[] = {r.H.rows, r.H.cols};
  viz::write_components_png(out.stage("components.png"), r.H.view(), in.image, style);
  io::write_npy(out.stage("W.npy"), r.W.data(), w_shape);
  io::write_npy(out.stage("H.npy"), r.H.data(), h_shape);
  write_text(out.stage("summary.json"), summary_json(args, in, r).dump(2) + "\n");
  out.commit();

  const std::string png = (out.target() / "components.png").string();
  std::cout << (r.converged ? "converged after " : "stopped after ") << r.iterations
            << " iterations in " << fixed(r.seconds, 2) << " s; relative error "
            << fixed(r.relative_error, 4) << " (error " << fixed(r.error, 2) << ")\n"
            << "components: " << png << "\n"
            << "also wrote W.npy (" << r.W.rows << " x " << r.W.cols << "), H.npy (" << r.H.rows
            << " x " << r.H.cols << ") and summary.json in " << out.target().string() << "\n";
  return 0;
}

}  // namespace nmfkit::cli
