// select_rank(): cross-validation of k on held-out entries, and the cophenetic correlation of
// consensus clustering. Each fit is independent, so the fits run concurrently (threads split
// among them); each fit's result does not depend on its thread count, so neither does the whole.
#include "nmfkit/rank.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <random>
#include <string>

#include "core/consensus.hpp"
#include "kernels/blas_threads.hpp"
#include "kernels/dense.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit {

namespace {

using Clock = std::chrono::steady_clock;

int parse_rank(std::string_view text, std::string_view whole) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw InvalidArgument(
        "ranks '" + std::string(whole) + "': '" + std::string(text) +
        "' is not a whole number (write a range 2..40, 2..40:2 or a list 4,8,16)");
  if (value < 1)
    throw InvalidArgument("ranks '" + std::string(whole) + "': k must be at least 1, got " +
                          std::to_string(value));
  return value;
}

/// A uniform double in [0, 1) from 53 random bits: the same numbers on every platform.
double uniform(std::mt19937_64& rng) {
  return double(rng() >> 11) * (1.0 / 9007199254740992.0);
}

std::mt19937_64 stream(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index) {
  std::seed_seq seq{std::uint32_t(seed), std::uint32_t(seed >> 32), std::uint32_t(purpose),
                    std::uint32_t(index)};
  return std::mt19937_64(seq);
}

/// One fold: the mask the fit sees (held-out and missing entries 0) and the held-out entries.
struct Fold {
  std::vector<std::uint8_t> fitted;
  std::vector<Index> held;  ///< row-major positions
};

/// Holds out each observed entry with probability `fraction`, then gives back one held-out entry
/// of any sample or feature that would have none left, so every fit is well posed.
Fold make_fold(Index n, Index m, const DenseView<std::uint8_t>* observed, double fraction,
               std::uint64_t seed, int fold) {
  Fold f;
  f.fitted.assign(static_cast<std::size_t>(n * m), 1);
  std::mt19937_64 rng = stream(seed, 1, static_cast<std::uint64_t>(fold));
  std::vector<Index> row_left(static_cast<std::size_t>(n), 0),
      col_left(static_cast<std::size_t>(m), 0);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < m; ++j) {
      const std::size_t p = static_cast<std::size_t>(i * m + j);
      const bool seen = observed == nullptr || (*observed)(i, j) != 0;
      const bool hold = uniform(rng) < fraction;  // drawn for every entry: a fixed stream
      if (!seen || hold) f.fitted[p] = 0;
      if (seen && hold) f.held.push_back(i * m + j);
      if (f.fitted[p] != 0) {
        ++row_left[static_cast<std::size_t>(i)];
        ++col_left[static_cast<std::size_t>(j)];
      }
    }
  std::vector<Index> kept;
  for (Index p : f.held) {
    const Index i = p / m, j = p % m;
    if (row_left[static_cast<std::size_t>(i)] == 0 || col_left[static_cast<std::size_t>(j)] == 0) {
      f.fitted[static_cast<std::size_t>(p)] = 1;
      ++row_left[static_cast<std::size_t>(i)];
      ++col_left[static_cast<std::size_t>(j)];
    } else {
      kept.push_back(p);
    }
  }
  f.held = std::move(kept);
  if (f.held.empty())
    throw InvalidArgument("a hold-out fraction of " + std::to_string(fraction) + " of a " +
                          std::to_string(n) + " x " + std::to_string(m) +
                          " matrix holds out no entry; use a larger fraction");
  return f;
}

/// ‖X − W·H‖ / ‖X‖ over the held-out entries (the plain norm when they are all zero).
template <typename T>
double held_out_error(const DenseView<T>& x, const FitResult<T>& r,
                      const std::vector<Index>& held) {
  double residual = 0, norm = 0;
  const Index m = x.cols, k = r.W.cols;
  for (Index p : held) {
    const Index i = p / m, j = p % m;
    double wh = 0;
    for (Index l = 0; l < k; ++l) wh += double(r.W(i, l)) * double(r.H(l, j));
    const double v = double(x(i, j));
    residual += (v - wh) * (v - wh);
    norm += v * v;
  }
  return norm > 0 ? std::sqrt(residual / norm) : std::sqrt(residual);
}

