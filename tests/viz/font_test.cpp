#include "viz/font.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "nmfkit/errors.hpp"

namespace nmfkit::viz {
namespace {

constexpr Rgb kBackground{10, 20, 30};
constexpr Rgb kInk{200, 100, 50};

RgbImage blank(int width, int height, Rgb c = kBackground) {
  RgbImage image{width, height, {}};
  for (int i = 0; i < width * height; ++i) {
    image.pixels.insert(image.pixels.end(), {c.r, c.g, c.b});
  }
  return image;
}

Rgb at(const RgbImage& image, Index x, Index y) {
  const std::uint8_t* p = image.pixels.data() + (y * image.width + x) * 3;
  return Rgb{p[0], p[1], p[2]};
}

// The w × h block at (x0, y0) as a string of '#' (ink) and '.' (anything else), row by row.
std::string pattern(const RgbImage& image, Index x0, Index y0, Index w, Index h) {
  std::string out;
  for (Index y = y0; y < y0 + h; ++y) {
    for (Index x = x0; x < x0 + w; ++x) out += at(image, x, y) == kInk ? '#' : '.';
  }
  return out;
}

// The 5 × 7 pattern of one character drawn at px = 1.
std::string glyph_pattern(char c) {
  RgbImage image = blank(5, 7);
  draw_text(image, std::string(1, c), 0, 0, 1, kInk);
  return pattern(image, 0, 0, 5, 7);
}

std::string printable_ascii() {
  std::string all;
  for (int c = 32; c <= 126; ++c) all += static_cast<char>(c);
  return all;
}

TEST(Font, TextWidthIsSixPixelsPerCharacterLessTheTrailingSpace) {
  EXPECT_EQ(text_width("", 1), 0);
  EXPECT_EQ(text_width("", 3), 0);
  EXPECT_EQ(text_width("A", 1), 5);
  EXPECT_EQ(text_width("AB", 1), 11);
  EXPECT_EQ(text_width("A", 2), 10);
  EXPECT_EQ(text_width("T-shirt/top", 3), (11 * 6 - 1) * 3);
  EXPECT_EQ(text_width("7 (6265)", 2), (8 * 6 - 1) * 2);
  EXPECT_EQ(text_width("\xC3\xA9", 1), 11);  // é: two bytes, two '?'
}

TEST(Font, TextHeightIsSevenFontPixels) {
  EXPECT_EQ(text_height(1), 7);
  EXPECT_EQ(text_height(3), 21);
}

TEST(Font, RejectsFontPixelsSmallerThanOne) {
  RgbImage image = blank(10, 10);
  EXPECT_THROW(text_width("A", 0), InvalidArgument);
  EXPECT_THROW(text_height(-1), InvalidArgument);
  EXPECT_THROW(draw_text(image, "A", 0, 0, 0, kInk), InvalidArgument);
  EXPECT_THROW(fit_text("A", 0, 100), InvalidArgument);
  EXPECT_EQ(image.pixels, blank(10, 10).pixels);
}

TEST(Font, RejectsAnImageOfTheWrongSize) {
  RgbImage image = blank(10, 10);
  image.pixels.resize(10 * 10 * 3 - 1);
  EXPECT_THROW(draw_text(image, "A", 0, 0, 1, kInk), InvalidArgument);
}

TEST(Font, PaintsOnlyGlyphPixelsInsideItsBoxInTheGivenColour) {
  const std::string text = "Ag%W";
  const Index px = 2, x0 = 5, y0 = 4;
  RgbImage image = blank(70, 30);
  draw_text(image, text, x0, y0, px, kInk);
  const Index w = text_width(text, px), h = text_height(px);
  Index painted = 0;
  for (Index y = 0; y < image.height; ++y) {
    for (Index x = 0; x < image.width; ++x) {
      const Rgb c = at(image, x, y);
      if (c == kBackground) continue;
      ASSERT_EQ(c, kInk) << x << "," << y;
      ++painted;
      EXPECT_TRUE(x >= x0 && x < x0 + w && y >= y0 && y < y0 + h) << x << "," << y;
      EXPECT_NE((x - x0) / px % 6, 5) << "spacing column painted at " << x << "," << y;
      // Every font pixel is a whole px × px square on the grid that starts at (x0, y0).
      const Index sx = x0 + (x - x0) / px * px, sy = y0 + (y - y0) / px * px;
      EXPECT_EQ(pattern(image, sx, sy, px, px), std::string(px * px, '#')) << x << "," << y;
    }
  }
  EXPECT_GT(painted, 0);
  // "W" touches all four sides of its cell, so the box is tight on the right, top and bottom.
  const Index w_left = x0 + 3 * 6 * px;
  EXPECT_EQ(at(image, w_left, y0), kInk);
  EXPECT_EQ(at(image, x0 + w - 1, y0), kInk);
  EXPECT_EQ(at(image, w_left + px, y0 + h - 1), kInk);
  EXPECT_EQ(at(image, x0, y0 + 2 * px), kInk);  // the left side of "A"
}

TEST(Font, LargerFontPixelsScaleTheSamePattern) {
  for (const char c : printable_ascii()) {
    const std::string small = glyph_pattern(c);
    RgbImage image = blank(15, 21);
    draw_text(image, std::string(1, c), 0, 0, 3, kInk);
    for (Index y = 0; y < 21; ++y) {
      for (Index x = 0; x < 15; ++x) {
        EXPECT_EQ(at(image, x, y) == kInk, small[y / 3 * 5 + x / 3] == '#') << c << " " << x;
      }
    }
  }
}

TEST(Font, AllPrintableGlyphsAreDistinctAndOnlySpaceIsBlank) {
  std::set<std::string> seen;
  for (const char c : printable_ascii()) {
    // Drawn with a margin: nothing may fall outside the 5 × 7 cell.
    RgbImage image = blank(9, 11);
    draw_text(image, std::string(1, c), 2, 2, 1, kInk);
    const std::string inside = pattern(image, 2, 2, 5, 7);
    const auto ink = static_cast<Index>(std::count(inside.begin(), inside.end(), '#'));
    EXPECT_EQ(ink, static_cast<Index>(std::count(image.pixels.begin(), image.pixels.end(), kInk.r)))
        << "'" << c << "' paints outside its cell";
    if (c == ' ') {
      EXPECT_EQ(ink, 0);
    } else {
      EXPECT_GT(ink, 0) << "'" << c << "' is blank";
    }
    EXPECT_TRUE(seen.insert(inside).second) << "'" << c << "' looks like an earlier glyph";
  }
  EXPECT_EQ(seen.size(), 95U);
}

bool row_has_ink(const std::string& glyph, int row) {
  return glyph.substr(static_cast<std::size_t>(row) * 5, 5).find('#') != std::string::npos;
}

TEST(Font, CapitalsAndDigitsFillSevenRowsAndLowerCaseIsSmaller) {
  for (const char c : std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")) {
    const std::string g = glyph_pattern(c);
    EXPECT_TRUE(row_has_ink(g, 0) && row_has_ink(g, 6)) << c;
  }
  // x-height letters and the descender letters start at row 2, below the capital height.
  for (const char c : std::string("acegmnopqrsuvwxyz")) {
    const std::string g = glyph_pattern(c);
    EXPECT_FALSE(row_has_ink(g, 0) || row_has_ink(g, 1)) << c;
    EXPECT_TRUE(row_has_ink(g, 2) && row_has_ink(g, 6)) << c;
  }
  for (const char c : std::string("bdhklt")) EXPECT_TRUE(row_has_ink(glyph_pattern(c), 0)) << c;
  for (char c = 'a'; c <= 'z'; ++c) {
    EXPECT_NE(glyph_pattern(c), glyph_pattern(static_cast<char>(c - 'a' + 'A'))) << c;
  }
}

TEST(Font, ClippedDrawingMatchesTheUnclippedPictureAtEveryEdge) {
  const std::string text = "T-shirt/top 37%";
  const int width = 23, height = 13;
  const RgbImage background = blank(width, height);
  for (Index px = 1; px <= 3; ++px) {
    const Index tw = text_width(text, px), th = text_height(px);
    // The whole text, with room around it for every position of the small image below.
    const Index ox = width + 2, oy = height + 2;
    RgbImage canvas = blank(static_cast<int>(tw + 2 * ox), static_cast<int>(th + 2 * oy));
    draw_text(canvas, text, ox, oy, px, kInk);
    // Every position from wholly off the left/top edge to wholly off the right/bottom edge.
    for (Index y = -th - 1; y <= height + 1; ++y) {
      for (Index x = -tw - 1; x <= width + 1; ++x) {
        RgbImage image = background;
        draw_text(image, text, x, y, px, kInk);
        ASSERT_EQ(image.pixels.size(), background.pixels.size());
        ASSERT_EQ(pattern(image, 0, 0, width, height),
                  pattern(canvas, ox - x, oy - y, width, height))
            << "px " << px << " at " << x << "," << y;
      }
    }
  }
}

TEST(Font, DrawsIntoEmptyAndTinyImagesWithoutWritingOutside) {
  RgbImage empty;
  draw_text(empty, "Ankle boot", 0, 0, 2, kInk);
  EXPECT_TRUE(empty.pixels.empty());
  RgbImage one = blank(1, 1);
  draw_text(one, "M", 0, 0, 4, kInk);
  EXPECT_EQ(at(one, 0, 0), kInk);
}

TEST(Font, NonAsciiBytesDrawLikeAQuestionMark) {
  RgbImage expected = blank(40, 9);
  draw_text(expected, "??a??b?", 1, 1, 1, kInk);  // é is two bytes
  RgbImage image = blank(40, 9);
  draw_text(image,
            "\xC3\xA9"
            "a\x7F\x01"
            "b\xFF",
            1, 1, 1, kInk);
  EXPECT_EQ(image.pixels, expected.pixels);
  EXPECT_EQ(glyph_pattern('\t'), glyph_pattern('?'));
  EXPECT_EQ(glyph_pattern('\0'), glyph_pattern('?'));
}

TEST(Font, FitTextKeepsTextThatFits) {
  EXPECT_EQ(fit_text("Ankle boot", 1, 59), "Ankle boot");
  EXPECT_EQ(fit_text("Ankle boot", 2, 1000), "Ankle boot");
  EXPECT_EQ(fit_text("", 1, 0), "");
}

TEST(Font, FitTextCutsAndEndsInTwoDots) {
  EXPECT_EQ(fit_text("Ankle boot", 1, 58), "Ankle b..");  // 9 characters: 53 pixels
  EXPECT_EQ(fit_text("Ankle boot", 2, 106), "Ankle b..");
  EXPECT_EQ(fit_text("Ankle boot", 1, 52), "Ankle..");  // no space before the dots
  EXPECT_EQ(fit_text("T-shirt/top", 1, 35), "T-sh..");
  EXPECT_EQ(fit_text("Sneaker", 1, 11), "..");
  EXPECT_EQ(fit_text("Sneaker", 1, 10), "");
  EXPECT_EQ(fit_text("Sneaker", 1, -5), "");
  EXPECT_EQ(fit_text("Caf\xC3\xA9 au lait", 1, 35), "Caf..");  // é is not split
}

TEST(Font, FitTextAlwaysFitsAndIsAPrefixOfTheText) {
  const std::string text = "T-shirt/top (6265) 37%";
  for (Index px = 1; px <= 3; ++px) {
    for (Index max_width = 0; max_width <= text_width(text, px) + 2; ++max_width) {
      const std::string fitted = fit_text(text, px, max_width);
      EXPECT_LE(text_width(fitted, px), max_width) << px << " " << max_width;
      if (fitted == text) {
        EXPECT_GE(max_width, text_width(text, px));
        continue;
      }
      EXPECT_LT(max_width, text_width(text, px));
      if (fitted.empty()) {
        EXPECT_LT(max_width, text_width("..", px));
        continue;
      }
      ASSERT_GE(fitted.size(), 2U);
      EXPECT_EQ(fitted.substr(fitted.size() - 2), "..");
      EXPECT_EQ(text.rfind(fitted.substr(0, fitted.size() - 2), 0), 0U) << fitted;
      // One more character (after the spaces that were dropped) would not have fitted.
      std::size_t kept = fitted.size() - 2;
      while (text[kept] == ' ') ++kept;
      EXPECT_GT(text_width(text.substr(0, kept + 1) + "..", px), max_width) << fitted;
    }
  }
}

}  // namespace
}  // namespace nmfkit::viz
