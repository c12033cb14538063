// The fit driver: owns the loop. Initialise, alternate the W and H updates, evaluate the
// objective, record history, report progress, stop. For the Frobenius loss the update rules see
// only the products X·Hᵀ, Xᵀ·W and the Gram matrices, and the loss comes from the Gram trick
// (never forming W·H); for other β-divergences the elementwise multiplicative updates of
// core/beta.hpp run instead. Everything runs on X/c (see core/data.hpp) and is scaled back.
#include "nmfkit/fit.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/beta.hpp"
#include "core/data.hpp"
#include "core/init.hpp"
#include "core/make_data.hpp"
#include "core/penalty.hpp"
#include "core/timing.hpp"
#include "kernels/dense.hpp"
#include "nmfkit/errors.hpp"
#include "solvers/update_rule.hpp"

namespace nmfkit {

namespace {

using core::Clock;
using core::ScopedTimer;
using core::since;

/// The stopping rule looks at the error's decrease over this many iterations.
constexpr int kStopWindow = 10;

/// ½‖X−F·Oᵀ‖² = ½‖X‖² − ⟨F, P⟩ + ½⟨G_F, G_O⟩, where P = X·O (or Xᵀ·O) matches F's rows.
/// Rounding can make it slightly negative near an exact fit: that is clamped to 0, while NaN
/// passes through for the caller to report.
template <typename T>
double gram_loss(double x_squared_norm, const Matrix<T>& f, const Matrix<T>& p,
                 const Matrix<double>& gram_f, const Matrix<double>& gram_o, int threads) {
  const double cross = kernels::dot(f.data(), p.data(), f.rows * f.cols, threads);
  const double quad = kernels::dot(gram_f.data(), gram_o.data(), gram_f.rows * gram_f.cols, 1);
  const double loss = 0.5 * x_squared_norm - cross + 0.5 * quad;
  return loss < 0 ? 0.0 : loss;
}

template <typename T>
bool all_finite(const Matrix<T>& m) {
  for (T v : m.values)
    if (!std::isfinite(v)) return false;
  return true;
}

template <typename T>
void scale_in_place(Matrix<T>& m, double factor) {
  for (T& v : m.values) v = static_cast<T>(double(v) * factor);
}

/// A copy of `v` (rows × cols expected) divided by `divisor`, checked.
template <typename T>
Matrix<T> checked_copy(const DenseView<T>& v, Index rows, Index cols, const char* name,
                       double divisor) {
  if (v.data == nullptr || v.rows != rows || v.cols != cols)
    throw InvalidArgument(std::string(name) + " must be " + std::to_string(rows) + " x " +
                          std::to_string(cols) + ", got " + std::to_string(v.rows) + " x " +
                          std::to_string(v.cols));
  Matrix<T> m(rows, cols);
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < cols; ++j) {
      const T value = v(i, j);
      if (!(value >= 0) || !std::isfinite(value))
        throw DataError(std::string(name) + " must be non-negative and finite, but has " +
                        std::to_string(double(value)) + " at row " + std::to_string(i) +
                        ", column " + std::to_string(j));
      m(i, j) = static_cast<T>(double(value) / divisor);
    }
  return m;
}

/// Extrapolation with restarts (Ang & Gillis 2019, their projected variant, parameters as they
/// recommend for HALS): after W's update W is moved to max(0, Wₙ + β(Wₙ − Wₙ₋₁)) before H's update
/// uses it, and H likewise after its own update. The pair evaluated after each iteration is the
/// extrapolated W with the freshly updated H, whose error the Gram trick gives for free. When that
/// error rises, both factors restart from the last plain iterates and β shrinks; while it falls β
/// grows, up to a bound that itself grows slowly. The best pair seen is the result.
template <typename T>
class Extrapolation {
 public:
  double best_loss = 0, best_penalty = 0;

