#pragma once
/// Reading and writing numpy's .npy format.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "io/array.hpp"
#include "io/plain_rows.hpp"

namespace nmfkit::io {

/// Reads an .npy file of format version 1.0, 2.0 or 3.0 holding a little-endian '<f4', '<f8',
/// '|u1' ('<u1'), '|i1', '<i2' or '<i4' array of at least one dimension. Fortran-order arrays are
/// transposed into C order. The header is validated before the data is allocated, including that
/// the file holds exactly the bytes the shape needs. Big-endian, structured and other dtypes,
/// 0-d arrays and malformed files throw nmfkit::DataError with one line naming the file.
Array read_npy(const std::string& path);

/// read_npy() of an NPY stream of `size` bytes that `read(dst, n)` delivers (fewer than n bytes
/// only at its end), such as a member of an .npz archive; `path` names it in errors.
Array read_npy(const std::string& path, std::uint64_t size,
               const std::function<std::size_t(void*, std::size_t)>& read);

/// Where the data of an .npy file of 8-bit unsigned integers ('|u1', or numpy's bool) lie when
/// they are stored in C order (plain_rows.hpp reads them a block of rows at a time); nothing for
/// other dtypes and Fortran order. The file is validated as read_npy validates it, with the same
/// errors, except that the data are not read.
std::optional<PlainArray> plain_npy_uint8(const std::string& path);

/// Writes a C-order array as numpy's np.save does (format 1.0, header padded to 64 bytes).
/// shape needs 1 to 64 non-negative dimensions (else nmfkit::InvalidArgument). Failing to create,
/// write or close the file throws nmfkit::DataError naming the path; a partly written regular
/// file is removed.
void write_npy(const std::string& path, const float* data, std::span<const std::int64_t> shape);
void write_npy(const std::string& path, const double* data, std::span<const std::int64_t> shape);
void write_npy(const std::string& path, const std::uint8_t* data,
               std::span<const std::int64_t> shape);
/// Writes an Array of any DType (its bytes are in native order).
void write_npy(const std::string& path, const Array& array);

}  // namespace nmfkit::io
