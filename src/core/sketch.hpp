#pragma once
// FitOptions::sketch: the products of a Frobenius fit read X's projection Q·B on a randomized
// sketch of its range (Q: n × l with orthonormal columns, B = Qᵀ·X: l × m) instead of X
// (randomized HALS, Erichson, Mendible, Wihlborn & Kutz 2018).
#include <cstdint>
#include <memory>

#include "core/products.hpp"
#include "core/randomized_svd.hpp"

namespace nmfkit::core {

/// The products of the projection of x (the scaled data) on the range of `svd`, its randomized
/// SVD over all the sketch's directions (randomized_svd with no oversamples, so that
/// U·S·Vᵀ = Q·Qᵀ·X): with Q = U and B = S·Vᵀ, X·Hᵀ = Q·(B·Hᵀ) and Xᵀ·W = Bᵀ·(Qᵀ·W), each two
/// dense products of the thin factors. ‖X‖² and the final residual are X's own. Results do not
/// depend on `threads`.
template <typename T>
std::unique_ptr<Products<T>> sketched_products(const Scaled<T>& x, const TruncatedSvd& svd,
                                               int threads);

}  // namespace nmfkit::core
