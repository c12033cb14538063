#include "core/make_data.hpp"

#include <array>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "core/csr_data.hpp"
#include "kernels/csr.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::core {

template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const DenseView<T>& x, DataFormat format,
                                         bool sparse_suits, int threads) {
  auto choice = std::make_unique<DataChoice<T>>();
  // Counting zeros first lets the chosen representation do the one validating pass over X
  // (empty, too large, negative, NaN, Inf); NaN entries are simply not counted here.
  choice->zero_fraction = kernels::zero_fraction(x, threads);
  const bool sparse =
      format == DataFormat::kSparse || (format == DataFormat::kAuto && sparse_suits &&
                                        choice->zero_fraction >= kAutoSparseZeroFraction);
  if (sparse) {
    choice->data = std::make_unique<CsrStorage<T>>(x, threads);
  } else {
    choice->data = std::make_unique<DenseStorage<T>>(x, threads);
    choice->dense = true;
  }
  return choice;
}

template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const DenseView<std::uint8_t>& levels, double scale,
                                         DataFormat format, bool sparse_suits, int threads) {
  if (levels.rows <= 0 || levels.cols <= 0)
    throw DataError("X is empty (" + std::to_string(levels.rows) + " x " +
                    std::to_string(levels.cols) +
                    "); it needs at least one sample and one feature");
  if (levels.data == nullptr) throw InvalidArgument("X has no data pointer");
  if (levels.stride < levels.cols)
    throw InvalidArgument("X row stride " + std::to_string(levels.stride) + " is less than its " +
                          std::to_string(levels.cols) + " columns");
  if (!(scale > 0) || !std::isfinite(scale))
    throw InvalidArgument("the scale of 8-bit levels must be finite and positive, got " +
                          std::to_string(scale));
  std::array<T, 256> palette{};
  for (std::size_t q = 0; q < 256; ++q) palette[q] = static_cast<T>(double(q) * scale);
  if (!std::isfinite(palette[255]) || !(palette[1] > 0))
    throw InvalidArgument("8-bit levels times " + std::to_string(scale) +
                          " are out of the range of the fit's precision");
  // The non-zeros are counted first (a fast pass): the format depends on them, and the sparse
  // form's level counts then come from its codes alone, not from every pixel.
  std::vector<std::int64_t> row_start = kernels::level_row_starts(levels, threads);
  const double entries = double(levels.rows) * double(levels.cols);
  const std::int64_t zeros = levels.rows * levels.cols - row_start.back();
  const double zero_fraction = double(zeros) / entries;
  const bool sparse =
      format == DataFormat::kSparse ||
      (format == DataFormat::kAuto && sparse_suits && zero_fraction >= kAutoSparseZeroFraction);
  if (sparse && levels.cols <= kernels::kMaxCsrBytesCols) {
    auto choice = std::make_unique<DataChoice<T>>();
    choice->zero_fraction = zero_fraction;
    kernels::CsrBytes<T> bytes =
        kernels::csr_bytes_from_levels(levels, palette, std::move(row_start), threads);
    std::array<std::int64_t, 256> counts =
        kernels::byte_counts(bytes.code.data(), bytes.nonzeros(), threads);
    counts[0] = zeros;
    choice->data = std::make_unique<CsrStorage<T>>(std::move(bytes), counts);
    return choice;
  }
  Matrix<T> x(levels.rows, levels.cols);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index i = 0; i < levels.rows; ++i) {
    const std::uint8_t* row = levels.row(i);
    T* out = x.row(i);
    for (Index j = 0; j < levels.cols; ++j) out[j] = palette[row[j]];
  }
  auto choice = make_data(x.view(), format, sparse_suits, threads);
  if (choice->dense) choice->owned = std::move(x);  // the storage keeps pointing at its buffer
  return choice;
}

template std::unique_ptr<DataChoice<float>> make_data<float>(const DenseView<std::uint8_t>&, double,
                                                             DataFormat, bool, int);
template std::unique_ptr<DataChoice<double>> make_data<double>(const DenseView<std::uint8_t>&,
                                                               double, DataFormat, bool, int);
template std::unique_ptr<DataChoice<float>> make_data<float>(const DenseView<float>&, DataFormat,
                                                             bool, int);
template std::unique_ptr<DataChoice<double>> make_data<double>(const DenseView<double>&, DataFormat,
                                                               bool, int);

}  // namespace nmfkit::core
