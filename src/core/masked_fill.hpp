#pragma once
// The fill of a masked fit (core/masked_fit.cpp): W·H at the missing entries, refreshed in the
// same pass that adds its product with the other factor. Its loops are hot kernels, compiled per
// instruction set (core/masked_fill.inl, included by kernels/variant.inl) and chosen at run time
// by kernels::make_fill.
#include <memory>
#include <vector>

#include "core/masked_fit.hpp"
#include "nmfkit/matrix.hpp"

namespace nmfkit::core {

/// The missing entries of X, numbered in row-major order: their columns row by row, and the
/// same entries again column by column.
struct MissingEntries {
  std::vector<Index> row_start;  ///< rows + 1 offsets into col
  std::vector<Index> col;        ///< column of each entry
  std::vector<Index> row;        ///< row of each entry
  std::vector<Index> col_start;  ///< cols + 1 offsets into by_col
  std::vector<Index> by_col;     ///< entry numbers, column by column, rows ascending
  Index count() const { return static_cast<Index>(col.size()); }
};

/// The fill S, as the masked products use it (see Fill in core/masked_fill.inl).
template <typename T>
class FillOps {
 public:
  virtual ~FillOps() = default;
  /// S ← W·H; with `out` (n × k, or nullptr), also out += S·Hᵀ. Returns ½Σ(S_old − S_new)², the
  /// misfit of the previous fill.
  virtual double refill_times(const Matrix<T>& w, const Matrix<T>& ht, T* out) = 0;
  /// S ← W·H and out (m × k) += Sᵀ·W. Returns the misfit of the previous fill.
  virtual double refill_transpose_times(const Matrix<T>& w, const Matrix<T>& ht, T* out) = 0;
  /// ‖S‖².
  virtual double squared_norm() const = 0;
};

}  // namespace nmfkit::core

namespace nmfkit::kernels {

/// The fill of the missing entries `e` of an n × m matrix for k components, in this machine's
/// instruction-set variant (kernels/variants.hpp); Sᵀ·W by chunk partials while they take at most
/// partials_limit_bytes.
template <typename T>
std::unique_ptr<core::FillOps<T>> make_fill(const core::MissingEntries& e, Index n, Index m,
                                            Index k, int threads, double partials_limit_bytes);

}  // namespace nmfkit::kernels
