#include "core/solve.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "core/kl_sparse.hpp"
#include "core/randomized_svd.hpp"
#include "core/sketch.hpp"
#include "core/steps.hpp"
#include "kernels/blas_threads.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/solver.hpp"
#include "nmfkit/version.hpp"

namespace nmfkit::core {

namespace {

template <typename T>
void scale_in_place(Matrix<T>& m, double factor) {
  for (T& v : m.values) v = static_cast<T>(double(v) * factor);
}

/// The starting factors of the scaled problem.
template <typename T>
Factors<T> start_factors(const Problem<T>& problem, const Scaled<T>& x, const FitOptions& o,
                         const TruncatedSvd* sketch) {
  const Index n = x.rows(), m = x.cols(), k = o.k;
  const double root_c = std::sqrt(x.scale());
  Factors<T> f;
  if (problem.fixed_h != nullptr) {
    f.ht = checked_copy(*problem.fixed_h, k, m, "H", root_c, /*transpose=*/true);
    // scikit-learn's transform starts W at sqrt(mean(X)/k) for mu and at 0 otherwise; the
    // Kullback-Leibler and Itakura-Saito coordinate descent starts where mu does (from 0 its
    // Newton steps would only double W·H at each step, its quotients x/(W·H) being huge there).
    const double fill =
        o.solver == "mu" || divergence_rule_beta(o.beta) ? std::sqrt(x.mean() / double(k)) : 0.0;
    f.w = Matrix<T>(n, k, static_cast<T>(fill));
  } else if (o.init == Init::kCustom) {
    if (problem.start == nullptr)
      throw InvalidArgument("init 'custom' needs the starting factors W0 and H0");
    f.w = checked_copy(problem.start->w, n, k, "W0", root_c);
    f.ht = checked_copy(problem.start->h, k, m, "H0", root_c, /*transpose=*/true);
  } else {
    f = initialize(x, o, sketch);
  }
  return f;
}

}  // namespace

/// FitOptions::exact_when_few_zeros: X with fewer zeros than this fraction is fitted by exact
/// solves (measured: photo patches with 4.7% zeros gain, Fashion-MNIST with 50% loses).
constexpr double kFewZeros = 0.1;

template <typename T>
FitResult<T> solve(const Problem<T>& problem, const FitOptions& given, const FitContext& context) {
  FitOptions options = given;  // exact_when_few_zeros may change the rule
  FitResult<T> result;
  Context ctx;
  ctx.reducer = context.reducer;
  ctx.cancel = context.cancel;
  ctx.timings = &result.timings;
  options.validate();
  // The kernels' instruction set is chosen here, on the calling thread (a bad NMFKIT_ISA throws
  // here rather than inside a parallel loop).
  (void)kernel_isa();
  ctx.threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  if (ctx.reducer != nullptr && options.init != Init::kRandom && options.init != Init::kCustom)
    throw InvalidArgument("init '" + std::string(init_name(options.init)) +
                          "' needs all samples in one process; with samples split across "
                          "processes (a reducer) use init random or custom");
  const kernels::BlasThreadsGuard blas_threads;

  result.seed = options.seed;
  result.threads = ctx.threads;
  result.solver = options.solver;
  result.init = options.init;
  Timings& time = result.timings;
  // The loss: Frobenius fits read X through products only, Kullback-Leibler fits on sparse X
  // through its stored entries (core/kl_sparse.hpp), the others through blocks of rows.
  const bool frobenius = options.beta == 2;
  if (!frobenius && !problem.frobenius_only.empty())
    throw InvalidArgument(problem.frobenius_only + " need the frobenius loss, not the " +
                          loss_name(options.beta) + " loss");

  // Checks the data before its shape is used; the fit runs on X/c.
  const std::unique_ptr<DataChoice<T>> choice = problem.make_data(
      options.format,
      auto_sparse_zero_fraction(options.beta,
                                problem.fixed_h != nullptr ? problem.fixed_h->rows : options.k),
      ctx.threads);
  result.format = choice->format();
  if (options.exact_when_few_zeros && frobenius && options.solver == "hals" &&
      !options.extrapolate.has_value() && options.hals_max_sweeps == FitOptions{}.hals_max_sweeps &&
      options.hals_sweep_tol == FitOptions{}.hals_sweep_tol && problem.fixed_h == nullptr &&
      !problem.decorate && options.sketch == 0 && ctx.reducer == nullptr &&
      choice->external == nullptr && choice->dense && choice->zero_fraction < kFewZeros) {
    options.solver = "anls-bpp";
    options.extrapolate = true;
    result.solver = options.solver;
  }
  const Scaled<T> x(choice->storage(), ctx.threads, /*normalize=*/true, ctx.reducer);
  // k is bounded by the data it is fitted on; transform takes it from the fitted H instead.
  const Index k = options.k;
  if (problem.fixed_h == nullptr) options.validate(x.total_rows(), x.cols());
  const double c = x.scale();
  result.x_norm = std::sqrt(x.squared_norm()) * c;
  if (options.beta <= 0) {
    const bool zero =
        choice->external != nullptr ? x.storage().has_zero(ctx.threads) : choice->zero_fraction > 0;
    if (ctx.any(zero))
      throw DataError("X has zeros, which the " + loss_name(options.beta) +
                      " loss (beta <= 0) cannot fit; add a small positive value to X or use a "
                      "loss with beta > 0");
  }

  const bool update_h = problem.fixed_h == nullptr;
  // FitOptions::sketch: the randomized SVD over all the sketch's directions gives both the
  // projection the products read and the NNDSVD starts' leading triplets. validate() has refused
  // other losses and sketches as wide as X.
  std::optional<TruncatedSvd> sketch;
  if (options.sketch > 0) {
    const char* without = problem.decorate         ? "missing entries (a masked fit)"
                          : !update_h              ? "transform (H is given)"
                          : ctx.reducer != nullptr ? "samples split across processes"
                                                   : nullptr;
    if (without != nullptr)
      throw InvalidArgument(std::string("sketch applies only to a fit of all of X in one process, "
                                        "not with ") +
                            without);
    ScopedTimer timer(time.init);
    sketch = randomized_svd(x, k + options.sketch, 0, options.sketch_power_iterations,
                            static_cast<std::uint32_t>(options.seed), ctx.threads);
  }
  Factors<T> f;
  {
    ScopedTimer timer(time.init);
    f = start_factors(problem, x, options, sketch ? &*sketch : nullptr);
  }
  ctx.check_cancelled();

  PlainProducts<T> plain(x);
  std::unique_ptr<Products<T>> decorated;
  if (problem.decorate) decorated = problem.decorate(x, k, ctx);
  if (sketch) {
    ScopedTimer timer(time.init);
    decorated = sketched_products(x, *sketch, ctx.threads);
    result.sketch_columns = sketch->s.size();
    sketch.reset();
  }
  Products<T>& products = decorated ? *decorated : plain;
  LoopSetup setup;
  setup.penalties = penalties(options, x.total_rows(), x.cols(), c);
  setup.loss_units = std::pow(c, options.beta);
  setup.x_squared_norm = x.squared_norm();
  setup.update_h = update_h;
  std::unique_ptr<Steps<T>> steps =
      frobenius ? frobenius_steps(products, options, setup.penalties, ctx, update_h, k)
      : divergence_rule_beta(options.beta) && !solver_info(options.solver).any_beta
          ? kl_cd_steps(x, options, setup.penalties, ctx, update_h)
          : beta_steps(x, options, setup.penalties, ctx, update_h);
  // validate() refuses extrapolate with a rule that does not take it (SolverInfo::extrapolate).
  setup.extrapolate = update_h && extrapolates(options);
  run_loop(*steps, f, options, setup, ctx, result);

  result.H = transposed(f.ht.view());
  {
    ScopedTimer timer(time.loss);
    if (frobenius) {
      // The history uses the Gram trick; the final error is computed directly, which costs
      // about half a product and does not suffer the trick's cancellation near an exact fit.
      result.error = std::sqrt(ctx.sum(products.residual_squared_norm(f.w, result.H))) * c;
    } else {
      const double divergence = ctx.sum(
          beta_divergence_of(x.storage(), x.inverse_scale(), f.w, f.ht, options.beta, ctx.threads));
      // scikit-learn's divergence leaves out the entries of X below float32's epsilon; for β < 0
      // (x^β and W·H's terms of opposite sign) it can then be negative: the error is 0 there.
      result.error = std::sqrt(std::max(0.0, 2 * divergence * std::pow(c, options.beta)));
    }
  }
  if (!std::isfinite(result.error) || ctx.any(!all_finite(f.w)) || !all_finite(result.H))
    throw NumericError("the factors became non-finite after " + std::to_string(result.iterations) +
                       " iterations; the fit broke down");
  // W·H ≈ X/c: give each factor √c, as the same fit on X itself would have.
  result.W = std::move(f.w);
  scale_in_place(result.W, std::sqrt(c));
  if (problem.fixed_h != nullptr)
    result.H = checked_copy(*problem.fixed_h, k, x.cols(), "H", 1.0);
  else
    scale_in_place(result.H, std::sqrt(c));
  result.relative_error = result.x_norm > 0 ? result.error / result.x_norm : 0.0;
  result.seconds = since(ctx.start);
  return result;
}

template FitResult<float> solve<float>(const Problem<float>&, const FitOptions&, const FitContext&);
template FitResult<double> solve<double>(const Problem<double>&, const FitOptions&,
                                         const FitContext&);

}  // namespace nmfkit::core
