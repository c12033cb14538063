// select_rank(): cross-validation of k on held-out entries, and the cophenetic correlation of
// consensus clustering. Each fit is independent, so the fits run concurrently (threads split
// among them); each fit's result does not depend on its thread count, so neither does the whole.
#include "nmfkit/rank.hpp"

#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "core/consensus.hpp"
#include "core/csr_data.hpp"
#include "core/make_data.hpp"
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

/// The rows `rows` of X (and of the mask) as new matrices: the sample the folds are fitted on,
/// and the samples the cophenetic fits cluster.
template <typename T>
struct Subset {
  Matrix<T> x;
  std::vector<std::uint8_t> observed;
};

/// X's rows as the selection reads them, whatever X's form: `row(i, out)` writes row i (cols
/// values, zeros included). `whole` is X itself where it is dense in memory, used in place when
/// every row is fitted; other forms are made dense only in the rows sampled.
template <typename T>
struct RowSource {
  Index rows = 0;
  Index cols = 0;
  std::function<void(Index, T*)> row;
  const DenseView<T>* whole = nullptr;
};

/// `count` rows of X drawn without replacement (in their order in X) from the stream `purpose`.
template <typename T>
Subset<T> sample_subset(const RowSource<T>& x, const DenseView<std::uint8_t>* observed, Index count,
                        std::uint64_t seed, std::uint64_t purpose) {
  std::vector<Index> rows(static_cast<std::size_t>(x.rows));
  for (Index i = 0; i < x.rows; ++i) rows[static_cast<std::size_t>(i)] = i;
  if (count < x.rows) {
    std::mt19937_64 rng = stream(seed, purpose, 0);
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
    x.row(i, s.x.row(t));
    if (observed != nullptr)
      s.observed.insert(s.observed.end(), observed->row(i), observed->row(i) + x.cols);
  }
  return s;
}