  /// x2: ‖X‖² of the data fitted. The Gram trick's rounding in T is about eps(T)·‖X‖² whatever
  /// the objective, so changes smaller than a margin of that size decide nothing (rounding
  /// should not steer the path), an iteration that gains less than the margin ends the
  /// extrapolation (plain iterations from there), and once the objective itself is within a
  /// floor of that size (about 1% relative error in float) the iterations are plain.
  void start(const core::Factors<T>& f, double loss, double penalty, double x2, int threads) {
    threads_ = threads;
    const double unit = std::numeric_limits<T>::epsilon() * 0.5 * x2;
    margin_ = kMarginEpsilons * unit;
    floor_ = kFloorEpsilons * unit;
    w_last_ = f.w;
    // Sized here: step_w_rows and save_best_w_rows run on many threads.
    w_plain_ = Matrix<T>(f.w.rows, f.w.cols);
    best_w_ = Matrix<T>(f.w.rows, f.w.cols);
    h_last_ = f.ht;
    keep_best(f, loss, penalty);
    previous_ = loss + penalty;
  }

  /// The best pair's W is kept lazily: while it is the current W nothing is copied; it is saved
  /// just before the current W changes, by save_best_w (whole) or, in the fused pass, by
  /// save_best_w_rows (each block of rows before its update) followed by best_w_saved.
  void save_best_w(const Matrix<T>& w) {
    if (!best_w_is_current_) return;
    best_w_ = w;
    best_w_is_current_ = false;
  }
  void save_best_w_rows(const Matrix<T>& w, Index first, Index count) {
    if (!best_w_is_current_) return;
    std::copy_n(w.data() + first * w.cols, count * w.cols, best_w_.data() + first * w.cols);
  }
  void best_w_saved() { best_w_is_current_ = false; }

  /// After W's update: remember the plain W and extrapolate it in place.
  void step_w(Matrix<T>& w) {
    w_plain_ = w;
    move(w, w_plain_, w_last_);
  }

  /// step_w for rows [first, first + count) of W alone (the fused pass: one block of rows, on one
  /// thread, while others run other blocks).
  void step_w_rows(Matrix<T>& w, Index first, Index count) {
    const Index begin = first * w.cols, size = count * w.cols;
    // The next block's rows, on their way into the cache while this block is moved.
    const Index next_end = std::min(begin + 2 * size, Index(w.values.size()));
    for (Index i = begin + size; i < next_end; i += 64 / Index(sizeof(T))) {
      __builtin_prefetch(w_last_.data() + i);
      __builtin_prefetch(w_plain_.data() + i, 1);
    }
    std::copy_n(w.data() + begin, size, w_plain_.data() + begin);
    move_range(w.data() + begin, w_plain_.data() + begin, w_last_.data() + begin, size,
               step_beta());
  }

  /// After H's update, given the objective of (extrapolated W, updated H).
  void finish(core::Factors<T>& f, double loss, double penalty) {
    const double objective = loss + penalty;
    if (below_floor()) {
      // Plain iterations lower the objective, except right after a restart: keep the best.
      if (objective <= best_loss + best_penalty) keep_best(f, loss, penalty);
      std::swap(w_last_, w_plain_);
      h_last_ = f.ht;
      previous_ = objective;
      return;
    }
    if (objective < best_loss + best_penalty - margin_) keep_best(f, loss, penalty);
    // Progress within the margin: extrapolation has done its work; plain iterations from here.
    if (objective <= previous_ && objective > previous_ - margin_) plain_ = true;
    if (objective > previous_ + margin_) {
      save_best_w(f.w);
      f.w = w_last_;
      f.ht = h_last_;
      beta_bar_ = beta_before_;
      beta_before_ = beta_;
      beta_ /= kEta;
    } else {
      std::swap(w_last_, w_plain_);
      Matrix<T> h_plain = f.ht;
      move(f.ht, h_plain, h_last_);
      h_last_ = std::move(h_plain);
      beta_before_ = beta_;
      beta_ = std::min(beta_bar_, kGamma * beta_);
      beta_bar_ = std::min(1.0, kGammaBar * beta_bar_);
    }
    previous_ = objective;
  }

  void take_best(core::Factors<T>& f) {
    if (!best_w_is_current_) f.w = std::move(best_w_);
    f.ht = std::move(best_h_);
  }

 private:
  static constexpr double kBeta0 = 0.5, kEta = 1.5, kGamma = 1.01, kGammaBar = 1.005;
  static constexpr double kMarginEpsilons = 2, kFloorEpsilons = 1024;

  /// Whether the objective is too small for extrapolation's decisions (see start()).
  bool below_floor() const { return plain_ || previous_ <= floor_; }

  void keep_best(const core::Factors<T>& f, double loss, double penalty) {
    best_w_is_current_ = true;  // copied only when f.w is about to change (save_best_w)
    best_h_ = f.ht;
    best_loss = loss;
    best_penalty = penalty;
  }

