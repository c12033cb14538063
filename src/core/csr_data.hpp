#pragma once
// Sparse storage of X: compressed sparse rows, for data with many zeros (MNIST is 81% zeros),
// read by the fit through the nmfkit::Data interface exactly as dense storage is, at O(nnz) per
// product.
#include <optional>

#include "core/data.hpp"
#include "kernels/csr.hpp"

namespace nmfkit::core {

/// X copied from a dense row-major view into CSR (only the non-zeros are kept, exactly); when
/// every value is an 8-bit level (8-bit images), as kernels::CsrBytes, which gives the same
/// products from a third of the bytes. The constructor checks the view as DenseStorage does, with
/// the same errors and messages. The view is not referenced after construction.
template <typename T>
class CsrStorage final : public nmfkit::Data<T> {
 public:
  CsrStorage(const DenseView<T>& x, int threads);
  /// The same, given x's kernels::summarize (after check_dense_shape): no checking pass over x.
  CsrStorage(const DenseView<T>& x, const kernels::DenseSummary& summary, int threads);
  /// X held as 8-bit codes (kernels::csr_bytes_from_levels; palette[0] must be 0, every value
  /// finite and ≥ 0), never converted to T; `counts`: how many entries of X, zeros included,
  /// hold each level.
  CsrStorage(kernels::CsrBytes<T> bytes, const std::array<std::int64_t, 256>& counts);
  Index rows() const override { return rows_; }
  Index cols() const override { return cols_; }
  DataStats stats() const override { return {stats_.squared_norm, stats_.sum}; }
  void times(const T* right, Index p, T scale, T* out, int threads) const override {
    if (bytes_)
      kernels::times(*bytes_, scale, right, p, out, threads);
    else
      kernels::times(x_, scale, right, p, out, threads);
  }
  void transpose_times(const T* right, Index p, T scale, T* out, int threads) const override {
    if (bytes_)
      kernels::transpose_times(*bytes_, scale, right, p, out, threads);
    else
      kernels::transpose_times(x_, scale, right, p, out, threads);
  }
  bool has_fused_w_pass() const override { return true; }
  void fused_w_pass(const T* ht, Index k, T scale, T* w, Index block_rows,
                    const RowBlockFn<T>& block, T* xtw, double* gram, int threads) const override {
    if (bytes_)
      kernels::fused_rows(*bytes_, scale, ht, k, w, block_rows, block, xtw, gram, threads);
    else
      kernels::fused_rows(x_, scale, ht, k, w, block_rows, block, xtw, gram, threads);
  }
  double residual_squared_norm(const T* w, const T* h, Index k, double scale,
                               int threads) const override {
    return bytes_ ? kernels::residual_squared_norm(*bytes_, scale, w, h, k, threads)
                  : kernels::residual_squared_norm(x_, scale, w, h, k, threads);
  }
  DenseView<T> row_block(Index first, Index count, std::vector<T>& buffer) const override;
  bool has_zero(int) const override { return zeros_ > 0; }

  /// Whether X is held as 8-bit levels (kernels::CsrBytes) rather than T values.
  bool bytes() const { return bytes_.has_value(); }
  /// f(X's CSR form): the kernels::CsrBytes<T> or the kernels::CsrMatrix<T> (for kernels that
  /// read the stored entries themselves, as core/kl_sparse.hpp's).
  template <typename F>
  decltype(auto) visit(F&& f) const {
    return bytes_ ? f(*bytes_) : f(x_);
  }

 private:
  kernels::CsrMatrix<T> x_;  ///< empty when bytes_ holds X
  std::optional<kernels::CsrBytes<T>> bytes_;
  Index rows_ = 0, cols_ = 0;
  kernels::NormAndSum stats_;
  std::int64_t zeros_ = 0;
};

/// X in compressed sparse rows in the caller's memory (nmfkit::CsrView), checked at construction
/// and read in place by the same kernels as CsrStorage.
template <typename T, typename I>
class CsrViewStorage final : public nmfkit::Data<T> {
 public:
  CsrViewStorage(const CsrView<T, I>& x, int threads);
  Index rows() const override { return x_.rows; }
  Index cols() const override { return x_.cols; }
  DataStats stats() const override { return {stats_.squared_norm, stats_.sum}; }
  void times(const T* right, Index p, T scale, T* out, int threads) const override {
    kernels::times(x_, scale, right, p, out, threads);
  }
  void transpose_times(const T* right, Index p, T scale, T* out, int threads) const override {
    kernels::transpose_times(x_, scale, right, p, out, threads);
  }
  bool has_fused_w_pass() const override { return true; }
  void fused_w_pass(const T* ht, Index k, T scale, T* w, Index block_rows,
                    const RowBlockFn<T>& block, T* xtw, double* gram, int threads) const override {
    kernels::fused_rows(x_, scale, ht, k, w, block_rows, block, xtw, gram, threads);
  }
  double residual_squared_norm(const T* w, const T* h, Index k, double scale,
                               int threads) const override {
    return kernels::residual_squared_norm(x_, scale, w, h, k, threads);
  }
  DenseView<T> row_block(Index first, Index count, std::vector<T>& buffer) const override;
  bool has_zero(int) const override { return x_.nonzeros() < x_.rows * x_.cols; }
  /// f(X's CSR form, a kernels::CsrRef<T, I>), as CsrStorage::visit.
  template <typename F>
  decltype(auto) visit(F&& f) const {
    return f(x_);
  }

 private:
  kernels::CsrRef<T, I> x_;
  kernels::NormAndSum stats_;
};

/// CsrStorage and its scaled view in one object (what the tests and benchmarks build).
template <typename T>
class CsrData final : private StorageHolder<CsrStorage<T>>, public Scaled<T> {
 public:
  CsrData(const DenseView<T>& x, int threads, bool normalize = false)
      : StorageHolder<CsrStorage<T>>{CsrStorage<T>(x, threads)},
        Scaled<T>(this->owned_storage, threads, normalize) {}
  CsrData(const CsrData&) = delete;
  CsrData& operator=(const CsrData&) = delete;
  bool bytes() const { return this->owned_storage.bytes(); }
};

}  // namespace nmfkit::core
