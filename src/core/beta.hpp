#pragma once
// β-divergence kernels for dense data: the divergence D_β(X‖W·H) and one multiplicative update of
// W or of Hᵀ, each exactly as scikit-learn's _beta_divergence, _multiplicative_update_w and
// _multiplicative_update_h (sklearn/decomposition/_nmf.py) compute them on dense X.
//
// X (n × m) is read as inverse_scale·X without a copy, a DenseView or any nmfkit::Data's row
// blocks; W is n × k and H is kept transposed, Ht (m × k), both row-major. W·H is never formed
// whole: rows are visited in the fixed chunks of kernels::row_chunks, each in sub-blocks of about
// 1M entries (W_block·H by BLAS, then the elementwise work in double), and every reduction over
// rows adds per-chunk partials in chunk order, so the results are the same bytes for any thread
// count (threads < 1 counts as 1). Call with OpenBLAS single-threaded (kernels::BlasThreadsGuard),
// as fit() does. Memory beyond the factors: per thread two sub-blocks (2·~1M entries of T); the H
// update also keeps one m × k partial per chunk in double, two for β ∉ {1, 2} (at most 32 chunks:
// 20 MB for m = 784, k = 50).
//
// scikit-learn's conventions, kept on purpose:
// - ε = float32's machine epsilon (kBetaEpsilon).
// - The divergence skips entries with X ≤ ε (for β ≠ 2) and replaces W·H = 0 there by ε; the
//   terms that do not involve X (Σ W·H for β = 1, Σ (W·H)^β for other β) still run over every
//   entry. For β = 0 it subtracts n·m, so each skipped entry contributes −1 (β ≤ 0 is meant for X
//   without zeros).
// - The updates replace W·H = 0 by ε in the numerator's (W·H)^(β−2) when β < 2 and in the
//   denominator's (W·H)^(β−1) when β < 1; the denominator adds l1 and l2·(old factor), and a
//   denominator that is exactly 0 becomes ε. The ratio is raised to γ (beta_mu_exponent).
// - β = 1: the denominator of the W update is the row sums of H; that of the H update is the
//   column sums of W, a zero sum replaced by 1.
// Not part of the updates (scikit-learn's fit loop does it after them): zeroing entries of W below
// float64's epsilon when β < 1, and of H when β ≤ 1.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/dense.hpp"
#include "nmfkit/context.hpp"
#include "nmfkit/data.hpp"
#include "nmfkit/matrix.hpp"

