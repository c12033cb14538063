#include "io/sparse.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

#include "io/file_util.hpp"

namespace nmfkit::io {
namespace {

using detail::fail;

bool is_integer(DType d) {
  return d != DType::kFloat32 && d != DType::kFloat64;
}

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// The elements of a 1-D integer array as int64 (uint64 beyond int64's range become negative,
// and so out of range wherever they are checked).
std::vector<std::int64_t> ints_of(const std::string& path, const char* what, const Array& a) {
  if (a.shape.size() != 1)
    fail(path,
         std::string(what) + " must be 1-D, got " + std::to_string(a.shape.size()) + " dimensions");
  if (!is_integer(a.dtype))
    fail(path,
         std::string(what) + " holds " + std::string(dtype_name(a.dtype)) + ", expected integers");
  const auto n = static_cast<std::size_t>(a.size());
  const std::size_t elem = dtype_size(a.dtype);
  if (a.bytes.size() != n * elem) fail(path, std::string(what) + " is truncated");
  std::vector<std::int64_t> out(n);
  const auto load = [&]<typename S>(S) {
    for (std::size_t i = 0; i < n; ++i) {
      S v;
      std::memcpy(&v, a.bytes.data() + i * sizeof(S), sizeof(S));
      out[i] = static_cast<std::int64_t>(v);
    }
  };
  switch (a.dtype) {
    case DType::kUint8:
      load(std::uint8_t{});
      break;
    case DType::kInt8:
      load(std::int8_t{});
      break;
    case DType::kInt16:
      load(std::int16_t{});
      break;
    case DType::kUint16:
      load(std::uint16_t{});
      break;
    case DType::kInt32:
      load(std::int32_t{});
      break;
    case DType::kUint32:
      load(std::uint32_t{});
      break;
    case DType::kInt64:
      load(std::int64_t{});
      break;
    case DType::kUint64:
      load(std::uint64_t{});
      break;
    default:
      break;
  }
  return out;
}

std::vector<double> values_of(const std::string& path, const Array& a) {
  if (a.shape.size() != 1)
    fail(path, "data must be 1-D, got " + std::to_string(a.shape.size()) + " dimensions");
  return to_vector<double>(a);
}

void check_dims(const std::string& path, std::int64_t rows, std::int64_t cols) {
  if (rows < 0 || cols < 0 || rows > kMaxSparseDim || cols > kMaxSparseDim)
    fail(path, "shape " + std::to_string(rows) + " x " + std::to_string(cols) +
                   " is out of range (a sparse matrix has at most " +
                   std::to_string(kMaxSparseDim) + " rows and columns)");
}

void check_value(const std::string& path, std::int64_t i, std::int64_t j, double v) {
  const std::string at = "entry (" + std::to_string(i) + ", " + std::to_string(j) + ")";
  if (std::isnan(v)) fail(path, at + " is NaN");
  if (std::isinf(v)) fail(path, at + " is infinite");
  if (v < 0) fail(path, at + " = " + number_text(v) + " is negative (X must be non-negative)");
}

// Checks compressed offsets over `major` rows (or columns) and their indices into `minor`.
void check_compressed(const std::string& path, const char* major_name, const char* minor_name,
                      std::int64_t major, std::int64_t minor, const std::vector<std::int64_t>& ptr,
                      const std::vector<std::int64_t>& idx, std::size_t nnz) {
  if (ptr.size() != static_cast<std::size_t>(major) + 1)
    fail(path, "indptr has " + std::to_string(ptr.size()) + " entries, expected " +
                   std::to_string(major + 1) + " (" + major_name + " + 1)");
  if (idx.size() != nnz)
    fail(path, "indices has " + std::to_string(idx.size()) + " entries but data has " +
                   std::to_string(nnz));
  if (ptr[0] != 0) fail(path, "indptr[0] is " + std::to_string(ptr[0]) + ", expected 0");
  for (std::int64_t i = 0; i < major; ++i)
    if (ptr[i + 1] < ptr[i])
      fail(path, "indptr decreases at " + std::to_string(i + 1) + " (" + std::to_string(ptr[i]) +
                     " then " + std::to_string(ptr[i + 1]) + ")");
  if (ptr[major] != static_cast<std::int64_t>(nnz))
    fail(path, "indptr ends at " + std::to_string(ptr[major]) + " but there are " +
                   std::to_string(nnz) + " entries");
  for (std::size_t p = 0; p < idx.size(); ++p)
    if (idx[p] < 0 || idx[p] >= minor)
      fail(path, "index " + std::to_string(idx[p]) + " (entry " + std::to_string(p) +
                     ") is out of range: there are " + std::to_string(minor) + " " + minor_name);
}

// Sorts each row by column, sums duplicates, drops zeros; values already checked.
void canonicalize(const std::string& path, SparseMatrix& m) {
  std::int64_t out = 0, begin = 0;
  std::vector<std::pair<std::int32_t, double>> row;
  for (std::int64_t i = 0; i < m.rows; ++i) {
    const std::int64_t end = m.indptr[static_cast<std::size_t>(i + 1)];
    bool sorted = true;
    for (std::int64_t p = begin + 1; p < end && sorted; ++p)
      sorted = m.indices[static_cast<std::size_t>(p - 1)] <= m.indices[static_cast<std::size_t>(p)];
    if (!sorted) {
      row.clear();
      for (std::int64_t p = begin; p < end; ++p)
        row.emplace_back(m.indices[static_cast<std::size_t>(p)],
                         m.values[static_cast<std::size_t>(p)]);
      std::stable_sort(row.begin(), row.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::int64_t p = begin; p < end; ++p) {
        m.indices[static_cast<std::size_t>(p)] = row[static_cast<std::size_t>(p - begin)].first;
        m.values[static_cast<std::size_t>(p)] = row[static_cast<std::size_t>(p - begin)].second;
      }
    }
    m.indptr[static_cast<std::size_t>(i)] = out;
    const std::int64_t row_start = out;
    for (std::int64_t p = begin; p < end; ++p) {
      const std::int32_t j = m.indices[static_cast<std::size_t>(p)];
      const double v = m.values[static_cast<std::size_t>(p)];
      if (v == 0) continue;
      if (out > row_start && m.indices[static_cast<std::size_t>(out - 1)] == j) {
        double& sum = m.values[static_cast<std::size_t>(out - 1)];
        sum += v;
        if (!std::isfinite(sum))
          fail(path, "the duplicates of entry (" + std::to_string(i) + ", " + std::to_string(j) +
                         ") sum beyond float64's range");
      } else {
        m.indices[static_cast<std::size_t>(out)] = j;
        m.values[static_cast<std::size_t>(out)] = v;
        ++out;
      }
    }
    begin = end;
  }
  m.indptr[static_cast<std::size_t>(m.rows)] = out;
  if (out != m.nnz()) {
    m.indices.resize(static_cast<std::size_t>(out));
    m.values.resize(static_cast<std::size_t>(out));
    m.indices.shrink_to_fit();
    m.values.shrink_to_fit();
  }
}

}  // namespace

SparseMatrix sparse_from_triplets(const std::string& path, std::int64_t rows, std::int64_t cols,
                                  std::vector<std::int32_t>&& row, std::vector<std::int32_t>&& col,
                                  std::vector<double>&& values) {
  check_dims(path, rows, cols);
  SparseMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.indptr.assign(static_cast<std::size_t>(rows) + 1, 0);
  for (std::int32_t r : row) ++m.indptr[static_cast<std::size_t>(r) + 1];
  for (std::int64_t i = 0; i < rows; ++i)
    m.indptr[static_cast<std::size_t>(i + 1)] += m.indptr[static_cast<std::size_t>(i)];
  m.indices.resize(values.size());
  m.values.resize(values.size());
  {
    std::vector<std::int64_t> next(m.indptr.begin(), m.indptr.end() - 1);
    for (std::size_t p = 0; p < values.size(); ++p) {
      const auto at = static_cast<std::size_t>(next[static_cast<std::size_t>(row[p])]++);
      m.indices[at] = col[p];
      m.values[at] = values[p];
    }
  }
  row = {};
  col = {};
  values = {};
  canonicalize(path, m);
  return m;
}

SparseMatrix sparse_from_csr(const std::string& path, std::int64_t rows, std::int64_t cols,
                             const Array& indptr, const Array& indices, const Array& data) {
  check_dims(path, rows, cols);
  SparseMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.values = values_of(path, data);
  m.indptr = ints_of(path, "indptr", indptr);
  {
    const std::vector<std::int64_t> idx = ints_of(path, "indices", indices);
    check_compressed(path, "rows", "columns", rows, cols, m.indptr, idx, m.values.size());
    m.indices.assign(idx.begin(), idx.end());
  }
  for (std::int64_t i = 0; i < rows; ++i)
    for (auto p = m.indptr[static_cast<std::size_t>(i)];
         p < m.indptr[static_cast<std::size_t>(i + 1)]; ++p)
      check_value(path, i, m.indices[static_cast<std::size_t>(p)],
                  m.values[static_cast<std::size_t>(p)]);
  canonicalize(path, m);
  return m;
}

SparseMatrix sparse_from_csc(const std::string& path, std::int64_t rows, std::int64_t cols,
                             const Array& indptr, const Array& indices, const Array& data) {
  check_dims(path, rows, cols);
  std::vector<double> values = values_of(path, data);
  const std::vector<std::int64_t> ptr = ints_of(path, "indptr", indptr);
  std::vector<std::int32_t> row, col;
  {
    const std::vector<std::int64_t> idx = ints_of(path, "indices", indices);
    check_compressed(path, "columns", "rows", cols, rows, ptr, idx, values.size());
    row.assign(idx.begin(), idx.end());
  }
  col.resize(values.size());
  for (std::int64_t j = 0; j < cols; ++j)
    for (auto p = ptr[static_cast<std::size_t>(j)]; p < ptr[static_cast<std::size_t>(j + 1)]; ++p) {
      col[static_cast<std::size_t>(p)] = static_cast<std::int32_t>(j);
      check_value(path, row[static_cast<std::size_t>(p)], j, values[static_cast<std::size_t>(p)]);
    }
  return sparse_from_triplets(path, rows, cols, std::move(row), std::move(col), std::move(values));
}

SparseMatrix sparse_from_coo(const std::string& path, std::int64_t rows, std::int64_t cols,
                             const Array& row_array, const Array& col_array, const Array& data) {
  check_dims(path, rows, cols);
  std::vector<double> values = values_of(path, data);
  std::vector<std::int32_t> row, col;
  for (auto [what, array, limit, out] :
       {std::tuple{"row", &row_array, rows, &row}, std::tuple{"col", &col_array, cols, &col}}) {
    const std::vector<std::int64_t> v = ints_of(path, what, *array);
    if (v.size() != values.size())
      fail(path, std::string(what) + " has " + std::to_string(v.size()) + " entries but data has " +
                     std::to_string(values.size()));
    for (std::size_t p = 0; p < v.size(); ++p)
      if (v[p] < 0 || v[p] >= limit)
        fail(path, std::string(what) + " index " + std::to_string(v[p]) + " (entry " +
                       std::to_string(p) + ") is out of range: there are " + std::to_string(limit) +
                       (what[0] == 'r' ? " rows" : " columns"));
    out->assign(v.begin(), v.end());
  }
  for (std::size_t p = 0; p < values.size(); ++p) check_value(path, row[p], col[p], values[p]);
  return sparse_from_triplets(path, rows, cols, std::move(row), std::move(col), std::move(values));
}

void keep_rows(SparseMatrix& m, std::int64_t limit) {
  if (limit <= 0 || limit >= m.rows) return;
  m.rows = limit;
  m.indptr.resize(static_cast<std::size_t>(limit) + 1);
  m.indptr.shrink_to_fit();
  const auto nnz = static_cast<std::size_t>(m.indptr.back());
  m.indices.resize(nnz);
  m.indices.shrink_to_fit();
  m.values.resize(nnz);
  m.values.shrink_to_fit();
}

}  // namespace nmfkit::io
