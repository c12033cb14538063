// Decoding image files (PNG, JPEG, BMP, PGM/PPM), resizing, and reading image folders.
#include "io/image.hpp"

#include <gtest/gtest.h>
#include <stb_image_write.h>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "io/image_folder.hpp"
#include "io_test_util.hpp"

namespace nmfkit::io::test {
namespace {

// A w × h RGB image whose pixel (x, y) is (10x, 20y, 7x + 3y + 5).
Image8 rgb_pattern(int w, int h) {
  Image8 im;
  im.width = w;
  im.height = h;
  im.channels = 3;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int v : {10 * x, 20 * y, 7 * x + 3 * y + 5})
        im.pixels.push_back(static_cast<std::uint8_t>(v));
  return im;
}

Image8 gray(int w, int h, std::uint8_t fill) {
  return Image8{w, h, 1, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h, fill)};
}

void write_png(const std::string& path, const Image8& im) {
  ASSERT_NE(stbi_write_png(path.c_str(), im.width, im.height, im.channels, im.pixels.data(),
                           im.width * im.channels),
            0)
      << path;
}

// Binary PGM (P5) or PPM (P6).
void write_pnm(const std::string& path, const Image8& im) {
  Bytes b;
  append(b, (im.channels == 1 ? "P5\n" : "P6\n") + std::to_string(im.width) + " " +
                std::to_string(im.height) + "\n255\n");
  b.insert(b.end(), im.pixels.begin(), im.pixels.end());
  write_bytes(path, b);
}

TEST(Alpha, CompositeBlendsOntoTheBackgroundAndMaskMarksTransparentPixels) {
  // Two RGBA pixels: opaque red, half-transparent green, and a transparent one holding blue.
  const Image8 rgba{3, 1, 4, {200, 0, 0, 255, 0, 200, 0, 128, 0, 0, 250, 0}};
  const Image8 black = resolve_alpha(rgba, AlphaMode::kComposite, {0, 0, 0}, 0, 0, nullptr);
  EXPECT_EQ(black.channels, 3);
  EXPECT_EQ(black.pixels, (std::vector<std::uint8_t>{200, 0, 0, 0, 100, 0, 0, 0, 0}));
  const Image8 white = resolve_alpha(rgba, AlphaMode::kComposite, {255, 255, 255}, 0, 0, nullptr);
  EXPECT_EQ(white.pixels, (std::vector<std::uint8_t>{200, 0, 0, 127, 227, 127, 255, 255, 255}));
  std::vector<std::uint8_t> observed;
  const Image8 masked = resolve_alpha(rgba, AlphaMode::kMask, {0, 0, 0}, 0, 0, &observed);
  EXPECT_EQ(masked.pixels, (std::vector<std::uint8_t>{200, 0, 0, 0, 200, 0, 0, 0, 0}));
  EXPECT_EQ(observed, (std::vector<std::uint8_t>{1, 1, 1, 1, 1, 1, 0, 0, 0}));
  // Gray with alpha: the background as gray.
  const Image8 ga{1, 1, 2, {100, 0}};
  EXPECT_EQ(resolve_alpha(ga, AlphaMode::kComposite, {255, 255, 255}, 0, 0, nullptr).pixels,
            (std::vector<std::uint8_t>{255}));
}

TEST(Alpha, ResizingKeepsHiddenColoursOutOfVisiblePixels) {
  Image8 a{4, 4, 4, std::vector<std::uint8_t>(64, 0)};
  for (int p = 0; p < 16; p += 2) {  // every other pixel opaque gray 100, the rest transparent
    a.pixels[static_cast<std::size_t>(p) * 4] = a.pixels[static_cast<std::size_t>(p) * 4 + 1] =
        a.pixels[static_cast<std::size_t>(p) * 4 + 2] = 100;
    a.pixels[static_cast<std::size_t>(p) * 4 + 3] = 255;
  }
  Image8 b = a;
  for (int p = 1; p < 16; p += 2) b.pixels[static_cast<std::size_t>(p) * 4] = 255;  // hidden red
  for (AlphaMode mode : {AlphaMode::kComposite, AlphaMode::kMask}) {
    std::vector<std::uint8_t> oa, ob;
    const Image8 ra = resolve_alpha(a, mode, {0, 0, 0}, 2, 2, &oa);
    const Image8 rb = resolve_alpha(b, mode, {0, 0, 0}, 2, 2, &ob);
    EXPECT_EQ(ra.width, 2);
    EXPECT_EQ(ra.pixels, rb.pixels) << alpha_mode_name(mode);
    EXPECT_EQ(oa, ob);
  }
}

