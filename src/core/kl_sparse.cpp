#include "core/kl_sparse.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/beta.hpp"
#include "core/csr_data.hpp"
#include "kernels/chunks.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::core {

namespace {

std::size_t size(Index count) {
  return static_cast<std::size_t>(count);
}

/// X's CSR form when x is one of the CSR storages.
template <typename T>
std::optional<typename SparseKl<T>::Form> csr_form(const nmfkit::Data<T>& x) {
  using Form = typename SparseKl<T>::Form;
  const auto form = [](const auto& m) { return Form(&m); };
  if (const auto* s = dynamic_cast<const CsrStorage<T>*>(&x)) return s->visit(form);
  if (const auto* s = dynamic_cast<const CsrViewStorage<T, std::int32_t>*>(&x))
    return s->visit(form);
  if (const auto* s = dynamic_cast<const CsrViewStorage<T, std::int64_t>*>(&x))
    return s->visit(form);
  return std::nullopt;
}

/// Σ over the rows of f (rows × k), per column, in double: each fixed row chunk sums its rows, the
/// chunks are added in chunk order.
/// f ← beta_mu_step(f, num, den[column]) with γ = 1, entry by entry; f and num rows × k.
template <typename T, typename Num>
void kl_steps(Matrix<T>& f, const Num* num, const std::vector<double>& den, double l1, double l2,
              int threads) {
  const Index k = f.cols;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index r = 0; r < f.rows; ++r) {
    T* row = f.row(r);
    for (Index l = 0; l < k; ++l)
      row[l] = static_cast<T>(
          beta_mu_step(double(row[l]), double(num[r * k + l]), den[size(l)], l1, l2, 1.0));
  }
}

template <typename T>
void check_shapes(const char* what, Index rows, Index cols, const Matrix<T>& w,
                  const Matrix<T>& ht) {
  if (w.rows != rows || ht.rows != cols || w.cols != ht.cols || w.cols < 1)
    throw InvalidArgument(std::string(what) + ": X is " + std::to_string(rows) + " x " +
                          std::to_string(cols) + " but W is " + std::to_string(w.rows) + " x " +
                          std::to_string(w.cols) + " and Ht is " + std::to_string(ht.rows) + " x " +
                          std::to_string(ht.cols));
}

/// Fills q (when not null) with Q's values for s·X, W and Ht; returns D_1(s·X ‖ W·H) with
/// `divergence`, else 0.
template <typename T>
double kl_divergence(const typename SparseKl<T>::Form& x, double s, const Matrix<T>& w,
                     const Matrix<T>& ht, T* q, bool divergence, int threads) {
  const double stored = std::visit(
      [&](const auto* m) {
        check_shapes("beta_divergence", m->rows, m->cols, w, ht);
        return kernels::kl_quotients(*m, s, w.data(), ht.data(), w.cols, kBetaEpsilon, q,
                                     divergence, threads);
      },
      x);
  if (!divergence) return 0;
  // Σ W·H over every entry, X's zeros included.
  return stored + product_sum(w, ht, threads);
}

}  // namespace

template <typename T>
std::unique_ptr<SparseKl<T>> SparseKl<T>::make(const nmfkit::Data<T>& x) {
  const std::optional<Form> form = csr_form(x);
  if (!form) return nullptr;
  return std::make_unique<SparseKl<T>>(*form);
}

template <typename T>
SparseKl<T>::SparseKl(Form x) : x_(x) {
  std::visit(
      [&](const auto* m) {
        // The storages bound the columns by 2^31 − 1, so they fit Q's 32-bit columns.
        q_.rows = m->rows;
        q_.cols = m->cols;
        q_.row_start.assign(m->row_start.begin(), m->row_start.end());
        q_.col.resize(m->col.size());
        std::transform(m->col.begin(), m->col.end(), q_.col.begin(),
                       [](auto c) { return static_cast<std::int32_t>(c); });
        q_.value.resize(size(m->nonzeros()));
      },
      x_);
}

template <typename T>
double SparseKl<T>::quotients(double s, const Matrix<T>& w, const Matrix<T>& ht, bool divergence,
                              int threads) {
  return kl_divergence(x_, s, w, ht, q_.value.data(), divergence, std::max(1, threads));
}

template <typename T>
void SparseKl<T>::update_w(Matrix<T>& w, const Matrix<T>& ht, double l1, double l2, int threads) {
  check_shapes("beta_mu_update_w", q_.rows, q_.cols, w, ht);
  threads = std::max(1, threads);
  const Index k = w.cols;
  const std::vector<double> h_sum = factor_column_sums(ht, threads);
  numerator_.resize(size(w.rows * k));
  kernels::times(q_, T(1), ht.data(), k, numerator_.data(), threads);
  kl_steps(w, numerator_.data(), h_sum, l1, l2, threads);
}

template <typename T>
std::pair<std::vector<double>, std::vector<double>> SparseKl<T>::h_sums(const Matrix<T>& w,
                                                                        const Matrix<T>& ht,
                                                                        int threads,
                                                                        const Reducer* reducer) {
  check_shapes("beta_mu_update_h", q_.rows, q_.cols, w, ht);
  const Index k = w.cols;
  numerator_.resize(size(ht.rows * k));
  kernels::transpose_times(q_, T(1), w.data(), k, numerator_.data(), threads);
  // The sums over samples in double, combined across processes in the dense path's order: the
  // numerator, then W's column sums.
  std::vector<double> num(numerator_.begin(), numerator_.end());
  std::vector<double> w_sum = factor_column_sums(w, threads);
  if (reducer != nullptr) {
    reducer->sum(num);
    reducer->sum(w_sum);
  }
  for (double& v : w_sum)
    if (v == 0) v = 1;
  return {std::move(num), std::move(w_sum)};
}

template <typename T>
void SparseKl<T>::update_h(const Matrix<T>& w, Matrix<T>& ht, double l1, double l2, int threads,
                           const Reducer* reducer) {
  threads = std::max(1, threads);
  const auto [num, w_sum] = h_sums(w, ht, threads, reducer);
  kl_steps(ht, num.data(), w_sum, l1, l2, threads);
}

template <typename T>
HStepTerms SparseKl<T>::h_terms(const Matrix<T>& w, const Matrix<T>& ht, int threads) {
  auto [num, w_sum] = h_sums(w, ht, std::max(1, threads), nullptr);
  HStepTerms terms;
  terms.num = std::move(num);
  terms.den.resize(terms.num.size());
  const Index k = w.cols;
  for (Index j = 0; j < ht.rows; ++j)
    std::copy(w_sum.begin(), w_sum.end(), terms.den.begin() + std::ptrdiff_t(j * k));
  return terms;
}

template <typename T>
double beta_divergence_of(const nmfkit::Data<T>& x, double s, const Matrix<T>& w,
                          const Matrix<T>& ht, double beta, int threads) {
  if (beta == 1)
    if (const std::optional<typename SparseKl<T>::Form> form = csr_form(x))
      return kl_divergence<T>(*form, s, w, ht, nullptr, true, std::max(1, threads));
  return beta_divergence(x, s, w, ht, beta, threads);
}

template class SparseKl<float>;
template class SparseKl<double>;
template double beta_divergence_of<float>(const nmfkit::Data<float>&, double, const Matrix<float>&,
                                          const Matrix<float>&, double, int);
template double beta_divergence_of<double>(const nmfkit::Data<double>&, double,
                                           const Matrix<double>&, const Matrix<double>&, double,
                                           int);

}  // namespace nmfkit::core