namespace nmfkit::core {

/// np.finfo(np.float32).eps, scikit-learn's EPSILON.
inline constexpr double kBetaEpsilon = kernels::kBetaLoopsEpsilon;

/// γ of Févotte & Idier (2011), the exponent that makes the updates monotone for every β:
/// 1/(2−β) for β < 1, 1 for 1 ≤ β ≤ 2, 1/(β−1) for β > 2.
inline double beta_mu_exponent(double beta) {
  if (beta < 1) return 1.0 / (2.0 - beta);
  if (beta > 2) return 1.0 / (beta - 1.0);
  return 1.0;
}

/// The multiplicative step of one entry: old · (num / den')^γ with den' = den + l1 + l2·old, and
/// den' = 0 replaced by ε.
inline double beta_mu_step(double old, double num, double den, double l1, double l2, double gamma) {
  if (l1 > 0) den += l1;
  if (l2 > 0) den += l2 * old;
  if (den == 0) den = kBetaEpsilon;
  double ratio = num / den;
  if (gamma == 0.5)
    ratio = std::sqrt(ratio);
  else if (gamma != 1)
    ratio = std::pow(ratio, gamma);
  return old * ratio;
}

/// out[l] = Σ_q f[q]·g[q·k + l] for l < k: a row f (k entries) times the k × k matrix g, each
/// sum over q in increasing order (vectorised across l).
template <typename T>
inline void row_times_square(const T* f, const double* g, Index k, double* out) {
  std::fill(out, out + k, 0.0);
  for (Index q = 0; q < k; ++q) {
    const double fq = double(f[q]);
    const double* gq = g + q * k;
#pragma omp simd
    for (Index l = 0; l < k; ++l) out[l] += fq * gq[l];
  }
}

/// Σ over rows of f (rows × k), per column, in double: fixed row chunks added in chunk order, so
/// the same bytes for any thread count.
template <typename T>
std::vector<double> factor_column_sums(const Matrix<T>& f, int threads);

/// Σ (W·H) over every entry, from the factors' column sums: Σ_l (Σ_i W_il)(Σ_j H_lj).
template <typename T>
double product_sum(const Matrix<T>& w, const Matrix<T>& ht, int threads);

/// D_β(s·X ‖ W·Htᵀ) exactly as scikit-learn's _beta_divergence(X, W, H, beta) (square_root=False),
/// accumulated in double. β = 2 gives ½‖s·X − W·H‖²_F, β = 1 the generalised Kullback-Leibler
/// divergence, β = 0 Itakura-Saito.
template <typename T>
double beta_divergence(const DenseView<T>& x, double inverse_scale, const Matrix<T>& w,
                       const Matrix<T>& ht, double beta, int threads);
template <typename T>
double beta_divergence(const nmfkit::Data<T>& x, double inverse_scale, const Matrix<T>& w,
                       const Matrix<T>& ht, double beta, int threads);

/// One multiplicative update of W (all rows) for β-divergence β, with penalty
/// l1·‖W‖₁ + ½·l2·‖W‖²_F (l1, l2 already scaled as scikit-learn's l1_reg_W, l2_reg_W), as
/// _multiplicative_update_w with γ = beta_mu_exponent(β).
template <typename T>
void beta_mu_update_w(const DenseView<T>& x, double inverse_scale, Matrix<T>& w,
                      const Matrix<T>& ht, double beta, double l1, double l2, int threads);
template <typename T>
void beta_mu_update_w(const nmfkit::Data<T>& x, double inverse_scale, Matrix<T>& w,
                      const Matrix<T>& ht, double beta, double l1, double l2, int threads);

/// W's multiplicative update (β ≠ 2) split in two, for a caller that evaluates the divergence of
/// the current W and H anyway: beta_divergence_w_terms() returns beta_divergence(x, …) and keeps
/// the products that beta_mu_update_w() would form from the same W and H (formed in the same
/// pass from the same W·H: one product W·H and one read of X fewer than the two calls);
/// beta_mu_step_w() then updates W from them exactly as beta_mu_update_w() would have.
template <typename T>
struct WStepTerms {
  Matrix<T> num;  ///< (X ⊙ (W·H)^(β−2))·Hᵀ, n × k
  Matrix<T> den;  ///< (W·H)^(β−1)·Hᵀ, n × k; empty for β = 1 (H's row sums instead)
};
template <typename T>
double beta_divergence_w_terms(const nmfkit::Data<T>& x, double inverse_scale, const Matrix<T>& w,
                               const Matrix<T>& ht, double beta, int threads, WStepTerms<T>& kept);
/// beta_divergence_w_terms() without the divergence: the kept products alone (the same bytes),
/// for an iteration whose objective nothing reads (FitOptions::lazy_objective).
template <typename T>
void beta_w_terms(const nmfkit::Data<T>& x, double inverse_scale, const Matrix<T>& w,
                  const Matrix<T>& ht, double beta, int threads, WStepTerms<T>& kept);
template <typename T>
void beta_mu_step_w(const WStepTerms<T>& kept, Matrix<T>& w, const Matrix<T>& ht, double beta,
                    double l1, double l2, int threads);

/// One multiplicative update of Hᵀ given the current W (pass the freshly updated one), as
/// _multiplicative_update_h with γ = beta_mu_exponent(β) and penalty l1·‖H‖₁ + ½·l2·‖H‖²_F.
template <typename T>
void beta_mu_update_h(const DenseView<T>& x, double inverse_scale, const Matrix<T>& w,
                      Matrix<T>& ht, double beta, double l1, double l2, int threads);
/// With a reducer the sums over samples (the numerator and denominator, WᵀW, W's column sums)
/// are combined across processes before the step.
template <typename T>
void beta_mu_update_h(const nmfkit::Data<T>& x, double inverse_scale, const Matrix<T>& w,
                      Matrix<T>& ht, double beta, double l1, double l2, int threads,
                      const Reducer* reducer = nullptr);

/// H's multiplicative step before the ratio: for feature j and component l, entry j·k + l of
/// `num` and `den` (m × k, double) are _multiplicative_update_h's numerator and denominator
/// without the regularisation (X ⊙ (W·H)^(β−2))ᵀ·W and ((W·H)^(β−1))ᵀ·W, i.e. Xᵀ·W and H·WᵀW
/// for β = 2, W's column sums (zeros replaced by 1) for β = 1.
struct HStepTerms {
  std::vector<double> num, den;
  double divergence = 0;  ///< D_β(X‖W·H) when asked for (beta_mu_h_terms), else 0
};

/// The sums of beta_mu_update_h() without the step, for a caller that combines them with terms
/// of its own (scikit-learn's MiniBatchNMF keeps running sums of them). divergence: also
/// beta_divergence(x, inverse_scale, w, ht, beta) into the result, the same bytes, formed from
/// the W·H the terms are formed from.
template <typename T>
HStepTerms beta_mu_h_terms(const DenseView<T>& x, double inverse_scale, const Matrix<T>& w,
                           const Matrix<T>& ht, double beta, int threads, bool divergence = false);

}  // namespace nmfkit::core
