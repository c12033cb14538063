#include "io/npy.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "io/file_util.hpp"
#include "io/npy_header.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::io {
namespace {

using detail::fail;

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::uint64_t kMaxHeaderBytes = 1 << 20;
constexpr std::size_t kMaxDims = 64;
constexpr bool kLittleEndian = std::endian::native == std::endian::little;

struct DescrEntry {
  std::string_view kind;  // descr without its byte-order character
  DType dtype;
  std::string_view written;  // the descr numpy writes
};

constexpr std::array<DescrEntry, 11> kDescrs = {{
    {"f4", DType::kFloat32, "<f4"},
    {"f8", DType::kFloat64, "<f8"},
    {"u1", DType::kUint8, "|u1"},
    {"b1", DType::kUint8, "|u1"},  // numpy's bool: one byte, 0 or 1
    {"i1", DType::kInt8, "|i1"},
    {"i2", DType::kInt16, "<i2"},
    {"i4", DType::kInt32, "<i4"},
    {"i8", DType::kInt64, "<i8"},  // numpy's default integer
    {"u2", DType::kUint16, "<u2"},
    {"u4", DType::kUint32, "<u4"},
    {"u8", DType::kUint64, "<u8"},
}};

std::string_view descr_of(DType dtype) {
  for (const auto& e : kDescrs) {
    if (e.dtype == dtype) return e.written;
  }
  return "";
}

DType dtype_from_descr(const std::string& path, const std::string& descr) {
  const std::string_view kind = descr.empty() ? "" : std::string_view(descr).substr(1);
  for (const auto& e : kDescrs) {
    if (e.kind != kind) continue;
    const char order = descr[0];
    const bool one_byte = dtype_size(e.dtype) == 1;
    if (order == '<' || (one_byte && (order == '|' || order == '>'))) return e.dtype;
    if (order == '>') {
      fail(path, "big-endian dtype '" + descr +
                     "' is not supported (save it little-endian, e.g. a.astype('<" +
                     std::string(kind) + "'))");
    }
    break;
  }
  fail(path, "unsupported dtype '" + descr +
                 "' (supported: <f4, <f8, |u1, |b1, |i1, <i2, <i4, <i8, <u2, <u4, <u8)");
}

std::string hex_bytes(const std::uint8_t* p, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02X", static_cast<unsigned>(p[i]));
    s += (i > 0 ? " " : "") + std::string(buf);
  }
  return s;
}

// Rearranges a Fortran-order (first index fastest) array into C order.
void fortran_to_c(Array& a) {
  const std::size_t elem = dtype_size(a.dtype);
  const std::size_t ndim = a.shape.size();
  const auto n = static_cast<std::size_t>(a.size());
  if (ndim < 2 || n == 0) return;
  std::vector<std::size_t> stride(ndim, 1);  // Fortran strides in elements
  for (std::size_t k = 1; k < ndim; ++k) {
    stride[k] = stride[k - 1] * static_cast<std::size_t>(a.shape[k - 1]);
  }
  std::vector<std::uint8_t> out(a.bytes.size());
  std::vector<std::int64_t> index(ndim, 0);
  std::size_t src = 0;
  for (std::size_t c = 0; c < n; ++c) {
    std::memcpy(out.data() + c * elem, a.bytes.data() + src * elem, elem);
    // Advance the C-order multi-index (last dimension fastest), carrying into earlier ones.
    for (std::size_t k = ndim; k-- > 0;) {
      src += stride[k];
      if (++index[k] < a.shape[k]) break;
      src -= stride[k] * static_cast<std::size_t>(a.shape[k]);
      index[k] = 0;
    }
  }
  a.bytes = std::move(out);
}

