#pragma once
/// Reading images (PNG, JPEG, BMP, binary PGM/PPM) into 8-bit pixels and resizing them.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nmfkit::io {

/// An 8-bit image: width·height·channels bytes, row-major, (row, column, channel) order.
struct Image8 {
  int width = 0;
  int height = 0;
  int channels = 1;  ///< 1 (gray) or 3 (RGB); 2 or 4 with alpha last
  std::vector<std::uint8_t> pixels;
};

/// File name extensions read_image() is used for (lower case, with the dot).
bool is_image_extension(const std::string& extension);

/// Decodes the image file at `path` with `channels` channels: 1 converts colour to gray
/// (ITU-R BT.601 luma), 3 keeps RGB (gray images are repeated in all three); 2 and 4 are the same
/// followed by the alpha channel (255 for images without one). Otherwise alpha is dropped.
/// The format is recognised from the first bytes, whatever the file's extension: PNG (libpng;
/// every bit depth, palette and tRNS transparency), JPEG (libjpeg-turbo; gray, YCbCr, CMYK),
/// uncompressed BMP, binary PGM/PPM (P5/P6, levels up to 65535). 16-bit samples are rounded to
/// 8 bits (v·255/65535) and PGM/PPM levels are scaled from the file's maximum to 255. Images of
/// more than 2^28 pixels are refused from their header. Throws nmfkit::DataError with one line
/// naming the file when it cannot be opened or is not a complete image of a supported format
/// (a truncated file is an error, never an image with missing rows).
Image8 read_image(const std::string& path, int channels);

/// read_image() on bytes already in memory, `name` standing for the file in messages.
Image8 decode_image(const std::uint8_t* data, std::size_t size, int channels,
                    const std::string& name);

/// What becomes of the alpha channel of an image (--alpha).
enum class AlphaMode {
  kIgnore,     ///< dropped: the colour stored under a transparent pixel is data
  kComposite,  ///< every pixel blended onto a background colour by its alpha
  kMask,       ///< pixels with alpha 0 are missing entries (their colour is not data)
};

/// "ignore", "composite" or "mask"; throws nmfkit::InvalidArgument naming the choices.
AlphaMode parse_alpha_mode(const std::string& name);
const char* alpha_mode_name(AlphaMode mode);

/// An RGB colour from "black", "white", "gray", "#rrggbb", "#rgb" or "R,G,B" (0..255); throws
/// nmfkit::InvalidArgument naming the text otherwise.
std::array<std::uint8_t, 3> parse_color(const std::string& text);

/// The gray level of an RGB colour as read_image() converts colour to gray.
std::uint8_t gray_of(const std::array<std::uint8_t, 3>& rgb);

/// An image with alpha (2 or 4 channels, as read_image() gives them) without its alpha channel:
/// composite: c·a + background·(1 − a), rounded; mask: the colour where a > 0 and 0 where a = 0,
/// with `observed` (one byte per value of the result) 0 there. Resizing first
/// (width, height > 0) is done on colours premultiplied by alpha, so the colour under a
/// transparent pixel never reaches a visible one.
Image8 resolve_alpha(const Image8& image, AlphaMode mode,
                     const std::array<std::uint8_t, 3>& background, int width, int height,
                     std::vector<std::uint8_t>* observed);

/// `image` resized to width × height with an antialiasing triangle (bilinear) filter: when
/// shrinking, the filter is widened by the shrink factor so every source pixel contributes
/// (an area-weighted average); when enlarging it interpolates linearly. Pixel centres are
/// aligned, edges are clamped. Throws nmfkit::InvalidArgument for a size below 1.
Image8 resize_image(const Image8& image, int width, int height);

}  // namespace nmfkit::io
