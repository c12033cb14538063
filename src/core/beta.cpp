#include "core/beta.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/blas.hpp"
#include "kernels/chunks.hpp"
#include "kernels/dense.hpp"
#include "kernels/parallel_errors.hpp"
#include "kernels/per_thread.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::core {

namespace {

using kernels::ParallelErrors;
using kernels::PerThreadScratch;
using kernels::RowChunks;

/// Entries of W·H formed at once by one thread.
constexpr Index kBlockEntries = Index{1} << 20;

/// The fixed row chunks and, inside each, sub-blocks of `rows` rows (the last one shorter).
/// Both depend only on the shape, never on the thread count.
struct Blocks {
  RowChunks chunks;
  Index rows = 1;
};

/// The fewest chunks of a short X, and their fewest rows: kernels::row_chunks makes one chunk of
/// up to 4095 rows (a mini-batch of 1024 rows among them), which one thread then works alone.
constexpr Index kShortChunks = 8, kShortChunkRows = 128;

Blocks blocks_for(Index n, Index m) {
  Blocks b{kernels::row_chunks(n), 1};
  b.chunks.count =
      std::max(b.chunks.count, std::clamp<Index>(n / kShortChunkRows, 1, kShortChunks));
  Index largest = 1;
  for (Index c = 0; c < b.chunks.count; ++c)
    largest = std::max(largest, b.chunks.end(c) - b.chunks.begin(c));
  // A sub-block never exceeds a chunk, so capping it at the largest chunk changes no boundary; it
  // only keeps the scratch buffers small for small data.
  b.rows = std::clamp<Index>(kBlockEntries / std::max<Index>(1, m), 1, largest);
  return b;
}

std::size_t size(Index count) {
  return static_cast<std::size_t>(count);
}

/// out (rows × k) = a (rows × m, row stride lda) · ht (m × k), on the calling thread. Single
/// precision runs nmfkit's own kernels (kernels/dense.hpp), so that a single-precision fit never
/// calls OpenBLAS, whose work buffers, mapped on a thread's first call, could not be had under a
/// tight address-space limit and which then retries for ever (a hang, not an error); double keeps
/// BLAS.
template <typename T>
void rows_times_ht(const T* a, Index lda, Index rows, Index m, const T* ht, Index k, T* out) {
  if constexpr (sizeof(T) == sizeof(float))
    kernels::times(DenseView<T>(a, rows, m, lda), T(1), ht, k, out, 1);
  else
    kernels::gemm(false, rows, k, m, T(1), a, lda, ht, k, out, k);
}

/// out (m × k) = aᵀ · wr for a (rows × m, row stride lda) and wr (rows × k), as rows_times_ht.
template <typename T>
void transposed_rows_times(const T* a, Index lda, Index rows, Index m, const T* wr, Index k,
                           T* out) {
  if constexpr (sizeof(T) == sizeof(float))
    kernels::transpose_times(DenseView<T>(a, rows, m, lda), T(1), wr, k, out, 1);
  else
    kernels::gemm(true, m, k, rows, T(1), a, lda, wr, k, out, k);
}

/// The threads worth starting for the chunks: no more than there are chunks.
int team_for(int threads, const RowChunks& chunks) {
  return static_cast<int>(std::clamp<Index>(chunks.count, 1, std::max(1, threads)));
}

/// X's rows as the kernels below read them: blocks of consecutive rows, dense. block() may
/// allocate (`buffer`, for X stored other than dense) and a caller's Data may throw: the loops
/// that call it run their iterations through ParallelErrors.
template <typename T>
struct ViewRows {
  const DenseView<T>& x;
  Index rows() const { return x.rows; }
  Index cols() const { return x.cols; }
  DenseView<T> block(Index first, Index count, std::vector<T>&) const {
    return DenseView<T>(x.row(first), count, x.cols, x.stride);
  }
};
template <typename T>
struct DataRows {
  const nmfkit::Data<T>& x;
  Index rows() const { return x.rows(); }
  Index cols() const { return x.cols(); }
  DenseView<T> block(Index first, Index count, std::vector<T>& buffer) const {
    return x.row_block(first, count, buffer);
  }
};

template <typename T, typename Rows>
void check_shapes(const char* what, const Rows& x, const Matrix<T>& w, const Matrix<T>& ht) {
  if (w.rows != x.rows() || ht.rows != x.cols() || w.cols != ht.cols)
    throw InvalidArgument(std::string(what) + ": X is " + std::to_string(x.rows()) + " x " +
                          std::to_string(x.cols()) + " but W is " + std::to_string(w.rows) + " x " +
                          std::to_string(w.cols) + " and Ht is " + std::to_string(ht.rows) + " x " +
                          std::to_string(ht.cols));
}

/// The divergence from its sum of terms (beta_divergence_rows), divided as scikit-learn divides.
double divergence_from_terms(double total, double beta) {
  if (beta == 2) return total / 2;
  if (beta == 1 || beta == 0) return total;
  return total / (beta * (beta - 1));
}

template <typename T, typename Rows>
double divergence_impl(const Rows& x, double inverse_scale, const Matrix<T>& w, const Matrix<T>& ht,
                       double beta, int threads) {
  check_shapes("beta_divergence", x, w, ht);
  threads = std::max(1, threads);
  const Index m = x.cols(), k = w.cols;
  const Matrix<T> h = transposed(ht.view());  // k × m, the right operand of W·H
  const Blocks b = blocks_for(x.rows(), m);
  std::vector<double> partial(size(b.chunks.count), 0.0);
  const int team = team_for(threads, b.chunks);
  PerThreadScratch<T> wh_scratch(team, b.rows * m);
  ParallelErrors errors;
#pragma omp parallel num_threads(team)
  {
    T* wh = wh_scratch.mine().data();
    std::vector<T> buffer;
#pragma omp for schedule(dynamic, 1)
    for (Index c = 0; c < b.chunks.count; ++c) {
      errors.run([&] {
        double sum = 0;
        for (Index r0 = b.chunks.begin(c); r0 < b.chunks.end(c); r0 += b.rows) {
          const Index rows = std::min(b.rows, b.chunks.end(c) - r0);
          const DenseView<T> xb = x.block(r0, rows, buffer);
          kernels::w_times_h(w.row(r0), rows, k, h.data(), m, wh);
          sum +=
              kernels::beta_divergence_rows(xb.data, xb.stride, wh, rows, m, inverse_scale, beta);
        }
        partial[size(c)] = sum;
      });
    }
  }
  errors.rethrow();
  double total = 0;
  for (double v : partial) total += v;
  return divergence_from_terms(total, beta);
}

/// W's multiplicative step on rows [r0, r0 + rows): num and den (rows × k, in T) are the products
/// the pass formed for them (den unused for β = 1 and 2), num scaled by num_scale.
template <typename T>
void w_step_rows(Matrix<T>& w, Index r0, Index rows, const T* num, const T* den, double num_scale,
                 const std::vector<double>& hht, const std::vector<double>& h_sum, double beta,
                 double l1, double l2, double gamma, double* row_den) {
  const Index k = w.cols;
  for (Index i = 0; i < rows; ++i) {
    T* wi = w.row(r0 + i);
    if (beta == 2)
      row_times_square(wi, hht.data(), k, row_den);
    else
      for (Index l = 0; l < k; ++l)
        row_den[l] = beta == 1 ? h_sum[size(l)] : double(den[i * k + l]);
    for (Index l = 0; l < k; ++l)
      wi[l] = static_cast<T>(beta_mu_step(double(wi[l]), num_scale * double(num[i * k + l]),
                                          row_den[l], l1, l2, gamma));
  }
}

/// The W pass over X: with `update` (= &w), W's multiplicative update for β; with `kept` instead
/// (β ≠ 2), the update's products for the current W kept there, W unchanged, together with the
/// divergence of the current W and H formed from the same W·H (one product W·H and one read of X
/// fewer than beta_divergence followed by the update, with the same sums bit for bit). Returns
/// the divergence's sum of terms when `kept` is given and `divergence`, else 0.
template <typename T, typename Rows>
double w_pass(const Rows& x, double inverse_scale, const Matrix<T>& w, const Matrix<T>& ht,
              double beta, double l1, double l2, int threads, Matrix<T>* update,
              WStepTerms<T>* kept, bool divergence = true) {
  check_shapes(kept != nullptr ? "beta_divergence_w_terms" : "beta_mu_update_w", x, w, ht);
  threads = std::max(1, threads);
  const Index m = x.cols(), k = w.cols;
  const double gamma = beta_mu_exponent(beta);
  const Blocks b = blocks_for(x.rows(), m);
  // The denominator's parts that do not depend on the row, for the step: HHᵀ (β = 2), H's row
  // sums (β = 1).
  std::vector<double> hht;
  std::vector<double> h_sum;
  if (update != nullptr && beta == 2) {
    hht.resize(size(k * k));
    kernels::gram(ht.data(), ht.rows, k, hht.data(), threads);
  } else if (update != nullptr && beta == 1) {
    h_sum = factor_column_sums(ht, threads);
  }
  if (kept != nullptr) {  // every entry is written below; the last pass's arrays are reused
    if (kept->num.rows != w.rows || kept->num.cols != k) kept->num = Matrix<T>(w.rows, k);
    if (beta == 1)
      kept->den = Matrix<T>();
    else if (kept->den.rows != w.rows || kept->den.cols != k)
      kept->den = Matrix<T>(w.rows, k);
  }
  const Matrix<T> h = beta == 2 ? Matrix<T>() : transposed(ht.view());
  const int team = team_for(threads, b.chunks);
  const Index block_entries = beta != 2 ? b.rows * m : 0;
  PerThreadScratch<T> wh_scratch(team, block_entries), terms_scratch(team, block_entries);
  // A block's products and the step's denominators (kept products go straight into `kept`).
  const Index step_rows = kept != nullptr ? 0 : b.rows;
  PerThreadScratch<T> num_scratch(team, step_rows * k), den_scratch(team, step_rows * k);
  PerThreadScratch<double> row_den_scratch(team, kept != nullptr ? 0 : k);
  std::vector<double> partial(size(b.chunks.count), 0.0);
  ParallelErrors errors;
#pragma omp parallel num_threads(team)
  {
    T* wh = wh_scratch.mine().data();
    T* terms = terms_scratch.mine().data();
    double* row_den = row_den_scratch.mine().data();
    std::vector<T> buffer;
#pragma omp for schedule(dynamic, 1)
    for (Index c = 0; c < b.chunks.count; ++c) {
      errors.run([&] {
        double sum = 0;
        for (Index r0 = b.chunks.begin(c); r0 < b.chunks.end(c); r0 += b.rows) {
          const Index rows = std::min(b.rows, b.chunks.end(c) - r0);
          const DenseView<T> xb = x.block(r0, rows, buffer);
          T* num = kept != nullptr ? kept->num.row(r0) : num_scratch.mine().data();
          T* den = kept != nullptr && beta != 1 ? kept->den.row(r0) : den_scratch.mine().data();
          double num_scale = 1;  // s for β = 2, whose numerator is X·Hᵀ formed from X itself
          if (beta == 2) {
            rows_times_ht(xb.data, xb.stride, rows, m, ht.data(), k, num);
            num_scale = inverse_scale;
          } else {
            kernels::w_times_h(w.row(r0), rows, k, h.data(), m, wh);
            if (kept != nullptr && divergence)
              sum += kernels::beta_divergence_rows(xb.data, xb.stride, wh, rows, m, inverse_scale,
                                                   beta);
            kernels::beta_mu_terms(xb.data, xb.stride, rows, m, inverse_scale, beta, wh, terms);
            rows_times_ht(terms, m, rows, m, ht.data(), k, num);
            if (beta != 1) rows_times_ht(wh, m, rows, m, ht.data(), k, den);
          }
          if (update != nullptr)
            w_step_rows(*update, r0, rows, num, den, num_scale, hht, h_sum, beta, l1, l2, gamma,
                        row_den);
        }
        partial[size(c)] = sum;
      });
    }
  }
  errors.rethrow();
  double total = 0;
  for (double v : partial) total += v;
  return total;
}

template <typename T, typename Rows>
HStepTerms h_terms_impl(const Rows& x, double inverse_scale, const Matrix<T>& w,
                        const Matrix<T>& ht, double beta, int threads, const Reducer* reducer,
                        bool divergence = false) {
  check_shapes("beta_mu_update_h", x, w, ht);
  threads = std::max(1, threads);
  const Index m = x.cols(), k = w.cols, mk = m * k;
  const Blocks b = blocks_for(x.rows(), m);
  const bool summed_den = beta != 1 && beta != 2;  // denominator (W·H)^(β−1)ᵀ·W, summed over rows
  // Per-chunk partials of the numerator Σ_i termsᵢᵀ·Wᵢ (and of the denominator), added in chunk
  // order below.
  std::vector<double> partial_num(size(b.chunks.count * mk), 0.0);
  std::vector<double> partial_den(summed_den ? size(b.chunks.count * mk) : 0, 0.0);
  // The divergence's terms (β ≠ 2), per chunk as divergence_impl sums them: the same bytes.
  const bool terms_divergence = divergence && beta != 2;
  std::vector<double> partial_divergence(size(b.chunks.count), 0.0);
  const Matrix<T> h = beta == 2 ? Matrix<T>() : transposed(ht.view());
  const int team = team_for(threads, b.chunks);
  const Index block_entries = beta != 2 ? b.rows * m : 0;
  PerThreadScratch<T> wh_scratch(team, block_entries), terms_scratch(team, block_entries);
  PerThreadScratch<T> product_scratch(team, mk);
  ParallelErrors errors;
#pragma omp parallel num_threads(team)
  {
    T* wh = wh_scratch.mine().data();
    T* terms = terms_scratch.mine().data();
    T* product = product_scratch.mine().data();
    std::vector<T> buffer;
#pragma omp for schedule(dynamic, 1)
    for (Index c = 0; c < b.chunks.count; ++c) {
      errors.run([&] {
        double* num = partial_num.data() + c * mk;
        double* den = summed_den ? partial_den.data() + c * mk : nullptr;
        double divergence_sum = 0;
        for (Index r0 = b.chunks.begin(c); r0 < b.chunks.end(c); r0 += b.rows) {
          const Index rows = std::min(b.rows, b.chunks.end(c) - r0);
          const DenseView<T> xb = x.block(r0, rows, buffer);
          const T* wr = w.row(r0);
          if (beta == 2) {
            transposed_rows_times(xb.data, xb.stride, rows, m, wr, k, product);
          } else {
            kernels::w_times_h(wr, rows, k, h.data(), m, wh);
            if (terms_divergence)
              divergence_sum += kernels::beta_divergence_rows(xb.data, xb.stride, wh, rows, m,
                                                              inverse_scale, beta);
            kernels::beta_mu_terms(xb.data, xb.stride, rows, m, inverse_scale, beta, wh, terms);
            transposed_rows_times(terms, m, rows, m, wr, k, product);
          }
          for (Index e = 0; e < mk; ++e) num[e] += double(product[e]);
          if (summed_den) {
            transposed_rows_times(wh, m, rows, m, wr, k, product);
            for (Index e = 0; e < mk; ++e) den[e] += double(product[e]);
          }
        }
        partial_divergence[size(c)] = divergence_sum;
      });
    }
  }
  errors.rethrow();
  // The sums over samples, each entry over the chunks in chunk order, then over processes.
  std::vector<double> num_total(size(mk)), den_total(summed_den ? size(mk) : 0);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index e = 0; e < mk; ++e) {
    double s = 0, d = 0;
    for (Index c = 0; c < b.chunks.count; ++c) s += partial_num[size(c * mk + e)];
    num_total[size(e)] = s;
    if (!summed_den) continue;
    for (Index c = 0; c < b.chunks.count; ++c) d += partial_den[size(c * mk + e)];
    den_total[size(e)] = d;
  }
  // The denominator's parts that do not depend on the feature: WᵀW (β = 2), W's column sums with
  // zeros replaced by 1 (β = 1).
  std::vector<double> wtw;
  std::vector<double> w_sum;
  if (beta == 2) {
    wtw.resize(size(k * k));
    kernels::gram(w.data(), w.rows, k, wtw.data(), threads);
  } else if (beta == 1) {
    w_sum = factor_column_sums(w, threads);
  }
  if (reducer != nullptr) {
    for (std::vector<double>* v : {&num_total, &den_total, &wtw, &w_sum})
      if (!v->empty()) reducer->sum(*v);
  }
  for (double& v : w_sum)
    if (v == 0) v = 1;
  const double num_scale = beta == 2 ? inverse_scale : 1.0;
  HStepTerms terms;
  if (terms_divergence) {
    double total = 0;
    for (double v : partial_divergence) total += v;
    terms.divergence = divergence_from_terms(total, beta);
  } else if (divergence) {
    terms.divergence = divergence_impl(x, inverse_scale, w, ht, beta, threads);
  }
  terms.num.resize(size(mk));
  terms.den.resize(size(mk));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index j = 0; j < m; ++j) {
    const T* hj = ht.row(j);
    if (beta == 2) row_times_square(hj, wtw.data(), k, terms.den.data() + j * k);
    for (Index l = 0; l < k; ++l) {
      const Index e = j * k + l;
      terms.num[size(e)] = num_scale * num_total[size(e)];
      if (beta == 1)
        terms.den[size(e)] = w_sum[size(l)];
      else if (beta != 2)
        terms.den[size(e)] = den_total[size(e)];
    }
  }
  return terms;
}