TEST(Alpha, ParsesModesAndColours) {
  EXPECT_EQ(parse_alpha_mode("mask"), AlphaMode::kMask);
  EXPECT_THROW(parse_alpha_mode("blend"), InvalidArgument);
  EXPECT_EQ(parse_color("white"), (std::array<std::uint8_t, 3>{255, 255, 255}));
  EXPECT_EQ(parse_color("#ff8000"), (std::array<std::uint8_t, 3>{255, 128, 0}));
  EXPECT_EQ(parse_color("#f80"), (std::array<std::uint8_t, 3>{255, 136, 0}));
  EXPECT_EQ(parse_color("71,71,71"), (std::array<std::uint8_t, 3>{71, 71, 71}));
  for (const char* bad : {"", "#12345", "#gg0000", "1,2", "1,2,3,4", "1,2,256", "-1,0,0", "red"})
    EXPECT_THROW(parse_color(bad), InvalidArgument) << bad;
}

TEST(ReadImage, PngWithAlphaGivesTheAlphaChannel) {
  ScratchDir dir;
  const Image8 rgba{2, 1, 4, {10, 20, 30, 255, 40, 50, 60, 0}};
  write_png(dir.file("a.png"), rgba);
  const Image8 read = read_image(dir.file("a.png"), 4);
  EXPECT_EQ(read.pixels, rgba.pixels);
  EXPECT_EQ(read_image(dir.file("a.png"), 3).pixels,
            (std::vector<std::uint8_t>{10, 20, 30, 40, 50, 60}));  // ignore: alpha dropped
  const Image8 rgb = rgb_pattern(2, 1);
  write_png(dir.file("b.png"), rgb);
  EXPECT_EQ(read_image(dir.file("b.png"), 4).pixels[3], 255);  // no alpha: opaque
}

TEST(ReadImage, PngRgbRoundTrips) {
  ScratchDir dir;
  const Image8 im = rgb_pattern(5, 4);
  write_png(dir.file("a.png"), im);
  const Image8 back = read_image(dir.file("a.png"), 3);
  EXPECT_EQ(back.width, 5);
  EXPECT_EQ(back.height, 4);
  EXPECT_EQ(back.channels, 3);
  EXPECT_EQ(back.pixels, im.pixels);
}

TEST(ReadImage, ColourToGrayUsesLuma) {
  ScratchDir dir;
  Image8 im{2, 1, 3, {255, 0, 0, 0, 0, 255}};  // pure red, pure blue
  write_png(dir.file("c.png"), im);
  const Image8 g = read_image(dir.file("c.png"), 1);
  ASSERT_EQ(g.pixels.size(), 2u);
  EXPECT_NEAR(g.pixels[0], 0.299 * 255, 2);  // BT.601 weights
  EXPECT_NEAR(g.pixels[1], 0.114 * 255, 2);
}

TEST(ReadImage, GrayToRgbRepeatsTheLevel) {
  ScratchDir dir;
  write_png(dir.file("g.png"), Image8{1, 1, 1, {77}});
  EXPECT_EQ(read_image(dir.file("g.png"), 3).pixels, (std::vector<std::uint8_t>{77, 77, 77}));
}

TEST(ReadImage, BmpPgmPpmAndJpeg) {
  ScratchDir dir;
  const Image8 im = rgb_pattern(6, 3);
  ASSERT_NE(stbi_write_bmp(dir.file("a.bmp").c_str(), 6, 3, 3, im.pixels.data()), 0);
  EXPECT_EQ(read_image(dir.file("a.bmp"), 3).pixels, im.pixels);
  write_pnm(dir.file("a.ppm"), im);
  EXPECT_EQ(read_image(dir.file("a.ppm"), 3).pixels, im.pixels);
  const Image8 g = gray(4, 2, 99);
  write_pnm(dir.file("a.pgm"), g);
  EXPECT_EQ(read_image(dir.file("a.pgm"), 1).pixels, g.pixels);
  // JPEG is lossy: a flat image comes back nearly flat.
  const Image8 flat = gray(16, 16, 120);
  ASSERT_NE(stbi_write_jpg(dir.file("a.jpg").c_str(), 16, 16, 1, flat.pixels.data(), 95), 0);
  const Image8 j = read_image(dir.file("a.jpg"), 1);
  ASSERT_EQ(j.pixels.size(), 256u);
  for (std::uint8_t v : j.pixels) EXPECT_NEAR(v, 120, 3);
}

