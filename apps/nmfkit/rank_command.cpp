#include "rank_command.hpp"

#include <omp.h>

#include <algorithm>
#include <charconv>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <type_traits>

#include "common.hpp"
#include "interrupt.hpp"
#include "missing.hpp"
#include "nmfkit/fit_best.hpp"
#include "nmfkit/nmfkit.hpp"
#include "output_dir.hpp"
#include "pictures.hpp"
#include "progress.hpp"
#include "sparse_input.hpp"
#include "viz/rank_plot.hpp"
#include "viz/report.hpp"

namespace nmfkit::cli {

namespace {

/// What the criterion that chose k means, for rank.json, the report and the summary line.
std::string criterion_text(const RankResult& r, const RankOptions& o) {
  const std::string knee =
      "the knee: the next components lower the held-out error, per component, by less than " +
      fixed(o.knee_fraction, 2) +
      " of the average lowering per component since the first candidate and by less than " +
      fixed(100 * o.knee_relative_gain, 1) + "% of the error";
  const std::string one_se =
      "the smallest k whose mean held-out error is within one standard error of the lowest";
  if (r.criterion == "knee") return knee;
  if (r.criterion == "minimum")
    return one_se + (r.minimum ? " (the curve rises after its minimum)"
                               : " (the curve is that flat before its knee)");
  if (o.rule == RankRule::kMinimum) return one_se;
  return one_se + " (" + (r.knee_k == 0 ? "no knee" : "no minimum") + " in the ranks scanned)";
}

/// --sample: auto, all or a number of rows.
Index parse_sample(const std::string& text) {
  if (text == "auto") return 0;
  if (text == "all") return std::numeric_limits<Index>::max();
  Index v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 1)
    throw InvalidArgument("--sample '" + text + "': write auto, all or a number of samples >= 1");
  return v;
}

std::string reproduce_command(const RankArgs& a);

template <typename T>
int run_typed(const RankArgs& args, RankOptions options) {
  OutputDir out(args.outdir);
  InputOptions input_options;
  input_options.limit = args.limit;
  // Without a mask, a single-precision selection reads 8-bit pixels as they are (an 8-bit file
  // stays on disk) and a sparse X as it is stored: only the sampled rows are made dense.
  const bool unmasked = args.mask.empty() && args.missing.empty();
  input_options.defer_uint8 = unmasked && std::is_same_v<T, float>;
  Input in = load_input(args.input, input_options);
  if (!args.mask.empty()) refuse_sparse(in, "--mask");
  if (!args.missing.empty()) refuse_sparse(in, "--missing");
  const bool sparse = in.sparse.has_value();
  const bool levels = std::is_same_v<T, float> && unmasked && in.holds_levels();
  const CsrMatrix<T> csr = sparse ? take_csr<T>(in) : CsrMatrix<T>{};
  const std::vector<T> x = sparse || levels ? std::vector<T>{} : in.matrix<T>();
  const Missing missing = missing_entries(args.mask, args.missing, in, x, args.limit > 0);
  if (options.ks.empty())  // capped by the rows the folds are fitted on
    options.ks =
        auto_k_selection(options.fit,
                         options.sample_rows > 0 ? std::min(in.rows, options.sample_rows) : in.rows,
                         in.cols)
            .ks;
  viz::ComponentsStyle style;
  options.keep_components = in.image.size() == in.cols;
  const std::string heading =
      "nmfkit: " + in.description + ", " + std::to_string(in.rows) + " x " +
      std::to_string(in.cols) + "; choosing k among " + std::to_string(options.ks.size()) +
      " ranks from " + std::to_string(options.ks.front()) + " to " +
      std::to_string(options.ks.back()) + " by " + std::to_string(options.folds) +
      "-fold held-out error (" + fixed(100 * options.holdout, 1) + "% of the entries)" +
      (options.cophenetic
           ? ", cophenetic correlation over " + std::to_string(options.restarts) + " restarts"
           : "");
  watch_selection(options, heading, args.quiet);
  const DenseView<std::uint8_t> observed(missing.observed.data(), in.rows, in.cols);
  const RankResult r = unless_interrupted([&] {
    if (sparse)
      return csr.visit([&](const auto& sparse_x) { return select_rank(sparse_x, options); });
    if constexpr (std::is_same_v<T, float>) {
      if (levels && in.plain) return select_rank(in.levels_source(), options);
      if (levels) return select_rank(in.levels_view(), options);
    }
    return select_rank(DenseView<T>(x.data(), in.rows, in.cols), options,
                       missing.any() ? &observed : nullptr);
  });

  nlohmann::ordered_json j;
  j["nmfkit_version"] = std::string(version());
  j["command"] = "rank";
  j["input"] = args.input;
  j["input_path"] = in.path;
  j["shape"] = {in.rows, in.cols};
  j["missing_entries"] = missing.count;
  j["dtype"] = args.dtype;
  j.update(rank_json(r, options));
  j["command_line"] = reproduce_command(args);
  std::vector<std::string> files = {"rank.json", "rank.svg"};
  write_text(out.stage("rank.svg"),
             viz::rank_svg(r.points, r.chosen_k, r.best_k, options.cophenetic));

  viz::Report report;
  report.title = "nmfkit rank: " + args.input + ", k = " + std::to_string(r.chosen_k);
  report.command = reproduce_command(args);
  report.results = {
      {"chosen k", std::to_string(r.chosen_k)},
      {"criterion", criterion_text(r, options)},
      {"lowest held-out error", "k = " + std::to_string(r.best_k)},
      {"knee", r.knee_k > 0 ? "k = " + std::to_string(r.knee_k) : "none in the ranks scanned"},
      {"ranks scanned", std::to_string(r.points.size()) + " of " + std::to_string(r.candidates) +
                            (r.stopped_early ? " (stopped: patience)" : "")},
      {"samples fitted", std::to_string(r.sample_rows) + " of " + std::to_string(in.rows)},
      {"time", fixed(r.seconds, 1) + " s"}};
  for (const RankPoint& p : r.points)
    report.results.emplace_back(
        "k = " + std::to_string(p.k),
        "held-out error " + fixed(p.mean_error, 5) + " ± " + fixed(p.standard_error, 5) +
            (options.cophenetic
                 ? ", cophenetic " + fixed(p.cophenetic, 3) + ", stability " + fixed(p.stability, 3)
                 : "") +
            ", " + fixed(p.iterations, 0) + " iterations");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "points" && it.key() != "command_line")
      report.parameters.emplace_back(
          it.key(), it->is_string() ? it->template get<std::string>() : json_text(*it, -1));
  if (auto figure = rank_choice_figure(j)) report.figures.push_back(std::move(*figure));
  write_rank_components(out, component_rows(r), in.image, style, args.quiet, options.warm_start,
                        report, files);
  write_text(out.stage("report.html"), viz::report_html(report));
  files.push_back("report.html");
  j["files"] = files;
  write_text(out.stage("rank.json"), json_text(j) + "\n");
  out.commit();

