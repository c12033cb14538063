#include "viz/components.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nmfkit/errors.hpp"
#include "nmfkit/matrix.hpp"
#include "test_support.hpp"
#include "viz/grid.hpp"

namespace nmfkit::viz {
namespace {

Rgb pixel(const RgbImage& image, Index x, Index y) {
  const auto i = static_cast<std::size_t>((y * image.width + x) * 3);
  return Rgb{image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]};
}

// Top-left output pixel of source pixel (row, col) of tile j.
struct TileGeometry {
  GridLayout grid;
  Index scale;
  Index gap;
  ImageShape shape;

  Index x(Index j, Index col) const {
    return gap + (j % grid.cols) * (shape.width * scale + gap) + col * scale;
  }
  Index y(Index j, Index row) const {
    return gap + (j / grid.cols) * (shape.height * scale + gap) + row * scale;
  }
};

// k components of h×w, component j has value (j + 1)·(p + 1) at pixel p except pixel 0 which is 0.
Matrix<float> ramp_components(Index k, Index h, Index w) {
  Matrix<float> m(k, h * w);
  for (Index j = 0; j < k; ++j)
    for (Index p = 1; p < h * w; ++p) m(j, p) = static_cast<float>((j + 1) * (p + 1));
  return m;
}

TEST(Components, AutoScaleReachesAtLeast112Pixels) {
  ComponentsStyle style;
  EXPECT_EQ(effective_scale({28, 28, 1}, style), 4);
  EXPECT_EQ(effective_scale({28, 14, 1}, style), 4);
  EXPECT_EQ(effective_scale({10, 10, 1}, style), 12);
  EXPECT_EQ(effective_scale({112, 50, 3}, style), 1);
  EXPECT_EQ(effective_scale({300, 200, 1}, style), 1);
  style.scale = 3;
  EXPECT_EQ(effective_scale({28, 28, 1}, style), 3);
  style.scale = -1;
  EXPECT_THROW(effective_scale({28, 28, 1}, style), InvalidArgument);
}

TEST(Components, OutputSizeForTenMnistComponents) {
  const auto h = ramp_components(10, 28, 28);
  const RgbImage image = render_components(h.view(), {28, 28, 1}, ComponentsStyle{});
  // 5 × 2 tiles of 112 × 112 (scale 4) with 2-pixel gaps and margins.
  EXPECT_EQ(image.width, 5 * 112 + 6 * 2);
  EXPECT_EQ(image.height, 2 * 112 + 3 * 2);
  EXPECT_EQ(image.pixels.size(), static_cast<std::size_t>(image.width * image.height * 3));
}

TEST(Components, OutputSizeFollowsFormula) {
  ComponentsStyle style;
  style.scale = 3;
  style.gap = 5;
  const auto h = ramp_components(7, 4, 6);
  const RgbImage image = render_components(h.view(), {4, 6, 1}, style);
  EXPECT_EQ(image.width, 4 * (6 * 3) + 5 * 5);   // 4 columns
  EXPECT_EQ(image.height, 2 * (4 * 3) + 3 * 5);  // 2 rows
}

TEST(Components, BrightestPixelIsTopColourAndZeroIsBottom) {
  const ImageShape shape{28, 28, 1};
  const auto h = ramp_components(10, 28, 28);
  for (const Colormap map : {Colormap::kViridis, Colormap::kGray}) {
    ComponentsStyle style;
    style.colormap = map;
    const RgbImage image = render_components(h.view(), shape, style);
    const TileGeometry at{choose_grid(10), 4, 2, shape};
    for (Index j = 0; j < 10; ++j) {
      // Pixel 0 is zero; the last pixel (27, 27) is the component's maximum.
      EXPECT_EQ(pixel(image, at.x(j, 0), at.y(j, 0)), map_color(map, 0.0)) << j;
      EXPECT_EQ(pixel(image, at.x(j, 27), at.y(j, 27)), map_color(map, 1.0)) << j;
      // Pixel 391 has value (j+1)·392 of max (j+1)·784: exactly half, whatever the component.
      EXPECT_EQ(pixel(image, at.x(j, 27), at.y(j, 13)), map_color(map, 0.5)) << j;
    }
  }
}

TEST(Components, GapMarginAndEmptyCellsAreBackground) {
  ComponentsStyle style;
  style.scale = 2;
  style.gap = 3;
  style.background = Rgb{10, 20, 30};
  const ImageShape shape{5, 4, 1};
  const auto h = ramp_components(7, 5, 4);  // 4 × 2 grid: the last cell stays empty
  const RgbImage image = render_components(h.view(), shape, style);
  const Index tile_w = 8, tile_h = 10, gap = 3;
  auto is_tile = [&](Index x, Index y) {
    const Index cx = (x - gap) % (tile_w + gap), cy = (y - gap) % (tile_h + gap);
    const Index col = (x - gap) / (tile_w + gap), row = (y - gap) / (tile_h + gap);
    return x >= gap && y >= gap && cx < tile_w && cy < tile_h && col < 4 && row < 2 &&
           row * 4 + col < 7;
  };
  Index background = 0;
  for (Index y = 0; y < image.height; ++y) {
    for (Index x = 0; x < image.width; ++x) {
      if (!is_tile(x, y)) {
        ASSERT_EQ(pixel(image, x, y), style.background) << x << "," << y;
        ++background;
      } else {
        ASSERT_NE(pixel(image, x, y), style.background) << x << "," << y;
      }
    }
  }
  EXPECT_EQ(background, image.width * image.height - 7 * tile_w * tile_h);
  EXPECT_EQ(pixel(image, image.width - 1, image.height - 1), style.background);
}

TEST(Components, ReshapesRowMajorAndUpscalesByBlocks) {
  // One 2 × 3 component with values 0..5 in row-major order, gray, scale 3, no gap.
  const std::vector<double> values = {0, 1, 2, 3, 4, 5};
  ComponentsStyle style;
  style.colormap = Colormap::kGray;
  style.scale = 3;
  style.gap = 0;
  const RgbImage image =
      render_components(DenseView<double>(values.data(), 1, 6), {2, 3, 1}, style);
  ASSERT_EQ(image.width, 9);
  ASSERT_EQ(image.height, 6);
  for (Index y = 0; y < 6; ++y) {
    for (Index x = 0; x < 9; ++x) {
      const double v = values[static_cast<std::size_t>((y / 3) * 3 + x / 3)];
      EXPECT_EQ(pixel(image, x, y), map_color(Colormap::kGray, v / 5.0)) << x << "," << y;
    }
  }
}

TEST(Components, NonPositiveValuesMapToBottom) {
  // Row 0: negatives clamp to 0. Row 1: all zero. Row 2: all negative.
  const std::vector<float> values = {-3, 0, 2, 4, 0, 0, 0, 0, -1, -2, -3, -4};
  ComponentsStyle style;
  style.scale = 1;
  style.gap = 0;
  const RgbImage image = render_components(DenseView<float>(values.data(), 3, 4), {2, 2, 1}, style);
  const Rgb bottom = map_color(Colormap::kViridis, 0.0);
  const Rgb top = map_color(Colormap::kViridis, 1.0);
  ASSERT_EQ(image.width, 6);  // 3 × 1 grid of 2 × 2 tiles
  ASSERT_EQ(image.height, 2);
  EXPECT_EQ(pixel(image, 0, 0), bottom);
  EXPECT_EQ(pixel(image, 1, 0), bottom);
  EXPECT_EQ(pixel(image, 0, 1), map_color(Colormap::kViridis, 0.5));
  EXPECT_EQ(pixel(image, 1, 1), top);
  for (Index x = 2; x < 6; ++x)
    for (Index y = 0; y < 2; ++y) EXPECT_EQ(pixel(image, x, y), bottom) << x << "," << y;
}

TEST(Components, ThreeChannelsAreDrawnAsRgb) {
  // One 1 × 3 colour component: red, half green, blue-ish; normalised by the overall maximum.
  const std::vector<float> values = {2, 0, 0, 0, 1, 0, 0.4f, 0, 2};
  ComponentsStyle style;
  style.scale = 1;
  style.gap = 1;
  const RgbImage image = render_components(DenseView<float>(values.data(), 1, 9), {1, 3, 3}, style);
  ASSERT_EQ(image.width, 5);
  ASSERT_EQ(image.height, 3);
  EXPECT_EQ(pixel(image, 1, 1), (Rgb{255, 0, 0}));
  EXPECT_EQ(pixel(image, 2, 1), (Rgb{0, 128, 0}));
  EXPECT_EQ(pixel(image, 3, 1), (Rgb{51, 0, 255}));
  EXPECT_EQ(pixel(image, 0, 0), style.background);
}

TEST(Components, HonoursRowStrideAndScalarType) {
  // Two 2 × 2 components stored with a stride of 6; the padding would change the maximum.
  const std::vector<double> padded = {1, 2, 3, 4, 100, 100, 4, 3, 2, 1, 100, 100};
  const std::vector<float> packed = {1, 2, 3, 4, 4, 3, 2, 1};
  const ComponentsStyle style;
  const RgbImage a = render_components(DenseView<double>(padded.data(), 2, 4, 6), {2, 2, 1}, style);
  const RgbImage b = render_components(DenseView<float>(packed.data(), 2, 4), {2, 2, 1}, style);
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.pixels, b.pixels);
}

