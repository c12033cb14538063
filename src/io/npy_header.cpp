#include "io/npy_header.hpp"

#include <cctype>
#include <limits>

#include "io/file_util.hpp"

namespace nmfkit::io::detail {
namespace {

constexpr std::size_t kMaxShownChars = 120;
constexpr std::size_t kAlign = 64;                // numpy's ARRAY_ALIGN
constexpr std::size_t kGrowthAxisMaxDigits = 21;  // numpy's GROWTH_AXIS_MAX_DIGITS

// A recursive-descent parser for the small Python literal numpy writes.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string_view text) : path_(path), text_(text) {}

  NpyHeader parse() {
    NpyHeader h;
    bool has_descr = false, has_order = false, has_shape = false;
    skip_space();
    expect('{');
    while (true) {
      skip_space();
      if (consume('}')) break;
      const std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr" && !has_descr) {
        if (peek() != '\'' && peek() != '"') error("'descr' is not a string (structured dtype?)");
        h.descr = parse_string();
        has_descr = true;
      } else if (key == "fortran_order" && !has_order) {
        h.fortran_order = parse_bool();
        has_order = true;
      } else if (key == "shape" && !has_shape) {
        h.shape = parse_shape();
        has_shape = true;
      } else {
        error("unexpected or repeated key '" + key + "'");
      }
      skip_space();
      if (consume('}')) break;
      expect(',');
    }
    skip_space();
    if (pos_ != text_.size()) error("unexpected text after the dictionary");
    if (!has_descr || !has_order || !has_shape) {
      error("missing key '" +
            std::string(!has_descr   ? "descr"
                        : !has_order ? "fortran_order"
                                     : "shape") +
            "'");
    }
    return h;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    std::string shown;
    for (char c : text_.substr(0, kMaxShownChars)) {
      shown += std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
    }
    while (!shown.empty() && shown.back() == ' ') shown.pop_back();
    if (text_.size() > kMaxShownChars) shown += "...";
    fail(path_,
         "invalid NPY header (" + what + " at offset " + std::to_string(pos_) + "): " + shown);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!consume(c)) error(std::string("expected '") + c + "'");
  }
  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') error("expected a quoted string");
    const std::size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') error("escapes in strings are not supported");
      ++pos_;
    }
    if (pos_ == text_.size()) error("unterminated string");
    return std::string(text_.substr(start, pos_++ - start));
  }
  bool parse_bool() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    error("expected True or False");
  }
  std::int64_t parse_int() {
    if (peek() == '-') error("negative dimension");
    if (!std::isdigit(static_cast<unsigned char>(peek()))) error("expected an integer");
    std::int64_t v = 0;
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      const int digit = text_[pos_++] - '0';
      if (v > (kMax - digit) / 10) error("dimension too large");
      v = v * 10 + digit;
    }
    consume('L');  // Python 2 wrote long integers as 3L
    return v;
  }
  std::vector<std::int64_t> parse_shape() {
    std::vector<std::int64_t> shape;
    expect('(');
    while (true) {
      skip_space();
      if (consume(')')) break;
      shape.push_back(parse_int());
      skip_space();
      if (consume(')')) break;
      expect(',');
    }
    return shape;
  }

  const std::string& path_;
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

NpyHeader parse_npy_header(const std::string& path, std::string_view text) {
  return HeaderParser(path, text).parse();
}

std::string shape_repr(std::span<const std::int64_t> shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::string format_npy_header(std::string_view descr, std::span<const std::int64_t> shape) {
  std::string dict = "{'descr': '" + std::string(descr) +
                     "', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
  // numpy leaves room for the first axis to grow to 21 digits without rewriting the file.
  const std::size_t digits = std::to_string(shape.empty() ? 0 : shape[0]).size();
  if (!shape.empty() && digits < kGrowthAxisMaxDigits)
    dict.append(kGrowthAxisMaxDigits - digits, ' ');
  constexpr std::size_t kPrefix = 10;            // magic (6), version (2), header length (2)
  const std::size_t text_len = dict.size() + 1;  // with the final '\n'
  const std::size_t pad = kAlign - (kPrefix + text_len) % kAlign;
  const std::size_t header_len = text_len + pad;
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header_len & 0xFF);
  out += static_cast<char>((header_len >> 8) & 0xFF);
  out += dict;
  out.append(pad, ' ');
  out += '\n';
  return out;
}

}  // namespace nmfkit::io::detail
