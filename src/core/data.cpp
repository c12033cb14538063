#include "core/data.hpp"

#include <cmath>
#include <string>

#include "kernels/blas.hpp"

namespace nmfkit::core {

namespace {

std::string describe(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return "negative value " + std::to_string(value);
}

}  // namespace

template <typename T>
kernels::NormAndSum check_dense_input(const DenseView<T>& x, int threads) {
  if (x.rows <= 0 || x.cols <= 0)
    throw DataError("X is empty (" + std::to_string(x.rows) + " x " + std::to_string(x.cols) +
                    "); it needs at least one sample and one feature");
  if (x.data == nullptr) throw InvalidArgument("X has no data pointer");
  if (x.rows > kernels::kMaxBlasIndex || x.stride > kernels::kMaxBlasIndex)
    throw InvalidArgument("X is " + std::to_string(x.rows) + " x " + std::to_string(x.cols) +
                          " with row stride " + std::to_string(x.stride) +
                          "; rows, columns and stride must each be at most 2147483647");
  if (x.stride < x.cols)
    throw InvalidArgument("X row stride " + std::to_string(x.stride) + " is less than its " +
                          std::to_string(x.cols) + " columns");
  if (const auto bad = kernels::first_invalid(x, threads)) {
    throw DataError("X must be non-negative and finite, but has a " + describe(bad->value) +
                    " at sample " + std::to_string(bad->row) + ", feature " +
                    std::to_string(bad->col));
  }
  const kernels::NormAndSum stats = kernels::norm_and_sum(x, threads);
  if (!std::isfinite(stats.squared_norm))
    throw DataError("X is too large: its squared Frobenius norm overflows");
  return stats;
}

double data_scale(const kernels::NormAndSum& stats, Index rows, Index cols, bool normalize) {
  const double rms = std::sqrt(stats.squared_norm / (double(rows) * double(cols)));
  return normalize && rms > 0 && std::isfinite(1.0 / rms) ? rms : 1.0;
}

template <typename T>
DenseData<T>::DenseData(const DenseView<T>& x, int threads, bool normalize)
    : x_(x), threads_(threads), stats_(check_dense_input(x, threads)) {
  scale_ = data_scale(stats_, x.rows, x.cols, normalize);
  inverse_scale_ = 1.0 / scale_;
}

template kernels::NormAndSum check_dense_input<float>(const DenseView<float>&, int);
template kernels::NormAndSum check_dense_input<double>(const DenseView<double>&, int);
template class DenseData<float>;
template class DenseData<double>;

}  // namespace nmfkit::core