std::uint64_t read_le(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

// What an .npy header says, validated (including that `size` bytes hold exactly the data):
// the array without its bytes, its order, and where its data start.
struct NpyLayout {
  Array array;  // dtype and shape; no bytes
  bool fortran_order = false;
  std::uint64_t data_offset = 0;
  std::uint64_t data_bytes = 0;
};

NpyLayout read_npy_layout(const std::string& path, std::uint64_t size,
                          const std::function<std::size_t(void*, std::size_t)>& read) {
  std::array<std::uint8_t, 12> prefix{};
  const std::size_t got = read(prefix.data(), 8);
  if (got == 0) fail(path, "not an NPY file (the file is empty)");
  if (got < 8 || std::memcmp(prefix.data(), kMagic.data(), kMagic.size()) != 0) {
    fail(path, "not an NPY file (first bytes " +
                   hex_bytes(prefix.data(), std::min<std::size_t>(got, 6)) +
                   ", expected 93 4E 55 4D 50 59 = \\x93NUMPY)" +
                   (got >= 4 && std::memcmp(prefix.data(), "PK\x03\x04", 4) == 0
                        ? "; a zip archive such as .npz is not supported"
                        : ""));
  }
  const unsigned major = prefix[6], minor = prefix[7];
  if (major < 1 || major > 3 || minor != 0) {
    fail(path, "unsupported NPY format version " + std::to_string(major) + "." +
                   std::to_string(minor) + " (expected 1.0, 2.0 or 3.0)");
  }
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  if (read(prefix.data() + 8, len_bytes) < len_bytes) fail(path, "truncated NPY header");
  const std::uint64_t prefix_bytes = 8 + len_bytes;
  const std::uint64_t header_len = read_le(prefix.data() + 8, len_bytes);
  if (header_len > kMaxHeaderBytes) {
    fail(path, "NPY header length " + std::to_string(header_len) + " is larger than " +
                   std::to_string(kMaxHeaderBytes) + " (corrupt file?)");
  }
  if (prefix_bytes + header_len > size) {
    fail(path, "truncated NPY header: it says " + std::to_string(header_len) + " bytes, file has " +
                   std::to_string(size - prefix_bytes));
  }
  std::string text(static_cast<std::size_t>(header_len), '\0');
  if (read(text.data(), text.size()) < text.size()) fail(path, "truncated NPY header");

  const detail::NpyHeader h = detail::parse_npy_header(path, text);
  NpyLayout l;
  Array& a = l.array;
  a.dtype = dtype_from_descr(path, h.descr);
  if (h.shape.empty()) fail(path, "0-d arrays (shape ()) are not supported");
  if (h.shape.size() > kMaxDims) {
    fail(path, std::to_string(h.shape.size()) + " dimensions, at most " + std::to_string(kMaxDims) +
                   " are supported");
  }
  a.shape = h.shape;
  const std::uint64_t need = detail::checked_data_bytes(path, a.shape, dtype_size(a.dtype));
  const std::uint64_t present = size - prefix_bytes - header_len;
  if (present != need) {
    const std::string sizes = "shape " + detail::shape_repr(a.shape) + " of " +
                              std::string(dtype_name(a.dtype)) + " needs " + std::to_string(need) +
                              " data bytes, file has " + std::to_string(present);
    if (present < need) fail(path, "truncated: " + sizes);
    fail(path, std::to_string(present - need) + " extra trailing bytes: " + sizes);
  }
  l.fortran_order = h.fortran_order;
  l.data_offset = prefix_bytes + header_len;
  l.data_bytes = need;
  return l;
}

}  // namespace

Array read_npy(const std::string& path, std::uint64_t size,
               const std::function<std::size_t(void*, std::size_t)>& read) {
  NpyLayout l = read_npy_layout(path, size, read);
  Array a = std::move(l.array);
  a.bytes.resize(static_cast<std::size_t>(l.data_bytes));
  if (read(a.bytes.data(), a.bytes.size()) < a.bytes.size()) {
    fail(path, "truncated: the file shrank while reading");
  }
  if constexpr (!kLittleEndian) detail::swap_bytes(a.bytes, dtype_size(a.dtype));
  if (l.fortran_order) fortran_to_c(a);
  return a;
}

