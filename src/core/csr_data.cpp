#include "core/csr_data.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "kernels/blas.hpp"

namespace nmfkit::core {

template <typename T>
CsrStorage<T>::CsrStorage(const DenseView<T>& x, int threads)
    : CsrStorage(x, (check_dense_shape(x), kernels::summarize(x, threads)), threads) {}

template <typename T>
CsrStorage<T>::CsrStorage(const DenseView<T>& x, const kernels::DenseSummary& summary, int threads)
    : rows_(x.rows), cols_(x.cols), stats_(check_dense_values(summary)) {
  bytes_ = kernels::csr_bytes(x, threads);
  // check_dense_input bounds the stride, hence the columns, by 2^31 − 1 = kernels::kMaxCsrCols.
  if (!bytes_) x_ = kernels::csr_from_dense(x, threads);
  zeros_ = rows_ * cols_ - (bytes_ ? bytes_->nonzeros() : x_.nonzeros());
}

template <typename T>
CsrStorage<T>::CsrStorage(kernels::CsrBytes<T> bytes, const std::array<std::int64_t, 256>& counts)
    : bytes_(std::move(bytes)), rows_(bytes_->rows), cols_(bytes_->cols), zeros_(counts[0]) {
  for (std::size_t q = 1; q < 256; ++q) {
    const double v = bytes_->palette[q], count = double(counts[q]);
    stats_.squared_norm += count * v * v;
    stats_.sum += count * v;
  }
}

template <typename T>
DenseView<T> CsrStorage<T>::row_block(Index first, Index count, std::vector<T>& buffer) const {
  buffer.assign(static_cast<std::size_t>(count * cols_), T(0));
  for (Index i = 0; i < count; ++i) {
    T* out = buffer.data() + i * cols_;
    if (bytes_) {
      const kernels::CsrBytes<T>& b = *bytes_;
      for (std::int64_t e = b.row_start[first + i]; e < b.row_start[first + i + 1]; ++e)
        out[b.col[e]] = b.palette[b.code[e]];
    } else {
      for (std::int64_t e = x_.row_start[first + i]; e < x_.row_start[first + i + 1]; ++e)
        out[x_.col[e]] = x_.value[e];
    }
  }
  return DenseView<T>(buffer.data(), count, cols_);
}

template <typename T, typename I>
CsrViewStorage<T, I>::CsrViewStorage(const CsrView<T, I>& x, int threads) {
  if (x.rows <= 0 || x.cols <= 0)
    throw DataError("X is empty (" + std::to_string(x.rows) + " x " + std::to_string(x.cols) +
                    "); it needs at least one sample and one feature");
  if (x.indptr == nullptr || x.indices == nullptr || x.values == nullptr)
    throw InvalidArgument("the CSR view of X has no indptr, indices or values pointer");
  if (x.cols > kernels::kMaxBlasIndex)
    throw InvalidArgument("X has " + std::to_string(x.cols) + " columns; at most 2147483647");
  if (x.indptr[0] != 0)
    throw DataError("the CSR indptr of X must start at 0, got " + std::to_string(x.indptr[0]));
  for (Index r = 0; r < x.rows; ++r) {
    const auto begin = x.indptr[r], end = x.indptr[r + 1];
    if (end < begin)
      throw DataError("the CSR indptr of X decreases at sample " + std::to_string(r) + " (" +
                      std::to_string(begin) + " then " + std::to_string(end) + ")");
    for (auto e = begin; e < end; ++e) {
      const I c = x.indices[e];
      if (c < 0 || c >= x.cols || (e > begin && c <= x.indices[e - 1]))
        throw DataError("the CSR indices of X must be increasing columns below " +
                        std::to_string(x.cols) + " within each sample, but sample " +
                        std::to_string(r) + " has column " + std::to_string(c) +
                        (e > begin ? " after " + std::to_string(x.indices[e - 1]) : ""));
    }
  }
  const auto nnz = static_cast<std::size_t>(x.indptr[x.rows]);
  x_.rows = x.rows;
  x_.cols = x.cols;
  x_.row_start = std::span<const I>(x.indptr, static_cast<std::size_t>(x.rows) + 1);
  x_.col = std::span<const I>(x.indices, nnz);
  x_.value = std::span<const T>(x.values, nnz);
  if (const auto bad = kernels::first_invalid(x_, threads))
    throw DataError("X must be non-negative and finite, but has " + std::to_string(bad->value) +
                    " at sample " + std::to_string(bad->row) + ", feature " +
                    std::to_string(bad->col));
  stats_ = kernels::norm_and_sum(x_, threads);
  if (!std::isfinite(stats_.squared_norm))
    throw DataError("X is too large: its squared Frobenius norm overflows");
}

template <typename T, typename I>
DenseView<T> CsrViewStorage<T, I>::row_block(Index first, Index count,
                                             std::vector<T>& buffer) const {
  buffer.assign(static_cast<std::size_t>(count * x_.cols), T(0));
  for (Index i = 0; i < count; ++i) {
    T* out = buffer.data() + i * x_.cols;
    for (auto e = x_.row_start[first + i]; e < x_.row_start[first + i + 1]; ++e)
      out[x_.col[e]] = x_.value[e];
  }
  return DenseView<T>(buffer.data(), count, x_.cols);
}

template class CsrViewStorage<float, std::int32_t>;
template class CsrViewStorage<float, std::int64_t>;
template class CsrViewStorage<double, std::int32_t>;
template class CsrViewStorage<double, std::int64_t>;
template class CsrStorage<float>;
template class CsrStorage<double>;

}  // namespace nmfkit::core
