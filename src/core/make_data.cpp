#include "core/make_data.hpp"

#include "core/csr_data.hpp"
#include "kernels/csr.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::core {

template <typename T>
std::unique_ptr<DataChoice<T>> make_data(const DenseView<T>& x, DataFormat format, double beta,
                                         int threads) {
  if (format == DataFormat::kSparse && beta != 2)
    throw InvalidArgument("the sparse format handles only the frobenius loss");
  auto choice = std::make_unique<DataChoice<T>>();
  choice->view = x;
  // Counting zeros first lets the chosen representation do the one validating pass over X
  // (empty, too large, negative, NaN, Inf); NaN entries are simply not counted here.
  choice->zero_fraction = kernels::zero_fraction(x, threads);
  choice->has_zero = choice->zero_fraction > 0;
  const bool sparse =
      format == DataFormat::kSparse || (format == DataFormat::kAuto && beta == 2 &&
                                        choice->zero_fraction >= kAutoSparseZeroFraction);
  if (sparse) {
    choice->data = std::make_unique<CsrData<T>>(x, threads, /*normalize=*/true);
  } else {
    choice->data = std::make_unique<DenseData<T>>(x, threads, /*normalize=*/true);
    choice->dense = &choice->view;
  }
  return choice;
}

template std::unique_ptr<DataChoice<float>> make_data<float>(const DenseView<float>&, DataFormat,
                                                             double, int);
template std::unique_ptr<DataChoice<double>> make_data<double>(const DenseView<double>&, DataFormat,
                                                               double, int);

}  // namespace nmfkit::core
