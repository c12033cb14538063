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
#include "core/solve.hpp"
#include "kernels/chunks.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit::core {

namespace {

/// The missing entries of X, numbered in row-major order: their columns row by row, and the
/// same entries again column by column.
struct MissingEntries {
  std::vector<Index> row_start;  ///< rows + 1 offsets into col
  std::vector<Index> col;        ///< column of each entry
  std::vector<Index> row;        ///< row of each entry
  std::vector<Index> col_start;  ///< cols + 1 offsets into by_col
  std::vector<Index> by_col;     ///< entry numbers, column by column, rows ascending
  Index count() const { return static_cast<Index>(col.size()); }
};

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

/// a·b over kp entries, kp a multiple of the vector width: one vector of partial sums, then a
/// fixed tree (no per-entry serial reduction).
template <typename T>
[[gnu::always_inline]] inline T dot_padded(const T* __restrict a, const T* __restrict b, Index kp) {
  constexpr int kLanes = core::kFillLanes<T>;
  T acc[kLanes] = {};
  for (Index l = 0; l < kp; l += kLanes)
#pragma omp simd
    for (int v = 0; v < kLanes; ++v) acc[v] += a[l + v] * b[l + v];
  for (int width = kLanes / 2; width > 0; width /= 2)
#pragma omp simd
    for (int v = 0; v < width; ++v) acc[v] += acc[v + width];
  return acc[0];
}

/// The fill S: W·H at the missing entries, refreshed in the same pass that adds its product with
/// the other factor to a product of the observed part (one pass over the entries, the rows of W in
/// order, the rows of H from cache; rows padded with zeros to whole vectors). Work is split into
/// the fixed row chunks of kernels::row_chunks and every sum runs in an order fixed by the shapes
/// alone, so the result does not depend on the thread count.
template <typename T>
class Fill {
 public:
  Fill(const MissingEntries& e, Index n, Index m, Index k, int threads, double partials_limit_bytes)
      : e_(e),
        n_(n),
        m_(m),
        k_(k),
        kp_(core::fill_padded(k, sizeof(T))),
        threads_(threads),
        s_(static_cast<std::size_t>(e.count()), T(0)),
        chunks_(kernels::row_chunks(n)),
        hp_(static_cast<std::size_t>(m * kp_), T(0)) {
    // Sᵀ·W by rows of W needs a partial m × k sum per chunk; past the limit it goes by columns.
    if (double(chunks_.count) * double(m) * double(kp_) * sizeof(T) <= partials_limit_bytes)
      partial_.assign(static_cast<std::size_t>(chunks_.count * m * kp_), T(0));
  }

  /// S ← W·H; with `out` (n × k, or nullptr), also out += S·Hᵀ. Returns ½Σ(S_old − S_new)², the
  /// misfit of the previous fill.
  double refill_times(const Matrix<T>& w, const Matrix<T>& ht, T* out) {
    const Index kp = kp_;
    return refill(w, ht, [&](Index, Index i, const T*, auto&& entries) {
      if (out == nullptr) {
        entries([](T, const T*, Index) {});
        return;
      }
      T acc[kMaxStack];
      std::vector<T> heap;
      T* a = kp <= kMaxStack ? acc : (heap.resize(static_cast<std::size_t>(kp)), heap.data());
      std::fill(a, a + kp, T(0));
      entries([&](T fresh, const T* __restrict h, Index) {
#pragma omp simd
        for (Index l = 0; l < kp; ++l) a[l] += fresh * h[l];
      });
      T* __restrict o = out + i * k_;
#pragma omp simd
      for (Index l = 0; l < k_; ++l) o[l] += a[l];
    });
  }

