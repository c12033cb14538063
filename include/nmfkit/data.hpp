#pragma once
/// Data<T>: X as a fit reads it. A fit never touches X's storage directly: it asks for the two
/// products X·R and Xᵀ·R, ‖X‖² and ΣX, and (for β ≠ 2) blocks of X's rows. nmfkit's own storage
/// (dense, compressed sparse rows, 8-bit codes) implements this interface; so can a caller's
/// storage: rows read from disk, the rows one process of a cluster holds, another library's
/// sparse matrix. Pass it to fit(const Data<T>&, ...) (fit.hpp).
#include <cstdint>
#include <functional>
#include <vector>

#include "nmfkit/matrix.hpp"

namespace nmfkit {

/// ‖X‖²_F and Σ X, accumulated in double.
struct DataStats {
  double squared_norm = 0;
  double sum = 0;
};

/// What a fused pass calls for each block of consecutive rows [first, first + count): `p` holds
/// those rows of scale·X·right (count × p, row stride p); the call updates the same rows of w,
/// which then enter the transposed product and the Gram matrix.
template <typename T>
using RowBlockFn = std::function<void(Index first, Index count, const T* p)>;

/// X (rows × cols, non-negative, finite) as a fit reads it. Every product takes a scale s and
/// works on s·X (a fit runs on X/c for a c of its choosing, see docs/design.md), and a thread
/// count it may use (≥ 1). Methods are const and may be called from several threads at once only
/// where said. A fit checks nothing of a caller's X beyond its shape: NaN or negative values give
/// a NumericError or a meaningless result.
template <typename T>
class Data {
 public:
  virtual ~Data() = default;
  virtual Index rows() const = 0;
  virtual Index cols() const = 0;
  /// ‖X‖²_F and Σ X.
  virtual DataStats stats() const = 0;
  /// out (rows × p) = scale · X · right, right being cols × p; all row-major.
  virtual void times(const T* right, Index p, T scale, T* out, int threads) const = 0;
  /// out (cols × p) = scale · Xᵀ · right, right being rows × p; all row-major.
  virtual void transpose_times(const T* right, Index p, T scale, T* out, int threads) const = 0;
  /// Rows [first, first + count) of X (unscaled), dense: a view of X's own memory, or of `buffer`
  /// after filling it (it is the caller's, count × cols or larger). Called from several threads at
  /// once, each with its own buffer. The losses other than Frobenius read X this way.
  virtual DenseView<T> row_block(Index first, Index count, std::vector<T>& buffer) const = 0;

  /// ‖scale·X − W·H‖²_F for W (rows × k) and H (k × cols), in double: the final error of a
  /// Frobenius fit. The default forms W·H block by block against row_block().
  virtual double residual_squared_norm(const T* w, const T* h, Index k, double scale,
                                       int threads) const;
  /// Whether X has an entry equal to 0 (losses with β ≤ 0 cannot fit them). The default scans
  /// row_block().
  virtual bool has_zero(int threads) const;
  /// Whether fused_w_pass() is available. Default false.
  virtual bool has_fused_w_pass() const { return false; }
  /// One pass over X's rows for W's half-iteration: for each block of at most `block_rows`
  /// consecutive rows, that block's rows of scale·X·ht (ht: cols × k) go to block(...), which
  /// updates the same rows of w (rows × k); the updated rows then enter xtw (cols × k) =
  /// scale·Xᵀ·W and gram (k × k, double) = WᵀW. The results must equal those of times(), the
  /// updates, transpose_times() and W's Gram matrix in sequence. Only where has_fused_w_pass().
  virtual void fused_w_pass(const T* ht, Index k, T scale, T* w, Index block_rows,
                            const RowBlockFn<T>& block, T* xtw, double* gram, int threads) const;
};

extern template class Data<float>;
extern template class Data<double>;

/// X in compressed sparse rows in the caller's memory (scipy.sparse.csr_matrix's layout), fitted
/// without a copy: row i's stored entries are values[indptr[i] .. indptr[i + 1]) in columns
/// indices[...], strictly increasing within a row (scipy's canonical form). I is std::int32_t or
/// std::int64_t, for both arrays. The memory must outlive the fit.
template <typename T, typename I>
struct CsrView {
  Index rows = 0;
  Index cols = 0;
  const I* indptr = nullptr;   ///< rows + 1 offsets, from 0
  const I* indices = nullptr;  ///< the column of each stored entry
  const T* values = nullptr;   ///< each stored entry: non-negative and finite
};

}  // namespace nmfkit
