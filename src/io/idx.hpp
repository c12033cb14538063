#pragma once
/// Reading the IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
#include <optional>
#include <string>

#include "io/array.hpp"
#include "io/plain_rows.hpp"

namespace nmfkit::io {

/// Reads an IDX file: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
/// 0x0D float32, 0x0E float64), a byte with the number of dimensions (1 to 8), that many
/// big-endian uint32 dimensions, then the big-endian data in C order. A file starting with the
/// gzip magic bytes (1f 8b) is decompressed on the fly, whatever its name.
///
/// The header is validated before the data is allocated: magic, type code, dimension count,
/// every dimension > 0, the data size (no overflow, at most 2^40 bytes) and that the file holds
/// exactly that many bytes (for gzip: the uncompressed size recorded in the trailer, then the
/// stream itself). Elements are returned in native byte order. Every problem throws
/// nmfkit::DataError with one line naming the file.
Array read_idx(const std::string& path);

/// Where the data of a plain (not gzip-compressed) IDX file of type 0x08 (uint8) lie, for reading
/// it a block of rows at a time (plain_rows.hpp); nothing for gzip files and other types. The file
/// is validated as read_idx validates it, with the same errors, except that the data are not read.
std::optional<PlainArray> plain_idx_uint8(const std::string& path);

}  // namespace nmfkit::io
