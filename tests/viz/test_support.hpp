#pragma once
// Helpers shared by the viz tests: a fresh temporary folder and a PNG reader.
#include <png.h>
#include <stdlib.h>  // mkdtemp
#include <unistd.h>  // getpid

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "viz/image.hpp"

namespace nmfkit::viz::testing {

/// A new empty folder under the system temp folder, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "nmfkit_viz_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Names of the entries in the folder.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }

 private:
  std::filesystem::path path_;
};

/// The first bytes of a file.
inline std::vector<unsigned char> read_prefix(const std::string& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> out(n);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

struct ReadPng {
  RgbImage image;
  png_uint_32 file_format = 0;  ///< the format libpng reports for the file before conversion
};

/// Reads a PNG with libpng's simplified API, converted to 8-bit RGB.
inline ReadPng read_png(const std::string& path) {
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_file(&png, path.c_str()) == 0) {
    throw std::runtime_error("cannot read " + path + ": " + png.message);
  }
  ReadPng out;
  out.file_format = png.format;
  png.format = PNG_FORMAT_RGB;
  out.image.width = static_cast<int>(png.width);
  out.image.height = static_cast<int>(png.height);
  out.image.pixels.resize(PNG_IMAGE_SIZE(png));
  if (png_image_finish_read(&png, nullptr, out.image.pixels.data(), 0, nullptr) == 0) {
    const std::string message = png.message;
    png_image_free(&png);
    throw std::runtime_error("cannot decode " + path + ": " + message);
  }
  return out;
}

}  // namespace nmfkit::viz::testing
