#pragma once
// The Kullback-Leibler (β = 1) multiplicative updates and divergence of core/beta.hpp for X stored
// in compressed sparse rows (CsrStorage, CsrViewStorage), at O(nnz·k) per pass instead of
// O(n·m·k): for β = 1 both need W·H only at X's stored entries, as scikit-learn's
// _special_sparse_dot computes it for scipy.sparse X. With wh = W_i·H_:j and safe(wh) = wh, or ε
// (kBetaEpsilon) where wh is exactly 0, Q has X's sparsity and the values q = s·x / safe(wh)
// (kernels::kl_quotients), and
//   W  ← W ⊙ (Q·Hᵀ) / (H's row sums + l1 + l2·W)                        (beta_mu_update_w, β = 1)
//   Hᵀ ← Hᵀ ⊙ (Qᵀ·W) / (W's column sums, 0 → 1, + l1 + l2·Hᵀ), Q of the new W  (beta_mu_update_h)
//   D_1(s·X ‖ W·H) = Σ_{stored, s·x > ε} [s·x·log(s·x / safe(wh)) − s·x] + Σ_l (Σ_i W_il)(Σ_j H_lj)
// (X's zeros contribute their wh alone). The results are the dense path's up to rounding (W·H is
// summed in another order) and the same bytes for any thread count. Memory: Q, built once (X's
// row starts and 32-bit columns, values in T), and the n × k and m × k numerators.
#include <cstdint>
#include <memory>
#include <utility>
#include <variant>
#include <vector>

#include "core/beta.hpp"
#include "kernels/csr.hpp"
#include "nmfkit/context.hpp"
#include "nmfkit/data.hpp"
#include "nmfkit/matrix.hpp"

namespace nmfkit::core {

template <typename T>
class SparseKl {
 public:
  /// The sparse path for x when it is stored in compressed sparse rows (CsrStorage,
  /// CsrViewStorage); nullptr for any other storage.
  static std::unique_ptr<SparseKl> make(const nmfkit::Data<T>& x);

  /// Q for s·X and the factors W (n × k) and Ht (m × k); with `divergence` also returns
  /// D_1(s·X ‖ W·H) over this process's rows (beta_divergence with β = 1), else 0.
  double quotients(double s, const Matrix<T>& w, const Matrix<T>& ht, bool divergence, int threads);
  /// One update of W (beta_mu_update_w with β = 1) from the Q of the current W and Ht.
  void update_w(Matrix<T>& w, const Matrix<T>& ht, double l1, double l2, int threads);
  /// One update of Hᵀ (beta_mu_update_h with β = 1) from the Q of the current W and Ht; with a
  /// reducer, the sums over samples (Qᵀ·W, W's column sums) are combined across processes first.
  void update_h(const Matrix<T>& w, Matrix<T>& ht, double l1, double l2, int threads,
                const Reducer* reducer);
  /// The sums of update_h() without the step (beta_mu_h_terms with β = 1), from the Q of the
  /// current W and Ht: Qᵀ·W, and W's column sums (0 → 1) repeated for each feature.
  HStepTerms h_terms(const Matrix<T>& w, const Matrix<T>& ht, int threads);

  /// X's stored entries, in whichever CSR form its storage holds them.
  using Form = std::variant<const kernels::CsrMatrix<T>*, const kernels::CsrBytes<T>*,
                            const kernels::CsrRef32<T>*, const kernels::CsrRef64<T>*>;
  explicit SparseKl(Form x);

 private:
  /// Qᵀ·W (m × k) and W's column sums with zeros replaced by 1, in double, combined across
  /// processes by the reducer when one is given.
  std::pair<std::vector<double>, std::vector<double>> h_sums(const Matrix<T>& w,
                                                             const Matrix<T>& ht, int threads,
                                                             const Reducer* reducer);

  Form x_;
  kernels::CsrMatrix<T> q_;   ///< X's row starts and columns; the values of the last quotients()
  std::vector<T> numerator_;  ///< Q·Ht (n × k) or Qᵀ·W (m × k)
};

/// beta_divergence(x, s, w, ht, beta, threads), from X's stored entries when β = 1 and x is stored
/// in compressed sparse rows (SparseKl), through row blocks otherwise.
template <typename T>
double beta_divergence_of(const nmfkit::Data<T>& x, double s, const Matrix<T>& w,
                          const Matrix<T>& ht, double beta, int threads);

}  // namespace nmfkit::core
