#pragma once
/// Test helpers that write what numpy and scipy write: NPY arrays, zip archives of them (stored or
/// deflate-compressed, as np.savez and np.savez_compressed), scipy.sparse.save_npz's archives and
/// Matrix Market text; and a way to damage an archive's bytes.
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/npy_header.hpp"

namespace nmfkit::io::npz_test {

using Bytes = std::vector<std::uint8_t>;

/// An NPY file of `shape` holding `values` in the type of `descr` ("<f8", "<i4", "|S3", …).
template <typename V>
Bytes npy(const std::string& descr, std::vector<std::int64_t> shape, const std::vector<V>& values) {
  const std::string header = detail::format_npy_header(descr, shape);
  Bytes out(header.begin(), header.end());
  const auto* p = reinterpret_cast<const std::uint8_t*>(values.data());
  out.insert(out.end(), p, p + values.size() * sizeof(V));
  return out;
}

/// A 0-d string array as scipy's format.npy ('|S3').
inline Bytes npy_text(const std::string& text) {
  const std::string header = detail::format_npy_header("|S" + std::to_string(text.size()),
                                                       std::span<const std::int64_t>());
  Bytes out(header.begin(), header.end());
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

struct Member {
  std::string name;
  Bytes data;
};

inline void put(Bytes& b, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

inline Bytes deflate_raw(const Bytes& in) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  Bytes out(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = const_cast<Bytes::value_type*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

/// A zip archive of the members, each stored or deflate-compressed.
inline Bytes zip(const std::vector<Member>& members, bool compress) {
  Bytes out, central;
  for (const Member& m : members) {
    const Bytes data = compress ? deflate_raw(m.data) : m.data;
    const auto crc = crc32(0, m.data.data(), static_cast<uInt>(m.data.size()));
    const std::uint64_t offset = out.size();
    put(out, 0x04034b50, 4);
    put(out, 20, 2);
    put(out, 0, 2);
    put(out, compress ? 8 : 0, 2);
    put(out, 0, 4);  // time, date
    put(out, crc, 4);
    put(out, data.size(), 4);
    put(out, m.data.size(), 4);
    put(out, m.name.size(), 2);
    put(out, 0, 2);
    out.insert(out.end(), m.name.begin(), m.name.end());
    out.insert(out.end(), data.begin(), data.end());
    put(central, 0x02014b50, 4);
    put(central, 20, 2);
    put(central, 20, 2);
    put(central, 0, 2);
    put(central, compress ? 8 : 0, 2);
    put(central, 0, 4);
    put(central, crc, 4);
    put(central, data.size(), 4);
    put(central, m.data.size(), 4);
    put(central, m.name.size(), 2);
    put(central, 0, 2);  // extra
    put(central, 0, 2);  // comment
    put(central, 0, 2);  // disk
    put(central, 0, 2);  // internal attributes
    put(central, 0, 4);  // external attributes
    put(central, offset, 4);
    central.insert(central.end(), m.name.begin(), m.name.end());
  }
  const std::uint64_t cd_offset = out.size();
  out.insert(out.end(), central.begin(), central.end());
  put(out, 0x06054b50, 4);
  put(out, 0, 2);
  put(out, 0, 2);
  put(out, members.size(), 2);
  put(out, members.size(), 2);
  put(out, central.size(), 4);
  put(out, cd_offset, 4);
  put(out, 0, 2);
  return out;
}

/// scipy.sparse.save_npz's archive of a CSR (or, with format "csc", CSC) matrix.
template <typename V, typename I>
Bytes csr_npz(std::int64_t rows, std::int64_t cols, const std::vector<I>& indptr,
              const std::vector<I>& indices, const std::vector<V>& data, bool compress = true,
              const std::string& format = "csr") {
  const std::string vd = sizeof(V) == 8 ? "<f8" : "<f4";
  const std::string id = sizeof(I) == 8 ? "<i8" : "<i4";
  const std::vector<std::int64_t> shape = {rows, cols};
  return zip({{"indices.npy", npy(id, {std::int64_t(indices.size())}, indices)},
              {"indptr.npy", npy(id, {std::int64_t(indptr.size())}, indptr)},
              {"format.npy", npy_text(format)},
              {"shape.npy", npy("<i8", {2}, shape)},
              {"data.npy", npy(vd, {std::int64_t(data.size())}, data)}},
             compress);
}

/// A dense rows × cols matrix (row-major) in CSR arrays, zeros left out.
struct Csr {
  std::vector<std::int32_t> indptr{0};
  std::vector<std::int32_t> indices;
  std::vector<double> data;
};
inline Csr to_csr(const std::vector<float>& x, std::int64_t rows, std::int64_t cols) {
  Csr c;
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) {
      const float v = x[static_cast<std::size_t>(i * cols + j)];
      if (v == 0) continue;
      c.indices.push_back(static_cast<std::int32_t>(j));
      c.data.push_back(v);
    }
    c.indptr.push_back(static_cast<std::int32_t>(c.data.size()));
  }
  return c;
}

/// The matrix as Matrix Market coordinate text (real general, 1-based).
inline std::string to_mtx(const std::vector<float>& x, std::int64_t rows, std::int64_t cols) {
  std::string body;
  std::int64_t nnz = 0;
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) {
      const float v = x[static_cast<std::size_t>(i * cols + j)];
      if (v == 0) continue;
      char line[96];
      std::snprintf(line, sizeof line, "%lld %lld %.9g\n", static_cast<long long>(i + 1),
                    static_cast<long long>(j + 1), static_cast<double>(v));
      body += line;
      ++nnz;
    }
  return "%%MatrixMarket matrix coordinate real general\n% written by a test\n" +
         std::to_string(rows) + " " + std::to_string(cols) + " " + std::to_string(nnz) + "\n" +
         body;
}

}  // namespace nmfkit::io::npz_test
