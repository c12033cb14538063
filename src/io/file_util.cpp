#include "io/file_util.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>

#include "nmfkit/errors.hpp"

namespace nmfkit::io::detail {

void fail(const std::string& path, const std::string& problem) {
  throw DataError(path + ": " + problem);
}

namespace {

std::FILE* open_or_throw(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    throw DataError("cannot open '" + path + "': " + std::strerror(errno));
  }
  return f;
}

}  // namespace

InputFile::InputFile(const std::string& path)
    : path_(path), file_(open_or_throw(path), &std::fclose) {}

std::uint64_t InputFile::size() const {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path_, ec);
  if (ec) fail(path_, "cannot get the file size: " + ec.message());
  return static_cast<std::uint64_t>(n);
}

std::size_t InputFile::read(void* dst, std::size_t n) {
  const std::size_t got = std::fread(dst, 1, n, file_.get());
  if (got < n && std::ferror(file_.get())) {
    fail(path_, std::string("read error: ") + std::strerror(errno));
  }
  return got;
}

void InputFile::seek(std::uint64_t offset) {
  if (std::fseek(file_.get(), static_cast<long>(offset), SEEK_SET) != 0) {
    fail(path_, std::string("cannot seek: ") + std::strerror(errno));
  }
}

std::string join_dims(std::span<const std::int64_t> dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += " x ";
    s += std::to_string(dims[i]);
  }
  return s;
}

std::uint64_t checked_data_bytes(const std::string& path, std::span<const std::int64_t> dims,
                                 std::size_t elem_size) {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t bytes = elem_size;
  bool overflow = false;
  for (std::int64_t d : dims) {
    if (d < 0) fail(path, "negative dimension in " + join_dims(dims));
    const auto u = static_cast<std::uint64_t>(d);
    if (u != 0 && bytes > kMax / u) overflow = true;
    bytes *= u;  // wraps on overflow; only used when overflow is false
  }
  // A zero dimension makes the product 0 even when other factors overflow.
  if (std::find(dims.begin(), dims.end(), 0) != dims.end()) return 0;
  if (overflow) {
    fail(path, "dimensions " + join_dims(dims) + " of " + std::to_string(elem_size) +
                   "-byte elements overflow a 64-bit byte count");
  }
  if (bytes > kMaxDataBytes) {
    fail(path, "dimensions " + join_dims(dims) + " need " + std::to_string(bytes) +
                   " bytes, more than the limit of " + std::to_string(kMaxDataBytes) +
                   " (2^40): corrupt header?");
  }
  return bytes;
}

void swap_bytes(std::span<std::uint8_t> bytes, std::size_t elem_size) {
  if (elem_size <= 1) return;
  for (std::size_t i = 0; i + elem_size <= bytes.size(); i += elem_size) {
    std::reverse(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                 bytes.begin() + static_cast<std::ptrdiff_t>(i + elem_size));
  }
}

}  // namespace nmfkit::io::detail
