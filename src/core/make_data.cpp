#include "core/make_data.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/csr_data.hpp"
#include "kernels/csr.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::core {

bool sparse_chosen(DataFormat format, double sparse_from, double zero_fraction) {
  return format == DataFormat::kSparse ||
         (format == DataFormat::kAuto && zero_fraction >= sparse_from);
}

double auto_sparse_zero_fraction(double beta, Index k) {
  if (beta == 1) return kAutoSparseZeroFraction;
  if (beta != 2) return kNeverSparse;
  return k > kAutoFewComponents || k <= kAutoTinyComponents ? kAutoSparseZeroFractionManyComponents
                                                            : kAutoSparseZeroFractionFewComponents;
}

template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const DenseView<T>& x, DataFormat format,
                                         double sparse_from, int threads) {
  auto choice = std::make_unique<DataChoice<T>>();
  // One pass over X counts its zeros (for the format) and gives the chosen representation its
  // checks (negative, NaN, Inf) and sums.
  check_dense_shape(x);
  const kernels::DenseSummary summary = kernels::summarize(x, threads);
  choice->zero_fraction = double(summary.zeros) / (double(x.rows) * double(x.cols));
  if (sparse_chosen(format, sparse_from, choice->zero_fraction)) {
    choice->data = std::make_unique<CsrStorage<T>>(x, summary, threads);
  } else {
    choice->data = std::make_unique<DenseStorage<T>>(x, summary);
    choice->dense = true;
  }
  return choice;
}

template <typename T>
std::array<T, 256> level_palette(double scale) {
  if (!(scale > 0) || !std::isfinite(scale))
    throw InvalidArgument("the scale of 8-bit levels must be finite and positive, got " +
                          std::to_string(scale));
  std::array<T, 256> palette{};
  for (std::size_t q = 0; q < 256; ++q) palette[q] = static_cast<T>(double(q) * scale);
  if (!std::isfinite(palette[255]) || !(palette[1] > 0))
    throw InvalidArgument("8-bit levels times " + std::to_string(scale) +
                          " are out of the range of the fit's precision");
  return palette;
}
template std::array<float, 256> level_palette<float>(double);
template std::array<double, 256> level_palette<double>(double);

namespace {

void check_levels_shape(Index rows, Index cols) {
  if (rows <= 0 || cols <= 0)
    throw DataError("X is empty (" + std::to_string(rows) + " x " + std::to_string(cols) +
                    "); it needs at least one sample and one feature");
}

// The sparse choice of 8-bit codes, its level counts taken from the codes (zeros given).
template <typename T>
std::unique_ptr<DataChoice<T>> bytes_choice(kernels::CsrBytes<T> bytes, std::int64_t zeros,
                                            double zero_fraction, int threads) {
  auto choice = std::make_unique<DataChoice<T>>();
  choice->zero_fraction = zero_fraction;
  std::array<std::int64_t, 256> counts =
      kernels::byte_counts(bytes.code.data(), bytes.nonzeros(), threads);
  counts[0] = zeros;
  choice->data = std::make_unique<CsrStorage<T>>(std::move(bytes), counts);
  return choice;
}

}  // namespace

template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const DenseView<std::uint8_t>& levels, double scale,
                                         DataFormat format, double sparse_from, int threads) {
  check_levels_shape(levels.rows, levels.cols);
  if (levels.data == nullptr) throw InvalidArgument("X has no data pointer");
  if (levels.stride < levels.cols)
    throw InvalidArgument("X row stride " + std::to_string(levels.stride) + " is less than its " +
                          std::to_string(levels.cols) + " columns");
  const std::array<T, 256> palette = level_palette<T>(scale);
  // The non-zeros are counted first (a fast pass): the format depends on them, and the sparse
  // form's level counts then come from its codes alone, not from every pixel.
  std::vector<std::int64_t> row_start = kernels::level_row_starts(levels, threads);
  const double entries = double(levels.rows) * double(levels.cols);
  const std::int64_t zeros = levels.rows * levels.cols - row_start.back();
  const double zero_fraction = double(zeros) / entries;
  if (sparse_chosen(format, sparse_from, zero_fraction) && levels.cols <= kernels::kMaxCsrBytesCols)
    return bytes_choice(
        kernels::csr_bytes_from_levels(levels, palette, std::move(row_start), threads), zeros,
        zero_fraction, threads);
  if constexpr (std::is_same_v<T, float>) {
    // Dense single precision: the levels themselves, decoded block by block by the products.
    const kernels::DenseLevels dense = kernels::DenseLevels::with_scale(levels, scale);
    auto choice = std::make_unique<DataChoice<T>>();
    choice->zero_fraction = zero_fraction;
    choice->data = std::make_unique<DenseLevelsStorage>(dense, kernels::summarize(dense, threads));
    choice->dense = true;
    return choice;
  }
  // Double: a copy in T (the decoded levels are single precision). Not zeroed first:
  // the fill below writes every entry, each thread first touching its own rows' pages (huge ones
  // where the kernel allows: fresh pages are costly to fault in).
  std::vector<T, kernels::DefaultInit<T>> x(static_cast<std::size_t>(levels.rows * levels.cols));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index i = 0; i < levels.rows; ++i) {
    const std::uint8_t* row = levels.row(i);
    T* out = x.data() + i * levels.cols;
    for (Index j = 0; j < levels.cols; ++j) out[j] = palette[row[j]];
  }
  auto choice =
      make_data(DenseView<T>(x.data(), levels.rows, levels.cols), format, sparse_from, threads);
  if (choice->dense) choice->owned = std::move(x);  // the storage keeps pointing at its buffer
  return choice;
}