/// The warm start: W and H of the previous candidate with `count` components appended, each the
/// non-negative part (as NNDSVD takes it, Boutsidis & Gallopoulos 2008) of the leading singular
/// pair of the residual X − W·H over the fitted entries, found by power iteration and deflated
/// before the next.
template <typename T>
StartFactors<T> extended(const DenseView<T>& x, const std::vector<std::uint8_t>& fitted,
                         const Matrix<T>& w, const Matrix<T>& h, Index count, bool fill_zeros,
                         Matrix<T>& w_out, Matrix<T>& h_out) {
  using Rows = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Cast = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Index n = x.rows, m = x.cols, k = w.cols, k2 = k + count;
  // The residual over the fitted entries, in float: ample for a starting direction.
  Rows r = -(Eigen::Map<const Cast>(w.data(), n, k).template cast<float>() *
             Eigen::Map<const Cast>(h.data(), k, m).template cast<float>());
  double level = 0, seen = 0;
  for (Index i = 0; i < n; ++i) {
    const T* xi = x.row(i);
    const std::uint8_t* on = fitted.data() + static_cast<std::size_t>(i * m);
    float* ri = r.data() + i * m;
    for (Index j = 0; j < m; ++j) {
      ri[j] = on[j] != 0 ? ri[j] + float(xi[j]) : 0.0f;
      level += on[j] != 0 ? double(xi[j]) : 0.0;
      seen += on[j] != 0 ? 1.0 : 0.0;
    }
  }
  level /= std::max(seen, 1.0);  // the mean of the fitted entries
  w_out = Matrix<T>(n, k2);
  h_out = Matrix<T>(k2, m);
  for (Index i = 0; i < n; ++i) std::copy(w.row(i), w.row(i) + k, w_out.row(i));
  for (Index l = 0; l < k; ++l) std::copy(h.row(l), h.row(l) + m, h_out.row(l));
  Eigen::VectorXf u = Eigen::VectorXf::Zero(n), v(m);
  for (Index c = 0; c < count; ++c) {
    v = r.cwiseAbs().colwise().sum().transpose();  // a positive start
    float sigma = 0;
    for (int it = 0; it < 4 && v.norm() > 0; ++it) {
      v.normalize();
      u.noalias() = r * v;
      if (!(u.norm() > 0)) break;
      u.normalize();
      v.noalias() = r.transpose() * u;
      sigma = v.norm();
    }
    const Index l = k + c;
    // u·vᵀ = (u₊ − u₋)(v₊ − v₋)ᵀ: keep the larger of u₊v₊ᵀ and u₋v₋ᵀ.
    const Eigen::VectorXf up = u.cwiseMax(0.0f), un = (-u).cwiseMax(0.0f);
    const Eigen::VectorXf vp = v.cwiseMax(0.0f), vn = (-v).cwiseMax(0.0f);
    const double plus = double(up.norm()) * double(vp.norm());
    const double minus = double(un.norm()) * double(vn.norm());
    const Eigen::VectorXf& uu = plus >= minus ? up : un;
    const Eigen::VectorXf& vv = plus >= minus ? vp : vn;
    const double nu = uu.norm(), nv = vv.norm();
    if (!(sigma > 0) || !(nu > 0) || !(nv > 0)) {
      // Nothing left to explain: a small flat component (zero would stall some rules).
      const T small = T(std::sqrt(std::max(level, 1e-12) / double(k2)) * 1e-2);
      for (Index i = 0; i < n; ++i) w_out(i, l) = small;
      for (Index j = 0; j < m; ++j) h_out(l, j) = small;
      continue;
    }
    // v holds σ·v̂, so max(plus, minus) is σ·|u₊|·|v̂₊|: NNDSVD's scale of each side.
    const double scale = std::sqrt(std::max(plus, minus));
    // Multiplicative updates never move an entry off zero: there, zeros take the mean of X, as
    // nndsvda fills them.
    const double zero = fill_zeros ? level : 0.0;
    for (Index i = 0; i < n; ++i) w_out(i, l) = T(uu[i] > 0 ? scale * double(uu[i]) / nu : zero);
    for (Index j = 0; j < m; ++j) h_out(l, j) = T(vv[j] > 0 ? scale * double(vv[j]) / nv : zero);
    if (c + 1 < count)
      for (Index i = 0; i < n; ++i) {
        const std::uint8_t* on = fitted.data() + static_cast<std::size_t>(i * m);
        for (Index j = 0; j < m; ++j)
          if (on[j] != 0) r(i, j) -= float(double(w_out(i, l)) * double(h_out(l, j)));
      }
  }
  return StartFactors<T>{w_out.view(), h_out.view()};
}

/// 1 − the mean over pairs of restarts of staNMF's dissimilarity between their components.
template <typename T>
double restart_stability(const std::vector<Matrix<T>>& hs) {
  auto normalised = [](const Matrix<T>& h) {
    Matrix<double> out(h.rows, h.cols);
    for (Index l = 0; l < h.rows; ++l) {
      double s = 0;
      for (Index j = 0; j < h.cols; ++j) s += double(h(l, j)) * double(h(l, j));
      s = s > 0 ? 1 / std::sqrt(s) : 0;
      for (Index j = 0; j < h.cols; ++j) out(l, j) = double(h(l, j)) * s;
    }
    return out;
  };
  std::vector<Matrix<double>> u;
  for (const Matrix<T>& h : hs) u.push_back(normalised(h));
  double total = 0;
  int pairs = 0;
  for (std::size_t a = 0; a < u.size(); ++a)
    for (std::size_t b = a + 1; b < u.size(); ++b) {
      const Index k = u[a].rows, m = u[a].cols;
      std::vector<double> row_best(static_cast<std::size_t>(k), 0.0),
          col_best(static_cast<std::size_t>(k), 0.0);
      for (Index i = 0; i < k; ++i)
        for (Index j = 0; j < k; ++j) {
          double c = 0;
          for (Index p = 0; p < m; ++p) c += u[a](i, p) * u[b](j, p);
          row_best[static_cast<std::size_t>(i)] =
              std::max(row_best[static_cast<std::size_t>(i)], c);
          col_best[static_cast<std::size_t>(j)] =
              std::max(col_best[static_cast<std::size_t>(j)], c);
        }
      double d = 0;
      for (Index i = 0; i < k; ++i)
        d += (1 - row_best[static_cast<std::size_t>(i)]) +
             (1 - col_best[static_cast<std::size_t>(i)]);
      total += d / (2.0 * double(k));
      ++pairs;
    }
  return pairs > 0 ? 1 - total / pairs : 1.0;
}