  std::cout << "chosen k = " << r.chosen_k << " (" << r.criterion
            << "); lowest held-out error at k = " << r.best_k << "; " << r.points.size() << " of "
            << r.candidates << " ranks x " << r.folds << " folds on " << r.sample_rows
            << " samples in " << fixed(r.seconds, 1) << " s\n"
            << "report: " << (out.target() / "report.html").string() << "\n"
            << "also wrote";
  for (const std::string& f : files)
    if (f != "report.html") std::cout << " " << f;
  std::cout << " in " << out.target().string() << "\n";
  return 0;
}

/// The command line that reproduces the run (every setting spelled out).
std::string reproduce_command(const RankArgs& a) {
  std::vector<std::string> w = {"nmfkit", "rank", a.input, "-o", a.outdir, "--k", a.ks};
  auto add = [&w](const std::string& flag, const std::string& value) {
    w.push_back(flag);
    w.push_back(value);
  };
  add("--rule", a.rule);
  add("--knee-fraction", number(a.knee_fraction));
  add("--patience", std::to_string(a.patience));
  add("--sample", a.sample);
  if (a.cold) w.emplace_back("--cold");
  add("--holdout", number(a.holdout));
  add("--folds", std::to_string(a.folds));
  add("--method", a.method);
  if (a.method == "cophenetic") {
    add("--restarts", std::to_string(a.restarts));
    add("--cluster-samples", std::to_string(a.cluster_samples));
  }
  add("--solver", a.solver);
  add("--init", a.init);
  add("--max-iter", std::to_string(a.max_iter));
  add("--tol", number(a.tol));
  add("--seed", std::to_string(a.seed));
  if (a.limit > 0) add("--limit", std::to_string(a.limit));
  add("--format", a.format);
  add("--dtype", a.dtype);
  if (!a.mask.empty()) add("--mask", a.mask);
  if (!a.missing.empty()) add("--missing", a.missing);
  return command_line(w);
}

}  // namespace

std::vector<viz::ComponentRow> component_rows(const RankResult& r) {
  std::set<int> ks = {std::max(2, (r.chosen_k + 1) / 2), r.chosen_k, r.knee_k, r.best_k};
  if (!r.points.empty()) ks.insert(r.points.back().k);
  std::vector<viz::ComponentRow> rows;
  for (const RankPoint& p : r.points)
    if (ks.count(p.k) != 0 && !p.components.empty() && rows.size() < 5)
      rows.push_back({p.k, p.components});
  return rows;
}

