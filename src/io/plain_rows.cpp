#include "io/plain_rows.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "io/file_util.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::io {

PlainRows::PlainRows(PlainArray array) : array_(std::move(array)) {
  for (std::size_t d = 1; d < array_.shape.size(); ++d) cols_ *= array_.shape[d];
  fd_ = ::open(array_.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw DataError("cannot open '" + array_.path + "': " + std::strerror(errno));
}

PlainRows::~PlainRows() {
  if (fd_ >= 0) ::close(fd_);
}

void PlainRows::read(std::int64_t first, std::int64_t count, std::uint8_t* out) const {
  if (first < 0 || count < 0 || first > rows() || count > rows() - first)
    throw InvalidArgument("rows " + std::to_string(first) + " to " + std::to_string(first + count) +
                          " are not among the " + std::to_string(rows()) + " of '" + array_.path +
                          "'");
  auto left = static_cast<std::size_t>(count * cols_);
  auto at = static_cast<off_t>(array_.offset + static_cast<std::uint64_t>(first * cols_));
  while (left > 0) {
    const ssize_t got = ::pread(fd_, out, left, at);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) detail::fail(array_.path, std::string("read error: ") + std::strerror(errno));
    if (got == 0) detail::fail(array_.path, "truncated: the file shrank after it was opened");
    out += got;
    at += got;
    left -= static_cast<std::size_t>(got);
  }
}

}  // namespace nmfkit::io
