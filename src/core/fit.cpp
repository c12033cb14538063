// The public fit entry points: each names its storage of X and hands over to core::solve, which
// runs the one fit loop (core/loop.cpp).
#include "nmfkit/fit.hpp"

#include <string>

#include "core/csr_data.hpp"
#include "core/make_data.hpp"
#include "core/solve.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit {

namespace {

/// The storage of a dense X: dense or CSR, as the options ask.
template <typename T>
core::Problem<T> dense_problem(const DenseView<T>& x, const StartFactors<T>* start) {
  core::Problem<T> p;
  p.make_data = [x](DataFormat format, double sparse_from, int threads) {
    return core::make_data(x, format, sparse_from, threads);
  };
  p.start = start;
  return p;
}

template <typename T>
FitResult<T> fit_data(const Data<T>& x, const FitOptions& options, const StartFactors<T>* start,
                      const FitContext& context) {
  core::Problem<T> p;
  p.make_data = [&x](DataFormat, double, int) {
    if (x.rows() <= 0 || x.cols() <= 0)
      throw DataError("X is empty (" + std::to_string(x.rows()) + " x " + std::to_string(x.cols()) +
                      "); it needs at least one sample and one feature");
    auto choice = std::make_unique<core::DataChoice<T>>();
    choice->external = &x;
    return choice;
  };
  p.start = start;
  return core::solve(p, options, context);
}

/// The problem of a CSR X in the caller's memory, stored as it is.
template <typename T, typename I>
core::Problem<T> csr_problem(const CsrView<T, I>& x, const StartFactors<T>* start) {
  core::Problem<T> p;
  p.make_data = [x](DataFormat, double, int threads) {
    auto choice = std::make_unique<core::DataChoice<T>>();
    choice->data = std::make_unique<core::CsrViewStorage<T, I>>(x, threads);
    return choice;
  };
  p.start = start;
  return p;
}

template <typename T>
FitResult<T> transform_problem(core::Problem<T> p, Index x_cols, const DenseView<T>& h,
                               const FitOptions& options) {
  if (h.data == nullptr || h.rows < 1)
    throw InvalidArgument("H must have at least one component, got " + std::to_string(h.rows));
  if (h.cols != x_cols)
    throw InvalidArgument("H has " + std::to_string(h.cols) + " features but X has " +
                          std::to_string(x_cols));
  FitOptions o = options;
  o.k = static_cast<int>(h.rows);
  p.fixed_h = &h;
  return core::solve(p, o, {});
}

template <typename T>
FitResult<T> transform_impl(const DenseView<T>& x, const DenseView<T>& h,
                            const FitOptions& options) {
  return transform_problem(dense_problem<T>(x, nullptr), x.cols, h, options);
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
  return core::solve(dense_problem(x, start), options, {});
}
FitResult<double> fit(const DenseView<double>& x, const FitOptions& options,
                      const StartFactors<double>* start) {
  return core::solve(dense_problem(x, start), options, {});
}
FitResult<float> fit(const LevelsView& x, const FitOptions& options,
                     const StartFactors<float>* start) {
  core::Problem<float> p;
  p.make_data = [x](DataFormat format, double sparse_from, int threads) {
    return core::make_data<float>(x.levels, x.scale, format, sparse_from, threads);
  };
  p.start = start;
  return core::solve(p, options, {});
}
FitResult<float> fit(const LevelsSource& x, const FitOptions& options,
                     const StartFactors<float>* start) {
  core::Problem<float> p;
  p.make_data = [&x](DataFormat format, double sparse_from, int threads) {
    return core::make_data<float>(x, format, sparse_from, threads);
  };
  p.start = start;
  return core::solve(p, options, {});
}
FitResult<float> fit(const Data<float>& x, const FitOptions& options,
                     const StartFactors<float>* start, const FitContext& context) {
  return fit_data(x, options, start, context);
}
FitResult<double> fit(const Data<double>& x, const FitOptions& options,
                      const StartFactors<double>* start, const FitContext& context) {
  return fit_data(x, options, start, context);
}

template <typename T, typename I>
FitResult<T> fit(const CsrView<T, I>& x, const FitOptions& options, const StartFactors<T>* start) {
  return core::solve(csr_problem(x, start), options, {});
}
template <typename T, typename I>
FitResult<T> transform(const CsrView<T, I>& x, const DenseView<T>& h, const FitOptions& options) {
  return transform_problem(csr_problem<T, I>(x, nullptr), x.cols, h, options);
}
template FitResult<float> fit(const CsrView<float, std::int32_t>&, const FitOptions&,
                              const StartFactors<float>*);
template FitResult<float> fit(const CsrView<float, std::int64_t>&, const FitOptions&,
                              const StartFactors<float>*);
template FitResult<double> fit(const CsrView<double, std::int32_t>&, const FitOptions&,
                               const StartFactors<double>*);
template FitResult<double> fit(const CsrView<double, std::int64_t>&, const FitOptions&,
                               const StartFactors<double>*);
template FitResult<float> transform(const CsrView<float, std::int32_t>&, const DenseView<float>&,
                                    const FitOptions&);
template FitResult<float> transform(const CsrView<float, std::int64_t>&, const DenseView<float>&,
                                    const FitOptions&);
template FitResult<double> transform(const CsrView<double, std::int32_t>&, const DenseView<double>&,
                                     const FitOptions&);
template FitResult<double> transform(const CsrView<double, std::int64_t>&, const DenseView<double>&,
                                     const FitOptions&);

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
