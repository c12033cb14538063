#include "io/mtx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <string_view>

#include "io/file_util.hpp"

namespace nmfkit::io {
namespace {

using detail::fail;

constexpr std::size_t kChunk = std::size_t{1} << 20;
constexpr std::string_view kBanner = "%%MatrixMarket";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Lines of a plain or gzip file (zlib reads both), without their end of line.
class LineReader {
 public:
  explicit LineReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) fail(path, "cannot open");
    gzbuffer(file_, 1 << 17);
  }
  ~LineReader() { gzclose(file_); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  bool next(std::string_view& line) {
    while (true) {
      const std::size_t eol = buf_.find('\n', pos_);
      if (eol != std::string::npos) {
        line = std::string_view(buf_).substr(pos_, eol - pos_);
        pos_ = eol + 1;
        ++number_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return true;
      }
      if (eof_) {
        if (pos_ >= buf_.size()) return false;
        line = std::string_view(buf_).substr(pos_);
        pos_ = buf_.size();
        ++number_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return true;
      }
      buf_.erase(0, pos_);
      pos_ = 0;
      const std::size_t old = buf_.size();
      buf_.resize(old + kChunk);
      const int got = gzread(file_, buf_.data() + old, static_cast<unsigned>(kChunk));
      if (got < 0) {
        int err = 0;
        fail(path_, std::string("corrupt gzip stream: ") + gzerror(file_, &err));
      }
      buf_.resize(old + static_cast<std::size_t>(got));
      if (got == 0) {
        eof_ = true;
        int err = 0;
        gzerror(file_, &err);
        if (err != Z_OK && err != Z_BUF_ERROR) fail(path_, "corrupt gzip stream");
        if (!gzdirect(file_) && err == Z_BUF_ERROR) fail(path_, "truncated gzip stream");
      }
    }
  }
  std::int64_t number() const { return number_; }
  bool compressed() { return gzdirect(file_) == 0; }

 private:
  std::string path_;
  gzFile file_;
  std::string buf_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  std::int64_t number_ = 0;
};

std::vector<std::string_view> tokens(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t p = 0;
  while (p < line.size()) {
    while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
    const std::size_t start = p;
    while (p < line.size() && line[p] != ' ' && line[p] != '\t') ++p;
    if (p > start) out.push_back(line.substr(start, p - start));
  }
  return out;
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

bool parse_int(std::string_view s, std::int64_t& v) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double(std::string_view s, double& v) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string shown(std::string_view s) {
  std::string out(s.substr(0, 60));
  for (char& c : out)
    if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
  return out + (s.size() > 60 ? "..." : "");
}

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

struct Reader {
  const std::string& path;
  LineReader lines;
  std::uint64_t file_bytes;  // the plain file's size; 0 when compressed

  [[noreturn]] void fail_line(const std::string& problem) {
    fail(path, "line " + std::to_string(lines.number()) + ": " + problem);
  }
  // The next line that is not a comment or blank; false at the end of the file.
  bool data_line(std::string_view& line) {
    while (lines.next(line))
      if (!line.empty() && line[0] != '%' && !blank(line)) return true;
    return false;
  }
  double value(std::string_view text, bool integer, std::int64_t i, std::int64_t j) {
    double v = 0;
    std::int64_t n = 0;
    if (integer ? !parse_int(text, n) : !parse_double(text, v))
      fail_line("'" + shown(text) + "' is not " + (integer ? "an integer" : "a number"));
    if (integer) v = static_cast<double>(n);
    const std::string at = "entry (" + std::to_string(i) + ", " + std::to_string(j) + ")";
    if (std::isnan(v)) fail_line(at + " is NaN");
    if (std::isinf(v)) fail_line(at + " is infinite");
    if (v < 0) fail_line(at + " = " + number_text(v) + " is negative (X must be non-negative)");
    return v;
  }
  // How many entries are worth reserving: no more than the file's bytes can list.
  std::size_t reservation(std::uint64_t entries, std::uint64_t min_bytes) const {
    if (file_bytes == 0) return static_cast<std::size_t>(std::min<std::uint64_t>(entries, 1 << 20));
    return static_cast<std::size_t>(std::min(entries, file_bytes / min_bytes));
  }
};

MatrixFile read_coordinate(Reader& r, std::int64_t rows, std::int64_t cols, std::int64_t entries,
                           bool pattern, bool integer, bool symmetric) {
  const std::string& path = r.path;
  if (rows > kMaxSparseDim || cols > kMaxSparseDim)
    fail(path, "size " + std::to_string(rows) + " x " + std::to_string(cols) +
                   " is out of range (a sparse matrix has at most " +
                   std::to_string(kMaxSparseDim) + " rows and columns)");
  // rows, cols < 2^31: their product fits in 64 bits.
  if (entries > rows * cols)
    fail(path, "the size line declares " + std::to_string(entries) + " entries, more than a " +
                   std::to_string(rows) + " x " + std::to_string(cols) + " matrix holds");
  const std::uint64_t min_bytes = pattern ? 4 : 6;  // "1 1\n", "1 1 1\n"
  if (r.file_bytes > 0 && static_cast<std::uint64_t>(entries) > r.file_bytes / min_bytes)
    fail(path, "truncated: the size line declares " + std::to_string(entries) +
                   " entries, more than the file's " + std::to_string(r.file_bytes) +
                   " bytes can list");
  std::vector<std::int32_t> row, col;
  std::vector<double> values;
  const std::size_t reserve = r.reservation(static_cast<std::uint64_t>(entries), min_bytes);
  row.reserve(reserve);
  col.reserve(reserve);
  values.reserve(reserve);
  std::string_view line;
  for (std::int64_t e = 0; e < entries; ++e) {
    if (!r.data_line(line))
      fail(path, "truncated: " + std::to_string(e) + " of the " + std::to_string(entries) +
                     " entries the size line declares");
    const std::vector<std::string_view> t = tokens(line);
    if (t.size() != (pattern ? 2u : 3u))
      r.fail_line("expected " + std::string(pattern ? "'row column'" : "'row column value'") +
                  ", got '" + shown(line) + "'");
    std::int64_t i = 0, j = 0;
    if (!parse_int(t[0], i) || !parse_int(t[1], j))
      r.fail_line("'" + shown(line) + "' does not start with two whole numbers");
    if (i < 1 || i > rows || j < 1 || j > cols)
      r.fail_line("entry (" + std::to_string(i) + ", " + std::to_string(j) + ") is outside the " +
                  std::to_string(rows) + " x " + std::to_string(cols) +
                  " matrix (indices are 1-based)");
    const double v = pattern ? 1.0 : r.value(t[2], integer, i, j);
    row.push_back(static_cast<std::int32_t>(i - 1));
    col.push_back(static_cast<std::int32_t>(j - 1));
    values.push_back(v);
    if (symmetric && i != j) {
      row.push_back(static_cast<std::int32_t>(j - 1));
      col.push_back(static_cast<std::int32_t>(i - 1));
      values.push_back(v);
    }
  }
  if (r.data_line(line))
    r.fail_line("more entries than the " + std::to_string(entries) + " the size line declares");
  MatrixFile out;
  out.sparse =
      sparse_from_triplets(path, rows, cols, std::move(row), std::move(col), std::move(values));
  return out;
}

MatrixFile read_array(Reader& r, std::int64_t rows, std::int64_t cols, bool integer) {
  const std::string& path = r.path;
  const std::int64_t dims[] = {rows, cols};
  const std::uint64_t bytes = detail::checked_data_bytes(path, dims, sizeof(double));
  const std::uint64_t entries = bytes / sizeof(double);
  if (r.file_bytes > 0 && entries > r.file_bytes / 2)  // "1\n"
    fail(path, "truncated: a " + std::to_string(rows) + " x " + std::to_string(cols) +
                   " array needs more values than the file's " + std::to_string(r.file_bytes) +
                   " bytes can list");
  std::vector<double> values;
  values.reserve(r.reservation(entries, 2));
  std::string_view line;
  for (std::uint64_t e = 0; e < entries; ++e) {
    if (!r.data_line(line))
      fail(path, "truncated: " + std::to_string(e) + " of the " + std::to_string(entries) +
                     " values a " + std::to_string(rows) + " x " + std::to_string(cols) +
                     " array holds");
    const std::vector<std::string_view> t = tokens(line);
    if (t.size() != 1) r.fail_line("expected one value, got '" + shown(line) + "'");
    const auto i = static_cast<std::int64_t>(e % static_cast<std::uint64_t>(rows)) + 1;
    const auto j = static_cast<std::int64_t>(e / static_cast<std::uint64_t>(rows)) + 1;
    values.push_back(r.value(t[0], integer, i, j));
  }
  if (r.data_line(line))
    r.fail_line("more values than the " + std::to_string(entries) + " of a " +
                std::to_string(rows) + " x " + std::to_string(cols) + " array");
  MatrixFile out;
  out.dense.dtype = DType::kFloat64;
  out.dense.shape = {rows, cols};
  out.dense.bytes.resize(static_cast<std::size_t>(bytes));
  auto* x = reinterpret_cast<double*>(out.dense.bytes.data());
  for (std::int64_t j = 0; j < cols; ++j)  // column-major to C order
    for (std::int64_t i = 0; i < rows; ++i)
      x[i * cols + j] = values[static_cast<std::size_t>(j * rows + i)];
  return out;
}

}  // namespace

bool is_mtx(const std::string& path) {
  const std::string name = lower(path);
  const auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends(".mtx") || ends(".mtx.gz")) return true;
  std::ifstream in(path, std::ios::binary);
  char magic[kBanner.size()] = {};
  in.read(magic, static_cast<std::streamsize>(kBanner.size()));
  return in.gcount() == static_cast<std::streamsize>(kBanner.size()) &&
         std::string_view(magic, kBanner.size()) == kBanner;
}

