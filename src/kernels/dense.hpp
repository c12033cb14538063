#pragma once
// The hot code for dense row-major data: the skinny products X·R and Xᵀ·R, Gram matrices,
// norms and value checks. Deterministic for any thread count (see chunks.hpp).
#include <cstdint>
#include <functional>
#include <optional>

#include "nmfkit/matrix.hpp"

namespace nmfkit::kernels {

// Every function that reads X takes `scale` and works on scale·X, so a caller can fit X/c without
// copying X.

/// What a fused pass over X's rows (csr.hpp's fused_rows) calls for each block of consecutive
/// rows [first, first + count): `p` holds those rows of scale·X·right (count × p, row stride p);
/// the call must leave the same rows of `w` as they are to enter the transposed product and the
/// Gram.
template <typename T>
using RowBlockFn = std::function<void(Index first, Index count, const T* p)>;

// The dense products are nmfkit's own in both precisions (kernels/dense_products.inl), not
// BLAS's: OpenBLAS's gemm packs X into panels for each product (as much memory traffic as the
// product when the other side has 10-20 columns), and it has no pass that forms both products
// while a block of X is in cache. Single precision: about twice OpenBLAS's sgemm on photo
// patches at k = 4 to 50 with AVX-512, 1.3-1.6 times with AVX2; double precision since the panel
// products (2026-12-07, docs/performance.md): whole fits 20-42% shorter than through dgemm on
// Fashion-MNIST at k = 4 to 20 with AVX2, 28-37% at k = 20 and 50 with AVX-512.

/// out (n × p) = scale · X (n × m) · right (m × p).
template <typename T>
void times(const DenseView<T>& x, T scale, const T* right, Index p, T* out, int threads);

/// out (m × p) = scale · Xᵀ (m × n) · right (n × p).
template <typename T>
void transpose_times(const DenseView<T>& x, T scale, const T* right, Index p, T* out, int threads);

/// One pass over X's rows in blocks of block_rows that does what times(), an update of the rows
/// of w and transpose_times() with w do in sequence, each block's rows of X read while in cache:
/// `block` gets each block's rows of scale·X·right (right: m × p) and updates the same rows of w
/// (n × p), which then enter out (m × p) = scale·Xᵀ·w and gram (p × p, double) = wᵀw. The same
/// bytes as the three steps apart (kernels/dense_products.inl), for any thread count.
template <typename T>
void fused_rows(const DenseView<T>& x, T scale, const T* right, Index p, T* w, Index block_rows,
                const RowBlockFn<T>& block, T* out, double* gram, int threads);

/// X held as 8-bit levels: X(i, j) = float(double(levels(i, j)) · level_scale), the value
/// core::make_data's palette gives each level, formed exactly so by the kernels below as they read
/// a block of rows (a quarter of a float copy's memory). Their results are those of the same
/// functions on the float copy, bit for bit: the kernels take each block's decoded rows through
/// the float ones' code.
struct DenseLevels {
  DenseView<std::uint8_t> levels;
  double level_scale = 1;
  /// Where fused_decode: fma(float(q), scale_hi, float(q) · scale_lo) rounds to the same float as
  /// double(q) · level_scale for every level q (checked for all 256 by with_scale), and the
  /// kernels with fused multiply-adds decode by that, in single precision (4 vector instructions
  /// per vector of levels, against 11 through doubles). Otherwise, and in the baseline kernels,
  /// through double.
  float scale_hi = 0, scale_lo = 0;
  bool fused_decode = false;
  Index rows() const { return levels.rows; }
  Index cols() const { return levels.cols; }
  /// The levels with their scale, fused_decode set where it holds.
  static DenseLevels with_scale(const DenseView<std::uint8_t>& levels, double level_scale);
};
void times(const DenseLevels& x, float scale, const float* right, Index p, float* out, int threads);
void transpose_times(const DenseLevels& x, float scale, const float* right, Index p, float* out,
                     int threads);
void fused_rows(const DenseLevels& x, float scale, const float* right, Index p, float* w,
                Index block_rows, const RowBlockFn<float>& block, float* out, double* gram,
                int threads);
double residual_squared_norm(const DenseLevels& x, double scale, const float* w, const float* h,
                             Index k, int threads);
/// Rows [first, first + count) of X decoded into out (count × cols, row stride cols).
void decode_levels(const DenseLevels& x, Index first, Index count, float* out);

/// ‖scale·X − W·H‖²_F for W (n × k) and H (k × m), formed block by block (never the whole W·H)
/// and accumulated in double: the exact error, free of the cancellation of the Gram trick.
template <typename T>
double residual_squared_norm(const DenseView<T>& x, double scale, const T* w, const T* h, Index k,
                             int threads);

/// wh (rows × m) = w (rows × k, row stride k) · h (k × m), on the calling thread. Single
/// precision runs nmfkit's own loop (kernels/dense_products.inl: each entry Σ_t w_it·h_tj with t
/// in order, on every instruction set), so that no single-precision fit calls OpenBLAS; double
/// calls BLAS's dgemm.
template <typename T>
void w_times_h(const T* w, Index rows, Index k, const T* h, Index m, T* wh);

/// out (rows × m) = a (rows × k, row stride k) · b (k × m) with nmfkit's own loop in either
/// precision (never BLAS, so it may run inside a parallel region), on the calling thread: each
/// entry Σ_t a_it·b_tj with t in order, on every instruction set.
template <typename T>
void small_product(const T* a, Index rows, Index k, const T* b, Index m, T* out);

/// g (k × k) = fᵀ·f for f (rows × k), accumulated and returned in double.
template <typename T>
void gram(const T* f, Index rows, Index k, double* g, int threads);

/// out[i] = max(0, plain[i] + beta·(plain[i] − last[i])) for i < size, computed in double and
/// rounded to T (NaN gives 0): the extrapolation step of a factor, on one range of its entries.
template <typename T>
void extrapolate_range(T* out, const T* plain, const T* last, Index size, double beta);

/// ε of the β-divergences: float32's machine epsilon, scikit-learn's EPSILON.
inline constexpr double kBetaLoopsEpsilon = 1.1920928955078125e-07;

/// Σ over `rows` rows of X (row stride x_stride) and W·H (rows × m, contiguous) of the
/// unnormalised β-divergence terms, s·X read for X, accumulated in double:
///   β = 2:  (x − wh)²
///   β = 1:  x·log(x/wh) − x + wh                 (wh alone where x ≤ ε)
///   β = 0:  x/wh − 1 − log(x/wh)                 (−1 where x ≤ ε)
///   else:   x^β − β·x·wh^(β−1) + (β−1)·wh^β       ((β−1)·wh^β where x ≤ ε)
/// with wh = 0 replaced by ε wherever it meets x > ε, except in the terms free of x
/// (scikit-learn's _beta_divergence). The caller divides by 2 or β(β−1).
template <typename T>
double beta_divergence_rows(const T* x, Index x_stride, const T* wh, Index rows, Index m, double s,
                            double beta);

/// For β ≠ 2: num ← s·X ⊙ (W·H)^(β−2) (a quotient for β = 1) and, unless β = 1, wh is overwritten
/// by (W·H)^(β−1); W·H = 0 becomes ε in the first when β < 2, in the second when β < 1
/// (scikit-learn's _multiplicative_update_w/h). num and wh are rows × m, contiguous.
template <typename T>
void beta_mu_terms(const T* x, Index x_stride, Index rows, Index m, double s, double beta, T* wh,
                   T* num);

/// Σ a_i·b_i over `count` entries, accumulated in double.
template <typename T>
double dot(const T* a, const T* b, Index count, int threads);

/// ‖X‖²_F and Σ X, accumulated in double.
struct NormAndSum {
  double squared_norm = 0;
  double sum = 0;
  NormAndSum& operator+=(const NormAndSum& o) {
    squared_norm += o.squared_norm;
    sum += o.sum;
    return *this;
  }
};
template <typename T>
NormAndSum norm_and_sum(const DenseView<T>& x, int threads);

/// The first entry (in row-major order) that is negative, NaN or infinite, if any.
struct BadEntry {
  Index row = 0;
  Index col = 0;
  double value = 0;
};
template <typename T>
std::optional<BadEntry> first_invalid(const DenseView<T>& x, int threads);

/// What one pass over X tells: how many entries are 0, norm_and_sum's sums (formed in the same
/// order: the same bytes) and first_invalid's entry. The sums include any invalid entries.
struct DenseSummary {
  Index zeros = 0;
  NormAndSum stats;
  std::optional<BadEntry> bad;
};
template <typename T>
DenseSummary summarize(const DenseView<T>& x, int threads);
/// summarize() of the decoded X (the same sums in the same order, so the same bytes).
DenseSummary summarize(const DenseLevels& x, int threads);

}  // namespace nmfkit::kernels
