#include "io/csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "io/file_util.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::io {
namespace {

using detail::fail;

constexpr std::uint64_t kMaxCsvBytes = std::uint64_t{1} << 34;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> cells;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    if (line[i] == sep && !quoted) {
      cells.push_back(trim(line.substr(start, i - start)));
      start = i + 1;
    }
  }
  cells.push_back(trim(line.substr(start)));
  return cells;
}

enum class Parsed { kNumber, kNotANumber, kOutOfRange };

Parsed parse_cell(std::string_view cell, double& value) {
  if (cell.empty()) return Parsed::kNotANumber;
  if (cell.front() == '+') cell.remove_prefix(1);
  const char* end = cell.data() + cell.size();
  const auto [ptr, ec] = std::from_chars(cell.data(), end, value);
  if (ptr != end) return Parsed::kNotANumber;
  if (ec == std::errc::result_out_of_range) {
    // Beyond double's range (1e400) is an error; below it (1e-400) is zero, as numpy reads it.
    if (!std::isinf(std::strtod(std::string(cell).c_str(), nullptr))) {
      value = 0;
      return Parsed::kNumber;
    }
    return Parsed::kOutOfRange;
  }
  return ec == std::errc() ? Parsed::kNumber : Parsed::kNotANumber;
}

bool parse_number(std::string_view cell, double& value) {
  return parse_cell(cell, value) == Parsed::kNumber;
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

/// The cell for a message: at most 40 bytes, control characters written as \xNN so that none
/// reaches the terminal.
std::string shorten(std::string_view cell) {
  constexpr std::size_t kShown = 40;
  std::string out;
  for (std::size_t i = 0; i < std::min(cell.size(), kShown); ++i) {
    const auto c = static_cast<unsigned char>(cell[i]);
    if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return cell.size() <= kShown ? out : out + "...";
}

}  // namespace

Csv read_csv(const std::string& path) {
  detail::InputFile file(path);
  const std::uint64_t size = file.size();
  if (size > kMaxCsvBytes) fail(path, "CSV file larger than 16 GiB");
  std::string text(static_cast<std::size_t>(size), '\0');
  if (file.read(text.data(), text.size()) < text.size())
    fail(path, "the file shrank while reading");
  if (text.find('\0') != std::string::npos) fail(path, "not a text (CSV) file: it holds NUL bytes");
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // a UTF-8 byte-order mark

  Csv csv;
  std::vector<double> values;
  std::size_t columns = 0;
  std::int64_t rows = 0;
  char sep = ',';
  bool first = true;
  std::size_t line_no = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    if (blank(line)) continue;
    if (first) {
      if (line.find(',') == std::string_view::npos) {
        if (line.find('\t') != std::string_view::npos)
          sep = '\t';
        else if (line.find(';') != std::string_view::npos)
          sep = ';';
      }
    }
    const std::vector<std::string_view> cells = split(line, sep);
    if (first) {
      first = false;
      columns = cells.size();
      bool any_number = false;
      double v = 0;
      for (std::string_view c : cells) any_number = any_number || parse_number(c, v);
      if (!any_number) {
        for (std::string_view c : cells) csv.header.emplace_back(c);
        continue;
      }
    }
    if (cells.size() != columns)
      fail(path, "line " + std::to_string(line_no) + " has " + std::to_string(cells.size()) +
                     " cells, expected " + std::to_string(columns) + " as in the first line");
    for (std::size_t c = 0; c < cells.size(); ++c) {
      double v = 0;
      const Parsed parsed = parse_cell(cells[c], v);
      if (parsed != Parsed::kNumber) {
        const std::string name = csv.header.empty() ? "" : " ('" + shorten(csv.header[c]) + "')";
        fail(path, "line " + std::to_string(line_no) + " (sample " + std::to_string(rows + 1) +
                       "), column " + std::to_string(c + 1) + name + ": '" + shorten(cells[c]) +
                       (parsed == Parsed::kOutOfRange ? "' is out of range (beyond ±1.8e308)"
                                                      : "' is not a number"));
      }
      values.push_back(v);
    }
    ++rows;
  }
  if (rows == 0)
    fail(path,
         csv.header.empty() ? "the CSV file is empty" : "the CSV file has a header but no rows");
  csv.values.dtype = DType::kFloat64;
  csv.values.shape = {rows, static_cast<std::int64_t>(columns)};
  csv.values.bytes.resize(values.size() * sizeof(double));
  std::memcpy(csv.values.bytes.data(), values.data(), csv.values.bytes.size());
  return csv;
}

}  // namespace nmfkit::io
