#include "core/data.hpp"

#include <cmath>
#include <string>

namespace nmfkit::core {

namespace {

std::string describe(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return "negative value " + std::to_string(value);
}

}  // namespace

template <typename T>
DenseData<T>::DenseData(const DenseView<T>& x, int threads) : x_(x), threads_(threads) {
  if (x.rows <= 0 || x.cols <= 0)
    throw DataError("X is empty (" + std::to_string(x.rows) + " x " + std::to_string(x.cols) +
                    "); it needs at least one sample and one feature");
  if (x.data == nullptr) throw InvalidArgument("X has no data pointer");
  if (x.stride < x.cols)
    throw InvalidArgument("X row stride " + std::to_string(x.stride) + " is less than its " +
                          std::to_string(x.cols) + " columns");
  if (const auto bad = kernels::first_invalid(x, threads)) {
    throw DataError("X must be non-negative and finite, but has a " + describe(bad->value) +
                    " at sample " + std::to_string(bad->row) + ", feature " +
                    std::to_string(bad->col));
  }
  stats_ = kernels::norm_and_sum(x, threads);
  if (!std::isfinite(stats_.squared_norm))
    throw DataError("X is too large: its squared Frobenius norm overflows");
}

template class DenseData<float>;
template class DenseData<double>;

}  // namespace nmfkit::core