TEST(ReadImage, TruncatedPngNamesTheFile) {
  ScratchDir dir;
  const Image8 im = rgb_pattern(20, 20);
  write_png(dir.file("full.png"), im);
  const Bytes full = read_bytes(dir.file("full.png"));
  for (std::size_t keep : {full.size() / 2, full.size() - 12, std::size_t{30}}) {
    const std::string path = dir.file("cut" + std::to_string(keep) + ".png");
    write_bytes(path, Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(keep)));
    expect_data_error([&] { read_image(path, 1); }, {path, "truncated or corrupt"});
  }
}

TEST(ReadImage, TextFileNamedPngAndEmptyAndMissing) {
  ScratchDir dir;
  const std::string text = dir.file("notes.png");
  write_bytes(text, Bytes{'h', 'e', 'l', 'l', 'o', '\n'});
  expect_data_error([&] { read_image(text, 1); }, {text, "not a PNG, JPEG, BMP"});
  const std::string empty = dir.file("empty.png");
  write_bytes(empty, {});
  expect_data_error([&] { read_image(empty, 1); }, {empty, "empty"});
  expect_data_error([&] { read_image(dir.file("missing.png"), 1); }, {"missing.png", "No such"});
}

TEST(ResizeImage, FlatStaysFlatAtAnySize) {
  const Image8 flat = gray(13, 7, 200);
  for (auto [w, h] : {std::pair{5, 3}, std::pair{26, 14}, std::pair{13, 1}, std::pair{1, 1}}) {
    const Image8 r = resize_image(flat, w, h);
    EXPECT_EQ(r.width, w);
    EXPECT_EQ(r.height, h);
    for (std::uint8_t v : r.pixels) EXPECT_EQ(v, 200);
  }
}

TEST(ResizeImage, ShrinkingAveragesInsteadOfAliasing) {
  // A one-pixel checkerboard of 0 and 255 shrunk 4× must be mid-gray everywhere (point
  // sampling would give all black or all white).
  Image8 board = gray(16, 16, 0);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x)
      board.pixels[static_cast<std::size_t>(y * 16 + x)] = (x + y) % 2 == 0 ? 0 : 255;
  const Image8 r = resize_image(board, 4, 4);
  for (std::uint8_t v : r.pixels) EXPECT_NEAR(v, 127.5, 8);
}

TEST(ResizeImage, HalvingAveragesPairs) {
  const Image8 im{4, 1, 1, {0, 100, 200, 200}};
  const Image8 r = resize_image(im, 2, 1);
  ASSERT_EQ(r.pixels.size(), 2u);
  // Triangle filter of half-width 2 around source positions 0.5 and 2.5.
  EXPECT_NEAR(r.pixels[0], 50, 15);
  EXPECT_NEAR(r.pixels[1], 187, 15);
  EXPECT_LT(r.pixels[0], r.pixels[1]);
}

TEST(ResizeImage, EnlargingInterpolatesAndKeepsChannels) {
  const Image8 im{2, 1, 3, {0, 0, 0, 200, 100, 50}};
  const Image8 r = resize_image(im, 4, 1);
  ASSERT_EQ(r.pixels.size(), 12u);
  EXPECT_EQ(r.pixels[0], 0);  // edges are clamped
  EXPECT_EQ(r.pixels[9], 200);
  EXPECT_NEAR(r.pixels[3], 50, 1);   // a quarter of the way
  EXPECT_NEAR(r.pixels[6], 150, 1);  // three quarters
  EXPECT_NEAR(r.pixels[7], 75, 1);   // green channel on its own
  EXPECT_THROW(resize_image(im, 0, 3), InvalidArgument);
}

