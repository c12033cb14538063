#include "rank_command.hpp"

#include <omp.h>

#include <iostream>
#include <limits>

#include "common.hpp"
#include "interrupt.hpp"
#include "missing.hpp"
#include "nmfkit/nmfkit.hpp"
#include "output_dir.hpp"
#include "viz/rank_plot.hpp"

namespace nmfkit::cli {

namespace {

constexpr const char* kRule =
    "the smallest k whose mean held-out error is within one standard error of the lowest mean";

template <typename T>
int run_typed(const RankArgs& args, RankOptions options) {
  OutputDir out(args.outdir);
  InputOptions input_options;
  input_options.limit = args.limit;
  const Input in = load_input(args.input, input_options);
  const std::vector<T> x = in.matrix<T>();
  const Missing missing = missing_entries(args.mask, args.missing, in, x, args.limit > 0);
  const std::string heading =
      "nmfkit: " + in.description + ", " + std::to_string(in.rows) + " x " +
      std::to_string(in.cols) + "; " + std::to_string(options.ks.size()) + " ranks from " +
      std::to_string(options.ks.front()) + " to " + std::to_string(options.ks.back()) + ", " +
      std::to_string(options.folds) + " folds holding out " + fixed(100 * options.holdout, 1) +
      "% of the entries" +
      (options.cophenetic
           ? ", cophenetic correlation over " + std::to_string(options.restarts) + " restarts"
           : "");
  watch_selection(options, heading, args.quiet);
  const DenseView<std::uint8_t> observed(missing.observed.data(), in.rows, in.cols);
  const RankResult r = unless_interrupted([&] {
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
  j["files"] = {"rank.json", "rank.svg"};
  write_text(out.stage("rank.json"), j.dump(2) + "\n");
  write_text(out.stage("rank.svg"),
             viz::rank_svg(r.points, r.one_se_k, r.best_k, options.cophenetic));
  out.commit();

  std::cout << "chosen k = " << r.one_se_k << " (" << kRule
            << "); lowest held-out error at k = " << r.best_k << "; " << r.points.size()
            << " ranks x " << r.folds << " folds in " << fixed(r.seconds, 1) << " s\n"
            << "wrote rank.json and rank.svg in " << out.target().string() << "\n";
  return 0;
}

}  // namespace

nlohmann::ordered_json rank_json(const RankResult& r, const RankOptions& o) {
  nlohmann::ordered_json j;
  j["method"] = o.cophenetic ? "cophenetic" : "cv";
  j["chosen_k"] = r.one_se_k;
  j["rule"] = kRule;
  j["best_k"] = r.best_k;
  j["ks"] = o.ks;
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
    q["fold_errors"] = p.fold_errors;
    q["train_error"] = p.train_error;
    if (o.cophenetic) q["cophenetic"] = p.cophenetic;
    q["seconds"] = p.seconds;
    points.push_back(q);
  }
  j["points"] = points;
  return j;
}

void watch_selection(RankOptions& options, const std::string& heading, bool quiet) {
  options.fit.progress = [](const Progress&) { return !interrupted(); };
  options.progress = [quiet, heading](int done, int total) {
    if (interrupted()) return false;
    if (!quiet && done == 1) std::cerr << heading << "\n";
    if (!quiet && (done == total || done % std::max(1, total / 20) == 0))
      std::cerr << "  " << done << "/" << total << " fits\n";
    return true;
  };
}

CLI::App* add_rank_command(CLI::App& app, RankArgs& a) {
  CLI::App* rank = app.add_subcommand(
      "rank",
      "Propose k: held-out cross-validation over candidate ranks; write rank.json, rank.svg");
  rank->add_option("INPUT", a.input, "A dataset name, an IDX file or an NPY file, as for fit")
      ->required();
  rank->add_option("-k,--k", a.ks,
                   "Candidate ranks: a range 2..40, a range with a step 2..40:2, or a list 4,8,16")
      ->required();
  rank->add_option("-o,--output", a.outdir, "Output folder (created; files in it are replaced)")
      ->required();
  rank->add_option("--holdout", a.holdout,
                   "Fraction of the entries held out in each fold, in (0, 0.5] (default 0.05)");
  rank->add_option("--folds", a.folds, "Number of folds (random hold-out sets), >= 2 (default 5)");
  rank->add_option("--method", a.method,
                   "cv (default): held-out error only; cophenetic: also the cophenetic "
                   "correlation of consensus clustering (Brunet et al. 2004)");
  rank->add_option("--restarts", a.restarts,
                   "cophenetic: random-init factorizations per k (default 10)");
  rank->add_option("--cluster-samples", a.cluster_samples,
                   "cophenetic: cluster at most this many samples, a random subset (default 500)")
      ->check(kCount);
  rank->add_option("--solver", a.solver, "Update rule of every fit (default hals)");
  rank->add_option("--init", a.init,
                   "Initialisation of the cross-validation fits (default nndsvda)");
  rank->add_option("--max-iter", a.max_iter, "Iteration limit of every fit (default 200)")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
  rank->add_option("--tol", a.tol, "Stopping tolerance of every fit (default 1e-4)")
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
  rank->footer("Example: nmfkit rank mnist --k 2..40 -o out/mnist-rank");
  return rank;
}

int run_rank(const RankArgs& args) {
  RankOptions o;
  o.ks = parse_ranks(args.ks);
  o.holdout = args.holdout;
  o.folds = args.folds;
  if (args.method != "cv" && args.method != "cophenetic")
    throw InvalidArgument("unknown method '" + args.method + "' (choose cv or cophenetic)");
  o.cophenetic = args.method == "cophenetic";
  o.restarts = args.restarts;
  o.max_cluster_samples = args.cluster_samples;
  o.fit.k = o.ks.front();
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
  o.validate();  // fail fast, before reading any data
  if (args.dtype == "float64") return run_typed<double>(args, o);
  return run_typed<float>(args, o);
}

}  // namespace nmfkit::cli
