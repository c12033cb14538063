#pragma once
// Truncated SVD of the data by randomized range finding with power iterations
// (Halko, Martinsson & Tropp 2011), the way scikit-learn's randomized_svd does it.
#include <Eigen/Dense>
#include <cstdint>

#include "core/data.hpp"

namespace nmfkit::core {

using RowMajorXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct TruncatedSvd {
  RowMajorXd u;       ///< rows × rank, orthonormal columns (row-major: rows are read one by one)
  Eigen::VectorXd s;  ///< rank singular values, descending
  Eigen::MatrixXd v;  ///< cols × rank, orthonormal columns
};

/// The leading `rank` singular triplets of X, with `oversamples` extra directions and at most
/// `power_iterations` power iterations, each basis orthonormalised (Cholesky QR twice, or
/// Householder QR for nearly dependent columns). With `settled` > 0 the power iterations stop
/// early, once an iteration changes none of the leading `rank` singular value estimates by more
/// than that fraction. `threads` (0 = all cores) does not change the result.
template <typename T>
TruncatedSvd randomized_svd(const Scaled<T>& x, Index rank, Index oversamples, int power_iterations,
                            std::uint32_t seed, int threads = 1, double settled = 0);

}  // namespace nmfkit::core