template <typename T, typename Rows>
void update_h_impl(const Rows& x, double inverse_scale, const Matrix<T>& w, Matrix<T>& ht,
                   double beta, double l1, double l2, int threads, const Reducer* reducer) {
  const HStepTerms terms = h_terms_impl(x, inverse_scale, w, ht, beta, threads, reducer);
  const Index m = ht.rows, k = ht.cols;
  const double gamma = beta_mu_exponent(beta);
#pragma omp parallel for schedule(static) num_threads(std::max(1, threads))
  for (Index j = 0; j < m; ++j) {
    T* hj = ht.row(j);
    for (Index l = 0; l < k; ++l) {
      const std::size_t e = size(j * k + l);
      hj[l] =
          static_cast<T>(beta_mu_step(double(hj[l]), terms.num[e], terms.den[e], l1, l2, gamma));
    }
  }
}

}  // namespace

template <typename T>
std::vector<double> factor_column_sums(const Matrix<T>& f, int threads) {
  const Index k = f.cols;
  const RowChunks chunks = kernels::row_chunks(f.rows);
  std::vector<double> partial(size(chunks.count * k), 0.0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    double* dst = partial.data() + c * k;
    for (Index r = chunks.begin(c); r < chunks.end(c); ++r) {
      const T* row = f.row(r);
      for (Index l = 0; l < k; ++l) dst[l] += double(row[l]);
    }
  }
  std::vector<double> total(size(k), 0.0);
  for (Index c = 0; c < chunks.count; ++c)
    for (Index l = 0; l < k; ++l) total[size(l)] += partial[size(c * k + l)];
  return total;
}

