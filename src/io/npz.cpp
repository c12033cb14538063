#include "io/npz.hpp"

#include <algorithm>
#include <cstring>

#include "io/file_util.hpp"
#include "io/npy.hpp"
#include "io/npy_header.hpp"
#include "io/zip.hpp"

namespace nmfkit::io {
namespace {

using detail::fail;

constexpr std::uint64_t kMaxSmallMember = 4096;  // format.npy and shape.npy

std::string member_label(const ZipReader& zip, const std::string& name) {
  return zip.path() + ": " + name;
}

const ZipEntry& need(const ZipReader& zip, const std::string& name, const std::string& format) {
  const ZipEntry* e = zip.find(name);
  if (e == nullptr)
    fail(zip.path(),
         "a scipy.sparse '" + format + "' archive needs " + name + ", which is missing");
  return *e;
}

Array member_array(ZipReader& zip, const ZipEntry& entry) {
  const std::string label = member_label(zip, entry.name);
  ZipReader::Member m = zip.open(entry);
  Array a = read_npy(label, entry.size, [&m](void* dst, std::size_t n) { return m.read(dst, n); });
  m.finish();
  return a;
}

// format.npy: a 0-d array of bytes ('|S3', as scipy writes) or of a unicode string ('<U3').
std::string member_text(ZipReader& zip, const ZipEntry& entry) {
  const std::string label = member_label(zip, entry.name);
  if (entry.size > kMaxSmallMember)
    fail(label, "is " + std::to_string(entry.size) + " bytes, too large for a format name");
  const std::vector<std::uint8_t> b = zip.read_all(entry);
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0) fail(label, "not an NPY array");
  const std::size_t len_bytes = b[6] == 1 ? 2 : 4;
  if (b[6] < 1 || b[6] > 3 || b.size() < 8 + len_bytes) fail(label, "unsupported NPY version");
  std::size_t header_len = 0;
  for (std::size_t i = len_bytes; i-- > 0;) header_len = (header_len << 8) | b[8 + i];
  const std::size_t start = 8 + len_bytes;
  if (header_len > b.size() - start) fail(label, "truncated NPY header");
  const detail::NpyHeader h = detail::parse_npy_header(
      label, std::string_view(reinterpret_cast<const char*>(b.data() + start), header_len));
  const std::size_t data = start + header_len;
  const bool bytes = h.descr.size() > 2 && h.descr.substr(0, 2) == "|S";
  const bool unicode = h.descr.size() > 2 && h.descr.substr(0, 2) == "<U";
  if ((!bytes && !unicode) || !h.shape.empty())
    fail(label, "expected a string (dtype |S or <U, shape ()), got dtype '" + h.descr +
                    "' and shape " + detail::shape_repr(h.shape));
  std::string text;
  const std::size_t step = bytes ? 1 : 4;  // <U is UTF-32LE; format names are ASCII
  for (std::size_t p = data; p + step <= b.size(); p += step) {
    if (b[p] == 0) break;
    text += static_cast<char>(b[p]);
  }
  return text;
}

std::int64_t shape_entry(const std::string& label, const Array& a, std::size_t i) {
  std::int64_t v = 0;
  if (a.dtype == DType::kInt64 || a.dtype == DType::kUint64) {
    std::memcpy(&v, a.bytes.data() + i * 8, 8);
  } else if (a.dtype == DType::kInt32 || a.dtype == DType::kUint32) {
    std::int32_t w = 0;
    std::memcpy(&w, a.bytes.data() + i * 4, 4);
    v = a.dtype == DType::kInt32 ? w : static_cast<std::int64_t>(static_cast<std::uint32_t>(w));
  } else {
    fail(label, "holds " + std::string(dtype_name(a.dtype)) + ", expected integers");
  }
  return v;
}

}  // namespace

MatrixFile read_npz(const std::string& path) {
  ZipReader zip(path);
  MatrixFile out;
  const ZipEntry* format_entry = zip.find("format.npy");
  if (format_entry == nullptr) {
    std::vector<std::string> arrays;
    for (const ZipEntry& e : zip.entries()) arrays.push_back(e.name);
    if (arrays.size() != 1) {
      std::string names;
      for (std::size_t i = 0; i < arrays.size() && i < 5; ++i) names += (i ? ", " : "") + arrays[i];
      if (arrays.size() > 5) names += ", ...";
      fail(path, "holds " + std::to_string(arrays.size()) + " arrays" +
                     (names.empty() ? std::string() : " (" + names + ")") +
                     "; expected one array (np.savez) or a scipy.sparse matrix (save_npz)");
    }
    out.dense = member_array(zip, zip.entries().front());
    return out;
  }
  const std::string format = member_text(zip, *format_entry);
  if (format != "csr" && format != "csc" && format != "coo")
    fail(path,
         "scipy.sparse format '" + format + "' is not supported (csr, csc or coo; save X.tocsr())");
  const ZipEntry& shape_member = need(zip, "shape.npy", format);
  if (shape_member.size > kMaxSmallMember)
    fail(member_label(zip, "shape.npy"), "is too large for a shape");
  const Array shape = member_array(zip, shape_member);
  const std::string shape_label = member_label(zip, "shape.npy");
  if (shape.shape.size() != 1 || shape.shape[0] != 2)
    fail(shape_label,
         "expected 2 entries (rows, columns), got shape " + detail::shape_repr(shape.shape));
  const std::int64_t rows = shape_entry(shape_label, shape, 0);
  const std::int64_t cols = shape_entry(shape_label, shape, 1);
  if (rows < 0 || cols < 0 || rows > kMaxSparseDim || cols > kMaxSparseDim)
    fail(path, "shape " + std::to_string(rows) + " x " + std::to_string(cols) +
                   " is out of range (a sparse matrix has at most " +
                   std::to_string(kMaxSparseDim) + " rows and columns)");
  const Array data = member_array(zip, need(zip, "data.npy", format));
  if (format == "coo") {
    const Array row = member_array(zip, need(zip, "row.npy", format));
    const Array col = member_array(zip, need(zip, "col.npy", format));
    out.sparse = sparse_from_coo(path, rows, cols, row, col, data);
  } else {
    const Array indptr = member_array(zip, need(zip, "indptr.npy", format));
    const Array indices = member_array(zip, need(zip, "indices.npy", format));
    out.sparse = format == "csr" ? sparse_from_csr(path, rows, cols, indptr, indices, data)
                                 : sparse_from_csc(path, rows, cols, indptr, indices, data);
  }
  return out;
}

}  // namespace nmfkit::io
