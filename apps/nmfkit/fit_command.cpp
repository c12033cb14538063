#include "fit_command.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "classes.hpp"
#include "common.hpp"
#include "input.hpp"
#include "interrupt.hpp"
#include "io/npy.hpp"
#include "model.hpp"
#include "nmfkit/nmfkit.hpp"
#include "output_dir.hpp"
#include "pictures.hpp"
#include "progress.hpp"
#include "sparse_input.hpp"
#include "viz/colormap.hpp"
#include "viz/components.hpp"
#include "vocab.hpp"

namespace nmfkit::cli {

namespace {

std::string join(std::span<const std::string_view> names, const char* sep) {
  std::string s;
  for (std::string_view n : names) s += (s.empty() ? "" : sep) + std::string(n);
  return s;
}

std::string solver_help() {
  std::string s =
      "Update rule (default: hals for the frobenius loss, or anls-bpp extrapolated where X is "
      "stored dense with fewer than 10% zeros; cd for kullback-leibler and itakura-saito, mu for "
      "the others):";
  for (const SolverInfo& info : solvers())
    s += "\n  " + std::string(info.name) + ": " + std::string(info.description) +
         (info.any_beta      ? ""
          : info.divergences ? " [frobenius, kullback-leibler and itakura-saito]"
                             : " [frobenius only]");
  return s;
}

/// --batch-size runs scikit-learn's MiniBatchNMF, which has one update rule (mu), one fit and no
/// missing entries: the options it cannot honour are usage errors, as are its companions alone.
void check_minibatch_args(const FitArgs& a) {
  if (a.batch_size <= 0) {
    const char* alone = a.forget_factor >= 0        ? "--forget-factor"
                        : a.fresh_restarts          ? "--fresh-restarts"
                        : a.max_no_improvement >= 0 ? "--max-no-improvement"
                                                    : nullptr;
    if (alone != nullptr)
      throw InvalidArgument(std::string(alone) + " applies only to mini-batch fits (--batch-size)");
    return;
  }
  const auto refuse = [](const std::string& what) {
    throw InvalidArgument(
        "--batch-size (mini-batch NMF, multiplicative updates) cannot be "
        "combined with " +
        what);
  };
  if (!a.solver.empty() && a.solver != "mu") refuse("--solver " + a.solver + " (only mu)");
  if (a.k == "auto") refuse("-k auto (give k)");
  if (a.extra.restarts != 1) refuse("--restarts");
  if (!a.extra.mask.empty()) refuse("--mask");
  if (!a.extra.missing.empty()) refuse("--missing");
  if (a.shuffle) refuse("--shuffle");
  if (a.extrapolate) refuse("--extrapolate");
  if (a.no_extrapolate) refuse("--no-extrapolate");
  if (a.sketch > 0) refuse("--sketch");
  if (const double beta = parse_loss(a.loss); a.format != "auto" && beta != 2 && beta != 1)
    refuse("--format " + a.format +
           " and a loss other than frobenius or kullback-leibler (its batches are read as dense "
           "rows)");
}

FitOptions options_from(const FitArgs& a) {
  check_minibatch_args(a);
  FitOptions o;
  if (a.k == "auto") {
    o.k = 1;  // chosen later, by fit_best
  } else {
    char* end = nullptr;
    const long k = std::strtol(a.k.c_str(), &end, 10);
    if (a.k.empty() || *end != '\0' || k < std::numeric_limits<int>::min() ||
        k > std::numeric_limits<int>::max())
      throw InvalidArgument("-k/--components must be a whole number or 'auto', got '" + a.k + "'");
    o.k = static_cast<int>(k);
  }
  o.beta = parse_loss(a.loss);
  o.solver = solver_of(a);
  o.init = parse_init(init_of(a));
  o.alpha_w = a.alpha_w;
  if (a.alpha_h == "same") {
    o.alpha_h = -1;
  } else {
    char* end = nullptr;
    o.alpha_h = std::strtod(a.alpha_h.c_str(), &end);
    if (a.alpha_h.empty() || *end != '\0' || !(o.alpha_h >= 0))
      throw InvalidArgument("--alpha-h must be a number >= 0 or 'same', got '" + a.alpha_h + "'");
  }
  o.l1_ratio = a.l1_ratio;
  o.shuffle = a.shuffle;
  if (a.extrapolate && a.no_extrapolate)
    throw InvalidArgument("--extrapolate and --no-extrapolate cannot be combined");
  if (a.extrapolate || a.no_extrapolate) o.extrapolate = a.extrapolate;
  // No rule chosen: on data with few zeros the library fits by exact solves (FitOptions).
  o.exact_when_few_zeros =
      a.solver.empty() && a.batch_size <= 0 && !a.extrapolate && !a.no_extrapolate && o.beta == 2;
  if (a.no_extrapolate && !solver_info(o.solver).extrapolate)
    throw InvalidArgument("--no-extrapolate applies only to a rule that extrapolates, not " +
                          o.solver);
  o.max_iter = a.max_iter;
  o.sketch = a.sketch;
  if (a.sketch_power >= 0) {
    if (a.sketch == 0)
      throw InvalidArgument("--sketch-power applies only with --sketch (a fit of X's projection)");
    o.sketch_power_iterations = a.sketch_power;
  }
  o.tol = a.tol;
  o.seed = static_cast<std::uint64_t>(a.seed);
  o.threads = a.threads;
  o.format = parse_format(a.format);
  if (a.batch_size > 0) {
    o.solver = "mu";
    minibatch_of(a).validate();
  }
  if (a.loss_every_iteration && (o.solver != "mu" || o.beta == 2 || a.batch_size > 0))
    throw InvalidArgument(
        "--loss-every-iteration applies only to solver mu with a loss other than frobenius (the "
        "other fits form their loss after every iteration), not to solver " +
        (a.batch_size > 0 ? std::string("mu by mini-batches") : o.solver) + " with loss " +
        loss_name(o.beta));
  // The multiplicative updates' divergence (β ≠ 2) costs a pass of logarithms or powers: formed
  // only where the stopping test reads it (every 10th iteration), as scikit-learn does.
  o.lazy_objective = a.batch_size == 0 && o.solver == "mu" && o.beta != 2 && !extrapolates(o) &&
                     !a.loss_every_iteration;
  if (a.dtype != "float32" && a.dtype != "float64")
    throw InvalidArgument("unknown dtype '" + a.dtype + "' (choose float32 or float64)");
  if ((o.init == Init::kCustom) != (!a.w0.empty() || !a.h0.empty()))
    throw InvalidArgument("--init custom and --w0/--h0 go together");
  if (o.init == Init::kCustom && (a.w0.empty() || a.h0.empty()))
    throw InvalidArgument("--init custom needs both --w0 and --h0");
  o.validate();  // fail fast, before reading any data; it refuses options that would do nothing
  return o;
}

template <typename T>
nlohmann::ordered_json summary_json(const FitArgs& args, const FitOptions& o, const Input& in,
                                    const FitResult<T>& r) {
  nlohmann::ordered_json j;
  j["nmfkit_version"] = std::string(version());
  j["command"] = "fit";
  j["input"] = args.input;
  j["input_path"] = in.path;
  j["input_kind"] = in.kind;
  if (in.kind != "mnist" && in.kind != "fashion-mnist")
    j["input_absolute"] = std::filesystem::absolute(in.path).lexically_normal().string();
  j["input_options"] = {{"color", args.input_options.color},
                        {"size", args.input_options.size},
                        {"skip_bad", args.input_options.skip_bad},
                        {"alpha", args.input_options.alpha},
                        {"background", args.input_options.background},
                        {"shape", args.input_options.shape},
                        {"limit", args.limit}};
  if (!in.files.empty()) j["skipped_files"] = in.skipped;
  if (in.kind == "images" || in.alpha != "ignore") {  // what became of transparent pixels
    j["alpha"] = in.alpha;
    if (in.alpha == "composite") j["background"] = in.background;
    if (in.alpha == "mask") j["transparent_entries"] = in.transparent;
  }
  j["shape"] = {in.rows, in.cols};
  j["image_shape"] = image_shape_json(in.image);
  j["scaled_from_uint8"] = in.scaled_from_uint8;
  j["dtype"] = args.dtype;
  j["format"] = r.format;
  j["k"] = o.k;
  j["solver"] = r.solver;
  j["loss"] = loss_name(o.beta);
  j["beta"] = o.beta;
  j["init"] = std::string(init_name(r.init));
  j["alpha_w"] = o.alpha_w;
  j["alpha_h"] = o.alpha_h < 0 ? o.alpha_w : o.alpha_h;
  j["l1_ratio"] = o.l1_ratio;
  j["shuffle"] = o.shuffle;
  j["extrapolate"] = extrapolates(o);
  j["seed"] = r.seed;
  j["threads"] = r.threads;
  j["max_iter"] = o.max_iter;
  j["tol"] = o.tol;
  j["iterations"] = r.iterations;
  j["converged"] = r.converged;
  j["seconds"] = r.seconds;
  j["timings"] = {{"init", r.timings.init},   {"products", r.timings.products},
                  {"grams", r.timings.grams}, {"updates", r.timings.updates},
                  {"loss", r.timings.loss},   {"fused", r.timings.fused}};
  j["error"] = r.error;
  j["relative_error"] = r.relative_error;
  j["x_norm"] = r.x_norm;
  j["sketch"] = r.sketch_columns;  // columns of the sketch whose projection was fitted; 0: X
  j["loss_every_iteration"] = !o.lazy_objective;
  j["loss_history"] = r.loss_history;  // NaN (JSON null) where the loss was not formed
  j["history_seconds"] = r.history_seconds;
  j["cmap"] = args.cmap;
  j["labels"] = args.labels;
  j["sort"] = args.sort;
  j["command_line"] = reproduce_command(args, r.solver);
  return j;
}

/// scikit-learn's MiniBatchNMF fit of X (no restarts, masks or rank selection: refused before).
template <typename T>
FitResult<T> fit_by_batches(const FitArgs& args, const FitOptions& options, const std::vector<T>& x,
                            const CsrMatrix<T>* csr, const Input& in, const StartFactors<T>* start,
                            nlohmann::ordered_json& info) {
  const MiniBatchOptions mb = minibatch_of(args);
  MiniBatchResult<T> r = unless_interrupted([&] {
    if (csr != nullptr)
      return csr->visit([&](const auto& view) { return fit_minibatch(view, options, mb, start); });
    return fit_minibatch(DenseView<T>(x.data(), in.rows, in.cols), options, mb, start);
  });
  if (interrupted()) throw Interrupted();  // the progress callback stopped the fit on Ctrl-C
  info = {{"batch_size", std::min<Index>(mb.batch_size, in.rows)},
          {"forget_factor", mb.forget_factor},
          {"fresh_restarts", mb.fresh_restarts},
          {"max_no_improvement", mb.max_no_improvement},
          {"steps", r.n_steps},
          {"stop", minibatch_stop_name(r.stop)}};
  return std::move(r.fit);
}

template <typename T>
int run_typed(const FitArgs& args, FitOptions options) {
  viz::ComponentsStyle style;
  style.colormap = viz::parse_colormap(args.cmap);
  style.labels = args.labels;
  if (args.sort != "none" && args.sort != "usage")
    throw InvalidArgument("unknown sort '" + args.sort + "' (choose none or usage)");
  OutputDir out(args.outdir);
  FitExtrasArgs extra_args = args.extra;
  extra_args.auto_k = args.k == "auto";
  extra_args.limited = args.limit > 0;
  extra_args.quiet = args.quiet;
  extra_args.solver_given = !args.solver.empty();
  const bool by_batches = args.batch_size > 0;
  InputOptions input_options = args.input_options;
  input_options.limit = args.limit;
  // An 8-bit file the fit reads as levels stays on disk: the fit and the pictures read its rows.
  input_options.defer_uint8 =
      !by_batches && may_fit_levels(extra_args, options, std::is_same_v<T, float>);
  Input in = load_input(args.input, input_options);
  const std::optional<Classes> classes = load_classes(args.classes, in, args.quiet);
  const std::vector<std::string> vocab =
      args.vocab.empty() ? std::vector<std::string>{} : read_vocab(args.vocab, in.cols);
  if (in.sparse && options.format == DataFormat::kDense)
    throw InvalidArgument("--format dense: '" + in.path +
                          "' is a sparse matrix, which is fitted sparse");
  // 8-bit pixels are fitted as they are read (a quarter of a float copy's memory), or straight
  // from their file (in.plain); the pictures read X a row at a time, so X in T is never made.
  std::vector<T> x;
  // A sparse X is fitted as it is stored (CsrView), never copied dense for the fit.
  const bool sparse = in.sparse.has_value();
  CsrMatrix<T> csr;
  refuse_sparse_extras(extra_args, in);
  if (sparse)
    csr = take_csr<T>(in);
  else if (by_batches || !fits_levels(extra_args, options, in, std::is_same_v<T, float>))
    x = in.take_matrix<T>();
  FitExtras extras = prepare_fit(extra_args, in, x);
  if (by_batches && extras.missing.any())
    throw InvalidArgument(
        "--batch-size (mini-batch NMF) cannot fit missing entries (the input's transparent "
        "pixels); use --alpha composite or ignore, or the full fit");
  if (!extra_args.auto_k) options.validate(in.rows, in.cols);
  if (!in.skipped.empty() && !args.quiet)
    std::cerr << "nmfkit: note: skipped " << in.skipped.size() << " unreadable image file"
              << (in.skipped.size() == 1 ? "" : "s") << " (first: " << in.skipped.front() << ")\n";
  Matrix<T> w0, h0;
  StartFactors<T> start;
  if (options.init == Init::kCustom) {
    w0 = read_matrix_npy<T>(args.w0, "--w0");
    h0 = read_matrix_npy<T>(args.h0, "--h0");
    start = {w0.view(), h0.view()};
  }
  const auto heading = [&](int k) {
    return "nmfkit: " + in.description + ", " + std::to_string(in.rows) + " x " +
           std::to_string(in.cols) + "; k = " + std::to_string(k) + ", solver " +
           (options.exact_when_few_zeros ? std::string("hals (anls-bpp if X has few zeros)")
                                         : options.solver) +
           ", loss " + loss_name(options.beta) + ", init " + init_of(args) +
           (by_batches ? ", mini-batches of " +
                             std::to_string(std::min<Index>(args.batch_size, in.rows)) + " samples"
                       : "");
  };
  ProgressReporter progress({heading(options.k), args.quiet, options.beta == 2, args.log_json});
  options.progress = progress.callback();
  test_pause("fit");
  nlohmann::ordered_json minibatch_info;
  const StartFactors<T>* start_factors = options.init == Init::kCustom ? &start : nullptr;
  FitResult<T> r =
      by_batches ? fit_by_batches(args, options, x, sparse ? &csr : nullptr, in, start_factors,
                                  minibatch_info)
                 : fit_best(
                       extra_args, options, x, in, start_factors, extras,
                       [&](int k) { progress.set_heading(heading(k)); }, sparse ? &csr : nullptr);
  progress.finish();
  if (interrupted()) throw Interrupted();
  if (args.sort == "usage") sort_by_usage(r.W, r.H);
  mark_missing(x, extras.missing.observed);  // from here on X is only drawn
  // The pictures read the samples a row at a time: X is not converted to T whole for them.
  const viz::SampleRows<T> samples =
      !x.empty() ? viz::SampleRows<T>(DenseView<T>(x.data(), in.rows, in.cols))
      : sparse   ? csr.sample_rows()
                 : in.sample_rows<T>();
  std::optional<TopWords> words;
  if (!vocab.empty()) words = top_words(r.H.view(), vocab);

  nlohmann::ordered_json summary = summary_json(args, options, in, r);
  if (sparse) {
    summary["nnz"] = csr.values.size();
    summary["density"] = double(csr.values.size()) / (double(in.rows) * double(in.cols));
  }
  if (words) {
    summary["vocab"] = args.vocab;
    summary["top_words"] = top_words_json(*words);
  }
  add_extras(summary, extra_args, extras);
  if (by_batches) summary["minibatch"] = minibatch_info;
  summary["component_usage"] = component_usage(r.W, r.H);
  if (classes)
    summary["classes"] =
        classes_json(*classes, viz::summarize_classes(r.W.view(), r.H.view(), classes->of_sample,
                                                      static_cast<int>(classes->names.size())));
  const std::int64_t w_shape[] = {r.W.rows, r.W.cols};
  const std::int64_t h_shape[] = {r.H.rows, r.H.cols};
  io::write_npy(out.stage("W.npy"), r.W.data(), w_shape);
  io::write_npy(out.stage("H.npy"), r.H.data(), h_shape);
  std::vector<std::string> files = {"W.npy", "H.npy", "summary.json", "model.json"};
  if (words) {  // the model folder keeps its vocabulary: render and transform read it there
    std::string text;
    for (const std::string& v : vocab) text += v + "\n";
    write_text(out.stage(kVocabFile), text);
    files.push_back(kVocabFile);
  }
  for (std::string& f : write_pictures<T>(out, summary, samples, r.W.view(), r.H.view(), in.image,
                                          style, args.quiet, classes ? &*classes : nullptr,
                                          extras.rank_rows, false, words ? &*words : nullptr))
    files.push_back(std::move(f));
  summary["files"] = files;
  write_text(out.stage("summary.json"), json_text(summary) + "\n");
  nlohmann::ordered_json model =
      model_json(options, in.image, in.cols, args.dtype, in.scaled_from_uint8);
  if (in.kind == "images") {  // transform reads new images the same way
    model["alpha"] = in.alpha;
    model["background"] = in.background;
  }
  if (words) model["vocab"] = kVocabFile;
  write_text(out.stage("model.json"), json_text(model) + "\n");
  out.commit();

  const bool drawn = std::find(files.begin(), files.end(), "components.png") != files.end();
  const bool classes_drawn = std::find(files.begin(), files.end(), "classes.png") != files.end();
  const std::string png =
      words   ? "top words in " + (out.target() / "top-words.txt").string()
      : drawn ? (out.target() / "components.png").string()
              : "none (" + viz::components_picture_problem(options.k, in.image, style) + ")";
  // With --log-json on stdout the summary goes to stderr, keeping stdout JSON lines only.
  std::ostream& os = args.log_json == "-" ? std::cerr : std::cout;
  os << (r.converged ? "converged after " : "stopped after ") << r.iterations << " iterations in "
     << fixed(r.seconds, 2) << " s; "
     << (options.beta == 2
             ? "relative error " + fixed(r.relative_error, 4) + " (error " + fixed(r.error, 2) + ")"
             : loss_name(options.beta) + " error sqrt(2*divergence) " + fixed(r.error, 2))
     << "\n"
     << "components: " << png << "\n";
  if (words) os << top_words_text(*words);
  if (classes_drawn)
    os << "classes: " << (out.target() / "classes.png").string() << " (" << classes->names.size()
       << " classes; purity " << fixed(summary["classes"]["purity"].get<double>(), 3) << ")\n";
  // The other files, as written (a picture too large to draw is left out with a note).
  std::vector<std::string> others = {
      "W.npy (" + std::to_string(r.W.rows) + " x " + std::to_string(r.W.cols) + ")",
      "H.npy (" + std::to_string(r.H.rows) + " x " + std::to_string(r.H.cols) + ")", "summary.json",
      "model.json"};
  for (const char* f : {"top-words.txt", "top-words.csv", kVocabFile, "reconstructions.png",
                        "top-examples.png", "loss.svg"})
    if (std::find(files.begin(), files.end(), f) != files.end()) others.emplace_back(f);
  os << "report: " << (out.target() / "report.html").string() << "\nalso wrote ";
  for (std::size_t i = 0; i < others.size(); ++i)
    os << (i == 0 ? "" : i + 1 == others.size() ? " and " : ", ") << others[i];
  os << " in " << out.target().string() << "\n";
  return 0;
}

}  // namespace

CLI::App* add_fit_command(CLI::App& app, FitArgs& a) {
  CLI::App* fit = app.add_subcommand(
      "fit",
      "Factorize INPUT into k components; write W.npy, H.npy, summary.json, the pictures and "
      "report.html");
  fit->add_option("INPUT", a.input,
                  "A dataset name (mnist: fetched if missing; fashion-mnist), a folder of images "
                  "(PNG, JPEG, BMP, PGM/PPM; searched recursively), an IDX file (plain or .gz), "
                  "an NPY file, an NPZ file (scipy.sparse.save_npz, or np.savez of one array), a "
                  "Matrix Market file (.mtx, .mtx.gz) or a CSV file, one sample per row; sparse "
                  "files are fitted sparse")
      ->required();
  fit->add_option("-k,--components", a.k,
                  "Number of components k (1 <= k <= min(n, m)), or auto: chosen by held-out "
                  "cross-validation as 'nmfkit rank' does (see --k-range)")
      ->required();
  fit->add_option("--k-range", a.extra.ranks,
                  "-k auto: the candidate ranks, 2..40, 2..40:2 or 4,8,16 (default 1..30, scanned "
                  "upwards until the choice is clear)");
  fit->add_option("--restarts", a.extra.restarts,
                  "Fit N times with seeds seed, seed+1, ...; keep the lowest final objective "
                  "(default 1)")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
  fit->add_option("--mask", a.extra.mask,
                  "NPY file of the input's shape: nonzero = observed, 0 = missing (left out "
                  "of the fit and the loss)");
  fit->add_option("--missing", a.extra.missing, "nan: NaN entries of the input are missing");
  fit->add_option("-o,--output", a.outdir, "Output folder (created; files in it are replaced)")
      ->required();
  fit->add_option("--solver", a.solver, solver_help());
  fit->add_option("--loss", a.loss,
                  "frobenius (default), kullback-leibler, itakura-saito, or a number beta "
                  "(kullback-leibler and itakura-saito: solver cd or mu; other beta != 2: mu)");
  fit->add_option(
      "--init", a.init,
      "Initialisation: " + join(init_names(), ", ") +
          " (default nndsvda; random for solver mu with itakura-saito or any beta <= 0; custom "
          "needs --w0 and --h0)");
  fit->add_option("--w0", a.w0, "NPY file with the starting W (n x k) for --init custom");
  fit->add_option("--h0", a.h0, "NPY file with the starting H (k x m) for --init custom");
  fit->add_option("--alpha-w", a.alpha_w,
                  "Regularisation of W, scaled by n_features as scikit-learn >= 1.0 (default 0)")
      ->check(kFiniteNonNegative);
  fit->add_option("--alpha-h", a.alpha_h,
                  "Regularisation of H, scaled by n_samples; 'same' (default) uses --alpha-w");
  fit->add_option("--l1-ratio", a.l1_ratio, "L1 share of the regularisation, 0..1 (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  fit->add_flag("--shuffle", a.shuffle, "cd: visit the components in random order");
  fit->add_flag("--extrapolate", a.extrapolate,
                "cd, anls-bpp: extrapolate each update, with restarts (Ang & Gillis 2019); hals, "
                "and cd for kullback-leibler and itakura-saito, do by default");
  fit->add_flag("--no-extrapolate", a.no_extrapolate,
                "hals; cd for kullback-leibler and itakura-saito: plain updates, no "
                "extrapolation");
  fit->add_option("--sketch", a.sketch,
                  "frobenius: fit X's projection on a randomized sketch of its range with "
                  "k + N columns (randomized HALS; far fewer operations per iteration on dense "
                  "X, the final error X's own; docs/solvers.md); default 0: fit X itself")
      ->check(kCount);
  fit->add_option("--sketch-power", a.sketch_power,
                  "--sketch: power iterations of its range finder (default 4)")
      ->check(kCount);
  fit->add_option("--batch-size", a.batch_size,
                  "Fit by mini-batches of N samples (scikit-learn's MiniBatchNMF, multiplicative "
                  "updates; see docs/minibatch.md); default: the full fit")
      ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()));
  fit->add_option("--forget-factor", a.forget_factor,
                  "--batch-size: weight of the past batches after one pass, 0..1 (default 0.7)")
      ->check(CLI::Range(0.0, 1.0));
  fit->add_flag("--fresh-restarts", a.fresh_restarts,
                "--batch-size: solve each batch's W from scratch, and W of all samples at the end");
  fit->add_option("--max-no-improvement", a.max_no_improvement,
                  "--batch-size: stop after N steps without a new low of the averaged batch cost "
                  "(default 10; 0 = never)")
      ->check(kCount);
  fit->add_option("--max-iter", a.max_iter, "Maximum number of iterations (default 200)")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
  fit->add_option("--tol", a.tol,
                  "Stop once 10 iterations lower the error by at most this fraction (cd: once "
                  "the projected gradient falls below this fraction of the first one); "
                  "default 1e-4; 0 = run max-iter iterations")
      ->check(kFiniteNonNegative);
  fit->add_option("--seed", a.seed, "Random seed, 0 to 4294967295 (default 0)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{4294967295}));
  fit->add_option("--threads", a.threads, "Threads (default 0 = all cores)")->check(kCount);
  fit->add_option("--limit", a.limit, "Use only the first N samples (default 0 = all)")
      ->check(kCount);
  fit->add_option("--format", a.format,
                  "auto (default: sparse when at least half of X is zeros, or 64% with the "
                  "frobenius loss and k <= 4 or k > 12), dense or sparse");
  fit->add_option("--dtype", a.dtype, "float32 (default) or float64");
  fit->add_option("--vocab", a.vocab,
                  "Text file naming the features, one term per line (n_features lines): each "
                  "component's top 10 words are printed and written (top-words.txt, "
                  "top-words.csv, summary.json, the report) instead of component images");
  fit->add_option(
      "--cmap", a.cmap,
      "Colormap of components.png: " + join(viz::colormap_names(), ", ") + " (default viridis)");
  add_input_options(*fit, a.input_options);
  add_classes_option(*fit, a.classes,
                     "auto: the labels of mnist and fashion-mnist, and of an IDX image file the "
                     "...labels-idx1-ubyte file beside it");
  fit->add_option("--sort", a.sort,
                  "Order of the components: none (default, as fitted) or usage (decreasing total "
                  "activation; W.npy and H.npy are reordered too)");
  fit->add_flag("--labels", a.labels, "Draw each component's index on its tile");
  fit->add_option("--log-json", a.log_json,
                  "Write one JSON object per iteration to FILE ('-' = stdout)");
  fit->add_flag("--loss-every-iteration", a.loss_every_iteration,
                "mu with a loss other than frobenius: form the divergence after every iteration "
                "(by default only after the first, every 10th and the last, where the stopping "
                "test reads it: the others show null in summary.json and --log-json)");
  fit->add_flag("-q,--quiet", a.quiet,
                "Print no progress, only errors and the summary (a progress bar is drawn when "
                "stderr is a terminal, plain lines otherwise)");
  fit->footer(
      "Example: nmfkit fit mnist -k 10 -o out/mnist-k10\n"
      "Exit codes: 0 success, 1 data or runtime error, 2 usage error, 130 interrupted.");
  return fit;
}

MiniBatchOptions minibatch_of(const FitArgs& args) {
  MiniBatchOptions mb;
  if (args.batch_size > 0) mb.batch_size = args.batch_size;
  if (args.forget_factor >= 0) mb.forget_factor = args.forget_factor;
  mb.fresh_restarts = args.fresh_restarts;
  if (args.max_no_improvement >= 0) mb.max_no_improvement = args.max_no_improvement;
  return mb;
}

std::string solver_of(const FitArgs& args) {
  if (!args.solver.empty()) return args.solver;
  if (args.batch_size > 0) return "mu";
  const double beta = parse_loss(args.loss);
  return beta == 2 ? FitOptions{}.solver : divergence_rule_beta(beta) ? "cd" : "mu";
}

std::string init_of(const FitArgs& args) {
  if (!args.init.empty()) return args.init;
  // With mu, Itakura-Saito (and every β ≤ 0) ends lower from a random start than from nndsvda's,
  // on each spectrogram and k measured (docs/solvers.md); cd, Itakura-Saito's default, does
  // better from nndsvda. Mini-batches keep scikit-learn's.
  if (args.batch_size <= 0 && parse_loss(args.loss) <= 0 && solver_of(args) == "mu")
    return "random";
  return "nndsvda";
}

std::string reproduce_command(const FitArgs& a, const std::string& solver) {
  std::vector<std::string> w = {"nmfkit", "fit", a.input, "-k", a.k, "-o", a.outdir};
  auto add = [&w](const std::string& flag, const std::string& value) {
    w.push_back(flag);
    w.push_back(value);
  };
  add("--solver", solver);
  // The rule the library chose for data with few zeros extrapolates (FitOptions).
  const bool chosen_extrapolation = a.solver.empty() && solver == "anls-bpp";
  add("--loss", a.loss);
  add("--init", init_of(a));
  if (!a.w0.empty()) add("--w0", a.w0);
  if (!a.h0.empty()) add("--h0", a.h0);
  add("--alpha-w", number(a.alpha_w));
  add("--alpha-h", a.alpha_h);
  add("--l1-ratio", number(a.l1_ratio));
  if (a.shuffle) w.emplace_back("--shuffle");
  if (a.extrapolate || chosen_extrapolation) w.emplace_back("--extrapolate");
  if (a.no_extrapolate) w.emplace_back("--no-extrapolate");
  if (!a.extra.ranks.empty()) add("--k-range", a.extra.ranks);
  if (a.extra.restarts != 1) add("--restarts", std::to_string(a.extra.restarts));
  if (!a.extra.mask.empty()) add("--mask", a.extra.mask);
  if (!a.extra.missing.empty()) add("--missing", a.extra.missing);
  if (a.batch_size > 0) {
    const MiniBatchOptions mb = minibatch_of(a);
    add("--batch-size", std::to_string(a.batch_size));
    add("--forget-factor", number(mb.forget_factor));
    if (mb.fresh_restarts) w.emplace_back("--fresh-restarts");
    add("--max-no-improvement", std::to_string(mb.max_no_improvement));
  }
  if (a.sketch > 0) add("--sketch", std::to_string(a.sketch));
  if (a.sketch_power >= 0) add("--sketch-power", std::to_string(a.sketch_power));
  add("--max-iter", std::to_string(a.max_iter));
  add("--tol", number(a.tol));
  add("--seed", std::to_string(a.seed));
  if (a.limit > 0) add("--limit", std::to_string(a.limit));
  add("--format", a.format);
  add("--dtype", a.dtype);
  const InputOptions& in = a.input_options;
  if (in.color != "gray") add("--color", in.color);
  if (!in.size.empty()) add("--size", in.size);
  if (in.skip_bad) w.emplace_back("--skip-bad");
  if (!in.alpha.empty()) add("--alpha", in.alpha);
  if (!in.background.empty()) add("--background", in.background);
  if (!in.shape.empty()) add("--shape", in.shape);
  if (a.classes != "auto") add("--classes", a.classes);
  if (!a.vocab.empty()) add("--vocab", a.vocab);
  add("--cmap", a.cmap);
  add("--sort", a.sort);
  if (a.labels) w.emplace_back("--labels");
  if (a.loss_every_iteration) w.emplace_back("--loss-every-iteration");
  return command_line(w);
}

int run_fit(const FitArgs& args) {
  const FitOptions options = options_from(args);
  if (args.dtype == "float64") return run_typed<double>(args, options);
  return run_typed<float>(args, options);
}

}  // namespace nmfkit::cli
