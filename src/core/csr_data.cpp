#include "core/csr_data.hpp"

#include <algorithm>
#include <utility>

namespace nmfkit::core {

template <typename T>
CsrStorage<T>::CsrStorage(const DenseView<T>& x, int threads)
    : rows_(x.rows), cols_(x.cols), stats_(check_dense_input(x, threads)) {
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

template class CsrStorage<float>;
template class CsrStorage<double>;

}  // namespace nmfkit::core
