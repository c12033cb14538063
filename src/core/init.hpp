#pragma once
// Initial W (n × k) and Hᵀ (m × k) for the fit.
#include "core/data.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit::core {

template <typename T>
struct Factors {
  Matrix<T> w;   ///< n_samples × k
  Matrix<T> ht;  ///< n_features × k (H transposed: every factor is updated row by row)
};

struct TruncatedSvd;

/// The start options.init asks for. `svd`, when given (a fit with FitOptions::sketch), is a
/// randomized SVD of x with at least k triplets, descending: the NNDSVD starts take its leading
/// k instead of computing their own.
template <typename T>
Factors<T> initialize(const Scaled<T>& x, const FitOptions& options,
                      const TruncatedSvd* svd = nullptr);

/// The extra sketch columns of the randomized SVD behind NNDSVD for k components: scikit-learn's
/// 10, except where k + 10 rounded down to a multiple of 16 (the products' column block) leaves
/// at least 5: then that (k = 10: 6, so 16 columns instead of 20).
Index sketch_oversamples(Index k);

}  // namespace nmfkit::core
