// What every fit entry point shares (fit of any storage, transform, masked fit): checks, the
// storage, the scaled data, the initialisation, the one loop, the final error and the scaling
// back.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "core/context.hpp"
#include "core/make_data.hpp"
#include "core/products.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit::core {

template <typename T>
struct Problem {
  /// Gives the checked storage of X; called once the options are checked, inside the timed fit.
  /// `sparse_from`: the zero fraction from which kAuto stores X sparse
  /// (auto_sparse_zero_fraction of the loss and k).
  std::function<std::unique_ptr<DataChoice<T>>(DataFormat format, double sparse_from, int threads)>
      make_data;
  /// Wraps the plain products of the scaled data for a fit with k components (the masked fit's
  /// fill); empty: X as it is.
  std::function<std::unique_ptr<Products<T>>(const Scaled<T>& x, Index k, const Context& ctx)>
      decorate;
  /// Non-empty for a problem only the Frobenius loss can fit (products decorated): what it has,
  /// for the message ("missing entries").
  std::string frobenius_only;
  const StartFactors<T>* start = nullptr;  ///< for init custom
  const DenseView<T>* fixed_h = nullptr;   ///< transform: H held fixed (k × n_features)
};

template <typename T>
FitResult<T> solve(const Problem<T>& problem, const FitOptions& options, const FitContext& context);

}  // namespace nmfkit::core