/// The curve's summary over its first `count` points (each point's mean and standard error
/// already set): the lowest mean, the one-standard-error choice, the knee, whether the curve has
/// a minimum, and the rule's choice. Returns the index of the chosen point.
std::size_t decide(RankResult& result, std::size_t count, const RankOptions& o) {
  const std::vector<RankPoint>& pts = result.points;
  std::size_t best = 0;
  for (std::size_t p = 1; p < count; ++p)
    if (pts[p].mean_error < pts[best].mean_error) best = p;
  result.best_k = pts[best].k;
  const double limit = pts[best].mean_error + pts[best].standard_error;
  std::size_t one_se = best;
  for (std::size_t p = 0; p < count; ++p)
    if (pts[p].mean_error <= limit) {
      one_se = p;
      break;
    }
  result.one_se_k = pts[one_se].k;
  // The knee: the first point after which one more component gains less than knee_fraction of
  // the average gain per component since the first candidate.
  // The next components' gain is taken over two candidates, which evens out the irregular steps
  // of single fits.
  std::size_t knee = count;
  for (std::size_t p = 1; p + 2 < count && knee == count; ++p) {
    const double next =
        (pts[p].mean_error - pts[p + 2].mean_error) / double(pts[p + 2].k - pts[p].k);
    if (pts[p].average_gain > 0 && next < o.knee_fraction * pts[p].average_gain &&
        next < o.knee_relative_gain * pts[p].mean_error)
      knee = p;
  }
  result.knee_k = knee < count ? pts[knee].k : 0;
  const RankPoint& last = pts[count - 1];
  result.minimum =
      best + 1 < count && last.mean_error > pts[best].mean_error + pts[best].standard_error;
  std::size_t chosen = one_se;
  result.criterion = "one-standard-error";
  // auto: the minimum when the curve rises after it, or when it is already flat within a standard
  // error before the knee; the knee when it comes first.
  if (o.rule == RankRule::kAuto && (result.minimum || (knee < count && one_se < knee))) {
    result.criterion = "minimum";
  } else if (o.rule != RankRule::kMinimum && knee < count) {
    chosen = knee;
    result.criterion = "knee";
  }
  result.chosen_k = pts[chosen].k;
  return chosen;
}

/// Mean and standard error of a point's fold errors, and the gain from the previous point.
void summarise_point(std::vector<RankPoint>& points, std::size_t p) {
  RankPoint& point = points[p];
  const double folds = double(point.fold_errors.size());
  double sum = 0;
  for (double e : point.fold_errors) sum += e;
  point.mean_error = sum / folds;
  double squares = 0;
  for (double e : point.fold_errors) squares += (e - point.mean_error) * (e - point.mean_error);
  point.standard_error = folds > 1 ? std::sqrt(squares / (folds - 1) / folds) : 0.0;
  point.gain =
      p == 0 ? 0.0
             : (points[p - 1].mean_error - point.mean_error) / double(point.k - points[p - 1].k);
  point.average_gain =
      p == 0 ? 0.0 : (points[0].mean_error - point.mean_error) / double(point.k - points[0].k);
}

