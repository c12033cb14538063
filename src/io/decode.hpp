#pragma once
// The image decoders behind read_image() (internal to the io module). Each format is decoded only
// when its magic bytes are there, by a decoder that notices truncation: libpng, libjpeg-turbo,
// nmfkit's own binary PGM/PPM reader, and stb_image's BMP decoder alone after nmfkit has checked
// that the file holds every row its header promises.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nmfkit::io::detail {

enum class ImageFormat { kUnknown, kPng, kJpeg, kBmp, kPnm };

/// The format the first bytes announce (kUnknown when none of the four).
ImageFormat sniff_image(const std::uint8_t* data, std::size_t size);

/// Pixels as the file stores them, 8 bits per sample: 1 (gray), 2 (gray, alpha), 3 (RGB) or
/// 4 (RGBA) channels. 16-bit samples are rounded to 8 bits (v·255/65535); PGM/PPM levels are
/// scaled from their maximum value to 255.
struct Decoded {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;
};

/// Images larger than this many pixels, or whose decoded samples would take more than
/// kMaxDecodedBytes, are refused from their header, before anything is decoded.
inline constexpr std::int64_t kMaxPixels = std::int64_t{1} << 28;
inline constexpr std::int64_t kMaxDecodedBytes = std::int64_t{1} << 30;

/// Decodes `data` (named `name` in messages). Throws nmfkit::DataError "<name>: <why>" when the
/// bytes are not a complete image of one of the four formats.
Decoded decode(const std::uint8_t* data, std::size_t size, const std::string& name);

}  // namespace nmfkit::io::detail
