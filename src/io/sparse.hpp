#pragma once
/// Sparse matrices read from files (scipy.sparse's .npz, Matrix Market's coordinate format) in
/// compressed sparse rows, and what a matrix file holds: a dense array or a sparse matrix.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "io/array.hpp"

namespace nmfkit::io {

/// The most rows and columns a sparse matrix may have (its column indices are 32-bit).
inline constexpr std::int64_t kMaxSparseDim = std::numeric_limits<std::int32_t>::max();

/// A matrix in compressed sparse rows, in canonical form: row i's entries are
/// values[indptr[i] .. indptr[i + 1]) in columns indices[...], strictly increasing within a row;
/// no explicit zeros; every value finite and non-negative.
struct SparseMatrix {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<std::int64_t> indptr;   ///< rows + 1 offsets, from 0
  std::vector<std::int32_t> indices;  ///< the column of each stored entry
  std::vector<double> values;         ///< each stored entry

  std::int64_t nnz() const { return static_cast<std::int64_t>(values.size()); }
};

/// What a matrix file holds: a sparse matrix, or else the dense array `dense` (C order, as the NPY
/// reader returns it).
struct MatrixFile {
  Array dense;
  std::optional<SparseMatrix> sparse;
};

/// The builders below check the arrays (one dimension each, integer indices, lengths that agree,
/// offsets from 0 that never decrease and end at the number of entries, indices in range, values
/// finite and non-negative), then bring the matrix into canonical form: each row's entries sorted
/// by column, duplicates summed, explicit zeros dropped. Errors throw nmfkit::DataError with one
/// line starting with `path` (the file, and the member of an archive).

/// From scipy's CSR arrays: indptr (rows + 1 offsets), indices (columns) and data.
SparseMatrix sparse_from_csr(const std::string& path, std::int64_t rows, std::int64_t cols,
                             const Array& indptr, const Array& indices, const Array& data);
/// From scipy's CSC arrays: indptr (cols + 1 offsets), indices (rows) and data.
SparseMatrix sparse_from_csc(const std::string& path, std::int64_t rows, std::int64_t cols,
                             const Array& indptr, const Array& indices, const Array& data);
/// From coordinates: row, col and data, one entry each, in any order.
SparseMatrix sparse_from_coo(const std::string& path, std::int64_t rows, std::int64_t cols,
                             const Array& row, const Array& col, const Array& data);
/// From 0-based coordinates already checked to lie inside rows × cols (and values checked);
/// the vectors are consumed.
SparseMatrix sparse_from_triplets(const std::string& path, std::int64_t rows, std::int64_t cols,
                                  std::vector<std::int32_t>&& row, std::vector<std::int32_t>&& col,
                                  std::vector<double>&& values);

/// Keeps the first `limit` rows (all when limit is 0 or at least rows), freeing the rest.
void keep_rows(SparseMatrix& m, std::int64_t limit);

}  // namespace nmfkit::io