  /// S ← W·H and out (m × k) += Sᵀ·W. Returns the misfit of the previous fill, as refill_times.
  double refill_transpose_times(const Matrix<T>& w, const Matrix<T>& ht, T* out) {
    if (partial_.empty()) {
      const double misfit = refill_times(w, ht, nullptr);
      add_by_columns(w, out);
      return misfit;
    }
    const Index kp = kp_, block = m_ * kp_;
    const double misfit =
        refill(w, ht, [&](Index c, Index i, const T* __restrict wi, auto&& entries) {
          T* part = partial_.data() + c * block;
          if (i == chunks_.begin(c)) std::fill(part, part + block, T(0));
          entries([&](T fresh, const T*, Index j) {
            T* __restrict p = part + j * kp;
#pragma omp simd
            for (Index l = 0; l < kp; ++l) p[l] += fresh * wi[l];
          });
        });
    // Chunk partials summed in chunk order, each output row by one thread.
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (Index j = 0; j < m_; ++j) {
      T* __restrict o = out + j * k_;
      for (Index c = 0; c < chunks_.count; ++c) {
        const T* __restrict p = partial_.data() + c * block + j * kp;
#pragma omp simd
        for (Index l = 0; l < k_; ++l) o[l] += p[l];
      }
    }
    return misfit;
  }

  /// ‖S‖².
  double squared_norm() const {
    return kernels::sum_over_rows<double>(n_, threads_, [&](Index i) {
      double sum = 0;
      for (Index t = e_.row_start[i]; t < e_.row_start[i + 1]; ++t)
        sum += double(s_[static_cast<std::size_t>(t)]) * double(s_[static_cast<std::size_t>(t)]);
      return sum;
    });
  }

 private:
  static constexpr Index kMaxStack = core::kFillStackValues;

  /// One pass over the rows, chunk by chunk: row i's fill values are refreshed and
  /// row_work(chunk, i, padded w_i, entries) is called, where entries(visit) refreshes them,
  /// calling visit(fresh, padded h_j, j) for each. Returns ½Σ(S_old − S_new)².
  template <typename RowWork>
  double refill(const Matrix<T>& w, const Matrix<T>& ht, RowWork&& row_work) {
    const Index k = k_, kp = kp_;
    for (Index j = 0; j < m_; ++j) std::copy(ht.row(j), ht.row(j) + k, hp_.data() + j * kp);
    std::vector<double> misfits(static_cast<std::size_t>(chunks_.count), 0.0);
    T* s = s_.data();
    const T* hp = hp_.data();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (Index c = 0; c < chunks_.count; ++c) {
      std::vector<T> wi_buffer(static_cast<std::size_t>(kp), T(0));
      T* wi = wi_buffer.data();
      double misfit = 0;
      for (Index i = chunks_.begin(c); i < chunks_.end(c); ++i) {
        std::copy(w.row(i), w.row(i) + k, wi);
        row_work(c, i, static_cast<const T*>(wi), [&](auto&& visit) {
          for (Index t = e_.row_start[i]; t < e_.row_start[i + 1]; ++t) {
            const Index j = e_.col[static_cast<std::size_t>(t)];
            const T* h = hp + j * kp;
            const T fresh = dot_padded(wi, h, kp);
            const double d = double(s[t]) - double(fresh);
            misfit += d * d;
            s[t] = fresh;
            visit(fresh, h, j);
          }
        });
      }
      misfits[static_cast<std::size_t>(c)] = misfit;
    }
    double total = 0;
    for (double v : misfits) total += v;
    return 0.5 * total;
  }

  /// out row j += Σ S_t · w_(row of t) over the entries of column j, rows ascending: Sᵀ·W when
  /// the chunk partials would be too large.
  void add_by_columns(const Matrix<T>& w, T* out) const {
    const Index k = k_;
    const T* s = s_.data();
#pragma omp parallel num_threads(threads_)
    {
      std::vector<T> acc_buffer(static_cast<std::size_t>(k));
      T* __restrict acc = acc_buffer.data();
#pragma omp for schedule(static)
      for (Index j = 0; j < m_; ++j) {
        std::fill(acc, acc + k, T(0));
        for (Index u = e_.col_start[j]; u < e_.col_start[j + 1]; ++u) {
          const Index t = e_.by_col[static_cast<std::size_t>(u)];
          const T value = s[t];
          const T* __restrict f = w.row(e_.row[static_cast<std::size_t>(t)]);
#pragma omp simd
          for (Index l = 0; l < k; ++l) acc[l] += value * f[l];
        }
        T* __restrict o = out + j * k_;
#pragma omp simd
        for (Index l = 0; l < k; ++l) o[l] += acc[l];
      }
    }
  }

