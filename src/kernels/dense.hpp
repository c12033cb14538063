#pragma once
// The hot code for dense row-major data: the skinny products X·R and Xᵀ·R, Gram matrices,
// norms and value checks. Deterministic for any thread count (see chunks.hpp).
#include <optional>

#include "nmfkit/matrix.hpp"

namespace nmfkit::kernels {

/// out (n × p) = X (n × m) · right (m × p).
template <typename T>
void times(const DenseView<T>& x, const T* right, Index p, T* out, int threads);

/// out (m × p) = Xᵀ (m × n) · right (n × p).
template <typename T>
void transpose_times(const DenseView<T>& x, const T* right, Index p, T* out, int threads);

/// g (k × k) = fᵀ·f for f (rows × k).
template <typename T>
void gram(const T* f, Index rows, Index k, T* g, int threads);

/// Σ a_i·b_i over `count` entries, accumulated in double.
template <typename T>
double dot(const T* a, const T* b, Index count, int threads);

/// ‖X‖²_F and Σ X, accumulated in double.
struct NormAndSum {
  double squared_norm = 0;
  double sum = 0;
};
template <typename T>
NormAndSum norm_and_sum(const DenseView<T>& x, int threads);

/// The first entry (in row-major order) that is negative, NaN or infinite, if any.
struct BadEntry {
  Index row = 0;
  Index col = 0;
  double value = 0;
};
template <typename T>
std::optional<BadEntry> first_invalid(const DenseView<T>& x, int threads);

/// Makes OpenBLAS run single-threaded: nmfkit parallelises over fixed row chunks itself.
void use_single_threaded_blas();

}  // namespace nmfkit::kernels
