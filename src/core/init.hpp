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

template <typename T>
Factors<T> initialize(const Data<T>& x, const FitOptions& options);

}  // namespace nmfkit::core