/// The rows `rows` of X (and of the mask) as new matrices, for the cophenetic fits.
template <typename T>
struct Subset {
  Matrix<T> x;
  std::vector<std::uint8_t> observed;
};

template <typename T>
Subset<T> sample_subset(const DenseView<T>& x, const DenseView<std::uint8_t>* observed, Index count,
                        std::uint64_t seed) {
  std::vector<Index> rows(static_cast<std::size_t>(x.rows));
  for (Index i = 0; i < x.rows; ++i) rows[static_cast<std::size_t>(i)] = i;
  if (count < x.rows) {
    std::mt19937_64 rng = stream(seed, 2, 0);
    for (Index t = 0; t < count; ++t) {  // partial Fisher-Yates
      const Index pick = t + static_cast<Index>(uniform(rng) * double(x.rows - t));
      std::swap(rows[static_cast<std::size_t>(t)], rows[static_cast<std::size_t>(pick)]);
    }
    rows.resize(static_cast<std::size_t>(count));
    std::sort(rows.begin(), rows.end());
  }
  Subset<T> s{Matrix<T>(count, x.cols), {}};
  for (Index t = 0; t < count; ++t) {
    const Index i = rows[static_cast<std::size_t>(t)];
    std::copy(x.row(i), x.row(i) + x.cols, s.x.row(t));
    if (observed != nullptr)
      s.observed.insert(s.observed.end(), observed->row(i), observed->row(i) + x.cols);
  }
  return s;
}

/// Mean and standard error of the per-fold errors, and the one-standard-error choice.
void summarise(RankResult& result) {
  double best = std::numeric_limits<double>::infinity();
  std::size_t at = 0;
  for (std::size_t p = 0; p < result.points.size(); ++p) {
    RankPoint& point = result.points[p];
    const double folds = double(point.fold_errors.size());
    double sum = 0;
    for (double e : point.fold_errors) sum += e;
    point.mean_error = sum / folds;
    double squares = 0;
    for (double e : point.fold_errors) squares += (e - point.mean_error) * (e - point.mean_error);
    point.standard_error = folds > 1 ? std::sqrt(squares / (folds - 1) / folds) : 0.0;
    point.train_error /= folds;
    if (point.mean_error < best) {
      best = point.mean_error;
      at = p;
    }
  }
  result.best_k = result.points[at].k;
  const double limit = best + result.points[at].standard_error;
  for (const RankPoint& point : result.points)
    if (point.mean_error <= limit) {
      result.one_se_k = point.k;
      break;
    }
}

