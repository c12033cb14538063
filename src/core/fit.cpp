// The fit driver: owns the loop. Initialise, alternate the W and H updates, evaluate the loss by
// the Gram trick (never forming W·H), record history, report progress, stop.
#include "nmfkit/fit.hpp"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <string>

#include "core/data.hpp"
#include "core/init.hpp"
#include "kernels/dense.hpp"
#include "nmfkit/errors.hpp"
#include "solvers/update_rule.hpp"

namespace nmfkit {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Adds the time the enclosing scope takes to a counter.
class ScopedTimer {
 public:
  explicit ScopedTimer(double& total) : total_(total), start_(Clock::now()) {}
  ~ScopedTimer() { total_ += since(start_); }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  double& total_;
  Clock::time_point start_;
};

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

template <typename T>
FitResult<T> fit_impl(const DenseView<T>& view, const FitOptions& options) {
  const Clock::time_point start = Clock::now();
  options.validate();
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const kernels::SingleThreadedBlas single_threaded_blas;

  FitResult<T> result;
  result.seed = options.seed;
  result.threads = threads;
  result.solver = options.solver;
  result.init = options.init;
  Timings& time = result.timings;

  // Checks the data before its shape is used; the fit runs on X/rms(X).
  const core::DenseData<T> x(view, threads, /*normalize=*/true);
  options.validate(view.rows, view.cols);
  const Index n = x.rows(), m = x.cols(), k = options.k;
  // The fit runs on X/c (see Data); c and c² turn its errors and losses back into X's.
  const double c = x.scale();
  const double x2 = x.squared_norm();
  result.x_norm = std::sqrt(x2) * c;

  core::Factors<T> f;
  {
    ScopedTimer timer(time.init);
    f = core::initialize(x, options);
  }
  auto rule = rules::make_update_rule<T>(options.solver, options);

  Matrix<T> xh(n, k), xtw(m, k);
  Matrix<double> gram_w(k, k), gram_h(k, k);
  auto compute_gram = [&](const Matrix<T>& factor, Matrix<double>& out) {
    ScopedTimer timer(time.grams);
    kernels::gram(factor.data(), factor.rows, k, out.data(), threads);
  };
  compute_gram(f.ht, gram_h);

  auto report = [&](double loss) {
    if (!std::isfinite(loss))
      throw NumericError("the loss became " + std::to_string(loss) + " at iteration " +
                         std::to_string(result.iterations) + "; the fit broke down");
    result.loss_history.push_back(loss * c * c);
  };

  for (int it = 1; it <= options.max_iter; ++it) {
    {
      ScopedTimer timer(time.products);
      x.times(f.ht.data(), k, xh.data());  // X·Hᵀ
    }
    if (it == 1) {
      compute_gram(f.w, gram_w);
      ScopedTimer timer(time.loss);
      report(gram_loss(x2, f.w, xh, gram_w, gram_h, threads));
    }
    {
      ScopedTimer timer(time.updates);
      rule->update(f.w, xh, gram_h, threads);
    }
    {
      ScopedTimer timer(time.products);
      x.transpose_times(f.w.data(), k, xtw.data());  // Xᵀ·W
    }
    compute_gram(f.w, gram_w);
    {
      ScopedTimer timer(time.updates);
      rule->update(f.ht, xtw, gram_w, threads);
    }
    compute_gram(f.ht, gram_h);
    double loss;
    {
      ScopedTimer timer(time.loss);
      loss = gram_loss(x2, f.ht, xtw, gram_h, gram_w, threads);
    }
    result.iterations = it;
    report(loss);

    const double error = std::sqrt(2 * loss) * c;
    if (options.progress) {
      Progress p{
          it,          options.max_iter, loss * c * c, error, x2 > 0 ? error / result.x_norm : 0.0,
          since(start)};
      if (!options.progress(p)) break;
    }
    // Converged: the last kStopWindow iterations together lowered the error by at most tol·error.
    if (options.tol > 0 && it >= kStopWindow) {
      const double earlier = std::sqrt(2 * result.loss_history[it - kStopWindow]);
      if (earlier - error <= options.tol * earlier) {
        result.converged = true;
        break;
      }
    }
  }

  result.H = transposed(f.ht.view());
  {
    // The history uses the Gram trick; the final error is computed directly, which costs about
    // half a product and does not suffer the trick's cancellation near an exact fit.
    ScopedTimer timer(time.loss);
    result.error = std::sqrt(x.residual_squared_norm(f.w.data(), result.H.data(), k)) * c;
  }
  if (!std::isfinite(result.error) || !all_finite(f.w) || !all_finite(result.H))
    throw NumericError("the factors became non-finite after " + std::to_string(result.iterations) +
                       " iterations; the fit broke down");
  // W·H ≈ X/c: give each factor √c, as the same fit on X itself would have.
  result.W = std::move(f.w);
  scale_in_place(result.W, std::sqrt(c));
  scale_in_place(result.H, std::sqrt(c));
  result.relative_error = x2 > 0 ? result.error / result.x_norm : 0.0;
  result.seconds = since(start);
  return result;
}

}  // namespace

FitResult<float> fit(const DenseView<float>& x, const FitOptions& options) {
  return fit_impl(x, options);
}
FitResult<double> fit(const DenseView<double>& x, const FitOptions& options) {
  return fit_impl(x, options);
}

}  // namespace nmfkit