MatrixFile read_mtx(const std::string& path) {
  std::uint64_t size = 0;
  {
    detail::InputFile file(path);  // a clear error for a missing or unreadable file
    size = file.size();
  }
  Reader r{path, LineReader(path), 0};
  std::string_view line;
  if (!r.lines.next(line)) fail(path, "not a Matrix Market file (the file is empty)");
  if (!r.lines.compressed()) r.file_bytes = size;
  const std::vector<std::string_view> head = tokens(line);
  if (head.empty() || head[0] != kBanner)
    fail(path, "not a Matrix Market file (the first line does not start with %%MatrixMarket)");
  if (head.size() != 5)
    fail(path, "malformed header '" + shown(line) +
                   "' (expected %%MatrixMarket matrix FORMAT FIELD SYMMETRY)");
  const std::string object = lower(head[1]), format = lower(head[2]), field = lower(head[3]),
                    symmetry = lower(head[4]);
  if (object != "matrix") fail(path, "object '" + std::string(head[1]) + "' is not a matrix");
  if (format != "coordinate" && format != "array")
    fail(path, "format '" + std::string(head[2]) + "' is neither coordinate nor array");
  if (field == "complex") fail(path, "complex matrices are not supported (X must be real)");
  if (field != "real" && field != "integer" && field != "double" &&
      !(field == "pattern" && format == "coordinate"))
    fail(path, "field '" + std::string(head[3]) + "' is not supported (real, integer" +
                   (format == "coordinate" ? ", pattern)" : ")"));
  if (symmetry == "skew-symmetric" || symmetry == "hermitian")
    fail(path, symmetry + " matrices are not supported (their entries are negative or complex)");
  if (symmetry != "general" && !(symmetry == "symmetric" && format == "coordinate"))
    fail(path, "symmetry '" + std::string(head[4]) + "' is not supported (" +
                   (format == "coordinate" ? "general or symmetric)" : "general)"));
  if (!r.data_line(line)) fail(path, "truncated: no size line");
  const std::vector<std::string_view> t = tokens(line);
  const std::size_t expected = format == "coordinate" ? 3 : 2;
  std::int64_t dims[3] = {0, 0, 0};
  if (t.size() != expected)
    r.fail_line("the size line '" + shown(line) + "' should hold " +
                (expected == 3 ? "rows, columns and entries" : "rows and columns"));
  for (std::size_t i = 0; i < expected; ++i)
    if (!parse_int(t[i], dims[i]) || dims[i] < 0)
      r.fail_line("the size line '" + shown(line) + "' holds '" + shown(t[i]) +
                  "', not a whole number from 0 to " +
                  std::to_string(std::numeric_limits<std::int64_t>::max()));
  if (symmetry == "symmetric" && dims[0] != dims[1])
    fail(path, "a symmetric matrix must be square, the size line says " + std::to_string(dims[0]) +
                   " x " + std::to_string(dims[1]));
  if (format == "array") return read_array(r, dims[0], dims[1], field == "integer");
  return read_coordinate(r, dims[0], dims[1], dims[2], field == "pattern", field == "integer",
                         symmetry == "symmetric");
}

}  // namespace nmfkit::io
