#pragma once
/// Matrices owned by nmfkit and views over caller memory. All are row-major.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nmfkit {

using Index = std::int64_t;

/// A read-only row-major view over caller memory: rows × cols, row i starts at data + i·stride.
template <typename T>
struct DenseView {
  const T* data = nullptr;
  Index rows = 0;
  Index cols = 0;
  Index stride = 0;  ///< elements between the starts of consecutive rows (>= cols)

  DenseView() = default;
  DenseView(const T* d, Index r, Index c) : data(d), rows(r), cols(c), stride(c) {}
  DenseView(const T* d, Index r, Index c, Index s) : data(d), rows(r), cols(c), stride(s) {}
  const T* row(Index i) const { return data + i * stride; }
  T operator()(Index i, Index j) const { return data[i * stride + j]; }
};

/// An owning row-major matrix.
template <typename T>
struct Matrix {
  Index rows = 0;
  Index cols = 0;
  std::vector<T> values;

  Matrix() = default;
  Matrix(Index r, Index c, T fill = T(0))
      : rows(r), cols(c), values(static_cast<std::size_t>(r * c), fill) {}
  T* data() { return values.data(); }
  const T* data() const { return values.data(); }
  T* row(Index i) { return values.data() + i * cols; }
  const T* row(Index i) const { return values.data() + i * cols; }
  T& operator()(Index i, Index j) { return values[static_cast<std::size_t>(i * cols + j)]; }
  T operator()(Index i, Index j) const { return values[static_cast<std::size_t>(i * cols + j)]; }
  DenseView<T> view() const { return DenseView<T>(values.data(), rows, cols); }
};

/// Returns the transpose of a view as a new matrix.
template <typename T>
Matrix<T> transposed(const DenseView<T>& a) {
  Matrix<T> t(a.cols, a.rows);
  for (Index i = 0; i < a.rows; ++i)
    for (Index j = 0; j < a.cols; ++j) t(j, i) = a(i, j);
  return t;
}

}  // namespace nmfkit
