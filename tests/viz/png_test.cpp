#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "nmfkit/errors.hpp"
#include "test_support.hpp"
#include "viz/image.hpp"

namespace nmfkit::viz {
namespace {

RgbImage test_pattern(int width, int height) {
  RgbImage image{width, height, {}};
  image.pixels.resize(static_cast<std::size_t>(width * height * 3));
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const auto i = static_cast<std::size_t>((y * width + x) * 3);
      image.pixels[i] = static_cast<std::uint8_t>(x * 17);
      image.pixels[i + 1] = static_cast<std::uint8_t>(y * 29);
      image.pixels[i + 2] = static_cast<std::uint8_t>((x * y + 7) % 256);
    }
  }
  return image;
}

TEST(Png, WritesReadableRgbPng) {
  testing::TempDir dir;
  const std::string path = dir.file("pattern.png");
  const RgbImage image = test_pattern(13, 7);
  write_png(path, image);

  const auto signature = testing::read_prefix(path, 8);
  ASSERT_EQ(signature.size(), 8U);
  EXPECT_EQ(png_sig_cmp(signature.data(), 0, 8), 0);

  const testing::ReadPng got = testing::read_png(path);
  EXPECT_EQ(got.file_format, static_cast<png_uint_32>(PNG_FORMAT_RGB));  // 8-bit RGB, no alpha
  EXPECT_EQ(got.image.width, 13);
  EXPECT_EQ(got.image.height, 7);
  EXPECT_EQ(got.image.pixels, image.pixels);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"pattern.png"});  // no temporary left over
}

TEST(Png, ReplacesAnExistingFile) {
  testing::TempDir dir;
  const std::string path = dir.file("out.png");
  write_png(path, test_pattern(4, 4));
  const RgbImage second = test_pattern(9, 2);
  write_png(path, second);
  const testing::ReadPng got = testing::read_png(path);
  EXPECT_EQ(got.image.width, 9);
  EXPECT_EQ(got.image.height, 2);
  EXPECT_EQ(got.image.pixels, second.pixels);
}

TEST(Png, MissingFolderThrowsDataErrorAndLeavesNoFile) {
  testing::TempDir dir;
  const std::string path = dir.file("no/such/folder/out.png");
  try {
    write_png(path, test_pattern(3, 3));
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(dir.entries().empty());
}

TEST(Png, FailedRenameThrowsDataErrorAndRemovesPartialFile) {
  testing::TempDir dir;
  // The target is a non-empty folder: the PNG is written but cannot be moved into place.
  const std::string path = dir.file("taken.png");
  std::filesystem::create_directory(path);
  std::filesystem::create_directory(dir.file("taken.png/inside"));
  EXPECT_THROW(write_png(path, test_pattern(3, 3)), DataError);
  EXPECT_TRUE(std::filesystem::is_directory(path));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"taken.png"});
}

TEST(Png, RejectsMalformedImages) {
  testing::TempDir dir;
  const std::string path = dir.file("bad.png");
  EXPECT_THROW(write_png(path, RgbImage{}), InvalidArgument);
  RgbImage short_pixels = test_pattern(4, 4);
  short_pixels.pixels.pop_back();
  EXPECT_THROW(write_png(path, short_pixels), InvalidArgument);
  EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace nmfkit::viz
