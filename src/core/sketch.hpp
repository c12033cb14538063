#pragma once
// FitOptions::sketch: the products of a Frobenius fit read X's projection Q·B on a randomized
// sketch of its range (Q: n × l with orthonormal columns, B = Qᵀ·X: l × m) instead of X
// (randomized HALS, Erichson, Mendible, Wihlborn & Kutz 2018).
#include <cstdint>
#include <memory>

#include "core/products.hpp"

namespace nmfkit::core {

/// The products of the projection of x (the scaled data) on the range of its randomized SVD with
/// `columns` directions and `power_iterations` power iterations (randomized_svd, seeded with
/// `seed`): X·Hᵀ = Q·(B·Hᵀ) and Xᵀ·W = Bᵀ·(Qᵀ·W), each two dense products of the thin factors.
/// ‖X‖² and the final residual are X's own. Results do not depend on `threads`.
template <typename T>
std::unique_ptr<Products<T>> sketched_products(const Scaled<T>& x, Index columns,
                                               int power_iterations, std::uint64_t seed,
                                               int threads);

}  // namespace nmfkit::core
