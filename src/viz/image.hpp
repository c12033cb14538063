#pragma once
/// An 8-bit RGB raster and writing it as PNG.
#include <cstdint>
#include <string>
#include <vector>

namespace nmfkit::viz {

/// An 8-bit RGB image: `pixels` holds width·height·3 bytes, row-major, (row, column, channel).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};

/// Writes `image` to `path` as an 8-bit RGB PNG. The file is written under a temporary name next
/// to `path` and renamed into place, so `path` is never left half written.
/// Throws nmfkit::InvalidArgument if the image is empty or `pixels` has the wrong size, and
/// nmfkit::DataError naming the path if the file cannot be created, written or renamed (any
/// partially written file is removed).
void write_png(const std::string& path, const RgbImage& image);

}  // namespace nmfkit::viz
