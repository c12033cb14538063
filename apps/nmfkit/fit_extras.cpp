#include "fit_extras.hpp"

#include <algorithm>
#include <iostream>
#include <string>
#include <type_traits>

#include "common.hpp"
#include "core/make_data.hpp"
#include "interrupt.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/fit_best.hpp"
#include "rank_command.hpp"

namespace nmfkit::cli {

namespace {

/// The selection -k auto runs: the library's default, with --k-range when given and the fit's own
/// settings when --solver is given, reporting on stderr and stopped by Ctrl-C.
RankOptions selection_of(const FitExtrasArgs& args, const FitOptions& options, const Input& in) {
  RankOptions s = auto_k_selection(options, in.rows, in.cols);
  if (!args.ranks.empty()) s.ks = parse_ranks(args.ranks);
  if (args.solver_given) {
    s.fit = options;
    s.fit.tol = std::max(options.tol, RankOptions::kSelectionTol);
  }
  s.keep_components = in.image.size() == in.cols;
  watch_selection(s,
                  "nmfkit: choosing k among " + std::to_string(s.ks.size()) + " ranks from " +
                      std::to_string(s.ks.front()) + " to " + std::to_string(s.ks.back()) + " by " +
                      std::to_string(s.folds) + "-fold held-out error, scanning upwards",
                  args.quiet);
  return s;
}

}  // namespace

template <typename T>
FitExtras prepare_fit(const FitExtrasArgs& args, const Input& in, const std::vector<T>& x) {
  if (!args.ranks.empty() && !args.auto_k)
    throw InvalidArgument("--k-range applies only to -k auto");
  FitExtras extras;
  extras.missing = missing_entries(args.mask, args.missing, in, x, args.limited);
  return extras;
}

void refuse_sparse_extras(const FitExtrasArgs& args, const Input& in) {
  if (!args.mask.empty()) refuse_sparse(in, "--mask");
  if (!args.missing.empty()) refuse_sparse(in, "--missing");
}

bool may_fit_levels(const FitExtrasArgs& args, const FitOptions& options, bool single_precision) {
  return single_precision && args.mask.empty() && args.missing.empty() &&
         (options.beta == 2 || options.beta == 1);
}

bool fits_levels(const FitExtrasArgs& args, const FitOptions& options, const Input& in,
                 bool single_precision) {
  if (in.plain) return true;  // loaded for it (may_fit_levels)
  return may_fit_levels(args, options, single_precision) && in.holds_levels();
}

template <typename T>
FitResult<T> fit_best(const FitExtrasArgs& args, FitOptions& options, const std::vector<T>& x,
                      const Input& in, const StartFactors<T>* start, FitExtras& extras,
                      const std::function<void(int k)>& chosen, const CsrMatrix<T>* csr) {
  const DenseView<T> view(x.data(), in.rows, in.cols);
  const DenseView<std::uint8_t> observed(extras.missing.observed.data(), in.rows, in.cols);
  BestFit<T> best;
  if (args.auto_k) {
    AutoKOptions a;
    a.fit = options;
    a.restarts = args.restarts;
    a.selection = selection_of(args, options, in);
    a.selected = [&](const RankResult& r) {
      if (!args.quiet)
        std::cerr << "nmfkit: chose k = " << r.chosen_k << " (" << r.criterion << ") after "
                  << r.points.size() << " ranks in " << fixed(r.seconds, 1) << " s\n";
      chosen(r.chosen_k);
    };
    // X as the fit below would read it: sparse, 8-bit levels or dense; only the selection's
    // sample of rows is made dense.
    AutoKFit<T> f = unless_interrupted([&] {
      if (csr != nullptr)
        return csr->visit([&](const auto& sparse_x) { return fit_auto_k(sparse_x, a); });
      if constexpr (std::is_same_v<T, float>) {
        if (in.plain) return fit_auto_k(in.levels_source(), a);
        if (x.empty()) return fit_auto_k(in.levels_view(), a);
      }
      return fit_auto_k(view, a, extras.missing.any() ? &observed : nullptr);
    });
    extras.rank = rank_json(f.selection, *a.selection);
    extras.rank_rows = component_rows(f.selection);
    options.k = f.selection.chosen_k;
    best = std::move(f.best);
  } else if (csr != nullptr) {
    best = csr->visit(
        [&](const auto& sparse_x) { return fit_best(sparse_x, options, args.restarts, start); });
  } else if (extras.missing.any()) {
    best = fit_best(view, observed, options, args.restarts, start);
  } else {
    best = [&] {
      if constexpr (std::is_same_v<T, float>) {
        if (in.plain) return fit_best(in.levels_source(), options, args.restarts, start);
        if (x.empty()) return fit_best(in.levels_view(), options, args.restarts, start);
      }
      return fit_best(view, options, args.restarts, start);
    }();
  }
  if (interrupted()) throw Interrupted();  // the progress callback stopped the fit on Ctrl-C
  extras.seeds = best.seeds;
  extras.objectives = best.objectives;
  options.seed = best.fit.seed;
  return std::move(best.fit);
}

void add_extras(nlohmann::ordered_json& j, const FitExtrasArgs& args, const FitExtras& extras) {
  if (extras.missing.any()) {
    if (!args.mask.empty()) j["mask"] = args.mask;
    j["missing"] = args.missing.empty() ? "none" : args.missing;
    j["missing_entries"] = extras.missing.count;
  }
  if (args.restarts > 1)
    j["restarts"] = {{"seeds", extras.seeds}, {"objectives", extras.objectives}};
  if (!extras.rank.is_null()) j["rank_selection"] = extras.rank;
}

template FitExtras prepare_fit<float>(const FitExtrasArgs&, const Input&,
                                      const std::vector<float>&);
template FitExtras prepare_fit<double>(const FitExtrasArgs&, const Input&,
                                       const std::vector<double>&);
template FitResult<float> fit_best<float>(const FitExtrasArgs&, FitOptions&,
                                          const std::vector<float>&, const Input&,
                                          const StartFactors<float>*, FitExtras&,
                                          const std::function<void(int)>&, const CsrMatrix<float>*);
template FitResult<double> fit_best<double>(const FitExtrasArgs&, FitOptions&,
                                            const std::vector<double>&, const Input&,
                                            const StartFactors<double>*, FitExtras&,
                                            const std::function<void(int)>&,
                                            const CsrMatrix<double>*);

}  // namespace nmfkit::cli
