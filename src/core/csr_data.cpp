#include "core/csr_data.hpp"

namespace nmfkit::core {

template <typename T>
CsrData<T>::CsrData(const DenseView<T>& x, int threads, bool normalize)
    : threads_(threads), stats_(check_dense_input(x, threads)) {
  // check_dense_input bounds the stride, hence the columns, by 2^31 − 1 = kernels::kMaxCsrCols.
  x_ = kernels::csr_from_dense(x, threads);
  rows_ = x_.rows;
  cols_ = x_.cols;
  bytes_ = kernels::csr_bytes(x_, threads);
  if (bytes_) x_ = kernels::CsrMatrix<T>{};
  scale_ = data_scale(stats_, x.rows, x.cols, normalize);
  inverse_scale_ = 1.0 / scale_;
}

template class CsrData<float>;
template class CsrData<double>;

}  // namespace nmfkit::core
