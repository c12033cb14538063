#pragma once
// The data interface the driver and the initialisations see: exactly the products, ‖X‖² and mean.
// Dense float/double is the first representation; sparse, 8-bit and MPI row blocks come later.
#include <stdexcept>

#include "kernels/dense.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/matrix.hpp"

namespace nmfkit::core {

/// The data a fit sees is X/c for a scalar c > 0 the representation chooses (scale()), so that the
/// factors stay near 1 whatever X's magnitude: no float overflow or underflow in the products,
/// and thresholds such as NNDSVD's 1e-6 act relative to the data. The driver scales the results
/// back. Every method below describes X/c.
template <typename T>
class Data {
 public:
  virtual ~Data() = default;
  virtual Index rows() const = 0;
  virtual Index cols() const = 0;
  /// out (rows × p) = X · right (cols × p).
  virtual void times(const T* right, Index p, T* out) const = 0;
  /// out (cols × p) = Xᵀ · right (rows × p).
  virtual void transpose_times(const T* right, Index p, T* out) const = 0;
  /// One pass over X's rows for W's half-iteration: for each block of at most `block_rows`
  /// consecutive rows, that block's rows of X·Hᵀ (ht: cols × k) go to block(...), which updates
  /// the same rows of w (rows × k); the updated rows then enter xtw (cols × k) = Xᵀ·W and
  /// gram (k × k, double) = WᵀW. X is read once instead of twice; the results equal those of
  /// times, the updates, transpose_times and kernels::gram in sequence, bit for bit. Only where
  /// has_fused_w_pass().
  virtual void fused_w_pass(const T* ht, Index k, T* w, Index block_rows,
                            const kernels::RowBlockFn<T>& block, T* xtw, double* gram) const {
    (void)ht, (void)k, (void)w, (void)block_rows, (void)block, (void)xtw, (void)gram;
    throw std::logic_error("this data representation has no fused pass");
  }
  virtual bool has_fused_w_pass() const { return false; }
  /// ‖X − W·H‖²_F for W (rows × k) and H (k × cols), computed directly.
  virtual double residual_squared_norm(const T* w, const T* h, Index k) const = 0;
  virtual double squared_norm() const = 0;
  virtual double mean() const = 0;
  /// c: the data seen is X/c.
  virtual double scale() const = 0;
};

/// Checks a dense input as every representation built from one does: not empty, a data pointer,
/// rows and stride at most 2147483647 (so columns are too), stride >= columns, every entry
/// non-negative and finite, and ‖X‖² finite. Throws DataError or InvalidArgument naming the
/// problem; returns ‖X‖²_F and ΣX.
template <typename T>
kernels::NormAndSum check_dense_input(const DenseView<T>& x, int threads);

/// The c in X/c for data of these statistics: rms(X) with `normalize` (when that is positive and
/// its inverse finite), otherwise 1.
double data_scale(const kernels::NormAndSum& stats, Index rows, Index cols, bool normalize);

/// Dense row-major data over caller memory. The constructor checks the shape and every entry;
/// with `normalize` the data is seen as X/rms(X) (what fit() uses), otherwise as X itself.
template <typename T>
class DenseData final : public Data<T> {
 public:
  DenseData(const DenseView<T>& x, int threads, bool normalize = false);
  Index rows() const override { return x_.rows; }
  Index cols() const override { return x_.cols; }
  void times(const T* right, Index p, T* out) const override {
    kernels::times(x_, T(inverse_scale_), right, p, out, threads_);
  }
  void transpose_times(const T* right, Index p, T* out) const override {
    kernels::transpose_times(x_, T(inverse_scale_), right, p, out, threads_);
  }
  double residual_squared_norm(const T* w, const T* h, Index k) const override {
    return kernels::residual_squared_norm(x_, inverse_scale_, w, h, k, threads_);
  }
  double squared_norm() const override {
    return stats_.squared_norm * inverse_scale_ * inverse_scale_;
  }
  double mean() const override {
    return stats_.sum * inverse_scale_ / (double(x_.rows) * double(x_.cols));
  }
  double scale() const override { return scale_; }

 private:
  DenseView<T> x_;
  int threads_;
  kernels::NormAndSum stats_;
  double scale_ = 1;
  double inverse_scale_ = 1;
};

}  // namespace nmfkit::core