template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const LevelsSource& source, DataFormat format,
                                         double sparse_from, int threads) {
  check_levels_shape(source.rows, source.cols);
  if (!source.read) throw InvalidArgument("X's levels have no read function");
  if (source.block_rows < 0)
    throw InvalidArgument("block_rows must be at least 0, got " +
                          std::to_string(source.block_rows));
  const std::array<T, 256> palette = level_palette<T>(source.scale);
  const Index n = source.rows, m = source.cols;
  const Index block_rows =
      source.block_rows > 0 ? source.block_rows : std::max<Index>(1, (Index(1) << 24) / m);
  std::vector<std::uint8_t> block;
  const auto read_block = [&](Index first) {
    const Index count = std::min(block_rows, n - first);
    block.resize(static_cast<std::size_t>(count * m));
    source.read(first, count, block.data());
    return DenseView<std::uint8_t>(block.data(), count, m);
  };
  // First pass: the non-zeros of every row, which decide the format and place the rows.
  std::vector<std::int64_t> row_start(static_cast<std::size_t>(n + 1), 0);
  for (Index first = 0; first < n; first += block_rows) {
    const std::vector<std::int64_t> starts = kernels::level_row_starts(read_block(first), threads);
    for (std::size_t r = 1; r < starts.size(); ++r)
      row_start[static_cast<std::size_t>(first) + r] =
          row_start[static_cast<std::size_t>(first)] + starts[r];
  }
  const std::int64_t zeros = n * m - row_start.back();
  const double zero_fraction = double(zeros) / (double(n) * double(m));
  if (!sparse_chosen(format, sparse_from, zero_fraction) || m > kernels::kMaxCsrBytesCols) {
    std::vector<std::uint8_t, kernels::DefaultInit<std::uint8_t>> levels(
        static_cast<std::size_t>(n * m));  // written in full by the read
    source.read(0, n, levels.data());
    auto choice = make_data<T>(DenseView<std::uint8_t>(levels.data(), n, m), source.scale, format,
                               sparse_from, threads);
    // A dense float choice reads the levels in place: it keeps them (a moved vector keeps its
    // buffer); otherwise they are freed here.
    if (choice->dense && std::is_same_v<T, float>) choice->owned_levels = std::move(levels);
    return choice;
  }
  // Second pass: each block's non-zeros into their places.
  kernels::CsrBytes<T> bytes;
  bytes.rows = n;
  bytes.cols = m;
  bytes.palette = palette;
  bytes.palette[0] = T(0);
  bytes.col.resize(static_cast<std::size_t>(row_start.back()));
  bytes.code.resize(bytes.col.size());
  for (Index first = 0; first < n; first += block_rows) {
    const DenseView<std::uint8_t> levels = read_block(first);
    try {
      kernels::fill_csr_bytes(levels, row_start.data() + first, bytes.col.data(), bytes.code.data(),
                              threads);
    } catch (const InvalidArgument&) {
      throw DataError("X's levels changed between two reads of rows " + std::to_string(first) +
                      " to " + std::to_string(first + levels.rows) +
                      " (was the file written to during the fit?)");
    }
  }
  block = {};
  bytes.row_start = std::move(row_start);
  return bytes_choice(std::move(bytes), zeros, zero_fraction, threads);
}

template std::unique_ptr<DataChoice<float>> make_data<float>(const DenseView<std::uint8_t>&, double,
                                                             DataFormat, double, int);
template std::unique_ptr<DataChoice<double>> make_data<double>(const DenseView<std::uint8_t>&,
                                                               double, DataFormat, double, int);
template std::unique_ptr<DataChoice<float>> make_data<float>(const LevelsSource&, DataFormat,
                                                             double, int);
template std::unique_ptr<DataChoice<double>> make_data<double>(const LevelsSource&, DataFormat,
                                                               double, int);
template std::unique_ptr<DataChoice<float>> make_data<float>(const DenseView<float>&, DataFormat,
                                                             double, int);
template std::unique_ptr<DataChoice<double>> make_data<double>(const DenseView<double>&, DataFormat,
                                                               double, int);

}  // namespace nmfkit::core