template <typename T>
double product_sum(const Matrix<T>& w, const Matrix<T>& ht, int threads) {
  const std::vector<double> w_sum = factor_column_sums(w, threads);
  const std::vector<double> h_sum = factor_column_sums(ht, threads);
  double sum = 0;
  for (std::size_t l = 0; l < w_sum.size(); ++l) sum += w_sum[l] * h_sum[l];
  return sum;
}

template <typename T>
double beta_divergence(const DenseView<T>& x, double inverse_scale, const Matrix<T>& w,
                       const Matrix<T>& ht, double beta, int threads) {
  return divergence_impl(ViewRows<T>{x}, inverse_scale, w, ht, beta, threads);
}
template <typename T>
double beta_divergence(const nmfkit::Data<T>& x, double inverse_scale, const Matrix<T>& w,
                       const Matrix<T>& ht, double beta, int threads) {
  return divergence_impl(DataRows<T>{x}, inverse_scale, w, ht, beta, threads);
}
template <typename T>
void beta_mu_update_w(const DenseView<T>& x, double inverse_scale, Matrix<T>& w,
                      const Matrix<T>& ht, double beta, double l1, double l2, int threads) {
  w_pass<T>(ViewRows<T>{x}, inverse_scale, w, ht, beta, l1, l2, threads, &w, nullptr);
}
template <typename T>
void beta_mu_update_w(const nmfkit::Data<T>& x, double inverse_scale, Matrix<T>& w,
                      const Matrix<T>& ht, double beta, double l1, double l2, int threads) {
  w_pass<T>(DataRows<T>{x}, inverse_scale, w, ht, beta, l1, l2, threads, &w, nullptr);
}
template <typename T>
double beta_divergence_w_terms(const nmfkit::Data<T>& x, double inverse_scale, const Matrix<T>& w,
                               const Matrix<T>& ht, double beta, int threads, WStepTerms<T>& kept) {
  if (beta == 2) throw InvalidArgument("beta_divergence_w_terms: not for beta = 2");
  return divergence_from_terms(
      w_pass<T>(DataRows<T>{x}, inverse_scale, w, ht, beta, 0.0, 0.0, threads, nullptr, &kept),
      beta);
}
template <typename T>
void beta_w_terms(const nmfkit::Data<T>& x, double inverse_scale, const Matrix<T>& w,
                  const Matrix<T>& ht, double beta, int threads, WStepTerms<T>& kept) {
  if (beta == 2) throw InvalidArgument("beta_w_terms: not for beta = 2");
  w_pass<T>(DataRows<T>{x}, inverse_scale, w, ht, beta, 0.0, 0.0, threads, nullptr, &kept, false);
}
template <typename T>
void beta_mu_step_w(const WStepTerms<T>& kept, Matrix<T>& w, const Matrix<T>& ht, double beta,
                    double l1, double l2, int threads) {
  const Index k = w.cols;
  if (beta == 2 || kept.num.rows != w.rows || kept.num.cols != k || ht.cols != k)
    throw InvalidArgument("beta_mu_step_w: terms of another shape or beta = 2");
  const std::vector<double> h_sum =
      beta == 1 ? factor_column_sums(ht, threads) : std::vector<double>();
  const double gamma = beta_mu_exponent(beta);
  const RowChunks chunks = kernels::row_chunks(w.rows);
#pragma omp parallel num_threads(std::max(1, threads))
  {
    std::vector<double> row_den(size(k));
#pragma omp for schedule(static)
    for (Index c = 0; c < chunks.count; ++c) {
      const Index r0 = chunks.begin(c), rows = chunks.end(c) - r0;
      w_step_rows(w, r0, rows, kept.num.row(r0), beta == 1 ? nullptr : kept.den.row(r0), 1.0, {},
                  h_sum, beta, l1, l2, gamma, row_den.data());
    }
  }
}
template <typename T>
void beta_mu_update_h(const DenseView<T>& x, double inverse_scale, const Matrix<T>& w,
                      Matrix<T>& ht, double beta, double l1, double l2, int threads) {
  update_h_impl(ViewRows<T>{x}, inverse_scale, w, ht, beta, l1, l2, threads, nullptr);
}
template <typename T>
void beta_mu_update_h(const nmfkit::Data<T>& x, double inverse_scale, const Matrix<T>& w,
                      Matrix<T>& ht, double beta, double l1, double l2, int threads,
                      const Reducer* reducer) {
  update_h_impl(DataRows<T>{x}, inverse_scale, w, ht, beta, l1, l2, threads, reducer);
}

