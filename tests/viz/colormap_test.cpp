#include "viz/colormap.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "nmfkit/errors.hpp"
#include "viz/colormap_tables.hpp"

namespace nmfkit::viz {
namespace {

double luminance(Rgb c) {
  return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
}

TEST(Colormap, ViridisTableHas256Entries) {
  const auto table = viridis_table();
  static_assert(decltype(table)::extent == 256);
  EXPECT_EQ(table.size(), 256U);
}

TEST(Colormap, ViridisMatchesMatplotlib) {
  EXPECT_EQ(map_color(Colormap::kViridis, 0.0), (Rgb{0x44, 0x01, 0x54}));  // #440154
  EXPECT_EQ(map_color(Colormap::kViridis, 1.0), (Rgb{0xfd, 0xe7, 0x25}));  // #fde725
  // A few interior entries, from matplotlib's viridis(i) for integer i.
  EXPECT_EQ(viridis_table()[64], (Rgb{59, 82, 139}));
  EXPECT_EQ(viridis_table()[128], (Rgb{33, 145, 140}));
  EXPECT_EQ(viridis_table()[192], (Rgb{94, 201, 98}));
}

TEST(Colormap, ViridisIndexesByRoundedLevel) {
  const auto table = viridis_table();
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(map_color(Colormap::kViridis, i / 255.0), table[static_cast<std::size_t>(i)]) << i;
  }
  EXPECT_EQ(map_color(Colormap::kViridis, 0.5), table[128]);  // round(127.5) = 128
  EXPECT_EQ(map_color(Colormap::kViridis, 0.499 / 255.0), table[0]);
}

TEST(Colormap, ViridisGetsBrighter) {
  const auto table = viridis_table();
  for (std::size_t i = 0; i + 1 < table.size(); ++i) {
    EXPECT_GE(luminance(table[i + 1]), luminance(table[i]) - 1.0) << i;
  }
  EXPECT_GT(luminance(table[255]) - luminance(table[0]), 150.0);
}

// Both ends and the middle of matplotlib's other maps, from matplotlib's cmap(i) for integer i.
TEST(Colormap, OtherMapsMatchMatplotlib) {
  EXPECT_EQ(map_color(Colormap::kMagma, 0.0), (Rgb{0x00, 0x00, 0x04}));    // #000004
  EXPECT_EQ(map_color(Colormap::kMagma, 1.0), (Rgb{0xfc, 0xfd, 0xbf}));    // #fcfdbf
  EXPECT_EQ(map_color(Colormap::kInferno, 0.0), (Rgb{0x00, 0x00, 0x04}));  // #000004
  EXPECT_EQ(map_color(Colormap::kInferno, 1.0), (Rgb{0xfc, 0xff, 0xa4}));  // #fcffa4
  EXPECT_EQ(map_color(Colormap::kPlasma, 0.0), (Rgb{0x0d, 0x08, 0x87}));   // #0d0887
  EXPECT_EQ(map_color(Colormap::kPlasma, 1.0), (Rgb{0xf0, 0xf9, 0x21}));   // #f0f921
  EXPECT_EQ(map_color(Colormap::kCividis, 0.0), (Rgb{0x00, 0x22, 0x4e}));  // #00224e
  EXPECT_EQ(map_color(Colormap::kCividis, 1.0), (Rgb{0xfe, 0xe8, 0x38}));  // #fee838
  EXPECT_EQ(magma_table()[128], (Rgb{183, 55, 121}));
  EXPECT_EQ(inferno_table()[128], (Rgb{188, 55, 84}));
  EXPECT_EQ(plasma_table()[128], (Rgb{204, 71, 120}));
  EXPECT_EQ(cividis_table()[128], (Rgb{125, 124, 120}));
}

TEST(Colormap, EveryTableGetsBrighter) {
  for (const auto table :
       {viridis_table(), magma_table(), inferno_table(), plasma_table(), cividis_table()}) {
    for (std::size_t i = 0; i + 1 < table.size(); ++i)
      EXPECT_GE(luminance(table[i + 1]), luminance(table[i]) - 2.0) << i;
    EXPECT_GT(luminance(table[255]) - luminance(table[0]), 150.0);
  }
}

TEST(Colormap, GrayMapsToEqualChannels) {
  EXPECT_EQ(map_color(Colormap::kGray, 0.0), (Rgb{0, 0, 0}));
  EXPECT_EQ(map_color(Colormap::kGray, 1.0), (Rgb{255, 255, 255}));
  EXPECT_EQ(map_color(Colormap::kGray, 0.2), (Rgb{51, 51, 51}));
  EXPECT_EQ(map_color(Colormap::kGray, 0.5), (Rgb{128, 128, 128}));
  for (int i = 0; i < 256; ++i) {
    const auto v = static_cast<std::uint8_t>(i);
    EXPECT_EQ(map_color(Colormap::kGray, i / 255.0), (Rgb{v, v, v})) << i;
  }
}

TEST(Colormap, ClampsOutOfRangeAndNaN) {
  const double inf = std::numeric_limits<double>::infinity();
  for (const Colormap map : {Colormap::kViridis, Colormap::kGray, Colormap::kMagma,
                             Colormap::kInferno, Colormap::kPlasma, Colormap::kCividis}) {
    const Rgb bottom = map_color(map, 0.0);
    const Rgb top = map_color(map, 1.0);
    EXPECT_EQ(map_color(map, -0.5), bottom);
    EXPECT_EQ(map_color(map, -inf), bottom);
    EXPECT_EQ(map_color(map, std::nan("")), bottom);
    EXPECT_EQ(map_color(map, 1.5), top);
    EXPECT_EQ(map_color(map, inf), top);
  }
}

TEST(Colormap, NamesRoundTrip) {
  const auto names = colormap_names();
  ASSERT_EQ(names.size(), 6U);
  EXPECT_EQ(names[0], "viridis");
  EXPECT_EQ(names[1], "gray");
  EXPECT_EQ(names[5], "cividis");
  EXPECT_EQ(parse_colormap("magma"), Colormap::kMagma);
  EXPECT_EQ(parse_colormap("cividis"), Colormap::kCividis);
  EXPECT_EQ(parse_colormap("viridis"), Colormap::kViridis);
  EXPECT_EQ(parse_colormap("gray"), Colormap::kGray);
  for (const auto name : names) EXPECT_EQ(colormap_name(parse_colormap(name)), name);
}

TEST(Colormap, UnknownNameThrowsListingChoices) {
  try {
    parse_colormap("jet");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown colormap 'jet' (choose viridis, gray, magma, inferno, plasma or cividis)");
  }
  EXPECT_THROW(parse_colormap(""), InvalidArgument);
  EXPECT_THROW(parse_colormap("viridis "), InvalidArgument);
}

}  // namespace
}  // namespace nmfkit::viz