TEST(Components, MismatchedFeaturesThrowsNamingBothSizes) {
  const auto h = ramp_components(3, 28, 28);
  try {
    render_components(h.view(), {28, 27, 1}, ComponentsStyle{});
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("784"), std::string::npos) << message;
    EXPECT_NE(message.find("756"), std::string::npos) << message;
  }
}

TEST(Components, RejectsBadShapeStyleOrEmptyH) {
  const auto h = ramp_components(2, 4, 4);
  ComponentsStyle style;
  EXPECT_THROW(render_components(h.view(), {4, 4, 2}, style), InvalidArgument);
  EXPECT_THROW(render_components(h.view(), {0, 16, 1}, style), InvalidArgument);
  EXPECT_THROW(render_components(Matrix<float>(0, 16).view(), {4, 4, 1}, style), InvalidArgument);
  style.gap = -1;
  EXPECT_THROW(render_components(h.view(), {4, 4, 1}, style), InvalidArgument);
  style.gap = 2;
  style.scale = 1 << 20;
  EXPECT_THROW(render_components(h.view(), {4, 4, 1}, style), InvalidArgument);
}

TEST(Components, WritePngMatchesRender) {
  testing::TempDir dir;
  const auto h = ramp_components(4, 6, 5);
  ComponentsStyle style;
  style.scale = 2;
  const std::string path = dir.file("components.png");
  write_components_png(path, h.view(), {6, 5, 1}, style);
  const RgbImage expected = render_components(h.view(), {6, 5, 1}, style);
  const testing::ReadPng got = testing::read_png(path);
  EXPECT_EQ(got.image.width, expected.width);
  EXPECT_EQ(got.image.height, expected.height);
  EXPECT_EQ(got.image.pixels, expected.pixels);

  const std::vector<double> hd(h.values.begin(), h.values.end());
  const std::string path_d = dir.file("components_double.png");
  write_components_png(path_d, DenseView<double>(hd.data(), 4, 30), {6, 5, 1}, style);
  EXPECT_EQ(testing::read_png(path_d).image.pixels, expected.pixels);
}