nlohmann::ordered_json rank_json(const RankResult& r, const RankOptions& o) {
  nlohmann::ordered_json j;
  j["method"] = o.cophenetic ? "cophenetic" : "cv";
  j["chosen_k"] = r.chosen_k;
  j["criterion"] = r.criterion;
  j["rule"] = criterion_text(r, o);
  j["rule_setting"] = rank_rule_name(o.rule);
  j["criteria"] = {{"best_k", r.best_k},
                   {"one_se_k", r.one_se_k},
                   {"minimum", r.minimum},
                   {"knee_k", r.knee_k},
                   {"knee_fraction", o.knee_fraction},
                   {"knee_relative_gain", o.knee_relative_gain}};
  j["best_k"] = r.best_k;
  j["ks"] = o.ks;
  j["scanned"] = r.points.size();
  j["stopped_early"] = r.stopped_early;
  j["patience"] = o.patience;
  j["sample_rows"] = r.sample_rows;
  j["warm_start"] = o.warm_start;
  j["holdout"] = r.holdout;
  j["folds"] = r.folds;
  j["solver"] = o.fit.solver;
  j["init"] = std::string(init_name(o.fit.init));
  j["max_iter"] = o.fit.max_iter;
  j["tol"] = o.fit.tol;
  j["seed"] = o.fit.seed;
  j["threads"] = o.fit.threads > 0 ? o.fit.threads : omp_get_max_threads();
  j["concurrent_fits"] = o.concurrent_fits;
  if (o.cophenetic) {
    j["restarts"] = o.restarts;
    j["cluster_samples"] = r.cluster_samples;
  }
  j["seconds"] = r.seconds;
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (const RankPoint& p : r.points) {
    nlohmann::ordered_json q;
    q["k"] = p.k;
    q["mean_error"] = p.mean_error;
    q["standard_error"] = p.standard_error;
    q["gain"] = p.gain;
    q["average_gain"] = p.average_gain;
    q["fold_errors"] = p.fold_errors;
    q["train_error"] = p.train_error;
    if (o.cophenetic) {
      q["cophenetic"] = p.cophenetic;
      q["stability"] = p.stability;
    }
    q["iterations"] = p.iterations;
    q["seconds"] = p.seconds;
    points.push_back(q);
  }
  j["points"] = points;
  return j;
}

void watch_selection(RankOptions& options, const std::string& heading, bool quiet) {
  // The heading comes with the first iteration of the first fit (after every check that could
  // fail, so that an error stays the only line); the fits call this from several threads.
  auto started = std::make_shared<std::once_flag>();
  options.fit.progress = [quiet, heading, started](const Progress&) {
    if (!quiet) std::call_once(*started, [&] { std::cerr << heading << "\n" << std::flush; });
    return !interrupted();
  };
  const bool bar = !quiet && stderr_is_terminal();
  const int folds = options.folds, restarts = options.restarts;
  options.progress = [quiet, bar, folds, restarts](const RankProgress& p) {
    if (interrupted()) return false;
    if (quiet) return true;
    const std::string where =
        "k = " + std::to_string(p.k) + (p.consensus ? ", restart " : ", fold ") +
        std::to_string(p.fold + 1) + "/" + std::to_string(p.consensus ? restarts : folds);
    const std::string when =
        duration(p.seconds) + " so far, at most ~" + duration(p.seconds_left) + " left";
    if (bar) std::cerr << "\r\x1b[K";
    if (p.finished != nullptr) {
      const RankPoint& q = *p.finished;
      std::cerr << "  k = " << q.k << ": held-out error " << fixed(q.mean_error, 5) << " ± "
                << fixed(q.standard_error, 5) << ", " << fixed(q.iterations, 0) << " iterations, "
                << fixed(q.seconds, 1) << " s of fits" << (bar ? "" : "; " + when) << "\n";
    } else if (!bar) {
      std::cerr << "  " << where << " done; " << when << "\n";
    }
    if (bar) std::cerr << "  " << where << " done; " << when << std::flush;
    return true;
  };
}