template <typename T>
RankResult select_rank_impl(const RowSource<T>& x_all, const RankOptions& o,
                            const DenseView<std::uint8_t>* observed_all) {
  const Clock::time_point started = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
  o.validate();
  if (x_all.rows <= 0 || x_all.cols <= 0 ||
      (x_all.whole != nullptr && x_all.whole->data == nullptr))
    throw DataError("X is empty (" + std::to_string(x_all.rows) + " x " +
                    std::to_string(x_all.cols) + "); it needs at least one sample and one feature");
  if (observed_all != nullptr &&
      (observed_all->rows != x_all.rows || observed_all->cols != x_all.cols))
    throw DataError("the mask is " + std::to_string(observed_all->rows) + " x " +
                    std::to_string(observed_all->cols) + " but X is " + std::to_string(x_all.rows) +
                    " x " + std::to_string(x_all.cols) + "; it must have the shape of X");
  FitOptions largest = o.fit;
  largest.k = o.ks.back();
  largest.validate(x_all.rows, x_all.cols);

  RankResult result;
  result.folds = o.folds;
  result.holdout = o.holdout;
  result.candidates = static_cast<int>(o.ks.size());

  // The sample the folds are fitted on.
  const Index n_all = x_all.rows, m = x_all.cols;
  Index rows = n_all;
  if (o.sample_rows > 0) {
    rows = std::min(n_all, o.sample_rows);
  } else if (double(n_all) * double(m) > RankOptions::kAutoSampleEntries) {
    const double wanted = std::ceil(RankOptions::kAutoSampleEntries / double(m));
    rows = std::min(n_all, std::max(RankOptions::kMinSampleRows, static_cast<Index>(wanted)));
  }
  if (o.ks.back() > std::min(rows, m))
    throw InvalidArgument("k = " + std::to_string(o.ks.back()) + " is more than the " +
                          std::to_string(std::min(rows, m)) +
                          " the selection can fit (min of the sampled rows and the features); "
                          "sample more rows");
  // Every row of a dense X is fitted in place; of another form, made dense (all of them, in order).
  const bool in_place = rows == n_all && x_all.whole != nullptr;
  Subset<T> sampled;
  if (!in_place) sampled = sample_subset(x_all, observed_all, rows, o.fit.seed, 3);
  const DenseView<T> x = in_place ? *x_all.whole : sampled.x.view();
  const DenseView<std::uint8_t> sampled_mask(sampled.observed.data(), rows, m);
  const DenseView<std::uint8_t>* observed = observed_all == nullptr ? nullptr
                                            : rows < n_all          ? &sampled_mask
                                                                    : observed_all;
  result.sample_rows = rows;
  if (observed != nullptr && rows < n_all)
    for (Index j = 0; j < m; ++j) {
      bool seen = false;
      for (Index i = 0; i < rows && !seen; ++i) seen = (*observed)(i, j) != 0;
      if (!seen)
        throw DataError("feature " + std::to_string(j) + " has no observed entry in the " +
                        std::to_string(rows) +
                        " sampled samples; sample more of them (sample_rows, --sample all)");
    }
  if (o.cophenetic) {
    result.cluster_samples = std::min(x_all.rows, o.max_cluster_samples);
    if (o.ks.back() > std::min(result.cluster_samples, m))
      throw InvalidArgument("k = " + std::to_string(o.ks.back()) + " is more than the " +
                            std::to_string(std::min(result.cluster_samples, m)) +
                            " the cophenetic correlation can use (min of the clustered samples "
                            "and the features); raise the number of clustered samples");
  }

  for (int k : o.ks) {
    RankPoint p;
    p.k = k;
    p.fold_errors.assign(static_cast<std::size_t>(o.folds), 0.0);
    result.points.push_back(std::move(p));
  }
  std::vector<Fold> folds;
  for (int f = 0; f < o.folds; ++f)
    folds.push_back(make_fold(x.rows, x.cols, observed, o.holdout, o.fit.seed, f));

  const int threads = o.fit.threads > 0 ? o.fit.threads : omp_get_max_threads();
  const int wanted = o.concurrent_fits > 0 ? std::min(o.concurrent_fits, threads) : threads;
  const kernels::BlasThreadsGuard blas_threads;

  // ---- The scan: one chain of fits per fold, candidates in ascending order. A worker takes the
  // least advanced idle chain, at most one candidate past the last summarised one, so the threads
  // stay busy without fitting far ahead; a candidate is summarised once every fold has fitted it,
  // in order, and the patience rule may then end the scan. Fits started past the end stop at
  // their next iteration and are discarded, and a fit that fails past the end does not count, so
  // the result does not depend on the threads.
  struct Chain {
    Matrix<T> w, h;
    std::size_t next = 0;
    bool running = false;
    std::exception_ptr error;  ///< the fit at `next` failed: the chain ends there
  };
  const std::size_t total_points = o.ks.size();
  const int outer_cv = std::max(1, std::min(wanted, o.folds));
  const int inner_cv = outer_cv > 1 ? 1 : threads;
  std::vector<Chain> chains(static_cast<std::size_t>(o.folds));
  std::vector<std::vector<Matrix<T>>> fold_h(total_points, std::vector<Matrix<T>>(1));
  std::vector<std::vector<double>> fit_seconds(total_points, std::vector<double>(folds.size())),
      fit_train(total_points, std::vector<double>(folds.size())),
      fit_iterations(total_points, std::vector<double>(folds.size()));
  std::vector<int> finished(total_points, 0);
  std::atomic<std::size_t> limit{total_points};
  std::size_t complete = 0;
  std::mutex lock;
  std::condition_variable changed;
  std::exception_ptr error;  // from the progress callback or the bookkeeping: ends everything
  bool stop = false;
  int fits_done = 0;
  double last_fit_seconds = 0;
  int last_fit_k = 1;

  auto seconds_left = [&]() {  // every remaining fit to the last candidate, at the last pace
    double left = 0;
    for (std::size_t p = complete; p < limit; ++p)
      left += double(o.folds - finished[p]) * last_fit_seconds * double(o.ks[p]) /
              double(std::max(1, last_fit_k));
    return left / double(outer_cv);
  };
  // Under the lock: the fit (p, f) finished; summarise what is complete, decide, report.
  auto record = [&](std::size_t p, std::size_t f, FitResult<T>& r, double seconds, double held) {
    Chain& chain = chains[f];
    result.points[p].fold_errors[f] = held;
    fit_seconds[p][f] = seconds;
    fit_train[p][f] = r.relative_error;
    fit_iterations[p][f] = r.iterations;
    if (f == 0 && o.keep_components) fold_h[p][0] = r.H;
    chain.w = std::move(r.W);
    chain.h = std::move(r.H);
    ++finished[p];
    ++fits_done;
    last_fit_seconds = seconds;
    last_fit_k = o.ks[p];
    std::vector<const RankPoint*> newly;
    while (complete < limit && finished[complete] == o.folds) {
      RankPoint& point = result.points[complete];
      summarise_point(result.points, complete);
      for (std::size_t g = 0; g < folds.size(); ++g) {
        point.seconds += fit_seconds[complete][g];
        point.train_error += fit_train[complete][g] / double(folds.size());
        point.iterations += fit_iterations[complete][g] / double(folds.size());
      }
      if (o.keep_components)
        point.components.assign(fold_h[complete][0].values.begin(),
                                fold_h[complete][0].values.end());
      fold_h[complete].clear();
      ++complete;
      newly.push_back(&point);
      const std::size_t chosen = decide(result, complete, o);
      if (o.patience > 0 && complete < total_points &&
          complete - 1 - chosen >= static_cast<std::size_t>(o.patience)) {
        limit = complete;
        result.stopped_early = true;
      }
    }
    if (!o.progress) return;
    RankProgress progress;
    progress.k = o.ks[p];
    progress.fold = static_cast<int>(f);
    progress.fits_done = fits_done;
    progress.fits_at_most = o.folds * static_cast<int>(limit.load());
    progress.ranks_done = static_cast<int>(complete);
    progress.seconds = elapsed();
    progress.seconds_left = seconds_left();
    if (newly.empty()) newly.push_back(nullptr);
    for (const RankPoint* point : newly) {
      progress.finished = point;
      if (!stop && !o.progress(progress)) stop = true;
    }
  };
  auto worker = [&]() {
    std::unique_lock<std::mutex> guard(lock);
    while (!stop) {
      std::size_t f = 0;
      bool found = false, busy = false;
      for (std::size_t c = 0; c < chains.size(); ++c) {
        const Chain& ch = chains[c];
        busy = busy || ch.running;
        if (!ch.running && !ch.error && ch.next < limit && ch.next <= complete + 1 &&
            (!found || ch.next < chains[f].next)) {
          f = c;
          found = true;
        }
      }
      if (!found) {
        if (!busy) break;  // nothing runs, nothing can start: the scan is over
        changed.wait(guard);
        continue;
      }
      Chain& chain = chains[f];
      const std::size_t p = chain.next;
      chain.running = true;
      guard.unlock();

      const Fold& fold = folds[f];
      const Clock::time_point t0 = Clock::now();
      FitResult<T> r;
      std::exception_ptr failed;
      double held = 0;
      try {
        FitOptions fo = o.fit;
        fo.k = o.ks[p];
        fo.threads = inner_cv;
        fo.progress = [&o, &limit, p](const Progress& q) {  // a fit past the end stops early
          return p < limit.load() && (!o.fit.progress || o.fit.progress(q));
        };
        const DenseView<std::uint8_t> mask(fold.fitted.data(), x.rows, x.cols);
        if (o.warm_start && p > 0) {
          Matrix<T> w0, h0;
          const StartFactors<T> start =
              extended(x, fold.fitted, chain.w, chain.h, Index(o.ks[p] - o.ks[p - 1]),
                       fo.solver == "mu", w0, h0);
          fo.init = Init::kCustom;
          if (!fo.shuffle) fo.seed = 0;  // nothing random is left: the seed must not be set
          r = fit(x, mask, fo, &start);
        } else {
          r = fit(x, mask, fo);
        }
        held = held_out_error(x, r, fold.held);
      } catch (...) {
        failed = std::current_exception();
      }
      const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();

      guard.lock();
      chain.running = false;
      if (failed) {
        chain.error = failed;
      } else if (p < limit) {
        try {
          record(p, f, r, seconds, held);
        } catch (...) {
          if (!error) error = std::current_exception();
          stop = true;
        }
        chain.next = p + 1;
      }
      changed.notify_all();
    }
    changed.notify_all();
  };
  // One fit at a time runs outside any parallel region: OpenMP would otherwise start a fresh
  // team for every nested region of the fit's kernels, which costs more than the kernels.
  if (outer_cv == 1) {
    worker();
  } else {
#pragma omp parallel num_threads(outer_cv)
    worker();
  }
  if (error) std::rethrow_exception(error);
  // A fit that failed before the end of the scan: the first such candidate's, lowest fold first.
  const Chain* first_failed = nullptr;
  for (const Chain& ch : chains)
    if (ch.error && ch.next < limit && (first_failed == nullptr || ch.next < first_failed->next))
      first_failed = &ch;
  if (first_failed != nullptr) std::rethrow_exception(first_failed->error);
  if (stop || complete < limit) throw Cancelled("rank selection stopped before it finished");
  result.points.resize(complete);

  // ---- The cophenetic correlation of every candidate scanned: independent random-start fits.
  if (o.cophenetic) {
    const Subset<T> subset =
        sample_subset(x_all, observed_all, result.cluster_samples, o.fit.seed, 2);
    std::vector<std::vector<std::vector<int>>> labels(
        complete, std::vector<std::vector<int>>(static_cast<std::size_t>(o.restarts)));
    const int total = static_cast<int>(complete) * o.restarts;
    const int outer = std::max(1, std::min(wanted, total));
    const int inner = outer > 1 ? 1 : threads;
    std::vector<double> task_seconds(static_cast<std::size_t>(total), 0.0);
    std::vector<std::vector<Matrix<T>>> restart_h(
        complete, std::vector<Matrix<T>>(static_cast<std::size_t>(o.restarts)));
    int done = 0;
    auto run = [&](int t) {
      {
        std::lock_guard<std::mutex> guard(lock);
        if (stop) return;
      }
      const std::size_t p =
          complete - 1 - static_cast<std::size_t>(t / o.restarts);  // largest k first
      const int restart = t % o.restarts;
      const Clock::time_point t0 = Clock::now();
      try {
        FitOptions fo = o.fit;
        fo.k = o.ks[p];
        fo.threads = inner;
        fo.init = Init::kRandom;
        fo.seed = (o.fit.seed + static_cast<std::uint64_t>(restart)) & 0xffffffffu;
        const DenseView<T> sx = subset.x.view();
        const DenseView<std::uint8_t> sm(subset.observed.data(), sx.rows, sx.cols);
        const FitResult<T> r = observed_all != nullptr ? fit(sx, sm, fo) : fit(sx, fo);
        labels[p][static_cast<std::size_t>(restart)] = core::cluster_labels(r.W);
        restart_h[p][static_cast<std::size_t>(restart)] = r.H;
      } catch (...) {
        std::lock_guard<std::mutex> guard(lock);
        if (!error) error = std::current_exception();
        stop = true;
        return;
      }
      std::lock_guard<std::mutex> guard(lock);
      task_seconds[static_cast<std::size_t>(t)] =
          std::chrono::duration<double>(Clock::now() - t0).count();
      ++done;
      if (o.progress) {
        RankProgress progress;
        progress.k = o.ks[p];
        progress.fold = restart;
        progress.consensus = true;
        progress.fits_done = fits_done + done;
        progress.fits_at_most = fits_done + total;
        progress.ranks_done = static_cast<int>(complete);
        progress.seconds = elapsed();
        progress.seconds_left =
            task_seconds[static_cast<std::size_t>(t)] * double(total - done) / double(outer);
        try {  // the caller's code must not throw out of a parallel region
          if (!stop && !o.progress(progress)) stop = true;
        } catch (...) {
          if (!error) error = std::current_exception();
          stop = true;
        }
      }
    };
    if (outer == 1) {
      for (int t = 0; t < total; ++t) run(t);
    } else {
#pragma omp parallel for schedule(dynamic, 1) num_threads(outer)
      for (int t = 0; t < total; ++t) run(t);
    }
    if (error) std::rethrow_exception(error);
    if (stop) throw Cancelled("rank selection stopped before it finished");
    for (int t = 0; t < total; ++t)  // in task order: the same sums every time
      result.points[complete - 1 - static_cast<std::size_t>(t / o.restarts)].seconds +=
          task_seconds[static_cast<std::size_t>(t)];
    for (std::size_t p = 0; p < complete; ++p) {
      result.points[p].cophenetic = core::cophenetic_correlation(labels[p]);
      result.points[p].stability = restart_stability(restart_h[p]);
    }
  }
  result.seconds = elapsed();
  return result;
}

}  // namespace

