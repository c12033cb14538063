// Sheets with labels, reconstructions, top examples, the loss chart and the HTML report.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nmfkit/errors.hpp"
#include "nmfkit/matrix.hpp"
#include "viz/examples.hpp"
#include "viz/loss_plot.hpp"
#include "viz/report.hpp"
#include "viz/sheet.hpp"

namespace nmfkit::viz {
namespace {

Rgb pixel(const RgbImage& image, Index x, Index y) {
  const auto i = static_cast<std::size_t>((y * image.width + x) * 3);
  return Rgb{image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]};
}

ComponentsStyle plain_style() {
  ComponentsStyle s;
  s.colormap = Colormap::kGray;
  s.scale = 1;
  s.gap = 1;
  return s;
}

TEST(Sheet, LabelsDrawWhiteDigitsOnBlack) {
  ComponentsStyle style = plain_style();
  style.scale = 10;  // 40 × 40 tiles: one font pixel each
  std::vector<Tile> tiles(1);
  tiles[0].values.assign(16, 0.5);
  tiles[0].top = 1;
  tiles[0].label = 7;
  const RgbImage without = render_sheet(tiles, 1, 1, {4, 4, 1}, style);
  style.labels = true;
  const RgbImage with = render_sheet(tiles, 1, 1, {4, 4, 1}, style);
  int white = 0, black = 0, changed = 0;
  for (Index y = 1; y < 41; ++y)
    for (Index x = 1; x < 41; ++x) {
      const Rgb a = pixel(without, x, y), b = pixel(with, x, y);
      changed += !(a == b);
      white += b == Rgb{255, 255, 255};
      black += b == Rgb{0, 0, 0};
    }
  EXPECT_EQ(pixel(without, 20, 20), (Rgb{128, 128, 128}));
  EXPECT_EQ(white, 7);  // the 3 × 5 glyph of 7 has 7 lit pixels
  EXPECT_GT(black, 10);
  EXPECT_EQ(changed, white + black);
  EXPECT_EQ(pixel(with, 30, 30), (Rgb{128, 128, 128}));  // the rest of the tile is untouched
}

TEST(Sheet, MissingValuesAreACheckerboard) {
  ComponentsStyle style = plain_style();
  style.scale = 8;  // a 2 × 1 tile of 16 × 8 output pixels
  std::vector<Tile> tiles(1);
  tiles[0].values = {std::nan(""), 1.0};
  tiles[0].top = 1;
  const RgbImage im = render_sheet(tiles, 1, 1, {1, 2, 1}, style);
  // The missing pixel: 4-pixel squares of light and dark gray; the other drawn as usual.
  EXPECT_EQ(pixel(im, 1, 1), (Rgb{204, 204, 204}));
  EXPECT_EQ(pixel(im, 5, 1), (Rgb{153, 153, 153}));
  EXPECT_EQ(pixel(im, 5, 5), (Rgb{204, 204, 204}));
  EXPECT_EQ(pixel(im, 12, 4), (Rgb{255, 255, 255}));
}

TEST(Sheet, BlankCellsKeepTheBackgroundAndSizesAreChecked) {
  const ComponentsStyle style = plain_style();
  std::vector<Tile> tiles(2);
  tiles[1].values = {1, 1, 1, 1};
  tiles[1].top = 1;
  const RgbImage im = render_sheet(tiles, 2, 1, {2, 2, 1}, style);
  EXPECT_EQ(im.width, 2 * 2 + 3);
  EXPECT_EQ(pixel(im, 1, 1), (Rgb{255, 255, 255}));  // blank
  EXPECT_EQ(pixel(im, 4, 1), (Rgb{255, 255, 255}));  // value 1 of top 1: white
  tiles[1].values = {1, 1, 1};
  EXPECT_THROW(render_sheet(tiles, 2, 1, {2, 2, 1}, style), InvalidArgument);
  EXPECT_THROW(render_sheet(tiles, 1, 1, {2, 2, 1}, style), InvalidArgument);
  EXPECT_FALSE(sheet_problem(100000, 1, {2, 2, 1}, style).empty());
  EXPECT_TRUE(sheet_problem(10, 10, {2, 2, 1}, style).empty());
}

// X = W·H exactly for 6 samples of 2 × 2 images and 2 components.
struct Exact {
  Matrix<float> w{6, 2}, h{2, 4}, x{6, 4};
  Exact() {
    h.values = {1, 0, 0, 0, 0, 0, 0, 1};  // component 0 lights pixel 0, component 1 pixel 3
    for (Index i = 0; i < 6; ++i) {
      w(i, 0) = static_cast<float>(i);      // sample 5 uses component 0 most
      w(i, 1) = static_cast<float>(6 - i);  // sample 0 uses component 1 most
      for (Index p = 0; p < 4; ++p) {
        float v = 0;
        for (Index j = 0; j < 2; ++j) v += w(i, j) * h(j, p);
        x(i, p) = v;
      }
    }
  }
};

TEST(Examples, SpreadSamplesCoversBothEnds) {
  EXPECT_EQ(spread_samples(100, 5), (std::vector<Index>{0, 25, 50, 74, 99}));
  EXPECT_EQ(spread_samples(3, 8), (std::vector<Index>{0, 1, 2}));
  EXPECT_EQ(spread_samples(10, 1), (std::vector<Index>{0}));
}

TEST(Examples, ExactFactorsReconstructEachSample) {
  const Exact e;
  const RgbImage im =
      render_reconstructions(e.x.view(), e.w.view(), e.h.view(), {2, 2, 1}, plain_style(), 3);
  EXPECT_EQ(im.width, 3 * 2 + 4);
  EXPECT_EQ(im.height, 2 * 2 + 3);
  // Each reconstruction is drawn exactly like its sample, one row below.
  for (Index c = 0; c < 3; ++c)
    for (Index y = 0; y < 2; ++y)
      for (Index x = 0; x < 2; ++x)
        EXPECT_EQ(pixel(im, 1 + c * 3 + x, 1 + y), pixel(im, 1 + c * 3 + x, 4 + y)) << c;
}

TEST(Examples, TopSamplesAreOrderedByActivation) {
  const Exact e;
  EXPECT_EQ(top_samples(e.w.view(), 0, 3), (std::vector<Index>{5, 4, 3}));
  EXPECT_EQ(top_samples(e.w.view(), 1, 2), (std::vector<Index>{0, 1}));
  EXPECT_EQ(top_samples(e.w.view(), 0, 10).size(), 5u);  // sample 0 has 0 activation
  const RgbImage im =
      render_top_examples(e.x.view(), e.w.view(), e.h.view(), {2, 2, 1}, plain_style(), 2);
  EXPECT_EQ(im.width, 3 * 2 + 4);  // the component and two examples
  EXPECT_EQ(im.height, 2 * 2 + 3);
  EXPECT_EQ(pixel(im, 1, 1), (Rgb{255, 255, 255}));  // component 0: pixel 0 lit
  EXPECT_EQ(pixel(im, 2, 2), (Rgb{0, 0, 0}));
  // Row 1, first example: sample 0 = 6·component 1, its own max → pixel 3 white, pixel 0 black.
  EXPECT_EQ(pixel(im, 4, 4), (Rgb{0, 0, 0}));
  EXPECT_EQ(pixel(im, 5, 5), (Rgb{255, 255, 255}));
}

TEST(Examples, MismatchedShapesThrow) {
  const Exact e;
  EXPECT_THROW(
      render_reconstructions(e.x.view(), e.w.view(), e.h.view(), {2, 3, 1}, plain_style(), 3),
      InvalidArgument);
  EXPECT_THROW(render_top_examples(e.x.view(), e.h.view(), e.h.view(), {2, 2, 1}, plain_style(), 3),
               InvalidArgument);
}

TEST(LossPlot, NiceTicksUseOneTwoFive) {
  EXPECT_EQ(nice_ticks(0, 10, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(nice_ticks(0, 1, 2), (std::vector<double>{0, 0.5, 1}));
  const auto t = nice_ticks(3, 97, 5);
  EXPECT_EQ(t.front(), 0);
  EXPECT_EQ(t.back(), 100);
  EXPECT_TRUE(nice_ticks(1, 1, 5).empty());
}

TEST(LossPlot, SvgHasSizeOnePolylinePerPanelAndLogScale) {
  const std::vector<double> loss = {1000, 100, 20, 10, 9.5};
  const std::string one = loss_svg(loss, {}, "loss");
  EXPECT_NE(one.find("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"420.00\""),
            std::string::npos);
  EXPECT_NE(one.find("(log scale)"), std::string::npos);
  std::size_t lines = 0;
  for (std::size_t p = one.find("<polyline"); p != std::string::npos;
       p = one.find("<polyline", p + 1))
    ++lines;
  EXPECT_EQ(lines, 1u);
  const std::string two = loss_svg(loss, {0, 0.1, 0.2, 0.3, 0.4}, "loss");
  EXPECT_NE(two.find("width=\"840.00\""), std::string::npos);
  EXPECT_NE(two.find(">seconds<"), std::string::npos);
  EXPECT_EQ(loss_svg({5, 4, 3}, {}, "loss").find("(log scale)"), std::string::npos);
  EXPECT_NE(loss_svg({}, {}, "a<b").find("a&lt;b"), std::string::npos);
}

TEST(Report, Base64MatchesRfc4648) {
  auto b = [](const std::string& s) {
    return base64(std::vector<std::uint8_t>(s.begin(), s.end()));
  };
  EXPECT_EQ(b(""), "");
  EXPECT_EQ(b("f"), "Zg==");
  EXPECT_EQ(b("fo"), "Zm8=");
  EXPECT_EQ(b("foo"), "Zm9v");
  EXPECT_EQ(b("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64({0xff, 0xfe, 0x00}), "//4A");
}

TEST(Report, PageEmbedsFiguresAndEscapesText) {
  Report r;
  r.title = "run <1>";
  r.command = "nmfkit fit 'a b' -k 3";
  r.results = {{"relative error", "0.5"}};
  r.parameters = {{"k", "3"}};
  r.figures.push_back({"Components", "caption & more", "image/png", {1, 2, 3}});
  const std::string html = report_html(r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<title>run &lt;1&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("src=\"data:image/png;base64,AQID\""), std::string::npos);
  EXPECT_NE(html.find("caption &amp; more"), std::string::npos);
  EXPECT_NE(html.find("nmfkit fit &#39;a b&#39; -k 3"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);  // nothing fetched from the network
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

}  // namespace
}  // namespace nmfkit::viz
