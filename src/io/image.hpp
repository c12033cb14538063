#pragma once
/// Reading images (PNG, JPEG, BMP, binary PGM/PPM) into 8-bit pixels and resizing them.
#include <cstdint>
#include <string>
#include <vector>

namespace nmfkit::io {

/// An 8-bit image: width·height·channels bytes, row-major, (row, column, channel) order.
struct Image8 {
  int width = 0;
  int height = 0;
  int channels = 1;  ///< 1 (gray) or 3 (RGB)
  std::vector<std::uint8_t> pixels;
};

/// File name extensions read_image() is used for (lower case, with the dot).
bool is_image_extension(const std::string& extension);

/// Decodes the image file at `path` (stb_image) with `channels` channels: 1 converts colour to
/// gray (ITU-R BT.601 luma), 3 keeps RGB (gray images are repeated in all three). Alpha is
/// dropped; 16-bit images are reduced to 8 bits. Throws nmfkit::DataError with one line naming
/// the file when it cannot be opened or is not a complete image of a supported format.
Image8 read_image(const std::string& path, int channels);

/// `image` resized to width × height with an antialiasing triangle (bilinear) filter: when
/// shrinking, the filter is widened by the shrink factor so every source pixel contributes
/// (an area-weighted average); when enlarging it interpolates linearly. Pixel centres are
/// aligned, edges are clamped. Throws nmfkit::InvalidArgument for a size below 1.
Image8 resize_image(const Image8& image, int width, int height);

}  // namespace nmfkit::io
