#include "core/csr_data.hpp"

#include <utility>

namespace nmfkit::core {

template <typename T>
CsrData<T>::CsrData(const DenseView<T>& x, int threads, bool normalize)
    : threads_(threads), stats_(check_dense_input(x, threads)) {
  rows_ = x.rows;
  cols_ = x.cols;
  bytes_ = kernels::csr_bytes(x, threads);
  // check_dense_input bounds the stride, hence the columns, by 2^31 − 1 = kernels::kMaxCsrCols.
  if (!bytes_) x_ = kernels::csr_from_dense(x, threads);
  scale_ = data_scale(stats_, x.rows, x.cols, normalize);
  inverse_scale_ = 1.0 / scale_;
}

template <typename T>
CsrData<T>::CsrData(kernels::CsrBytes<T> bytes, const std::array<std::int64_t, 256>& counts,
                    int threads, bool normalize)
    : bytes_(std::move(bytes)), rows_(bytes_->rows), cols_(bytes_->cols), threads_(threads) {
  for (std::size_t q = 1; q < 256; ++q) {
    const double v = bytes_->palette[q], count = double(counts[q]);
    stats_.squared_norm += count * v * v;
    stats_.sum += count * v;
  }
  scale_ = data_scale(stats_, rows_, cols_, normalize);
  inverse_scale_ = 1.0 / scale_;
}

template class CsrData<float>;
template class CsrData<double>;

}  // namespace nmfkit::core
