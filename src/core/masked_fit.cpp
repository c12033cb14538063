// fit() with missing entries, by expectation-maximisation (a majorize-minimise scheme; see
// docs/masks.md). Before each half-iteration the missing entries of X are filled with the current
// W·H; the update rule then improves the ordinary Frobenius problem on the filled matrix. With the
// fill taken at the current factors, ½‖X_filled − W·H‖² lies above the masked loss
// ½Σ_observed (X − W·H)² and touches it there, so every rule that lowers its own problem (all the
// Frobenius rules do) lowers the masked loss: the iteration is monotone.
//
// The filled matrix is never stored: X_filled = X_observed + S, with X_observed the data with the
// missing entries set to 0 (dense or CSR, as fit() chooses) and S the sparse matrix of the fill
// values, so X_filled·Hᵀ = X_observed·Hᵀ + S·Hᵀ costs one ordinary product plus O(missing·k).
// The masked loss comes from the Gram trick on X_filled minus the fill's own misfit, also
// O(missing·k). Missing entries never enter any computation: their values cannot change a bit
// of the result.
#include "core/masked_fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/make_data.hpp"
#include "core/masked_fill.hpp"
#include "core/solve.hpp"
#include "kernels/chunks.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit::core {

namespace {

/// Reads the mask, checking its shape and that no sample or feature is entirely missing.
MissingEntries missing_entries(const DenseView<std::uint8_t>& observed, Index n, Index m) {
  if (observed.data == nullptr || observed.rows != n || observed.cols != m)
    throw DataError("the mask is " + std::to_string(observed.rows) + " x " +
                    std::to_string(observed.cols) + " but X is " + std::to_string(n) + " x " +
                    std::to_string(m) + "; it must have the shape of X");
  MissingEntries e;
  e.row_start.assign(static_cast<std::size_t>(n) + 1, 0);
  std::vector<Index> per_col(static_cast<std::size_t>(m), 0);
  for (Index i = 0; i < n; ++i) {
    const std::uint8_t* r = observed.row(i);
    Index seen = 0;
    for (Index j = 0; j < m; ++j) {
      if (r[j] != 0) {
        ++seen;
        continue;
      }
      e.col.push_back(j);
      e.row.push_back(i);
      ++per_col[static_cast<std::size_t>(j)];
    }
    if (seen == 0)
      throw DataError("the mask hides every entry of sample " + std::to_string(i) +
                      "; a sample needs at least one observed entry");
    e.row_start[static_cast<std::size_t>(i) + 1] = e.count();
  }
  e.col_start.assign(static_cast<std::size_t>(m) + 1, 0);
  for (Index j = 0; j < m; ++j) {
    if (per_col[static_cast<std::size_t>(j)] == n)
      throw DataError("the mask hides every entry of feature " + std::to_string(j) +
                      "; a feature needs at least one observed entry");
    e.col_start[static_cast<std::size_t>(j) + 1] =
        e.col_start[static_cast<std::size_t>(j)] + per_col[static_cast<std::size_t>(j)];
  }
  e.by_col.resize(e.col.size());
  std::vector<Index> next(e.col_start.begin(), e.col_start.end() - 1);
  for (Index t = 0; t < e.count(); ++t)
    e.by_col[static_cast<std::size_t>(next[static_cast<std::size_t>(e.col[t])]++)] = t;
  return e;
}

/// X with its missing entries set to 0 (they may hold NaN or anything else).
template <typename T>
Matrix<T> observed_part(const DenseView<T>& x, const MissingEntries& e) {
  Matrix<T> out(x.rows, x.cols);
  for (Index i = 0; i < x.rows; ++i) {
    const T* src = x.row(i);
    std::copy(src, src + x.cols, out.row(i));
  }
  for (Index t = 0; t < e.count(); ++t) out(e.row[t], e.col[t]) = T(0);
  return out;
}

/// The products of X with its missing entries filled by W·H (see the top of this file): the
/// observed part's products plus the fill's, refreshed at the current factors in the same pass.
template <typename T>
class MaskedProducts final : public Products<T> {
 public:
  MaskedProducts(const Scaled<T>& x, const MissingEntries& e, Index k, const Context& ctx,
                 double partials_limit_bytes)
      : x_(x),
        e_(e),
        ctx_(ctx),
        fill_(kernels::make_fill<T>(e, x.rows(), x.cols(), k, ctx.threads, partials_limit_bytes)) {}
  const Scaled<T>& data() const override { return x_; }
  /// Returns the misfit of the previous fill: the objective at the new factors is the filled
  /// problem's Gram-trick value less that.
  double times_ht(const Factors<T>& f, T* out) override {
    x_.times(f.ht.data(), f.ht.cols, out);
    return ctx_.sum(fill_->refill_times(f.w, f.ht, out));
  }
  void transpose_times_w(const Factors<T>& f, T* out) override {
    x_.transpose_times(f.w.data(), f.w.cols, out);
    fill_->refill_transpose_times(f.w, f.ht, out);
  }
  double squared_norm() const override {
    return x_.squared_norm() + ctx_.sum(fill_->squared_norm());
  }
  bool loss_needs_product() const override { return true; }
  /// The observed residual: the whole one on X_observed less the missing entries' (0 − W·H)².
  double residual_squared_norm(const Matrix<T>& w, const Matrix<T>& h) const override {
    const Index k = w.cols;
    double hidden = 0;
    for (Index t = 0; t < e_.count(); ++t) {
      const T* wi = w.row(e_.row[static_cast<std::size_t>(t)]);
      const Index j = e_.col[static_cast<std::size_t>(t)];
      double wh = 0;
      for (Index l = 0; l < k; ++l) wh += double(wi[l]) * double(h(l, j));
      hidden += wh * wh;
    }
    const double residual = x_.residual_squared_norm(w.data(), h.data(), k) - hidden;
    return residual < 0 ? 0.0 : residual;
  }

