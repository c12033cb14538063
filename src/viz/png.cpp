#include <png.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "nmfkit/errors.hpp"
#include "viz/image.hpp"

namespace nmfkit::viz {
namespace {

std::string errno_text(int err) {
  return err != 0 ? std::string(": ") + std::strerror(err) : "";
}

// Closes the FILE* and removes the temporary file unless release() was called.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (file_ != nullptr) std::fclose(file_);
    if (!released_) std::remove(path_.c_str());
  }

  bool open() {
    file_ = std::fopen(path_.c_str(), "wb");
    return file_ != nullptr;
  }
  std::FILE* file() const { return file_; }
  const std::string& path() const { return path_; }
  // Flushes and closes; returns 0 on success, else the errno of the failure (EIO if none set).
  int close() {
    errno = 0;
    const bool failed = std::fflush(file_) != 0 || std::ferror(file_) != 0;
    int err = failed ? (errno != 0 ? errno : EIO) : 0;
    errno = 0;
    if (std::fclose(file_) != 0 && err == 0) err = errno != 0 ? errno : EIO;
    file_ = nullptr;
    return err;
  }
  void release() { released_ = true; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  bool released_ = false;
};

void check_image(const std::string& path, const RgbImage& image) {
  if (image.width <= 0 || image.height <= 0) {
    throw InvalidArgument("cannot write PNG '" + path + "': image is " +
                          std::to_string(image.width) + "x" + std::to_string(image.height) +
                          " pixels, both sides must be at least 1");
  }
  const auto expected =
      static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3U;
  if (image.pixels.size() != expected) {
    throw InvalidArgument("cannot write PNG '" + path + "': a " + std::to_string(image.width) +
                          "x" + std::to_string(image.height) + " RGB image needs " +
                          std::to_string(expected) + " bytes, got " +
                          std::to_string(image.pixels.size()));
  }
}

}  // namespace

void write_png(const std::string& path, const RgbImage& image) {
  check_image(path, image);

  TempFile temp(path + ".tmp");
  if (!temp.open()) {
    throw DataError("cannot create PNG '" + path + "'" + errno_text(errno));
  }

  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_RGB;
  const auto row_stride = static_cast<png_int_32>(image.width) * 3;
  errno = 0;
  const int ok = png_image_write_to_stdio(&png, temp.file(), /*convert_to_8_bit=*/0,
                                          image.pixels.data(), row_stride, /*colormap=*/nullptr);
  const int write_errno = errno;
  if (ok == 0) {
    const std::string message = png.message;
    png_image_free(&png);
    throw DataError("cannot write PNG '" + path + "': " + message + errno_text(write_errno));
  }
  png_image_free(&png);

  if (const int err = temp.close(); err != 0) {
    throw DataError("cannot write PNG '" + path + "'" + errno_text(err));
  }
  std::error_code ec;
  std::filesystem::rename(temp.path(), path, ec);
  if (ec) {
    throw DataError("cannot write PNG '" + path + "': " + ec.message());
  }
  temp.release();
}

}  // namespace nmfkit::viz
