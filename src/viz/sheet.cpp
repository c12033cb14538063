#include "viz/sheet.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "nmfkit/errors.hpp"

namespace nmfkit::viz {
namespace {

constexpr Index kMaxSide = 1 << 15;  // refuse pictures wider or higher than this
constexpr Index kMaxPixels = Index{1} << 28;

// 3 × 5 pixel digits, one row per entry, most significant bit on the left.
constexpr std::array<std::array<std::uint8_t, 5>, 10> kDigits = {{
    {7, 5, 5, 5, 7},  // 0
    {2, 6, 2, 2, 7},  // 1
    {7, 1, 7, 4, 7},  // 2
    {7, 1, 7, 1, 7},  // 3
    {5, 5, 7, 1, 1},  // 4
    {7, 4, 7, 1, 7},  // 5
    {7, 4, 7, 5, 7},  // 6
    {7, 1, 1, 1, 1},  // 7
    {7, 5, 7, 5, 7},  // 8
    {7, 5, 7, 1, 7},  // 9
}};

void check_shape(const ImageShape& shape) {
  if (shape.height < 1 || shape.width < 1) {
    throw InvalidArgument("image shape must have height and width of at least 1, got " +
                          shape_text(shape));
  }
  if (shape.channels != 1 && shape.channels != 3) {
    throw InvalidArgument("image channels must be 1 or 3, got " + std::to_string(shape.channels));
  }
  if (shape.height > kMaxSide || shape.width > kMaxSide) {
    throw InvalidArgument("image shape " + shape_text(shape) + " is too large (at most " +
                          std::to_string(kMaxSide) + " pixels a side)");
  }
}

// value / top clamped to [0, 1]; NaN and non-positive values give 0.
double normalise(double value, double top) {
  if (top <= 0.0) return 0.0;
  const double t = value / top;
  if (!(t > 0.0)) return 0.0;
  return std::min(t, 1.0);
}

std::uint8_t channel_level(double t) {
  return static_cast<std::uint8_t>(std::lround(t * 255.0));
}

// The number in white on a black box at (x0, y0), clipped to the box of w × h pixels.
constexpr Index kCheckerCell = 4;  // output pixels per square of the missing-value pattern

/// The two squares of the checkerboard that marks missing values (as image editors show
/// transparency).
const Rgb& checker(Index which) {
  static const Rgb squares[2] = {Rgb{204, 204, 204}, Rgb{153, 153, 153}};
  return squares[which];
}

void draw_label(RgbImage& image, int number, Index x0, Index y0, Index w, Index h) {
  const std::string text = std::to_string(number);
  const Index px = std::clamp<Index>(std::min(w, h) / 40, 1, 4);  // size of one font pixel
  const Index box_w = std::min<Index>(w, (static_cast<Index>(text.size()) * 4 + 1) * px);
  const Index box_h = std::min<Index>(h, 7 * px);
  fill(image, x0, y0, box_w, box_h, Rgb{0, 0, 0});
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto& glyph = kDigits[static_cast<std::size_t>(text[i] - '0')];
    for (Index r = 0; r < 5; ++r) {
      for (Index c = 0; c < 3; ++c) {
        if (((glyph[static_cast<std::size_t>(r)] >> (2 - c)) & 1) == 0) continue;
        const Index x = x0 + (1 + static_cast<Index>(i) * 4 + c) * px;
        const Index y = y0 + (1 + r) * px;
        if (x + px <= x0 + box_w && y + px <= y0 + box_h)
          fill(image, x, y, px, px, Rgb{255, 255, 255});
      }
    }
  }
}

}  // namespace

