#include "core/data.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/blas.hpp"
#include "kernels/chunks.hpp"
#include "kernels/parallel_errors.hpp"

namespace nmfkit::core {

namespace {

std::string describe(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return "negative value " + std::to_string(value);
}

}  // namespace

template <typename T>
void check_dense_shape(const DenseView<T>& x) {
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
}

kernels::NormAndSum check_dense_values(const kernels::DenseSummary& summary) {
  if (const auto& bad = summary.bad) {
    throw DataError("X must be non-negative and finite, but has a " + describe(bad->value) +
                    " at sample " + std::to_string(bad->row) + ", feature " +
                    std::to_string(bad->col));
  }
  if (!std::isfinite(summary.stats.squared_norm))
    throw DataError("X is too large: its squared Frobenius norm overflows");
  return summary.stats;
}

template <typename T>
kernels::NormAndSum check_dense_input(const DenseView<T>& x, int threads) {
  check_dense_shape(x);
  return check_dense_values(kernels::summarize(x, threads));
}

double data_scale(const DataStats& stats, double rows, Index cols, bool normalize) {
  const double rms = std::sqrt(stats.squared_norm / (rows * double(cols)));
  return normalize && rms > 0 && std::isfinite(1.0 / rms) ? rms : 1.0;
}

template <typename T>
DenseStorage<T>::DenseStorage(const DenseView<T>& x, int threads)
    : x_(x), stats_(check_dense_input(x, threads)) {}

template <typename T>
DenseStorage<T>::DenseStorage(const DenseView<T>& x, const kernels::DenseSummary& summary)
    : x_(x), stats_(check_dense_values(summary)) {}

template <typename T>
Scaled<T>::Scaled(const nmfkit::Data<T>& x, int threads, bool normalize, const Reducer* reducer)
    : x_(&x), threads_(threads), stats_(x.stats()), total_rows_(double(x.rows())) {
  if (reducer != nullptr) {
    double sums[3] = {stats_.squared_norm, stats_.sum, total_rows_};
    reducer->sum(sums);
    stats_ = {sums[0], sums[1]};
    total_rows_ = sums[2];
  }
  scale_ = data_scale(stats_, total_rows_, x.cols(), normalize);
  inverse_scale_ = 1.0 / scale_;
  if constexpr (std::is_same_v<T, float>) {
    // The kernels multiply by the inverse scale in T: for data of rms below ~3e-39 (subnormal
    // floats) it would be +inf. Scale by the largest factor a float holds with room to spare.
    constexpr double kMaxInverse = 1e37;
    if (inverse_scale_ > kMaxInverse) {
      inverse_scale_ = kMaxInverse;
      scale_ = 1.0 / kMaxInverse;
    }
  }
}

template kernels::NormAndSum check_dense_input<float>(const DenseView<float>&, int);
template kernels::NormAndSum check_dense_input<double>(const DenseView<double>&, int);
template void check_dense_shape<float>(const DenseView<float>&);
template void check_dense_shape<double>(const DenseView<double>&);
template class DenseStorage<float>;
template class DenseStorage<double>;
template class Scaled<float>;
template class Scaled<double>;

}  // namespace nmfkit::core

namespace nmfkit {

template <typename T>
double Data<T>::residual_squared_norm(const T* w, const T* h, Index k, double scale,
                                      int threads) const {
  // The fixed row chunks, one dense block each, summed in chunk order.
  const kernels::RowChunks chunks = kernels::row_chunks(rows());
  std::vector<T> buffer;
  double total = 0;
  for (Index c = 0; c < chunks.count; ++c) {
    const Index first = chunks.begin(c), count = chunks.end(c) - first;
    if (count == 0) continue;
    buffer.resize(static_cast<std::size_t>(count * cols()));
    const DenseView<T> x = row_block(first, count, buffer);
    total += kernels::residual_squared_norm(x, scale, w + first * k, h, k, threads);
  }
  return total;
}

template <typename T>
bool Data<T>::has_zero(int threads) const {
  const Index m = cols();
  const Index block = std::max<Index>(1, (Index{1} << 16) / std::max<Index>(1, m));
  bool zero = false;
  kernels::ParallelErrors errors;  // the buffer's growth and row_block() may throw
#pragma omp parallel num_threads(std::max(1, threads))
  {
    std::vector<T> buffer;
#pragma omp for schedule(dynamic, 1) reduction(|| : zero)
    for (Index r0 = 0; r0 < rows(); r0 += block) {
      bool found = zero;
      errors.run([&] {
        const Index count = std::min(block, rows() - r0);
        buffer.resize(static_cast<std::size_t>(count * m));
        const DenseView<T> x = row_block(r0, count, buffer);
        for (Index i = 0; i < count && !found; ++i)
          for (Index j = 0; j < m; ++j)
            if (x(i, j) == T(0)) found = true;
      });
      zero = found;
    }
  }
  errors.rethrow();
  return zero;
}

template <typename T>
void Data<T>::fused_w_pass(const T*, Index, T, T*, Index, const RowBlockFn<T>&, T*, double*,
                           int) const {
  throw std::logic_error("this data has no fused pass");
}

template class Data<float>;
template class Data<double>;

}  // namespace nmfkit
