#pragma once
/// Reading Matrix Market (.mtx) files, plain or gzip-compressed.
#include <string>

#include "io/sparse.hpp"

namespace nmfkit::io {

/// Reads a Matrix Market file. `coordinate` matrices (field real, integer or pattern, where every
/// listed entry is 1; symmetry general or symmetric, whose entries are mirrored) become a
/// canonical SparseMatrix (1-based indices; duplicates summed, zeros dropped). `array` matrices
/// (real or integer, general; values listed column by column) become a dense float64 array in C
/// order. '%' lines are comments. The size line is checked before anything is allocated: dimensions
/// that overflow, more entries than the matrix holds, or more than the file's bytes can list, are
/// refused. complex, hermitian and skew-symmetric matrices are refused. Errors throw
/// nmfkit::DataError with one line naming the file and, for a bad entry, its line.
MatrixFile read_mtx(const std::string& path);

/// Whether the file's name ends in .mtx or .mtx.gz (any case), or it starts with
/// "%%MatrixMarket".
bool is_mtx(const std::string& path);

}  // namespace nmfkit::io