 private:
  const Scaled<T>& x_;
  const MissingEntries& e_;
  const Context& ctx_;
  std::unique_ptr<FillOps<T>> fill_;
};

template <typename T>
FitResult<T> masked(const DenseView<T>& view, const DenseView<std::uint8_t>& observed,
                    const FitOptions& options, double partials_limit_bytes,
                    const StartFactors<T>* start) {
  MissingEntries missing;
  Matrix<T> x_observed;
  Problem<T> p;
  p.frobenius_only = "missing entries";
  p.start = start;
  p.make_data = [&](DataFormat format, double sparse_from, int threads) {
    if (view.rows <= 0 || view.cols <= 0 || view.data == nullptr)
      throw DataError("X is empty (" + std::to_string(view.rows) + " x " +
                      std::to_string(view.cols) +
                      "); it needs at least one sample and one feature");
    missing = missing_entries(observed, view.rows, view.cols);
    x_observed = observed_part(view, missing);
    return make_data(x_observed.view(), format, sparse_from, threads);
  };
  p.decorate = [&](const Scaled<T>& x, Index k, const Context& ctx) {
    return std::make_unique<MaskedProducts<T>>(x, missing, k, ctx, partials_limit_bytes);
  };
  return solve(p, options, {});
}

}  // namespace

template <typename T>
FitResult<T> masked_fit(const DenseView<T>& x, const DenseView<std::uint8_t>& observed,
                        const FitOptions& options, double partials_limit_bytes,
                        const StartFactors<T>* start) {
  return masked(x, observed, options, partials_limit_bytes, start);
}

template FitResult<float> masked_fit<float>(const DenseView<float>&, const DenseView<std::uint8_t>&,
                                            const FitOptions&, double, const StartFactors<float>*);
template FitResult<double> masked_fit<double>(const DenseView<double>&,
                                              const DenseView<std::uint8_t>&, const FitOptions&,
                                              double, const StartFactors<double>*);

}  // namespace nmfkit::core

namespace nmfkit {

FitResult<float> fit(const DenseView<float>& x, const DenseView<std::uint8_t>& observed,
                     const FitOptions& options, const StartFactors<float>* start) {
  return core::masked_fit(x, observed, options, core::kFillPartialsLimitBytes, start);
}
FitResult<double> fit(const DenseView<double>& x, const DenseView<std::uint8_t>& observed,
                      const FitOptions& options, const StartFactors<double>* start) {
  return core::masked_fit(x, observed, options, core::kFillPartialsLimitBytes, start);
}

}  // namespace nmfkit
