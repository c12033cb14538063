#include "common.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "io/npy.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::cli {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string number(double v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string json_text(const nlohmann::ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string command_line(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& word : words) {
    const bool plain = !word.empty() && word.find_first_not_of(
                                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-_./=:+,@%") == std::string::npos;
    line += (line.empty() ? "" : " ") + (plain ? word : shell_quote(word));
  }
  return line;
}

const CLI::Validator kFiniteNonNegative(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !std::isfinite(v) || v < 0)
        return "must be a finite number >= 0, got '" + text + "'";
      return "";
    },
    "NUMBER>=0");

const CLI::Validator kCount(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || v < 0 || v > 2147483647)
        return "must be a whole number from 0 to 2147483647, got '" + text + "'";
      return "";
    },
    "COUNT");

DataFormat parse_format(const std::string& name) {
  if (name == "auto") return DataFormat::kAuto;
  if (name == "dense") return DataFormat::kDense;
  if (name == "sparse") return DataFormat::kSparse;
  throw InvalidArgument("unknown format '" + name + "' (choose auto, dense or sparse)");
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void write_text(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw DataError("cannot create '" + path + "': " + std::strerror(errno));
  int err = std::fwrite(text.data(), 1, text.size(), f) == text.size() ? 0 : errno;
  if (std::fclose(f) != 0 && err == 0) err = errno;
  if (err != 0) throw DataError("cannot write '" + path + "': " + std::strerror(err));
}

template <typename T>
Matrix<T> read_matrix_npy(const std::string& path, const std::string& what) {
  const io::Array a = io::read_npy(path);
  if (a.shape.size() != 2)
    throw DataError(what + " '" + path + "' must be a 2-dimensional array, got " +
                    std::to_string(a.shape.size()) + " dimensions");
  Matrix<T> m(a.shape[0], a.shape[1]);
  m.values = io::to_vector<T>(a);
  return m;
}

template Matrix<float> read_matrix_npy<float>(const std::string&, const std::string&);
template Matrix<double> read_matrix_npy<double>(const std::string&, const std::string&);

}  // namespace nmfkit::cli
