#pragma once
// Writing PNG files for the CLI tests (libpng's simplified API), and the generated shape data.
#include <png.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace nmfkit::cli_test {

/// Writes 8-bit gray (channels 1), gray + alpha (2), RGB (3) or RGBA (4) pixels as a PNG.
inline void write_png_file(const std::filesystem::path& path, int width, int height, int channels,
                           const std::vector<std::uint8_t>& pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = channels == 4   ? PNG_FORMAT_RGBA
                 : channels == 3 ? PNG_FORMAT_RGB
                 : channels == 2 ? PNG_FORMAT_GA
                                 : PNG_FORMAT_GRAY;
  if (png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr) == 0)
    throw std::runtime_error("cannot write " + path.string() + ": " + image.message);
}

/// K shapes on a side × side canvas, each a 0/1 mask: a square, a disc, a horizontal bar, a
/// vertical bar, a triangle and a ring (the first `count`).
inline std::vector<std::vector<double>> shape_masks(int side, int count) {
  std::vector<std::vector<double>> masks;
  const double c = (side - 1) / 2.0;
  for (int s = 0; s < count; ++s) {
    std::vector<double> m(static_cast<std::size_t>(side * side), 0.0);
    for (int y = 0; y < side; ++y) {
      for (int x = 0; x < side; ++x) {
        bool on = false;
        switch (s) {
          case 0:
            on = x >= 2 && x < 9 && y >= 2 && y < 9;
            break;  // square
          case 1:
            on = std::hypot(x - (side - 7.0), y - 6.0) <= 4.2;
            break;  // disc
          case 2:
            on = y >= side - 6 && y < side - 3 && x >= 2 && x < side - 2;
            break;  // bar
          case 3:
            on = x >= c - 1 && x <= c + 1 && y >= 2 && y < side - 8;
            break;  // post
          case 4:
            on = y >= side - 12 && y < side - 7 && x >= 3 && x - 3 <= y - (side - 12);
            break;
          default:
            on = std::abs(std::hypot(x - c, y - c) - 5) < 1;
            break;  // ring
        }
        m[static_cast<std::size_t>(y * side + x)] = on ? 1.0 : 0.0;
      }
    }
    masks.push_back(std::move(m));
  }
  return masks;
}

/// Pearson correlation of two equally long vectors (0 when either is constant).
inline double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const auto n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

}  // namespace nmfkit::cli_test
