#pragma once
/// A folder of images read as one array of samples (n × height × width [× 3], 8-bit).
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/array.hpp"
#include "io/image.hpp"

namespace nmfkit::io {

struct ImageFolderOptions {
  int channels = 1;  ///< 1: convert to gray; 3: keep RGB
  int width = 0;     ///< resize every image to width × height; 0 = keep (all must agree)
  int height = 0;
  AlphaMode alpha = AlphaMode::kIgnore;             ///< what becomes of transparent pixels
  std::array<std::uint8_t, 3> background{0, 0, 0};  ///< composite: the colour behind the images
  bool skip_bad = false;   ///< skip unreadable or corrupt files instead of failing
  std::int64_t limit = 0;  ///< read at most this many images (0 = all)
  /// Called before each file is read with its index and the number of files; may throw to stop
  /// (the CLI checks for Ctrl-C there).
  std::function<void(std::size_t index, std::size_t count)> before_file;
};

struct ImageFolder {
  Array images;                      ///< uint8, shape {n, height, width} or {n, height, width, 3}
  std::vector<std::string> files;    ///< the file of each sample, in order
  std::vector<std::string> skipped;  ///< files skipped as unreadable (only with skip_bad)
  /// alpha mask: one byte per value of `images` (its layout), 0 where the pixel's alpha is 0;
  /// empty otherwise.
  std::vector<std::uint8_t> observed;
};

/// The image files under `dir` (PNG, JPEG, BMP, PGM/PPM by extension, any case), searched
/// recursively, sorted by path. Throws nmfkit::DataError when `dir` cannot be listed.
std::vector<std::string> list_image_files(const std::string& dir);

/// Reads every image file under `dir` in path order. Without a size every image must have the
/// size of the first (else one line naming both files and their sizes); with one, each is
/// resized (resize_image). A file that cannot be read is an error naming it, or is skipped with
/// skip_bad. No image files, or none readable, is an error. Throws nmfkit::DataError.
ImageFolder read_image_folder(const std::string& dir, const ImageFolderOptions& options);

}  // namespace nmfkit::io
