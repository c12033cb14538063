#pragma once
/// fit(): factorize X ≈ W·H with non-negative W (n × k) and H (k × m).
#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"
#include "nmfkit/result.hpp"

namespace nmfkit {

/// Factorizes the non-negative X (n_samples × n_features, row-major) into W·H.
/// Throws InvalidArgument for bad options, DataError for negative/NaN/Inf/empty X,
/// NumericError if the iteration breaks down. Single precision data is fitted in single precision.
FitResult<float> fit(const DenseView<float>& x, const FitOptions& options);
FitResult<double> fit(const DenseView<double>& x, const FitOptions& options);

}  // namespace nmfkit