  const MissingEntries& e_;
  Index n_, m_, k_, kp_;
  int threads_;
  std::vector<T> s_;
  kernels::RowChunks chunks_;
  std::vector<T> hp_;       ///< H's rows (of Hᵀ) padded to kp_
  std::vector<T> partial_;  ///< chunk partials of Sᵀ·W, m × kp_ each (empty: by columns)
};

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
        fill_(e, x.rows(), x.cols(), k, ctx.threads, partials_limit_bytes) {}
  const Scaled<T>& data() const override { return x_; }
  /// Returns the misfit of the previous fill: the objective at the new factors is the filled
  /// problem's Gram-trick value less that.
  double times_ht(const Factors<T>& f, T* out) override {
    x_.times(f.ht.data(), f.ht.cols, out);
    return ctx_.sum(fill_.refill_times(f.w, f.ht, out));
  }
  void transpose_times_w(const Factors<T>& f, T* out) override {
    x_.transpose_times(f.w.data(), f.w.cols, out);
    fill_.refill_transpose_times(f.w, f.ht, out);
  }
  double squared_norm() const override {
    return x_.squared_norm() + ctx_.sum(fill_.squared_norm());
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
  Fill<T> fill_;
};

template <typename T>
FitResult<T> masked(const DenseView<T>& view, const DenseView<std::uint8_t>& observed,
                    const FitOptions& options, double partials_limit_bytes) {
  MissingEntries missing;
  Matrix<T> x_observed;
  Problem<T> p;
  p.frobenius_only = "missing entries";
  p.make_data = [&](DataFormat format, bool sparse_suits, int threads) {
    if (options.init == Init::kCustom)
      throw InvalidArgument("init 'custom' is not available with missing entries");
    if (view.rows <= 0 || view.cols <= 0 || view.data == nullptr)
      throw DataError("X is empty (" + std::to_string(view.rows) + " x " +
                      std::to_string(view.cols) +
                      "); it needs at least one sample and one feature");
    missing = missing_entries(observed, view.rows, view.cols);
    x_observed = observed_part(view, missing);
    return make_data(x_observed.view(), format, sparse_suits, threads);
  };
  p.decorate = [&](const Scaled<T>& x, Index k, const Context& ctx) {
    return std::make_unique<MaskedProducts<T>>(x, missing, k, ctx, partials_limit_bytes);
  };
  return solve(p, options, {});
}

}  // namespace

template <typename T>
FitResult<T> masked_fit(const DenseView<T>& x, const DenseView<std::uint8_t>& observed,
                        const FitOptions& options, double partials_limit_bytes) {
  return masked(x, observed, options, partials_limit_bytes);
}

template FitResult<float> masked_fit<float>(const DenseView<float>&, const DenseView<std::uint8_t>&,
                                            const FitOptions&, double);
template FitResult<double> masked_fit<double>(const DenseView<double>&,
                                              const DenseView<std::uint8_t>&, const FitOptions&,
                                              double);

}  // namespace nmfkit::core

namespace nmfkit {

FitResult<float> fit(const DenseView<float>& x, const DenseView<std::uint8_t>& observed,
                     const FitOptions& options) {
  return core::masked_fit(x, observed, options);
}
FitResult<double> fit(const DenseView<double>& x, const DenseView<std::uint8_t>& observed,
                      const FitOptions& options) {
  return core::masked_fit(x, observed, options);
}

}  // namespace nmfkit