template <typename T>
RankResult select_rank_impl(const DenseView<T>& x, const RankOptions& o,
                            const DenseView<std::uint8_t>* observed) {
  const Clock::time_point started = Clock::now();
  o.validate();
  if (x.rows <= 0 || x.cols <= 0 || x.data == nullptr)
    throw DataError("X is empty (" + std::to_string(x.rows) + " x " + std::to_string(x.cols) +
                    "); it needs at least one sample and one feature");
  if (observed != nullptr && (observed->rows != x.rows || observed->cols != x.cols))
    throw DataError("the mask is " + std::to_string(observed->rows) + " x " +
                    std::to_string(observed->cols) + " but X is " + std::to_string(x.rows) + " x " +
                    std::to_string(x.cols) + "; it must have the shape of X");
  FitOptions largest = o.fit;
  largest.k = o.ks.back();
  largest.validate(x.rows, x.cols);

  RankResult result;
  result.folds = o.folds;
  result.holdout = o.holdout;
  for (int k : o.ks) result.points.push_back(RankPoint{k, std::vector<double>(o.folds, 0.0)});
  std::vector<Fold> folds;
  for (int f = 0; f < o.folds; ++f)
    folds.push_back(make_fold(x.rows, x.cols, observed, o.holdout, o.fit.seed, f));

  Subset<T> subset;
  std::vector<std::vector<std::vector<int>>> labels(o.ks.size());
  if (o.cophenetic) {
    result.cluster_samples = std::min(x.rows, o.max_cluster_samples);
    if (o.ks.back() > std::min(result.cluster_samples, x.cols))
      throw InvalidArgument("k = " + std::to_string(o.ks.back()) + " is more than the " +
                            std::to_string(std::min(result.cluster_samples, x.cols)) +
                            " the cophenetic correlation can use (min of the clustered samples "
                            "and the features); raise the number of clustered samples");
    subset = sample_subset(x, observed, result.cluster_samples, o.fit.seed);
    for (auto& per_k : labels) per_k.resize(static_cast<std::size_t>(o.restarts));
  }

  // Tasks: every (k, fold) fit, then every (k, restart) consensus fit; largest k first.
  struct Task {
    std::size_t point;
    int index;
    bool consensus;
  };
  std::vector<Task> tasks;
  for (std::size_t p = o.ks.size(); p-- > 0;) {
    for (int f = 0; f < o.folds; ++f) tasks.push_back({p, f, false});
    if (o.cophenetic)
      for (int r = 0; r < o.restarts; ++r) tasks.push_back({p, r, true});
  }
  const int threads = o.fit.threads > 0 ? o.fit.threads : omp_get_max_threads();
  const int wanted = o.concurrent_fits > 0 ? std::min(o.concurrent_fits, threads) : threads;
  const int outer = std::max(1, std::min<int>(wanted, static_cast<int>(tasks.size())));
  // Concurrent fits get one thread each: nested OpenMP teams would be inactive or slow.
  const int inner = outer > 1 ? 1 : threads;
  const kernels::BlasThreadsGuard blas_threads;

  std::vector<std::exception_ptr> errors(tasks.size());
  std::vector<double> task_seconds(tasks.size(), 0.0), task_train(tasks.size(), 0.0);
  std::atomic<bool> stop{false};
  int done = 0;
  const int total = static_cast<int>(tasks.size());
  auto run_task = [&](std::size_t t) {
    if (stop.load()) return;
    const Task& task = tasks[t];
    RankPoint& point = result.points[task.point];
    const Clock::time_point t0 = Clock::now();
    try {
      FitOptions fo = o.fit;
      fo.k = point.k;
      fo.threads = inner;
      if (task.consensus) {
        fo.init = Init::kRandom;
        fo.seed = (o.fit.seed + static_cast<std::uint64_t>(task.index)) & 0xffffffffu;
        const DenseView<T> sx = subset.x.view();
        const DenseView<std::uint8_t> sm(subset.observed.data(), sx.rows, sx.cols);
        const FitResult<T> r = observed != nullptr ? fit(sx, sm, fo) : fit(sx, fo);
        labels[task.point][static_cast<std::size_t>(task.index)] = core::cluster_labels(r.W);
      } else {
        const Fold& fold = folds[static_cast<std::size_t>(task.index)];
        const DenseView<std::uint8_t> mask(fold.fitted.data(), x.rows, x.cols);
        const FitResult<T> r = fit(x, mask, fo);
        point.fold_errors[static_cast<std::size_t>(task.index)] = held_out_error(x, r, fold.held);
        task_train[t] = r.relative_error;
      }
    } catch (...) {
      errors[t] = std::current_exception();
      stop.store(true);
    }
    task_seconds[t] = std::chrono::duration<double>(Clock::now() - t0).count();
#pragma omp critical(nmfkit_rank_progress)
    {
      ++done;
      if (o.progress && !stop.load() && !o.progress(done, total)) stop.store(true);
    }
  };
  // One fit at a time runs outside any parallel region: OpenMP would otherwise start a fresh
  // team for every nested region of the fit's kernels, which costs more than the kernels.
  if (outer == 1) {
    for (std::size_t t = 0; t < tasks.size(); ++t) run_task(t);
  } else {
#pragma omp parallel for schedule(dynamic, 1) num_threads(outer)
    for (std::size_t t = 0; t < tasks.size(); ++t) run_task(t);
  }
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  if (stop.load()) throw Cancelled("rank selection stopped before it finished");

  for (std::size_t t = 0; t < tasks.size(); ++t) {  // in task order: the same sums every time
    result.points[tasks[t].point].seconds += task_seconds[t];
    result.points[tasks[t].point].train_error += task_train[t];
  }
  if (o.cophenetic)
    for (std::size_t p = 0; p < labels.size(); ++p)
      result.points[p].cophenetic = core::cophenetic_correlation(labels[p]);
  summarise(result);
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

}  // namespace

