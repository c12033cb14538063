#include "viz/components.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "nmfkit/errors.hpp"
#include "viz/grid.hpp"

namespace nmfkit::viz {
namespace {

constexpr Index kAutoScaleTarget = 112;  // auto scale makes the longer side at least this long
constexpr Index kMaxSide = 1 << 15;      // refuse pictures wider or higher than this
constexpr Index kMaxPixels = Index{1} << 28;

std::string shape_text(const ImageShape& shape) {
  std::string out = std::to_string(shape.height) + "x" + std::to_string(shape.width);
  if (shape.channels != 1) out += "x" + std::to_string(shape.channels);
  return out;
}

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

// Largest finite positive value of a row, or 0 if it has none.
template <typename T>
double row_max(const T* row, Index n) {
  double top = 0.0;
  for (Index i = 0; i < n; ++i) {
    const auto v = static_cast<double>(row[i]);
    if (std::isfinite(v) && v > top) top = v;
  }
  return top;
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

struct PictureLayout {
  GridLayout grid;
  Index scale = 1, tile_w = 0, tile_h = 0, width = 0, height = 0;
};

// The grid, scale and size of the picture of k components; throws InvalidArgument when it cannot
// be drawn.
PictureLayout layout_components(Index k, const ImageShape& shape, const ComponentsStyle& style) {
  check_shape(shape);
  if (style.gap < 0) throw InvalidArgument("gap must be >= 0, got " + std::to_string(style.gap));
  PictureLayout l;
  l.scale = effective_scale(shape, style);
  if (l.scale > kMaxSide / std::max(shape.height, shape.width)) {
    throw InvalidArgument("scale " + std::to_string(l.scale) + " makes " + shape_text(shape) +
                          " tiles too large (at most " + std::to_string(kMaxSide) +
                          " pixels a side)");
  }
  l.grid = choose_grid(static_cast<int>(k));
  l.tile_w = shape.width * l.scale;
  l.tile_h = shape.height * l.scale;
  l.width = l.grid.cols * l.tile_w + (l.grid.cols + 1) * style.gap;
  l.height = l.grid.rows * l.tile_h + (l.grid.rows + 1) * style.gap;
  if (l.width > kMaxSide || l.height > kMaxSide || l.width * l.height > kMaxPixels) {
    throw InvalidArgument("the components picture would be " + std::to_string(l.width) + "x" +
                          std::to_string(l.height) + " pixels, more than " +
                          std::to_string(kMaxSide) + " a side");
  }
  return l;
}

template <typename T>
RgbImage render(const DenseView<T>& h, const ImageShape& shape, const ComponentsStyle& style) {
  check_shape(shape);
  if (h.rows < 1) throw InvalidArgument("there are no components to draw (H has 0 rows)");
  if (h.rows > std::numeric_limits<int>::max()) {
    throw InvalidArgument("too many components to draw: " + std::to_string(h.rows));
  }
  if (h.cols != shape.size()) {
    throw InvalidArgument("H has " + std::to_string(h.cols) +
                          " features per component but the image shape " + shape_text(shape) +
                          " has " + std::to_string(shape.size()));
  }
  const PictureLayout layout = layout_components(h.rows, shape, style);
  const GridLayout grid = layout.grid;
  const Index gap = style.gap;
  const Index scale = layout.scale;
  const Index tile_w = layout.tile_w;
  const Index tile_h = layout.tile_h;
  const Index out_w = layout.width;
  const Index out_h = layout.height;

  RgbImage image;
  image.width = static_cast<int>(out_w);
  image.height = static_cast<int>(out_h);
  image.pixels.resize(static_cast<std::size_t>(out_w * out_h * 3));
  for (std::size_t i = 0; i < image.pixels.size(); i += 3) {
    image.pixels[i] = style.background.r;
    image.pixels[i + 1] = style.background.g;
    image.pixels[i + 2] = style.background.b;
  }

  std::vector<Rgb> tile(static_cast<std::size_t>(shape.height * shape.width));
  for (Index j = 0; j < h.rows; ++j) {
    const T* row = h.row(j);
    const double top = row_max(row, h.cols);
    for (Index p = 0; p < shape.height * shape.width; ++p) {
      Rgb& c = tile[static_cast<std::size_t>(p)];
      if (shape.channels == 1) {
        c = map_color(style.colormap, normalise(static_cast<double>(row[p]), top));
      } else {
        const T* px = row + 3 * p;
        c = Rgb{channel_level(normalise(static_cast<double>(px[0]), top)),
                channel_level(normalise(static_cast<double>(px[1]), top)),
                channel_level(normalise(static_cast<double>(px[2]), top))};
      }
    }

    const Index x0 = gap + (j % grid.cols) * (tile_w + gap);
    const Index y0 = gap + (j / grid.cols) * (tile_h + gap);
    for (Index y = 0; y < tile_h; ++y) {
      const Rgb* src = tile.data() + (y / scale) * shape.width;
      std::uint8_t* dst = image.pixels.data() + ((y0 + y) * out_w + x0) * 3;
      for (Index x = 0; x < tile_w; ++x, dst += 3) {
        const Rgb& c = src[x / scale];
        dst[0] = c.r;
        dst[1] = c.g;
        dst[2] = c.b;
      }
    }
  }
  return image;
}

}  // namespace

std::string components_picture_problem(Index k, const ImageShape& shape,
                                       const ComponentsStyle& style) {
  if (k < 1 || k > std::numeric_limits<int>::max()) return "there are no components to draw";
  try {
    layout_components(k, shape, style);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

int effective_scale(const ImageShape& shape, const ComponentsStyle& style) {
  if (style.scale < 0) {
    throw InvalidArgument("scale must be >= 0 (0 = auto), got " + std::to_string(style.scale));
  }
  if (style.scale > 0) return style.scale;
  const Index side = std::max(shape.height, shape.width);
  if (side <= 0) return 1;
  return static_cast<int>(std::max<Index>(1, (kAutoScaleTarget + side - 1) / side));
}

RgbImage render_components(const DenseView<float>& h, const ImageShape& shape,
                           const ComponentsStyle& style) {
  return render(h, shape, style);
}

RgbImage render_components(const DenseView<double>& h, const ImageShape& shape,
                           const ComponentsStyle& style) {
  return render(h, shape, style);
}

void write_components_png(const std::string& path, const DenseView<float>& h,
                          const ImageShape& shape, const ComponentsStyle& style) {
  write_png(path, render_components(h, shape, style));
}

void write_components_png(const std::string& path, const DenseView<double>& h,
                          const ImageShape& shape, const ComponentsStyle& style) {
  write_png(path, render_components(h, shape, style));
}

}  // namespace nmfkit::viz