  double step_beta() const { return below_floor() ? 0.0 : beta_; }

  /// o[i] = max(0, p[i] + beta·(p[i] − l[i])) for i < size.
  static void move_range(T* o, const T* p, const T* l, Index size, double beta) {
#pragma omp simd
    for (Index i = 0; i < size; ++i) {
      const auto v = static_cast<T>(double(p[i]) + beta * (double(p[i]) - double(l[i])));
      o[i] = std::max(T(0), v);  // max in T: GCC vectorises it at -O2; NaN gives 0
    }
  }

  /// out = max(0, plain + β·(plain − last)), in parallel blocks.
  void move(Matrix<T>& out, const Matrix<T>& plain, const Matrix<T>& last) const {
    constexpr Index kBlock = 1 << 14;
    const auto size = static_cast<Index>(plain.values.size());
    const double beta = step_beta();
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (Index b = 0; b < size; b += kBlock)
      move_range(out.data() + b, plain.data() + b, last.data() + b, std::min(kBlock, size - b),
                 beta);
  }

  Matrix<T> w_last_, h_last_, w_plain_, best_w_, best_h_;
  double beta_ = kBeta0, beta_before_ = kBeta0, beta_bar_ = 1, previous_ = 0, margin_ = 0,
         floor_ = 0;
  bool plain_ = false, best_w_is_current_ = false;
  int threads_ = 1;
};

/// One run of the alternating iterations on scaled data; fills result's history, iterations,
/// converged, error and timings. With update_h false only W changes (transform).
template <typename T>
class Driver {
 public:
  Driver(const core::Data<T>& x, const DenseView<T>* dense, const FitOptions& o, int threads,
         Clock::time_point start, FitResult<T>& result)
      : x_(x),
        dense_(dense),
        o_(o),
        threads_(threads),
        start_(start),
        result_(result),
        c_(x.scale()),
        loss_units_(std::pow(x.scale(), o.beta)),
        penalties_(core::penalties(o, x.rows(), x.cols(), x.scale())) {}

  void run(core::Factors<T>& f, bool update_h) {
    if (o_.beta == 2)
      run_frobenius(f, update_h);
    else
      run_beta(f, update_h);
  }

