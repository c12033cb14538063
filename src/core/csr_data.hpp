#pragma once
// Sparse data: X kept in compressed sparse rows, for data with many zeros (MNIST is 81% zeros).
// Seen by the driver and the initialisations exactly as DenseData is, at O(nnz) per product.
#include <optional>

#include "core/data.hpp"
#include "kernels/csr.hpp"

namespace nmfkit::core {

/// X copied from a dense row-major view into CSR (only the non-zeros are kept, exactly); when
/// every value is an 8-bit level (8-bit images), as kernels::CsrBytes, which gives the same
/// products from a third of the bytes. The
/// constructor checks the view as DenseData does, with the same errors and messages; with
/// `normalize` the data is seen as X/rms(X), otherwise as X itself, as DenseData. The view is not
/// referenced after construction.
template <typename T>
class CsrData final : public Data<T> {
 public:
  CsrData(const DenseView<T>& x, int threads, bool normalize = false);
  /// X held as 8-bit codes (kernels::csr_bytes_from_levels; palette[0] must be 0, every value
  /// finite and ≥ 0), never converted to T; `counts`: how many entries of X, zeros included,
  /// hold each level.
  CsrData(kernels::CsrBytes<T> bytes, const std::array<std::int64_t, 256>& counts, int threads,
          bool normalize = false);
  Index rows() const override { return rows_; }
  Index cols() const override { return cols_; }
  void times(const T* right, Index p, T* out) const override {
    if (bytes_)
      kernels::times(*bytes_, T(inverse_scale_), right, p, out, threads_);
    else
      kernels::times(x_, T(inverse_scale_), right, p, out, threads_);
  }
  void transpose_times(const T* right, Index p, T* out) const override {
    if (bytes_)
      kernels::transpose_times(*bytes_, T(inverse_scale_), right, p, out, threads_);
    else
      kernels::transpose_times(x_, T(inverse_scale_), right, p, out, threads_);
  }
  void fused_w_pass(const T* ht, Index k, T* w, Index block_rows,
                    const kernels::RowBlockFn<T>& block, T* xtw, double* gram) const override {
    if (bytes_)
      kernels::fused_rows(*bytes_, T(inverse_scale_), ht, k, w, block_rows, block, xtw, gram,
                          threads_);
    else
      kernels::fused_rows(x_, T(inverse_scale_), ht, k, w, block_rows, block, xtw, gram, threads_);
  }
  bool has_fused_w_pass() const override { return true; }
  double residual_squared_norm(const T* w, const T* h, Index k) const override {
    return bytes_ ? kernels::residual_squared_norm(*bytes_, inverse_scale_, w, h, k, threads_)
                  : kernels::residual_squared_norm(x_, inverse_scale_, w, h, k, threads_);
  }
  double squared_norm() const override {
    return stats_.squared_norm * inverse_scale_ * inverse_scale_;
  }
  double mean() const override {
    return stats_.sum * inverse_scale_ / (double(rows_) * double(cols_));
  }
  double scale() const override { return scale_; }

  /// Whether X is held as 8-bit levels (kernels::CsrBytes) rather than T values.
  bool bytes() const { return bytes_.has_value(); }

 private:
  kernels::CsrMatrix<T> x_;  ///< empty when bytes_ holds X
  std::optional<kernels::CsrBytes<T>> bytes_;
  Index rows_ = 0, cols_ = 0;
  int threads_;
  kernels::NormAndSum stats_;
  double scale_ = 1;
  double inverse_scale_ = 1;
};

}  // namespace nmfkit::core