const char* rank_rule_name(RankRule rule) {
  switch (rule) {
    case RankRule::kAuto:
      return "auto";
    case RankRule::kMinimum:
      return "minimum";
    case RankRule::kKnee:
      return "knee";
  }
  return "?";
}

RankRule parse_rank_rule(std::string_view name) {
  for (RankRule r : {RankRule::kAuto, RankRule::kMinimum, RankRule::kKnee})
    if (name == rank_rule_name(r)) return r;
  throw InvalidArgument("unknown rule '" + std::string(name) + "' (choose auto, minimum or knee)");
}

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
  if (!(knee_fraction > 0 && knee_fraction < 1))
    throw InvalidArgument("the knee fraction must be in (0, 1), got " +
                          std::to_string(knee_fraction));
  if (!(knee_relative_gain > 0 && knee_relative_gain <= 1))
    throw InvalidArgument("the knee's relative gain must be in (0, 1], got " +
                          std::to_string(knee_relative_gain));
  if (patience < 0)
    throw InvalidArgument("patience must be >= 0 (0 = scan every candidate), got " +
                          std::to_string(patience));
  if (sample_rows < 0)
    throw InvalidArgument("sample_rows must be >= 0 (0 = automatic), got " +
                          std::to_string(sample_rows));
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

namespace {

template <typename T>
RowSource<T> dense_rows(const DenseView<T>& x) {
  return {x.rows, x.cols, [&x](Index i, T* out) { std::copy(x.row(i), x.row(i) + x.cols, out); },
          &x};
}

/// 8-bit levels' rows decoded as the fit decodes them (core::level_palette, which checks the
/// scale); `read(i, levels)` gives row i's levels.
RowSource<float> level_rows(Index rows, Index cols, double scale,
                            std::function<void(Index, std::uint8_t*)> read) {
  if (rows <= 0 || cols <= 0)
    throw DataError("X is empty (" + std::to_string(rows) + " x " + std::to_string(cols) +
                    "); it needs at least one sample and one feature");
  const std::array<float, 256> palette = core::level_palette<float>(scale);
  auto levels = std::make_shared<std::vector<std::uint8_t>>(static_cast<std::size_t>(cols));
  return {rows, cols, [palette, levels, read = std::move(read), cols](Index i, float* out) {
            read(i, levels->data());
            for (Index j = 0; j < cols; ++j)
              out[j] = palette[(*levels)[static_cast<std::size_t>(j)]];
          }};
}

}  // namespace