 private:
  void run_frobenius(core::Factors<T>& f, bool update_h) {
    Timings& time = result_.timings;
    const Index k = f.w.cols;
    const double x2 = x_.squared_norm();
    auto rule = rules::make_update_rule<T>(o_.solver, o_);
    Matrix<T> xh(x_.rows(), k), xtw(x_.cols(), k);
    Matrix<double> gram_w(k, k), gram_h(k, k);
    auto gram = [&](const Matrix<T>& factor, Matrix<double>& out) {
      ScopedTimer timer(time.grams);
      kernels::gram(factor.data(), factor.rows, k, out.data(), threads_);
    };
    auto x_times_h = [&] {
      ScopedTimer timer(time.products);
      x_.times(f.ht.data(), k, xh.data());  // X·Hᵀ
    };
    const bool extrapolate = update_h && o_.extrapolate && rule->allows_extrapolation();
    Extrapolation<T> ex;
    gram(f.ht, gram_h);
    if (!update_h) x_times_h();  // H is fixed: X·Hᵀ once
    double violation_init = 0;
    std::vector<double> row_violation;
    std::vector<rules::LaneScratch> scratch;
    for (int it = 1; it <= o_.max_iter; ++it) {
      // The first iteration's loss needs X·Hᵀ and WᵀW before W's update: no fused pass there.
      std::optional<rules::LanesProblem> fused;
      if (update_h && it > 1 && o_.fused_pass && x_.has_fused_w_pass())
        fused = rule->lanes_problem(gram_h, penalties_.w);
      double violation = 0;
      if (fused) {
        // W's update inside one pass over X that also forms Xᵀ·W and WᵀW (core/data.hpp).
        row_violation.resize(static_cast<std::size_t>(f.w.rows));
        if (scratch.empty())
          scratch.assign(static_cast<std::size_t>(std::max(threads_, omp_get_max_threads())),
                         rules::LaneScratch(k));
        auto block = [&](Index first, Index count, const T* p) {
          if (extrapolate) ex.save_best_w_rows(f.w, first, count);
          rules::coordinate_descent_lanes(f.w.row(first), p, count, fused->l1, fused->g.data(), k,
                                          fused->control,
                                          scratch[static_cast<std::size_t>(omp_get_thread_num())],
                                          row_violation.data() + first);
          if (extrapolate) ex.step_w_rows(f.w, first, count);
        };
        ScopedTimer timer(time.fused);
        x_.fused_w_pass(f.ht.data(), k, f.w.data(), rules::kLanes, block, xtw.data(),
                        gram_w.data());
        if (extrapolate) ex.best_w_saved();
        for (double v : row_violation) violation += v;
      }
      if (!fused) {
        if (update_h) x_times_h();
        if (it == 1) {
          gram(f.w, gram_w);
          ScopedTimer timer(time.loss);
          const double loss = gram_loss(x2, f.w, xh, gram_w, gram_h, threads_);
          record(loss, penalty(f));
          if (extrapolate) ex.start(f, loss, penalty(f), x2, threads_);
        }
        {
          ScopedTimer timer(time.updates);
          if (extrapolate) ex.save_best_w(f.w);
          violation = rule->update(f.w, xh, gram_h, penalties_.w, threads_);
          if (extrapolate) ex.step_w(f.w);
        }
        gram(f.w, gram_w);
        if (update_h) {
          ScopedTimer timer(time.products);
          x_.transpose_times(f.w.data(), k, xtw.data());  // Xᵀ·W
        }
      }
      double loss;
      if (update_h) {
        {
          ScopedTimer timer(time.updates);
          violation += rule->update(f.ht, xtw, gram_w, penalties_.h, threads_);
        }
        gram(f.ht, gram_h);
        ScopedTimer timer(time.loss);
        loss = gram_loss(x2, f.ht, xtw, gram_h, gram_w, threads_);
      } else {
        ScopedTimer timer(time.loss);
        loss = gram_loss(x2, f.w, xh, gram_w, gram_h, threads_);
      }
      result_.iterations = it;
      if (extrapolate) {
        ScopedTimer timer(time.updates);
        ex.finish(f, loss, penalty(f));
        gram(f.ht, gram_h);  // H changed: extrapolated, or back to the last plain iterate
        record(ex.best_loss, ex.best_penalty);
      } else {
        record(loss, penalty(f));
      }
      if (it == 1) violation_init = violation;
      if (!progress(it)) break;
      const bool done = rule->stop_rule() == rules::StopRule::kViolation
                            ? violation_init == 0 || violation <= o_.tol * violation_init
                            : error_window_met(it);
      if (done) {
        result_.converged = true;
        break;
      }
    }
    if (extrapolate) ex.take_best(f);
  }

  void run_beta(core::Factors<T>& f, bool update_h) {
    if (dense_ == nullptr)
      throw InvalidArgument("the " + loss_name(o_.beta) +
                            " loss needs the dense format (use format dense or auto)");
    Timings& time = result_.timings;
    const double inverse_scale = 1 / c_;
    auto divergence = [&] {
      ScopedTimer timer(time.loss);
      return core::beta_divergence(*dense_, inverse_scale, f.w, f.ht, o_.beta, threads_);
    };
    // Tiny entries are set to 0 for stability, as scikit-learn does: W's for β < 1, H's for
    // β ≤ 1 (its threshold is float64's epsilon, applied here to the scaled factors).
    auto clip = [](Matrix<T>& m, bool apply) {
      if (!apply) return;
      for (T& v : m.values)
        if (double(v) < 2.220446049250313e-16) v = T(0);
    };
    record(divergence(), penalty(f));
    for (int it = 1; it <= o_.max_iter; ++it) {
      {
        ScopedTimer timer(time.updates);
        core::beta_mu_update_w(*dense_, inverse_scale, f.w, f.ht, o_.beta, penalties_.w.l1,
                               penalties_.w.l2, threads_);
        clip(f.w, o_.beta < 1);
        if (update_h) {
          core::beta_mu_update_h(*dense_, inverse_scale, f.w, f.ht, o_.beta, penalties_.h.l1,
                                 penalties_.h.l2, threads_);
          clip(f.ht, o_.beta <= 1);
        }
      }
      result_.iterations = it;
      record(divergence(), penalty(f));
      if (!progress(it)) return;
      if (error_window_met(it)) {
        result_.converged = true;
        return;
      }
    }
  }