std::vector<int> parse_ranks(std::string_view text) {
  std::vector<int> ks;
  const std::size_t dots = text.find("..");
  if (dots != std::string_view::npos) {
    std::string_view last = text.substr(dots + 2);
    int step = 1;
    if (const std::size_t colon = last.find(':'); colon != std::string_view::npos) {
      step = parse_rank(last.substr(colon + 1), text);
      last = last.substr(0, colon);
    }
    const int a = parse_rank(text.substr(0, dots), text), b = parse_rank(last, text);
    if (a > b)
      throw InvalidArgument("ranks '" + std::string(text) +
                            "' is an inverted range: the first value must not exceed the last");
    for (int k = a; k <= b; k += step) {
      ks.push_back(k);
      if (k > b - step) break;  // no overflow past INT_MAX
    }
    return ks;
  }
  if (text.empty()) throw InvalidArgument("ranks '': the list of ranks is empty");
  std::size_t from = 0;
  while (true) {
    const std::size_t comma = text.find(',', from);
    ks.push_back(parse_rank(text.substr(from, comma - from), text));
    if (comma == std::string_view::npos) break;
    from = comma + 1;
  }
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  return ks;
}

void RankOptions::validate() const {
  if (ks.empty()) throw InvalidArgument("the list of ranks to try is empty");
  if (!std::is_sorted(ks.begin(), ks.end()) || ks.front() < 1 ||
      std::adjacent_find(ks.begin(), ks.end()) != ks.end())
    throw InvalidArgument("the ranks to try must be distinct, ascending and at least 1");
  if (!(holdout > 0 && holdout <= 0.5))
    throw InvalidArgument("the hold-out fraction must be in (0, 0.5], got " +
                          std::to_string(holdout));
  if (concurrent_fits < 0)
    throw InvalidArgument("concurrent_fits must be >= 0 (0 = one per thread), got " +
                          std::to_string(concurrent_fits));
  if (folds < 2) throw InvalidArgument("folds must be at least 2, got " + std::to_string(folds));
  if (cophenetic && restarts < 2)
    throw InvalidArgument("restarts must be at least 2 for the cophenetic correlation, got " +
                          std::to_string(restarts));
  if (cophenetic && max_cluster_samples < 2)
    throw InvalidArgument("max_cluster_samples must be at least 2, got " +
                          std::to_string(max_cluster_samples));
  FitOptions f = fit;
  f.k = ks.front();
  f.validate();
  if (f.beta != 2)
    throw InvalidArgument("rank selection needs the frobenius loss, not the " + loss_name(f.beta) +
                          " loss");
}

RankResult select_rank(const DenseView<float>& x, const RankOptions& options,
                       const DenseView<std::uint8_t>* observed) {
  return select_rank_impl(x, options, observed);
}
RankResult select_rank(const DenseView<double>& x, const RankOptions& options,
                       const DenseView<std::uint8_t>* observed) {
  return select_rank_impl(x, options, observed);
}

}  // namespace nmfkit
