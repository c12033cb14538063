#pragma once
// nmfkit's dense storage of X (an implementation of the public nmfkit::Data interface) and the
// scaled view through which the fit, the initialisations and the rank selection read any Data.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/dense.hpp"
#include "nmfkit/context.hpp"
#include "nmfkit/data.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/matrix.hpp"

namespace nmfkit::core {

/// Checks a dense input as every representation built from one does: not empty, a data pointer,
/// rows and stride at most 2147483647 (so columns are too), stride >= columns, every entry
/// non-negative and finite, and ‖X‖² finite. Throws DataError or InvalidArgument naming the
/// problem; returns ‖X‖²_F and ΣX.
template <typename T>
kernels::NormAndSum check_dense_input(const DenseView<T>& x, int threads);

/// check_dense_input's checks in two steps, for a caller that wants X's summary too: the shape
/// (before any entry is read), then the values from kernels::summarize(x) (returns its sums).
template <typename T>
void check_dense_shape(const DenseView<T>& x);
kernels::NormAndSum check_dense_values(const kernels::DenseSummary& summary);

/// Whether every entry of m is finite (the final check of a fit's factors).
template <typename T>
bool all_finite(const Matrix<T>& m) {
  for (T v : m.values)
    if (!std::isfinite(v)) return false;
  return true;
}

/// A copy of the caller's factor `v` (rows × cols expected), each entry divided by `divisor`,
/// transposed (cols × rows) when asked. Throws InvalidArgument naming the factor for another
/// shape, DataError naming the entry for a negative or non-finite value.
template <typename T>
Matrix<T> checked_copy(const DenseView<T>& v, Index rows, Index cols, const char* name,
                       double divisor = 1.0, bool transpose = false) {
  if (v.data == nullptr || v.rows != rows || v.cols != cols)
    throw InvalidArgument(std::string(name) + " must be " + std::to_string(rows) + " x " +
                          std::to_string(cols) + ", got " + std::to_string(v.rows) + " x " +
                          std::to_string(v.cols));
  Matrix<T> m = transpose ? Matrix<T>(cols, rows) : Matrix<T>(rows, cols);
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < cols; ++j) {
      const T value = v(i, j);
      if (!(value >= 0) || !std::isfinite(value))
        throw DataError(std::string(name) + " must be non-negative and finite, but has " +
                        std::to_string(double(value)) + " at row " + std::to_string(i) +
                        ", column " + std::to_string(j));
      (transpose ? m(j, i) : m(i, j)) = static_cast<T>(double(value) / divisor);
    }
  return m;
}

/// The c in X/c for data of these statistics: rms(X) with `normalize` (when that is positive and
/// its inverse finite), otherwise 1.
double data_scale(const DataStats& stats, double rows, Index cols, bool normalize);

/// Dense row-major X over caller memory; the constructor checks the shape and every entry.
template <typename T>
class DenseStorage final : public nmfkit::Data<T> {
 public:
  DenseStorage(const DenseView<T>& x, int threads);
  /// The same, given x's kernels::summarize (after check_dense_shape): no pass over x.
  DenseStorage(const DenseView<T>& x, const kernels::DenseSummary& summary);
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
  DenseView<T> row_block(Index first, Index count, std::vector<T>&) const override {
    return DenseView<T>(x_.row(first), count, x_.cols, x_.stride);
  }
  double residual_squared_norm(const T* w, const T* h, Index k, double scale,
                               int threads) const override {
    return kernels::residual_squared_norm(x_, scale, w, h, k, threads);
  }

 private:
  DenseView<T> x_;
  kernels::NormAndSum stats_;
};

