#pragma once
/// Reading numpy's .npz archives: a sparse matrix saved by scipy.sparse.save_npz, or one array
/// saved by np.savez / np.savez_compressed.
#include <string>

#include "io/sparse.hpp"

namespace nmfkit::io {

/// Reads an .npz file (stored or deflate-compressed zip). An archive with format.npy is
/// scipy.sparse.save_npz's: format 'csr' or 'csc' (indices.npy, indptr.npy, data.npy) or 'coo'
/// (row.npy, col.npy, data.npy), and shape.npy; it becomes a canonical SparseMatrix. Any other
/// archive must hold exactly one array, which is returned as read_npy() returns it. Every member is
/// read through the NPY reader and its CRC-32 checked. Throws nmfkit::DataError with one line
/// naming the file (and the member).
MatrixFile read_npz(const std::string& path);

}  // namespace nmfkit::io