std::optional<PlainArray> plain_npy_uint8(const std::string& path) {
  detail::InputFile file(path);
  NpyLayout l = read_npy_layout(path, file.size(),
                                [&file](void* dst, std::size_t n) { return file.read(dst, n); });
  if (l.array.dtype != DType::kUint8 || (l.fortran_order && l.array.shape.size() > 1))
    return std::nullopt;
  return PlainArray{path, std::move(l.array.shape), l.data_offset};
}

Array read_npy(const std::string& path) {
  detail::InputFile file(path);
  return read_npy(path, file.size(),
                  [&file](void* dst, std::size_t n) { return file.read(dst, n); });
}

namespace {

void write_npy_bytes(const std::string& path, DType dtype, const void* data,
                     std::span<const std::int64_t> shape) {
  if (shape.empty() || shape.size() > kMaxDims) {
    throw InvalidArgument("write_npy '" + path + "': shape needs 1 to " + std::to_string(kMaxDims) +
                          " dimensions, got " + std::to_string(shape.size()));
  }
  std::uint64_t bytes = dtype_size(dtype);
  bool overflow = false;
  for (std::int64_t d : shape) {
    if (d < 0) {
      throw InvalidArgument("write_npy '" + path + "': negative dimension in shape " +
                            detail::shape_repr(shape));
    }
    const auto u = static_cast<std::uint64_t>(d);
    if (u != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / u) overflow = true;
    bytes *= u;
  }
  if (overflow && std::find(shape.begin(), shape.end(), 0) == shape.end()) {
    throw InvalidArgument("write_npy '" + path + "': shape " + detail::shape_repr(shape) +
                          " overflows a 64-bit byte count");
  }
  if (data == nullptr && bytes > 0) {
    throw InvalidArgument("write_npy '" + path + "': data is null");
  }
  const std::string header = detail::format_npy_header(descr_of(dtype), shape);

  std::vector<std::uint8_t> swapped;  // only on big-endian hosts
  if constexpr (!kLittleEndian) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    swapped.assign(p, p + static_cast<std::size_t>(bytes));
    detail::swap_bytes(swapped, dtype_size(dtype));
    data = swapped.data();
  }

  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw DataError("cannot create '" + path + "': " + std::strerror(errno));
  std::string problem;
  if (std::fwrite(header.data(), 1, header.size(), f) != header.size() ||
      (bytes > 0 && std::fwrite(data, 1, static_cast<std::size_t>(bytes), f) != bytes)) {
    problem = std::string("write failed: ") + std::strerror(errno);
  }
  if (std::fclose(f) != 0 && problem.empty()) {
    problem = std::string("write failed on close: ") + std::strerror(errno);
  }
  if (!problem.empty()) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) std::filesystem::remove(path, ec);
    fail(path, problem);
  }
}

}  // namespace

void write_npy(const std::string& path, const float* data, std::span<const std::int64_t> shape) {
  write_npy_bytes(path, DType::kFloat32, data, shape);
}

void write_npy(const std::string& path, const double* data, std::span<const std::int64_t> shape) {
  write_npy_bytes(path, DType::kFloat64, data, shape);
}

void write_npy(const std::string& path, const std::uint8_t* data,
               std::span<const std::int64_t> shape) {
  write_npy_bytes(path, DType::kUint8, data, shape);
}

void write_npy(const std::string& path, const Array& array) {
  const auto expected = static_cast<std::size_t>(array.size()) * dtype_size(array.dtype);
  if (array.bytes.size() != expected) {
    throw InvalidArgument(
        "write_npy '" + path + "': array of shape " + detail::shape_repr(array.shape) + " holds " +
        std::to_string(array.bytes.size()) + " bytes, expected " + std::to_string(expected));
  }
  write_npy_bytes(path, array.dtype, array.bytes.data(), array.shape);
}

}  // namespace nmfkit::io
