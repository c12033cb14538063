#pragma once
// A sparse input's X in the types the fit takes (CsrView<T, I>): values in T, offsets and columns
// in 32 bits when the entries allow it, else 64; and its rows for the pictures.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "input.hpp"
#include "nmfkit/data.hpp"
#include "nmfkit/errors.hpp"
#include "viz/samples.hpp"

namespace nmfkit::cli {

template <typename T>
struct CsrMatrix {
  Index rows = 0;
  Index cols = 0;
  std::vector<T> values;
  std::vector<std::int32_t> indptr32, indices32;  ///< when the entries fit in 32 bits
  std::vector<std::int64_t> indptr64, indices64;  ///< otherwise

  bool wide() const { return !indptr64.empty(); }
  /// f(CsrView<T, std::int32_t>) or f(CsrView<T, std::int64_t>), whichever this holds.
  template <typename F>
  auto visit(F&& f) const {
    if (wide())
      return f(
          CsrView<T, std::int64_t>{rows, cols, indptr64.data(), indices64.data(), values.data()});
    return f(
        CsrView<T, std::int32_t>{rows, cols, indptr32.data(), indices32.data(), values.data()});
  }
  /// X's rows for the pictures, each written dense on request (X is never copied whole); the
  /// rows read this matrix, which must outlive them.
  viz::SampleRows<T> sample_rows() const {
    return viz::SampleRows<T>(rows, cols, [this](Index i, T* out) {
      std::fill(out, out + cols, T(0));
      const auto copy = [&](const auto* ptr, const auto* idx) {
        for (auto p = ptr[i]; p < ptr[i + 1]; ++p)
          out[idx[p]] = values[static_cast<std::size_t>(p)];
      };
      if (wide())
        copy(indptr64.data(), indices64.data());
      else
        copy(indptr32.data(), indices32.data());
    });
  }
};

/// Moves the sparse X out of `in` into the fit's types (in.sparse is emptied of its entries).
/// Throws DataError when a value is beyond float32's range and T is float.
template <typename T>
CsrMatrix<T> take_csr(Input& in) {
  io::SparseMatrix& s = *in.sparse;
  CsrMatrix<T> m;
  m.rows = s.rows;
  m.cols = s.cols;
  if constexpr (std::is_same_v<T, double>) {
    m.values = std::move(s.values);
  } else {
    m.values.resize(s.values.size());
    for (std::size_t p = 0; p < s.values.size(); ++p) {
      if (s.values[p] > double(std::numeric_limits<float>::max()))
        throw DataError(in.path + ": a value (" + std::to_string(s.values[p]) +
                        ") is beyond float32's range (3.4e38); use --dtype float64");
      m.values[p] = static_cast<T>(s.values[p]);
    }
    s.values = {};
  }
  if (s.nnz() <= std::numeric_limits<std::int32_t>::max()) {
    m.indptr32.assign(s.indptr.begin(), s.indptr.end());
    m.indices32 = std::move(s.indices);
  } else {
    m.indptr64 = std::move(s.indptr);
    m.indices64.assign(s.indices.begin(), s.indices.end());
  }
  s.indptr = {};
  s.indices = {};
  return m;
}

/// A copy of the sparse X in the fit's types, `in` unchanged.
template <typename T>
CsrMatrix<T> copy_csr(const Input& in) {
  Input copy;
  copy.path = in.path;
  copy.sparse = in.sparse;
  return take_csr<T>(copy);
}

}  // namespace nmfkit::cli
