// fit_best() and fit_auto_k(): restarts and the choice of k around fit() and select_rank().
#include "nmfkit/fit_best.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "nmfkit/errors.hpp"

namespace nmfkit {

namespace {

constexpr std::uint64_t kSeedMask = 0xffffffffULL;  // seeds are 32-bit (numpy's RandomState)
constexpr Index kAutoMaxK = 30;                     // the default candidates: 1..30 at most

void check_restarts(const FitOptions& options, int restarts) {
  if (restarts < 1)
    throw InvalidArgument("restarts must be at least 1, got " + std::to_string(restarts));
  if (restarts > 1 && options.init == Init::kCustom && !options.shuffle)
    throw InvalidArgument("restarts = " + std::to_string(restarts) +
                          " need something random, not init custom (every restart would be the "
                          "same fit; use another init, or solver cd with shuffle)");
}

/// Runs `fit_once(options with seed s)` for s = seed, seed + 1, … and keeps the lowest objective.
template <typename T, typename FitOnce>
BestFit<T> best_of(const FitOptions& options, int restarts, FitOnce&& fit_once) {
  options.validate();
  check_restarts(options, restarts);
  BestFit<T> best;
  FitOptions o = options;
  if (options.progress)
    o.progress = [&best, &user = options.progress](const Progress& p) {
      if (user(p)) return true;
      best.stopped = true;
      return false;
    };
  for (int r = 0; r < restarts && !best.stopped; ++r) {
    o.seed = (options.seed + static_cast<std::uint64_t>(r)) & kSeedMask;
    FitResult<T> result = fit_once(o);
    best.seeds.push_back(o.seed);
    best.objectives.push_back(result.loss_history.back());
    if (r == 0 || result.loss_history.back() < best.fit.loss_history.back()) {
      best.fit = std::move(result);
      best.best = static_cast<std::size_t>(r);
    }
  }
  return best;
}

/// fit_auto_k() of X of n × m whatever its form: `select(selection)` runs select_rank() on it,
/// `fit_at(options, restarts)` fit_best().
template <typename T, typename Select, typename FitAt>
AutoKFit<T> auto_k(Index n, Index m, const AutoKOptions& options, Select&& select, FitAt&& fit_at) {
  FitOptions f = options.fit;
  f.k = 1;  // chosen below; the rest is checked before the selection's many fits
  f.validate();
  if (f.init == Init::kCustom)
    throw InvalidArgument(
        "init custom cannot be used with k chosen automatically (the starting "
        "factors fix k)");
  check_restarts(f, options.restarts);
  AutoKFit<T> out;
  out.selection = select(options.selection ? *options.selection : auto_k_selection(f, n, m));
  if (options.selected) options.selected(out.selection);
  f.k = out.selection.chosen_k;
  out.best = fit_at(f, options.restarts);
  return out;
}

template <typename T>
AutoKFit<T> fit_auto_k_impl(const DenseView<T>& x, const AutoKOptions& options,
                            const DenseView<std::uint8_t>* observed) {
  return auto_k<T>(
      x.rows, x.cols, options,
      [&](const RankOptions& selection) { return select_rank(x, selection, observed); },
      [&](const FitOptions& f, int restarts) {
        return observed != nullptr ? fit_best(x, *observed, f, restarts) : fit_best(x, f, restarts);
      });
}

/// fit_auto_k() of X in a form without a mask (compressed sparse rows, 8-bit levels).
template <typename T, typename X>
AutoKFit<T> fit_auto_k_of(const X& x, Index n, Index m, const AutoKOptions& options) {
  return auto_k<T>(
      n, m, options, [&](const RankOptions& selection) { return select_rank(x, selection); },
      [&](const FitOptions& f, int restarts) { return fit_best(x, f, restarts); });
}

}  // namespace

BestFit<float> fit_best(const DenseView<float>& x, const FitOptions& options, int restarts,
                        const StartFactors<float>* start) {
  return best_of<float>(options, restarts, [&](const FitOptions& o) { return fit(x, o, start); });
}
BestFit<double> fit_best(const DenseView<double>& x, const FitOptions& options, int restarts,
                         const StartFactors<double>* start) {
  return best_of<double>(options, restarts, [&](const FitOptions& o) { return fit(x, o, start); });
}
BestFit<float> fit_best(const LevelsView& x, const FitOptions& options, int restarts,
                        const StartFactors<float>* start) {
  return best_of<float>(options, restarts, [&](const FitOptions& o) { return fit(x, o, start); });
}
BestFit<float> fit_best(const LevelsSource& x, const FitOptions& options, int restarts,
                        const StartFactors<float>* start) {
  return best_of<float>(options, restarts, [&](const FitOptions& o) { return fit(x, o, start); });
}
template <typename T, typename I>
BestFit<T> fit_best(const CsrView<T, I>& x, const FitOptions& options, int restarts,
                    const StartFactors<T>* start) {
  return best_of<T>(options, restarts, [&](const FitOptions& o) { return fit(x, o, start); });
}
template BestFit<float> fit_best(const CsrView<float, std::int32_t>&, const FitOptions&, int,
                                 const StartFactors<float>*);
template BestFit<float> fit_best(const CsrView<float, std::int64_t>&, const FitOptions&, int,
                                 const StartFactors<float>*);
template BestFit<double> fit_best(const CsrView<double, std::int32_t>&, const FitOptions&, int,
                                  const StartFactors<double>*);
template BestFit<double> fit_best(const CsrView<double, std::int64_t>&, const FitOptions&, int,
                                  const StartFactors<double>*);
BestFit<float> fit_best(const DenseView<float>& x, const DenseView<std::uint8_t>& observed,
                        const FitOptions& options, int restarts, const StartFactors<float>* start) {
  return best_of<float>(options, restarts,
                        [&](const FitOptions& o) { return fit(x, observed, o, start); });
}
BestFit<double> fit_best(const DenseView<double>& x, const DenseView<std::uint8_t>& observed,
                         const FitOptions& options, int restarts,
                         const StartFactors<double>* start) {
  return best_of<double>(options, restarts,
                         [&](const FitOptions& o) { return fit(x, observed, o, start); });
}

RankOptions auto_k_selection(const FitOptions& fit, Index n_samples, Index n_features) {
  if (n_samples < 1 || n_features < 1)
    throw DataError("X is empty (" + std::to_string(n_samples) + " x " +
                    std::to_string(n_features) + "): there is no k to choose");
  RankOptions s;
  for (Index k = 1; k <= std::min({kAutoMaxK, n_samples, n_features}); ++k)
    s.ks.push_back(static_cast<int>(k));
  s.fit = fit.beta == 2 ? with_solver(fit, RankOptions::hals_options().solver) : fit;
  // The selection's many short held-out fits are plain unless the caller asked otherwise.
  if (!s.fit.extrapolate) s.fit.extrapolate = false;
  s.fit.tol = std::max(fit.tol, RankOptions::kSelectionTol);
  s.fit.k = 1;               // select_rank() sets each fold's k
  s.fit.progress = nullptr;  // fit.progress reports one fit; the selection runs many at once
  return s;
}

AutoKFit<float> fit_auto_k(const DenseView<float>& x, const AutoKOptions& options,
                           const DenseView<std::uint8_t>* observed) {
  return fit_auto_k_impl(x, options, observed);
}
AutoKFit<double> fit_auto_k(const DenseView<double>& x, const AutoKOptions& options,
                            const DenseView<std::uint8_t>* observed) {
  return fit_auto_k_impl(x, options, observed);
}
template <typename T, typename I>
AutoKFit<T> fit_auto_k(const CsrView<T, I>& x, const AutoKOptions& options) {
  return fit_auto_k_of<T>(x, x.rows, x.cols, options);
}
template AutoKFit<float> fit_auto_k(const CsrView<float, std::int32_t>&, const AutoKOptions&);
template AutoKFit<float> fit_auto_k(const CsrView<float, std::int64_t>&, const AutoKOptions&);
template AutoKFit<double> fit_auto_k(const CsrView<double, std::int32_t>&, const AutoKOptions&);
template AutoKFit<double> fit_auto_k(const CsrView<double, std::int64_t>&, const AutoKOptions&);
AutoKFit<float> fit_auto_k(const LevelsView& x, const AutoKOptions& options) {
  return fit_auto_k_of<float>(x, x.levels.rows, x.levels.cols, options);
}
AutoKFit<float> fit_auto_k(const LevelsSource& x, const AutoKOptions& options) {
  return fit_auto_k_of<float>(x, x.rows, x.cols, options);
}

}  // namespace nmfkit