void fill(RgbImage& image, Index x0, Index y0, Index w, Index h, Rgb c) {
  for (Index y = std::max<Index>(y0, 0); y < std::min<Index>(y0 + h, image.height); ++y) {
    for (Index x = std::max<Index>(x0, 0); x < std::min<Index>(x0 + w, image.width); ++x) {
      std::uint8_t* p = image.pixels.data() + (y * image.width + x) * 3;
      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
  }
}

std::string shape_text(const ImageShape& shape) {
  std::string out = std::to_string(shape.height) + "x" + std::to_string(shape.width);
  if (shape.channels != 1) out += "x" + std::to_string(shape.channels);
  return out;
}

double positive_max(std::span<const double> values) {
  double top = 0.0;
  for (double v : values)
    if (std::isfinite(v) && v > top) top = v;
  return top;
}

SheetLayout layout_sheet(int cols, int rows, const ImageShape& shape,
                         const ComponentsStyle& style) {
  check_shape(shape);
  if (cols < 1 || rows < 1)
    throw InvalidArgument("a sheet needs at least one column and row, got " + std::to_string(cols) +
                          "x" + std::to_string(rows));
  if (style.gap < 0) throw InvalidArgument("gap must be >= 0, got " + std::to_string(style.gap));
  SheetLayout l;
  l.cols = cols;
  l.rows = rows;
  l.scale = effective_scale(shape, style);
  if (l.scale > kMaxSide / std::max(shape.height, shape.width)) {
    throw InvalidArgument("scale " + std::to_string(l.scale) + " makes " + shape_text(shape) +
                          " tiles too large (at most " + std::to_string(kMaxSide) +
                          " pixels a side)");
  }
  l.tile_w = shape.width * l.scale;
  l.tile_h = shape.height * l.scale;
  l.width = cols * l.tile_w + (cols + 1) * static_cast<Index>(style.gap);
  l.height = rows * l.tile_h + (rows + 1) * static_cast<Index>(style.gap);
  if (l.width > kMaxSide || l.height > kMaxSide || l.width * l.height > kMaxPixels) {
    throw InvalidArgument("the picture would be " + std::to_string(l.width) + "x" +
                          std::to_string(l.height) + " pixels, more than " +
                          std::to_string(kMaxSide) + " a side");
  }
  return l;
}

std::string sheet_problem(int cols, int rows, const ImageShape& shape,
                          const ComponentsStyle& style) {
  try {
    layout_sheet(cols, rows, shape, style);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

RgbImage render_sheet(std::span<const Tile> tiles, int cols, int rows, const ImageShape& shape,
                      const ComponentsStyle& style) {
  const SheetLayout l = layout_sheet(cols, rows, shape, style);
  if (tiles.size() > static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows))
    throw InvalidArgument(std::to_string(tiles.size()) + " tiles do not fit a " +
                          std::to_string(cols) + "x" + std::to_string(rows) + " sheet");
  RgbImage image;
  image.width = static_cast<int>(l.width);
  image.height = static_cast<int>(l.height);
  image.pixels.resize(static_cast<std::size_t>(l.width * l.height * 3));
  fill(image, 0, 0, l.width, l.height, style.background);

  const Index pixels = shape.height * shape.width;
  std::vector<Rgb> colors(static_cast<std::size_t>(pixels));
  std::vector<std::uint8_t> missing(static_cast<std::size_t>(pixels));
  for (std::size_t j = 0; j < tiles.size(); ++j) {
    const Tile& tile = tiles[j];
    if (tile.values.empty()) continue;
    if (static_cast<Index>(tile.values.size()) != shape.size())
      throw InvalidArgument("tile " + std::to_string(j) + " has " +
                            std::to_string(tile.values.size()) + " values but the image shape " +
                            shape_text(shape) + " has " + std::to_string(shape.size()));
    for (Index p = 0; p < pixels; ++p) {
      Rgb& c = colors[static_cast<std::size_t>(p)];
      const double* v = tile.values.data() + p * shape.channels;
      bool nan = false;
      for (Index ch = 0; ch < shape.channels; ++ch) nan = nan || std::isnan(v[ch]);
      missing[static_cast<std::size_t>(p)] = nan ? 1 : 0;
      if (shape.channels == 1) {
        c = map_color(style.colormap, normalise(v[0], tile.top));
      } else {
        c = Rgb{channel_level(normalise(v[0], tile.top)), channel_level(normalise(v[1], tile.top)),
                channel_level(normalise(v[2], tile.top))};
      }
    }
    const Index x0 =
        style.gap + static_cast<Index>(j % static_cast<std::size_t>(cols)) * (l.tile_w + style.gap);
    const Index y0 =
        style.gap + static_cast<Index>(j / static_cast<std::size_t>(cols)) * (l.tile_h + style.gap);
    for (Index y = 0; y < l.tile_h; ++y) {
      const Rgb* src = colors.data() + (y / l.scale) * shape.width;
      const std::uint8_t* gone = missing.data() + (y / l.scale) * shape.width;
      std::uint8_t* dst = image.pixels.data() + ((y0 + y) * l.width + x0) * 3;
      for (Index x = 0; x < l.tile_w; ++x, dst += 3) {
        const Rgb& c = gone[x / l.scale] != 0 ? checker((x / kCheckerCell + y / kCheckerCell) % 2)
                                              : src[x / l.scale];
        dst[0] = c.r;
        dst[1] = c.g;
        dst[2] = c.b;
      }
    }
    if (style.labels && tile.label >= 0) draw_label(image, tile.label, x0, y0, l.tile_w, l.tile_h);
  }
  return image;
}

}  // namespace nmfkit::viz
