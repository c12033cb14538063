#include "io/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "io/file_util.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::io {
namespace {

using detail::fail;

constexpr int kMaxDims = 8;
constexpr std::size_t kGzipMinBytes = 18;  // 10-byte header, empty deflate block, 8-byte trailer

std::optional<DType> dtype_from_code(std::uint8_t code) {
  switch (code) {
    case 0x08:
      return DType::kUint8;
    case 0x09:
      return DType::kInt8;
    case 0x0B:
      return DType::kInt16;
    case 0x0C:
      return DType::kInt32;
    case 0x0D:
      return DType::kFloat32;
    case 0x0E:
      return DType::kFloat64;
    default:
      return std::nullopt;
  }
}

std::string hex_byte(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", v & 0xFFu);
  return buf;
}

struct IdxHeader {
  DType dtype = DType::kUint8;
  std::vector<std::int64_t> shape;
  std::uint64_t header_bytes = 0;
  std::uint64_t data_bytes = 0;
};

// Reads and validates the header through read(dst, n) -> bytes read.
template <typename Read>
IdxHeader read_header(const std::string& path, Read&& read) {
  std::array<std::uint8_t, 4> magic{};
  const std::size_t got = read(magic.data(), magic.size());
  if (got < magic.size()) {
    fail(path,
         "not an IDX file (only " + std::to_string(got) + " bytes, a header needs at least 8)");
  }
  if (magic[0] != 0 || magic[1] != 0) {
    fail(path, "not an IDX file (first bytes " + hex_byte(magic[0]) + hex_byte(magic[1]).substr(2) +
                   ", expected 0x0000)");
  }
  IdxHeader h;
  const auto dtype = dtype_from_code(magic[2]);
  if (!dtype) {
    fail(path, "unknown IDX type code " + hex_byte(magic[2]) +
                   " (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)");
  }
  h.dtype = *dtype;
  const int ndims = magic[3];
  if (ndims < 1 || ndims > kMaxDims) {
    fail(path, "invalid IDX header: " + std::to_string(ndims) + " dimensions, expected 1 to " +
                   std::to_string(kMaxDims));
  }
  std::array<std::uint8_t, 4 * kMaxDims> raw{};
  const auto dim_bytes = static_cast<std::size_t>(4 * ndims);
  const std::size_t got_dims = read(raw.data(), dim_bytes);
  if (got_dims < dim_bytes) {
    fail(path, "truncated header: " + std::to_string(ndims) + " dimensions need " +
                   std::to_string(dim_bytes) + " bytes after the magic, file has " +
                   std::to_string(got_dims));
  }
  for (int i = 0; i < ndims; ++i) {
    const std::uint8_t* p = raw.data() + 4 * i;
    const std::uint32_t d = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                            (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
    h.shape.push_back(static_cast<std::int64_t>(d));
  }
  for (int i = 0; i < ndims; ++i) {
    if (h.shape[static_cast<std::size_t>(i)] == 0) {
      fail(path, "invalid IDX header: dimension " + std::to_string(i) + " is 0 (dimensions " +
                     detail::join_dims(h.shape) + ")");
    }
  }
  h.header_bytes = 4 + dim_bytes;
  h.data_bytes = detail::checked_data_bytes(path, h.shape, dtype_size(h.dtype));
  return h;
}

Array make_array(const IdxHeader& h) {
  Array a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  a.bytes.resize(static_cast<std::size_t>(h.data_bytes));
  return a;
}

void to_native(Array& a) {
  if constexpr (std::endian::native == std::endian::little) {
    detail::swap_bytes(a.bytes, dtype_size(a.dtype));
  }
}

std::string truncated(const IdxHeader& h, std::uint64_t present) {
  return "truncated: header says " + std::to_string(h.data_bytes) + " data bytes, file has " +
         std::to_string(present);
}

// The header of a plain (uncompressed) IDX file, after checking that the file holds exactly its
// data; the file is left at the start of the data.
IdxHeader plain_header(const std::string& path, detail::InputFile& file) {
  const IdxHeader h = read_header(path, [&](void* d, std::size_t n) { return file.read(d, n); });
  const std::uint64_t size = file.size();
  const std::uint64_t present = size - h.header_bytes;
  if (present < h.data_bytes) fail(path, truncated(h, present));
  if (present > h.data_bytes) {
    fail(path, std::to_string(present - h.data_bytes) + " extra trailing bytes: header says " +
                   std::to_string(h.data_bytes) + " data bytes, file has " +
                   std::to_string(present));
  }
  return h;
}

Array read_plain(const std::string& path, detail::InputFile& file) {
  const IdxHeader h = plain_header(path, file);
  Array a = make_array(h);
  const std::size_t got = file.read(a.bytes.data(), a.bytes.size());
  if (got < a.bytes.size()) fail(path, truncated(h, got));  // the file shrank while reading
  to_native(a);
  return a;
}

// A gzip stream read through zlib, closed on destruction.
class GzipFile {
 public:
  explicit GzipFile(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) throw DataError("cannot open '" + path + "': " + std::strerror(errno));
    gzbuffer(file_, 1 << 17);
  }
  GzipFile(const GzipFile&) = delete;
  GzipFile& operator=(const GzipFile&) = delete;
  ~GzipFile() { gzclose(file_); }

  // Reads up to n uncompressed bytes; fewer means the stream ended (see cut_short()).
  std::size_t read(void* dst, std::size_t n) {
    auto* out = static_cast<std::uint8_t*>(dst);
    std::size_t done = 0;
    while (done < n) {
      const auto chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
      const int r = gzread(file_, out + done, chunk);
      if (r < 0) fail(path_, "corrupt gzip stream: " + error_text());
      if (r == 0) break;
      done += static_cast<std::size_t>(r);
    }
    return done;
  }
  // True when the compressed stream ended before its end marker and trailer.
  bool cut_short() const {
    int err = Z_OK;
    gzerror(file_, &err);
    return err == Z_BUF_ERROR;
  }

 private:
  std::string error_text() const {
    int err = Z_OK;
    const char* msg = gzerror(file_, &err);
    return err == Z_ERRNO ? std::strerror(errno) : msg;
  }

  std::string path_;
  gzFile file_;
};

// The uncompressed size mod 2^32 from the gzip trailer (its last four bytes, little-endian).
std::uint32_t gzip_isize(const std::string& path, detail::InputFile& file) {
  const std::uint64_t size = file.size();
  if (size < kGzipMinBytes) {
    fail(path, "truncated gzip file: " + std::to_string(size) + " bytes, at least " +
                   std::to_string(kGzipMinBytes) + " expected");
  }
  file.seek(size - 4);
  std::array<std::uint8_t, 4> b{};
  if (file.read(b.data(), b.size()) != b.size()) fail(path, "cannot read the gzip trailer");
  return std::uint32_t{b[0]} | (std::uint32_t{b[1]} << 8) | (std::uint32_t{b[2]} << 16) |
         (std::uint32_t{b[3]} << 24);
}

Array read_gzip(const std::string& path, std::uint32_t isize) {
  GzipFile gz(path);
  const IdxHeader h = read_header(path, [&](void* d, std::size_t n) { return gz.read(d, n); });
  const std::uint64_t expected = h.header_bytes + h.data_bytes;
  if ((expected & 0xFFFFFFFFu) != isize) {
    fail(path, "truncated or corrupt: header says " + std::to_string(h.data_bytes) +
                   " data bytes (" + std::to_string(expected) +
                   " uncompressed), the gzip trailer records " + std::to_string(isize) +
                   " uncompressed bytes (mod 2^32)");
  }
  // The header may lie (a 40-byte file claiming 65536 x 65536 bytes passes the trailer's check
  // mod 2^32): memory follows the data actually decompressed, in bounded chunks.
  constexpr std::size_t kChunk = std::size_t{16} << 20;
  Array a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  const auto want = static_cast<std::size_t>(h.data_bytes);
  while (a.bytes.size() < want) {
    const std::size_t before = a.bytes.size(), n = std::min(kChunk, want - before);
    a.bytes.resize(before + n);
    const std::size_t got = gz.read(a.bytes.data() + before, n);
    if (got < n) {
      fail(path, truncated(h, before + got) + (gz.cut_short() ? " (gzip stream cut short)" : ""));
    }
  }
  std::uint8_t extra = 0;
  if (gz.read(&extra, 1) != 0) {
    fail(path, "extra trailing bytes after the " + std::to_string(h.data_bytes) + " data bytes");
  }
  if (gz.cut_short()) fail(path, "truncated: gzip stream cut short after the data");
  to_native(a);
  return a;
}

bool is_gzip(detail::InputFile& file) {
  std::array<std::uint8_t, 2> magic{};
  return file.read(magic.data(), magic.size()) == magic.size() && magic[0] == 0x1F &&
         magic[1] == 0x8B;
}

}  // namespace

Array read_idx(const std::string& path) {
  detail::InputFile file(path);
  if (is_gzip(file)) return read_gzip(path, gzip_isize(path, file));
  file.seek(0);
  return read_plain(path, file);
}

std::optional<PlainArray> plain_idx_uint8(const std::string& path) {
  detail::InputFile file(path);
  if (is_gzip(file)) return std::nullopt;
  file.seek(0);
  const IdxHeader h = plain_header(path, file);
  if (h.dtype != DType::kUint8) return std::nullopt;
  return PlainArray{path, h.shape, h.header_bytes};
}

}  // namespace nmfkit::io