CLI::App* add_rank_command(CLI::App& app, RankArgs& a) {
  CLI::App* rank = app.add_subcommand(
      "rank",
      "Propose k: held-out cross-validation over candidate ranks; write rank.json, rank.svg, "
      "rank-components.png and report.html");
  rank->add_option("INPUT", a.input, "A dataset name, an IDX file or an NPY file, as for fit")
      ->required();
  rank->add_option("-k,--k", a.ks,
                   "Candidate ranks: a range 2..40, a range with a step 2..40:2, or a list 4,8,16 "
                   "(default auto: 1..30, at most min(samples, features)); scanned upwards");
  rank->add_option("-o,--output", a.outdir, "Output folder (created; files in it are replaced)")
      ->required();
  rank->add_option("--rule", a.rule,
                   "auto (default): the curve's minimum when it has one, else its knee; minimum: "
                   "the one-standard-error rule; knee: the point of diminishing returns");
  rank->add_option("--knee-fraction", a.knee_fraction,
                   "knee: the next component gains less than this fraction of the average gain "
                   "per component so far (default 0.5)");
  rank->add_option("--patience", a.patience,
                   "Stop once this many ranks past the choice have not changed it (default 3; "
                   "0 = every candidate)")
      ->check(kCount);
  rank->add_option("--sample", a.sample,
                   "Samples the folds are fitted on: auto (default: all up to 5 million entries, "
                   "else a random subset of that size), all, or a number");
  rank->add_flag("--cold", a.cold,
                 "Fit every k from --init instead of warm-starting from the previous k");
  rank->add_option("--holdout", a.holdout,
                   "Fraction of the entries held out in each fold, in (0, 0.5] (default 0.05)");
  rank->add_option("--folds", a.folds, "Number of folds (random hold-out sets), >= 2 (default 3)");
  rank->add_option("--method", a.method,
                   "cv (default): held-out error only; cophenetic: also the cophenetic "
                   "correlation of consensus clustering (Brunet et al. 2004) and the stability "
                   "of the parts over random restarts (Wu et al. 2016)");
  rank->add_option("--restarts", a.restarts,
                   "cophenetic: random-init factorizations per k (default 10)");
  rank->add_option("--cluster-samples", a.cluster_samples,
                   "cophenetic: cluster at most this many samples, a random subset (default 500)")
      ->check(kCount);
  rank->add_option("--solver", a.solver, "Update rule of every fit (default hals)");
  rank->add_option("--init", a.init, "Initialisation of the first rank's fits (default nndsvda)");
  rank->add_option("--max-iter", a.max_iter, "Iteration limit of every fit (default 200)")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
  rank->add_option("--tol", a.tol,
                   "Stopping tolerance of every fit (default 1e-3: each fit starts near its answer "
                   "and needs only its held-out error)")
      ->check(kFiniteNonNegative);
  rank->add_option("--seed", a.seed, "Seed of the hold-out sets and the fits (default 0)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{4294967295}));
  rank->add_option("--threads", a.threads, "Threads, shared among concurrent fits (default all)")
      ->check(kCount);
  rank->add_option("--concurrent-fits", a.concurrent_fits,
                   "Fits run at once, threads shared among them; each holds a copy of the data "
                   "(default 0 = one fit per thread)")
      ->check(kCount);
  rank->add_option("--limit", a.limit, "Use only the first N samples (default 0 = all)")
      ->check(kCount);
  rank->add_option("--format", a.format, "auto (default), dense or sparse");
  rank->add_option("--dtype", a.dtype, "float32 (default) or float64");
  rank->add_option("--mask", a.mask,
                   "NPY file of the input's shape: nonzero = observed, 0 = missing");
  rank->add_option("--missing", a.missing, "nan: NaN entries of the input are missing");
  rank->add_flag("-q,--quiet", a.quiet, "Print no progress, only errors and the summary");
  rank->footer("Example: nmfkit rank mnist -o out/mnist-rank");
  return rank;
}

int run_rank(const RankArgs& args) {
  RankOptions o;
  if (args.ks != "auto") o.ks = parse_ranks(args.ks);
  o.holdout = args.holdout;
  o.folds = args.folds;
  o.rule = parse_rank_rule(args.rule);
  o.knee_fraction = args.knee_fraction;
  o.patience = args.patience;
  o.sample_rows = parse_sample(args.sample);
  o.warm_start = !args.cold;
  if (args.method != "cv" && args.method != "cophenetic")
    throw InvalidArgument("unknown method '" + args.method + "' (choose cv or cophenetic)");
  o.cophenetic = args.method == "cophenetic";
  o.restarts = args.restarts;
  o.max_cluster_samples = args.cluster_samples;
  o.fit.solver = args.solver;
  o.fit.init = parse_init(args.init);
  if (o.fit.init == Init::kCustom) throw InvalidArgument("rank cannot use --init custom");
  o.fit.max_iter = args.max_iter;
  o.fit.tol = args.tol;
  o.fit.seed = static_cast<std::uint64_t>(args.seed);
  o.fit.threads = args.threads;
  o.concurrent_fits = args.concurrent_fits;
  o.fit.format = parse_format(args.format);
  if (args.dtype != "float32" && args.dtype != "float64")
    throw InvalidArgument("unknown dtype '" + args.dtype + "' (choose float32 or float64)");
  {  // fail fast, before reading any data
    RankOptions check = o;
    if (check.ks.empty()) check.ks = {1};
    check.validate();
  }
  if (args.dtype == "float64") return run_typed<double>(args, o);
  return run_typed<float>(args, o);
}

}  // namespace nmfkit::cli
