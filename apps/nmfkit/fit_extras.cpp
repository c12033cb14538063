#include "fit_extras.hpp"

#include <algorithm>
#include <iostream>
#include <string>
#include <type_traits>

#include "core/make_data.hpp"
#include "interrupt.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/rank.hpp"
#include "rank_command.hpp"

namespace nmfkit::cli {

template <typename T>
FitExtras prepare_fit(const FitExtrasArgs& args, FitOptions& options, const Input& in,
                      const std::vector<T>& x) {
  if (args.restarts < 1)
    throw InvalidArgument("--restarts must be at least 1, got " + std::to_string(args.restarts));
  if (!args.ranks.empty() && !args.auto_k)
    throw InvalidArgument("--k-range applies only to -k auto");
  FitExtras extras;
  extras.missing = missing_entries(args.mask, args.missing, in, x, args.limited);
  if (!args.auto_k) return extras;
  RankOptions ro;
  const Index limit = std::min(in.rows, in.cols);
  if (args.ranks.empty()) {
    for (int k = 1; k <= std::min<Index>(20, limit); ++k) ro.ks.push_back(k);
  } else {
    ro.ks = parse_ranks(args.ranks);
  }
  ro.fit = options;
  if (!args.solver_given && options.beta == 2) ro.fit.solver = RankOptions::hals_options().solver;
  ro.fit.progress = nullptr;
  ro.fit.k = ro.ks.front();
  const std::string heading = "nmfkit: choosing k among " + std::to_string(ro.ks.size()) +
                              " ranks from " + std::to_string(ro.ks.front()) + " to " +
                              std::to_string(ro.ks.back()) + " by " + std::to_string(ro.folds) +
                              "-fold held-out error";
  const RankResult r = run_selection(x, in.rows, in.cols, ro, extras.missing, heading, args.quiet);
  options.k = r.one_se_k;
  extras.rank = rank_json(r, ro);
  if (!args.quiet) std::cerr << "nmfkit: chose k = " << options.k << "\n";
  return extras;
}

bool fits_levels(const FitExtrasArgs& args, const FitOptions& options, const Input& in,
                 bool single_precision) {
  if (!single_precision || in.array.dtype != io::DType::kUint8 || !args.mask.empty() ||
      !args.missing.empty() || args.auto_k || options.beta != 2 ||
      options.format == DataFormat::kDense)
    return false;
  if (options.format == DataFormat::kSparse) return true;
  const auto& b = in.array.bytes;
  const auto zeros = std::count(b.begin(), b.end(), std::uint8_t{0});
  return double(zeros) >= core::kAutoSparseZeroFraction * double(b.size());
}

template <typename T>
FitResult<T> fit_best(const FitExtrasArgs& args, FitOptions& options, const std::vector<T>& x,
                      const Input& in, const StartFactors<T>* start, FitExtras& extras) {
  const DenseView<T> view(x.data(), in.rows, in.cols);
  const auto fit_once = [&](const FitOptions& o) -> FitResult<T> {
    if constexpr (std::is_same_v<T, float>) {
      if (x.empty()) {
        const LevelsView levels{DenseView<std::uint8_t>(in.array.bytes.data(), in.rows, in.cols),
                                in.scaled_from_uint8 ? 1.0 / 255.0 : 1.0};
        return fit(levels, o, start);
      }
    }
    return fit(view, o, start);
  };
  const DenseView<std::uint8_t> observed(extras.missing.observed.data(), in.rows, in.cols);
  const std::uint64_t first_seed = options.seed;
  FitResult<T> best;
  for (int r = 0; r < args.restarts; ++r) {
    FitOptions o = options;
    o.seed = (first_seed + static_cast<std::uint64_t>(r)) & 0xffffffffu;
    FitResult<T> result = extras.missing.any() ? fit(view, observed, o) : fit_once(o);
    if (interrupted()) throw Interrupted();
    extras.seeds.push_back(o.seed);
    extras.objectives.push_back(result.loss_history.back());
    if (r == 0 || result.loss_history.back() < best.loss_history.back()) {
      best = std::move(result);
      options.seed = o.seed;
    }
  }
  return best;
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

template FitExtras prepare_fit<float>(const FitExtrasArgs&, FitOptions&, const Input&,
                                      const std::vector<float>&);
template FitExtras prepare_fit<double>(const FitExtrasArgs&, FitOptions&, const Input&,
                                       const std::vector<double>&);
template FitResult<float> fit_best<float>(const FitExtrasArgs&, FitOptions&,
                                          const std::vector<float>&, const Input&,
                                          const StartFactors<float>*, FitExtras&);
template FitResult<double> fit_best<double>(const FitExtrasArgs&, FitOptions&,
                                            const std::vector<double>&, const Input&,
                                            const StartFactors<double>*, FitExtras&);

}  // namespace nmfkit::cli