/// Dense X held as 8-bit levels (kernels::DenseLevels) over caller memory: the products decode a
/// block of rows at a time, so X takes a quarter of a float copy's memory, and every result is
/// that copy's, bit for bit (the same values through the same kernels). `summary` is
/// kernels::summarize(levels).
class DenseLevelsStorage final : public nmfkit::Data<float> {
 public:
  DenseLevelsStorage(const kernels::DenseLevels& x, const kernels::DenseSummary& summary)
      : x_(x), stats_(summary.stats), zeros_(summary.zeros > 0) {}
  Index rows() const override { return x_.rows(); }
  Index cols() const override { return x_.cols(); }
  DataStats stats() const override { return {stats_.squared_norm, stats_.sum}; }
  void times(const float* right, Index p, float scale, float* out, int threads) const override {
    kernels::times(x_, scale, right, p, out, threads);
  }
  void transpose_times(const float* right, Index p, float scale, float* out,
                       int threads) const override {
    kernels::transpose_times(x_, scale, right, p, out, threads);
  }
  bool has_fused_w_pass() const override { return true; }
  void fused_w_pass(const float* ht, Index k, float scale, float* w, Index block_rows,
                    const RowBlockFn<float>& block, float* xtw, double* gram,
                    int threads) const override {
    kernels::fused_rows(x_, scale, ht, k, w, block_rows, block, xtw, gram, threads);
  }
  DenseView<float> row_block(Index first, Index count, std::vector<float>& buffer) const override {
    buffer.resize(static_cast<std::size_t>(count * x_.cols()));
    kernels::decode_levels(x_, first, count, buffer.data());
    return DenseView<float>(buffer.data(), count, x_.cols());
  }
  double residual_squared_norm(const float* w, const float* h, Index k, double scale,
                               int threads) const override {
    return kernels::residual_squared_norm(x_, scale, w, h, k, threads);
  }
  bool has_zero(int) const override { return zeros_; }

 private:
  kernels::DenseLevels x_;
  kernels::NormAndSum stats_;
  bool zeros_;
};

/// What a fit reads: X/c for the c of data_scale() (so that the factors stay near 1 whatever X's
/// magnitude: no float overflow or underflow in the products, and thresholds such as NNDSVD's
/// 1e-6 act relative to the data; the fit scales its results back), with the fit's thread count.
/// Every method describes X/c. With a reducer (FitContext), X holds some of the samples and the
/// statistics are those of all of them.
template <typename T>
class Scaled {
 public:
  Scaled(const nmfkit::Data<T>& x, int threads, bool normalize, const Reducer* reducer = nullptr);
  /// This process's samples (all of them on one process).
  Index rows() const { return x_->rows(); }
  Index cols() const { return x_->cols(); }
  /// The samples of every process.
  Index total_rows() const { return static_cast<Index>(total_rows_); }
  /// out (rows × p) = X/c · right (cols × p).
  void times(const T* right, Index p, T* out) const {
    x_->times(right, p, T(inverse_scale_), out, threads_);
  }
  /// out (cols × p) = (X/c)ᵀ · right (rows × p): this process's part of the sum over samples.
  void transpose_times(const T* right, Index p, T* out) const {
    x_->transpose_times(right, p, T(inverse_scale_), out, threads_);
  }
  bool has_fused_w_pass() const { return x_->has_fused_w_pass(); }
  void fused_w_pass(const T* ht, Index k, T* w, Index block_rows, const RowBlockFn<T>& block,
                    T* xtw, double* gram) const {
    x_->fused_w_pass(ht, k, T(inverse_scale_), w, block_rows, block, xtw, gram, threads_);
  }
  /// ‖X/c − W·H‖²_F over this process's samples.
  double residual_squared_norm(const T* w, const T* h, Index k) const {
    return x_->residual_squared_norm(w, h, k, inverse_scale_, threads_);
  }
  /// ‖X/c‖²_F over all samples.
  double squared_norm() const { return stats_.squared_norm * inverse_scale_ * inverse_scale_; }
  /// mean(X/c) over all samples.
  double mean() const { return stats_.sum * inverse_scale_ / (total_rows_ * double(cols())); }
  double scale() const { return scale_; }
  double inverse_scale() const { return inverse_scale_; }
  int threads() const { return threads_; }
  const nmfkit::Data<T>& storage() const { return *x_; }

 private:
  const nmfkit::Data<T>* x_;
  int threads_;
  DataStats stats_;
  double total_rows_ = 0;
  double scale_ = 1;
  double inverse_scale_ = 1;
};

/// Storage and its scaled view in one object (what the tests and benchmarks build).
template <typename Storage>
struct StorageHolder {
  Storage owned_storage;
};

template <typename T>
class DenseData final : private StorageHolder<DenseStorage<T>>, public Scaled<T> {
 public:
  DenseData(const DenseView<T>& x, int threads, bool normalize = false)
      : StorageHolder<DenseStorage<T>>{DenseStorage<T>(x, threads)},
        Scaled<T>(this->owned_storage, threads, normalize) {}
  DenseData(const DenseData&) = delete;
  DenseData& operator=(const DenseData&) = delete;
};

}  // namespace nmfkit::core