template <typename T>
HStepTerms beta_mu_h_terms(const DenseView<T>& x, double inverse_scale, const Matrix<T>& w,
                           const Matrix<T>& ht, double beta, int threads, bool divergence) {
  return h_terms_impl(ViewRows<T>{x}, inverse_scale, w, ht, beta, std::max(1, threads), nullptr,
                      divergence);
}

#define NMFKIT_INSTANTIATE(T)                                                                     \
  template std::vector<double> factor_column_sums<T>(const Matrix<T>&, int);                      \
  template double product_sum<T>(const Matrix<T>&, const Matrix<T>&, int);                        \
  template double beta_divergence<T>(const DenseView<T>&, double, const Matrix<T>&,               \
                                     const Matrix<T>&, double, int);                              \
  template double beta_divergence<T>(const nmfkit::Data<T>&, double, const Matrix<T>&,            \
                                     const Matrix<T>&, double, int);                              \
  template void beta_mu_update_w<T>(const DenseView<T>&, double, Matrix<T>&, const Matrix<T>&,    \
                                    double, double, double, int);                                 \
  template void beta_mu_update_w<T>(const nmfkit::Data<T>&, double, Matrix<T>&, const Matrix<T>&, \
                                    double, double, double, int);                                 \
  template void beta_mu_update_h<T>(const DenseView<T>&, double, const Matrix<T>&, Matrix<T>&,    \
                                    double, double, double, int);                                 \
  template void beta_mu_update_h<T>(const nmfkit::Data<T>&, double, const Matrix<T>&, Matrix<T>&, \
                                    double, double, double, int, const Reducer*);                 \
  template HStepTerms beta_mu_h_terms<T>(const DenseView<T>&, double, const Matrix<T>&,           \
                                         const Matrix<T>&, double, int, bool);                    \
  template double beta_divergence_w_terms<T>(const nmfkit::Data<T>&, double, const Matrix<T>&,    \
                                             const Matrix<T>&, double, int, WStepTerms<T>&);      \
  template void beta_w_terms<T>(const nmfkit::Data<T>&, double, const Matrix<T>&,                 \
                                const Matrix<T>&, double, int, WStepTerms<T>&);                   \
  template void beta_mu_step_w<T>(const WStepTerms<T>&, Matrix<T>&, const Matrix<T>&, double,     \
                                  double, double, int);
NMFKIT_INSTANTIATE(float)
NMFKIT_INSTANTIATE(double)
#undef NMFKIT_INSTANTIATE

}  // namespace nmfkit::core
