#pragma once
// Shared by fuzz_npz and fuzz_mtx: what a matrix reader returns must be what it promises (a
// canonical CSR matrix, or a dense array the CLI can convert); a broken promise is a finding.
#include <cmath>
#include <cstdlib>

#include "io/array.hpp"
#include "io/sparse.hpp"

namespace nmfkit::fuzz {

inline void require(bool condition) {
  if (!condition) std::abort();  // libFuzzer saves the input that broke the reader's promise
}

inline void check_matrix_file(const io::MatrixFile& file) {
  if (!file.sparse) {
    (void)io::to_vector<float>(file.dense);
    return;
  }
  const io::SparseMatrix& m = *file.sparse;
  require(m.rows >= 0 && m.cols >= 0 && m.rows <= io::kMaxSparseDim && m.cols <= io::kMaxSparseDim);
  require(static_cast<std::int64_t>(m.indptr.size()) == m.rows + 1 && m.indptr.front() == 0);
  require(m.indptr.back() == m.nnz() && m.indices.size() == m.values.size());
  for (std::int64_t i = 0; i < m.rows; ++i) {
    require(m.indptr[i] <= m.indptr[i + 1]);
    for (std::int64_t e = m.indptr[i]; e < m.indptr[i + 1]; ++e) {
      require(m.indices[e] >= 0 && m.indices[e] < m.cols);
      require(e == m.indptr[i] || m.indices[e - 1] < m.indices[e]);
      require(std::isfinite(m.values[e]) && m.values[e] > 0);
    }
  }
}

}  // namespace nmfkit::fuzz
