#pragma once
/// The text header of numpy's .npy format: parsing what numpy writes, and writing it byte for byte
/// as numpy 1.24 does (internal to the io module; read_npy and write_npy are the public API).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nmfkit::io::detail {

/// The fields of an .npy header dictionary.
struct NpyHeader {
  std::string descr;  ///< numpy's dtype string, e.g. "<f4"
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
};

/// Parses a header dictionary such as "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"
/// followed by padding. The three keys are required and no others are allowed. Throws
/// nmfkit::DataError "<path>: invalid NPY header (...)".
NpyHeader parse_npy_header(const std::string& path, std::string_view text);

/// numpy's repr of a shape: "(3, 4)", "(5,)", "()".
std::string shape_repr(std::span<const std::int64_t> shape);

/// The complete version 1.0 header for a C-order array: magic, version, little-endian uint16
/// header length, the dictionary, numpy's spare space and padding, '\n'; its size is a multiple
/// of 64. Requires 1 to 64 non-negative dimensions.
std::string format_npy_header(std::string_view descr, std::span<const std::int64_t> shape);

}  // namespace nmfkit::io::detail