// Folder links are followed, but a loop (a link to an ancestor) or a second link to a folder
// already listed is not entered again: the listing ends, each folder read once.
TEST(ImageFolder, FolderLinkLoopsEndAndEachFolderIsReadOnce) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.file("sub"));
  write_png(dir.file("a.png"), gray(3, 2, 10));
  write_png(dir.file("sub/b.png"), gray(3, 2, 20));
  std::filesystem::create_directory_symlink(dir.path(), dir.file("sub/loop"));
  std::filesystem::create_directory_symlink(dir.file("sub"), dir.file("again"));
  const std::vector<std::string> files = list_image_files(dir.path());
  EXPECT_EQ(files.size(), 2u);
  const ImageFolder f = read_image_folder(dir.path(), {});
  EXPECT_EQ(f.files.size(), 2u);
}

TEST(ImageFolder, ReadsRecursivelyInPathOrder) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.file("sub"));
  write_png(dir.file("b.png"), gray(3, 2, 20));
  write_png(dir.file("a.png"), gray(3, 2, 10));
  write_png(dir.file("sub/c.PNG"), gray(3, 2, 30));
  write_bytes(dir.file("readme.txt"), Bytes{'x'});  // not an image: ignored
  const ImageFolder f = read_image_folder(dir.path(), {});
  ASSERT_EQ(f.files.size(), 3u);
  EXPECT_EQ(f.images.shape, (std::vector<std::int64_t>{3, 2, 3}));
  EXPECT_EQ(f.images.dtype, DType::kUint8);
  EXPECT_EQ(f.images.bytes[0], 10);
  EXPECT_EQ(f.images.bytes[6], 20);
  EXPECT_EQ(f.images.bytes[12], 30);
  EXPECT_NE(f.files[2].find("c.PNG"), std::string::npos);
}

TEST(ImageFolder, RgbAddsAChannelDimension) {
  ScratchDir dir;
  write_png(dir.file("a.png"), rgb_pattern(4, 3));
  ImageFolderOptions o;
  o.channels = 3;
  const ImageFolder f = read_image_folder(dir.path(), o);
  EXPECT_EQ(f.images.shape, (std::vector<std::int64_t>{1, 3, 4, 3}));
  EXPECT_EQ(f.images.bytes, rgb_pattern(4, 3).pixels);
}

TEST(ImageFolder, MixedSizesNameBothFiles) {
  ScratchDir dir;
  write_png(dir.file("a.png"), gray(8, 6, 1));
  write_png(dir.file("b.png"), gray(5, 9, 1));
  expect_data_error([&] { read_image_folder(dir.path(), {}); },
                    {"a.png", "8x6", "b.png", "5x9", "--size"});
  ImageFolderOptions o;
  o.width = 4;
  o.height = 3;
  const ImageFolder f = read_image_folder(dir.path(), o);
  EXPECT_EQ(f.images.shape, (std::vector<std::int64_t>{2, 3, 4}));
}

TEST(ImageFolder, BadFilesFailOrAreSkipped) {
  ScratchDir dir;
  write_png(dir.file("a.png"), gray(2, 2, 1));
  write_bytes(dir.file("b.png"), Bytes{'n', 'o', 'p', 'e'});
  write_png(dir.file("c.png"), gray(2, 2, 3));
  expect_data_error([&] { read_image_folder(dir.path(), {}); }, {"b.png"});
  ImageFolderOptions o;
  o.skip_bad = true;
  const ImageFolder f = read_image_folder(dir.path(), o);
  EXPECT_EQ(f.files.size(), 2u);
  ASSERT_EQ(f.skipped.size(), 1u);
  EXPECT_NE(f.skipped[0].find("b.png"), std::string::npos);
  EXPECT_EQ(f.images.bytes, (Bytes{1, 1, 1, 1, 3, 3, 3, 3}));
}

TEST(ImageFolder, EmptyOrAllBadIsAnError) {
  ScratchDir dir;
  expect_data_error([&] { read_image_folder(dir.path(), {}); }, {dir.path(), "no images"});
  write_bytes(dir.file("x.png"), Bytes{'?'});
  ImageFolderOptions o;
  o.skip_bad = true;
  expect_data_error([&] { read_image_folder(dir.path(), o); }, {"none of the 1"});
}

TEST(ImageFolder, LimitStopsEarly) {
  ScratchDir dir;
  for (int i = 0; i < 5; ++i)
    write_png(dir.file("i" + std::to_string(i) + ".png"), gray(2, 2, static_cast<std::uint8_t>(i)));
  ImageFolderOptions o;
  o.limit = 2;
  EXPECT_EQ(read_image_folder(dir.path(), o).images.shape[0], 2);
}

}  // namespace
}  // namespace nmfkit::io::test