RankResult select_rank(const DenseView<float>& x, const RankOptions& options,
                       const DenseView<std::uint8_t>* observed) {
  return select_rank_impl(dense_rows(x), options, observed);
}
RankResult select_rank(const DenseView<double>& x, const RankOptions& options,
                       const DenseView<std::uint8_t>* observed) {
  return select_rank_impl(dense_rows(x), options, observed);
}

template <typename T, typename I>
RankResult select_rank(const CsrView<T, I>& x, const RankOptions& options) {
  options.validate();
  // fit()'s checks of the structure and the values (the final fit makes them again).
  const core::CsrViewStorage<T, I> checked(
      x, options.fit.threads > 0 ? options.fit.threads : omp_get_max_threads());
  std::vector<T> buffer;
  const RowSource<T> rows{x.rows, x.cols, [&](Index i, T* out) {
                            const DenseView<T> row = checked.row_block(i, 1, buffer);
                            std::copy(row.row(0), row.row(0) + x.cols, out);
                          }};
  return select_rank_impl(rows, options, nullptr);
}
template RankResult select_rank(const CsrView<float, std::int32_t>&, const RankOptions&);
template RankResult select_rank(const CsrView<float, std::int64_t>&, const RankOptions&);
template RankResult select_rank(const CsrView<double, std::int32_t>&, const RankOptions&);
template RankResult select_rank(const CsrView<double, std::int64_t>&, const RankOptions&);

RankResult select_rank(const LevelsView& x, const RankOptions& options) {
  if (x.levels.rows > 0 && x.levels.cols > 0 && x.levels.data == nullptr)
    throw InvalidArgument("the levels of X have no data pointer");
  const DenseView<std::uint8_t> levels = x.levels;
  return select_rank_impl(level_rows(levels.rows, levels.cols, x.scale,
                                     [levels](Index i, std::uint8_t* out) {
                                       std::copy(levels.row(i), levels.row(i) + levels.cols, out);
                                     }),
                          options, nullptr);
}

RankResult select_rank(const LevelsSource& x, const RankOptions& options) {
  if (!x.read) throw InvalidArgument("the levels source of X has no read function");
  return select_rank_impl(
      level_rows(x.rows, x.cols, x.scale, [&x](Index i, std::uint8_t* out) { x.read(i, 1, out); }),
      options, nullptr);
}

}  // namespace nmfkit