  double penalty(const core::Factors<T>& f) const {
    return core::penalty_value(f.w, penalties_.w) + core::penalty_value(f.ht, penalties_.h);
  }

  /// Appends the objective (data term + penalty) of the scaled problem to the history, in X's
  /// units; the data term alone is what progress reports as the error.
  void record(double data_loss, double penalty_term) {
    const double loss = data_loss + penalty_term;
    if (!std::isfinite(loss))
      throw NumericError("the loss became " + std::to_string(loss) + " at iteration " +
                         std::to_string(result_.iterations) + "; the fit broke down");
    result_.loss_history.push_back(loss * loss_units_);
    result_.history_seconds.push_back(since(start_));
    data_loss_ = data_loss * loss_units_;
  }

  double error_at(std::size_t i) const { return std::sqrt(2 * result_.loss_history[i]); }

  /// Calls the progress callback; false when it asks to stop.
  bool progress(int it) const {
    if (!o_.progress) return true;
    const double loss = result_.loss_history.back();
    const double error = std::sqrt(2 * data_loss_);
    Progress p{it,
               o_.max_iter,
               loss,
               error,
               result_.x_norm > 0 ? error / result_.x_norm : 0.0,
               since(start_),
               result_.timings};
    return o_.progress(p);
  }

  /// The last kStopWindow iterations together lowered the error by at most tol·error.
  bool error_window_met(int it) const {
    if (o_.tol <= 0 || it < kStopWindow) return false;
    const double earlier = error_at(static_cast<std::size_t>(it - kStopWindow));
    return earlier - error_at(static_cast<std::size_t>(it)) <= o_.tol * earlier;
  }