TEST(ComponentRows, OneRowPerKBlankCellsToTheWidestRow) {
  const ImageShape shape{4, 3, 1};
  ComponentsStyle style;
  style.scale = 2;
  style.gap = 1;
  const Matrix<float> two = ramp_components(2, 4, 3), five = ramp_components(5, 4, 3);
  const std::vector<ComponentRow> rows = {{2, two.values}, {5, five.values}};
  const RgbImage image = render_component_rows(rows, shape, style);
  EXPECT_EQ(image.width, 5 * 3 * 2 + 6 * 1);
  EXPECT_EQ(image.height, 2 * 4 * 2 + 3 * 1);
  // Row 0 has two tiles: its third cell is background; row 1's fifth cell is drawn.
  const Index third_x = 1 + 2 * (3 * 2 + 1) + 4, fifth_x = 1 + 4 * (3 * 2 + 1) + 4;
  const Index row0_y = 1 + 6, row1_y = 1 + 8 + 1 + 6;
  EXPECT_EQ(pixel(image, third_x, row0_y), style.background);
  EXPECT_NE(pixel(image, fifth_x, row1_y), style.background);
  // The same components as render_components() draws them (tile 1 of row 1, away from labels).
  const RgbImage alone = render_components(five.view(), shape, style);
  EXPECT_EQ(pixel(image, 1 + (3 * 2 + 1) + 5, row1_y), pixel(alone, 1 + (3 * 2 + 1) + 5, 1 + 6));
  EXPECT_THROW(render_component_rows({}, shape, style), InvalidArgument);
  EXPECT_THROW(render_component_rows({{3, two.values}}, shape, style), InvalidArgument);
}

}  // namespace
}  // namespace nmfkit::viz