  const core::Data<T>& x_;
  const DenseView<T>* dense_;
  const FitOptions& o_;
  int threads_;
  Clock::time_point start_;
  FitResult<T>& result_;
  double c_;
  double loss_units_;
  core::Penalties penalties_;
  double data_loss_ = 0;  ///< the latest objective without the penalty, in X's units
};

/// The data of a dense X, for solve().
template <typename T>
auto dense_data(const DenseView<T>& x) {
  return [x](DataFormat format, double beta, int threads) {
    return core::make_data(x, format, beta, threads);
  };
}

/// What fit() and transform() share: checks, the data, the run, the final error and scaling.
/// `make_data(format, beta, threads)` gives the checked data.
template <typename T, typename MakeData>
FitResult<T> solve(MakeData&& make_data, const FitOptions& options, const StartFactors<T>* start,
                   const DenseView<T>* fixed_h) {
  const Clock::time_point started = Clock::now();
  options.validate();
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const kernels::SingleThreadedBlas single_threaded_blas;

  FitResult<T> result;
  result.seed = options.seed;
  result.threads = threads;
  result.solver = options.solver;
  result.init = options.init;
  Timings& time = result.timings;

  // Checks the data before its shape is used; the fit runs on X/c.
  const std::unique_ptr<core::DataChoice<T>> choice =
      make_data(options.format, options.beta, threads);
  const core::DataChoice<T>& data = *choice;
  result.format = data.dense != nullptr ? "dense" : "sparse";
  const core::Data<T>& x = *data.data;
  // k is bounded by the data it is fitted on; transform takes it from the fitted H instead.
  const Index n = x.rows(), m = x.cols(), k = options.k;
  if (fixed_h == nullptr) options.validate(n, m);
  const double c = x.scale();
  result.x_norm = std::sqrt(x.squared_norm()) * c;
  if (options.beta <= 0 && data.has_zero)
    throw DataError("X has zeros, which the " + loss_name(options.beta) +
                    " loss (beta <= 0) cannot fit; add a small positive value to X or use a "
                    "loss with beta > 0");

  core::Factors<T> f;
  {
    ScopedTimer timer(time.init);
    const double root_c = std::sqrt(c);
    if (fixed_h != nullptr) {
      f.ht = transposed(checked_copy(*fixed_h, k, m, "H", root_c).view());
      // scikit-learn's transform starts W at sqrt(mean(X)/k) for mu and at 0 otherwise.
      const double fill = options.solver == "mu" ? std::sqrt(x.mean() / double(k)) : 0.0;
      f.w = Matrix<T>(n, k, static_cast<T>(fill));
    } else if (options.init == Init::kCustom) {
      if (start == nullptr)
        throw InvalidArgument("init 'custom' needs the starting factors W0 and H0");
      f.w = checked_copy(start->w, n, k, "W0", root_c);
      f.ht = transposed(checked_copy(start->h, k, m, "H0", root_c).view());
    } else {
      f = core::initialize(x, options);
    }
  }

  Driver<T>(x, data.dense, options, threads, started, result).run(f, fixed_h == nullptr);

  result.H = transposed(f.ht.view());
  {
    ScopedTimer timer(time.loss);
    if (options.beta == 2) {
      // The history uses the Gram trick; the final error is computed directly, which costs
      // about half a product and does not suffer the trick's cancellation near an exact fit.
      result.error = std::sqrt(x.residual_squared_norm(f.w.data(), result.H.data(), k)) * c;
    } else {
      result.error = std::sqrt(
          2 * core::beta_divergence(*data.dense, 1 / c, f.w, f.ht, options.beta, threads) *
          std::pow(c, options.beta));
    }
  }
  if (!std::isfinite(result.error) || !all_finite(f.w) || !all_finite(result.H))
    throw NumericError("the factors became non-finite after " + std::to_string(result.iterations) +
                       " iterations; the fit broke down");
  // W·H ≈ X/c: give each factor √c, as the same fit on X itself would have.
  result.W = std::move(f.w);
  scale_in_place(result.W, std::sqrt(c));
  if (fixed_h != nullptr)
    result.H = checked_copy(*fixed_h, k, m, "H", 1.0);
  else
    scale_in_place(result.H, std::sqrt(c));
  result.relative_error = result.x_norm > 0 ? result.error / result.x_norm : 0.0;
  result.seconds = since(started);
  return result;
}

template <typename T>
FitResult<T> transform_impl(const DenseView<T>& x, const DenseView<T>& h,
                            const FitOptions& options) {
  if (h.data == nullptr || h.rows < 1)
    throw InvalidArgument("H must have at least one component, got " + std::to_string(h.rows));
  if (h.cols != x.cols)
    throw InvalidArgument("H has " + std::to_string(h.cols) + " features but X has " +
                          std::to_string(x.cols));
  FitOptions o = options;
  o.k = static_cast<int>(h.rows);
  return solve<T>(dense_data(x), o, nullptr, &h);
}

template <typename T>
Matrix<T> inverse_transform_impl(const DenseView<T>& w, const DenseView<T>& h) {
  if (w.cols != h.rows)
    throw InvalidArgument("W has " + std::to_string(w.cols) + " components but H has " +
                          std::to_string(h.rows));
  Matrix<T> out(w.rows, h.cols);
  for (Index i = 0; i < w.rows; ++i)
    for (Index l = 0; l < w.cols; ++l) {
      const double wil = w(i, l);
      if (wil == 0) continue;
      T* row = out.row(i);
      for (Index j = 0; j < h.cols; ++j) row[j] = static_cast<T>(row[j] + wil * h(l, j));
    }
  return out;
}

}  // namespace

FitResult<float> fit(const DenseView<float>& x, const FitOptions& options,
                     const StartFactors<float>* start) {
  return solve<float>(dense_data(x), options, start, nullptr);
}
FitResult<double> fit(const DenseView<double>& x, const FitOptions& options,
                      const StartFactors<double>* start) {
  return solve<double>(dense_data(x), options, start, nullptr);
}
FitResult<float> fit(const LevelsView& x, const FitOptions& options,
                     const StartFactors<float>* start) {
  const auto levels = [x](DataFormat format, double beta, int threads) {
    return core::make_data<float>(x.levels, x.scale, format, beta, threads);
  };
  return solve<float>(levels, options, start, nullptr);
}

FitResult<float> transform(const DenseView<float>& x, const DenseView<float>& h,
                           const FitOptions& options) {
  return transform_impl(x, h, options);
}
FitResult<double> transform(const DenseView<double>& x, const DenseView<double>& h,
                            const FitOptions& options) {
  return transform_impl(x, h, options);
}

Matrix<float> inverse_transform(const DenseView<float>& w, const DenseView<float>& h) {
  return inverse_transform_impl(w, h);
}
Matrix<double> inverse_transform(const DenseView<double>& w, const DenseView<double>& h) {
  return inverse_transform_impl(w, h);
}

}  // namespace nmfkit
