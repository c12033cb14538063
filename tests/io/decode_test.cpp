// Hostile and unusual image files: only the four listed formats are decoded, each only when its
// magic bytes are there, truncation is an error, 16-bit levels are read right, sizes are capped
// before anything is decoded.
#include <gtest/gtest.h>
#include <stb_image_write.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "io/image.hpp"
#include "io_test_util.hpp"

namespace nmfkit::io::test {
namespace {

void put32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

void chunk(Bytes& png, const char* type, const Bytes& data) {
  put32(png, static_cast<std::uint32_t>(data.size()));
  Bytes body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  png.insert(png.end(), body.begin(), body.end());
  put32(png, static_cast<std::uint32_t>(crc32(0, body.data(), static_cast<uInt>(body.size()))));
}

// A PNG written by hand: `rows` are the samples of each row (big-endian for 16 bits), each
// row prefixed with filter 0. `width` and `height` are what IHDR claims.
Bytes make_png(std::uint32_t width, std::uint32_t height, int depth, int colour_type,
               const std::vector<Bytes>& rows) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put32(ihdr, width);
  put32(ihdr, height);
  ihdr.insert(ihdr.end(),
              {static_cast<std::uint8_t>(depth), static_cast<std::uint8_t>(colour_type), 0, 0, 0});
  chunk(png, "IHDR", ihdr);
  Bytes raw;
  for (const Bytes& r : rows) {
    raw.push_back(0);
    raw.insert(raw.end(), r.begin(), r.end());
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  Bytes z(size);
  EXPECT_EQ(compress(z.data(), &size, raw.data(), static_cast<uLong>(raw.size())), Z_OK);
  z.resize(size);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  return png;
}

Image8 decode(const Bytes& b, int channels) {
  return decode_image(b.data(), b.size(), channels, "test");
}

TEST(Decode, SixteenBitPngLevelsAreScaledNotTruncated) {
  // Gray 16-bit: 0, 0x0101·200 (exactly 200 in 8 bits), 0x8000 (128.5 → 128), 0xffff.
  const Bytes png = make_png(4, 1, 16, 0, {{0, 0, 200, 200, 0x80, 0x00, 0xff, 0xff}});
  const Image8 im = decode(png, 1);
  EXPECT_EQ(im.pixels, (std::vector<std::uint8_t>{0, 200, 128, 255}));
  // RGBA 16-bit keeps its alpha.
  const Bytes rgba = make_png(1, 1, 16, 6, {{0xff, 0xff, 0, 0, 0x40, 0x40, 0x7f, 0xff}});
  EXPECT_EQ(decode(rgba, 4).pixels, (std::vector<std::uint8_t>{255, 0, 64, 127}));
}

TEST(Decode, SixteenBitAndSmallMaximumPnmLevels) {
  Bytes pgm;
  append(pgm, "P5\n# a comment\n3 1\n65535\n");
  pgm.insert(pgm.end(), {0, 0, 0x80, 0x00, 0xff, 0xff});
  EXPECT_EQ(decode(pgm, 1).pixels, (std::vector<std::uint8_t>{0, 128, 255}));
  Bytes four_bit;
  append(four_bit, "P5 3 1 15\n");
  four_bit.insert(four_bit.end(), {0, 15, 7});
  EXPECT_EQ(decode(four_bit, 1).pixels, (std::vector<std::uint8_t>{0, 255, 119}));
}

TEST(Decode, TruncatedFilesOfEveryFormatAreErrors) {
  ScratchDir dir;
  std::vector<std::uint8_t> pattern(32 * 24 * 3);
  for (std::size_t i = 0; i < pattern.size(); ++i)
    pattern[i] = static_cast<std::uint8_t>((i * 37) ^ (i >> 3));
  ASSERT_NE(stbi_write_jpg(dir.file("a.jpg").c_str(), 32, 24, 3, pattern.data(), 90), 0);
  ASSERT_NE(stbi_write_bmp(dir.file("a.bmp").c_str(), 32, 24, 3, pattern.data()), 0);
  Bytes ppm;
  append(ppm, "P6\n32 24\n255\n");
  ppm.insert(ppm.end(), pattern.begin(), pattern.end());
  Bytes ppm16;
  append(ppm16, "P6\n32 24\n65535\n");
  for (std::uint8_t v : pattern) ppm16.insert(ppm16.end(), {v, v});
  const std::vector<std::pair<std::string, Bytes>> files = {{"jpeg", read_bytes(dir.file("a.jpg"))},
                                                            {"bmp", read_bytes(dir.file("a.bmp"))},
                                                            {"ppm", ppm},
                                                            {"16-bit ppm", ppm16}};
  for (const auto& [format, full] : files) {
    SCOPED_TRACE(format);
    EXPECT_EQ(decode(full, 3).pixels.size(), pattern.size());  // whole: decodes
    for (std::size_t keep : {full.size() / 2, full.size() - 1}) {
      const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(keep));
      expect_data_error([&] { decode(cut, 3); }, {"test", "truncated or corrupt"});
    }
  }
}

TEST(Decode, OtherFormatsAreRefusedWhateverTheirName) {
  ScratchDir dir;
  // GIF, Photoshop, Radiance HDR (a truncated one made stb loop forever), TGA, PIC: all were
  // decoded by stb_image when named .png.
  const std::vector<std::string> others = {
      std::string("GIF89a\x01\x00\x01\x00\x00\x00\x00;", 14), "8BPS\x00\x01",
      "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 2\n\x02\x02",
      std::string("\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x00\x18\x00"
                  "\xff\xff\xff",
                  21),
      std::string("\x53\x80\xf6\x34", 4) + std::string(88, 'P') + "PICT"};
  for (std::size_t i = 0; i < others.size(); ++i) {
    const std::string path = dir.file("image" + std::to_string(i) + ".png");
    write_bytes(path, Bytes(others[i].begin(), others[i].end()));
    expect_data_error([&] { read_image(path, 1); }, {path, "not a PNG, JPEG, BMP"});
  }
  // 16-bit PNM with fewer bytes than its header promises (stb read past the buffer).
  Bytes pnm16;
  append(pnm16, "P5 200 200 65535\n");
  pnm16.resize(pnm16.size() + 1000, 7);
  expect_data_error([&] { decode(pnm16, 1); }, {"test", "truncated or corrupt"});
}

TEST(Decode, FormatComesFromTheBytesNotTheName) {
  ScratchDir dir;
  const std::vector<std::uint8_t> flat(8 * 8, 90);
  ASSERT_NE(stbi_write_jpg(dir.file("photo.png").c_str(), 8, 8, 1, flat.data(), 95), 0);
  const Image8 im = read_image(dir.file("photo.png"), 1);
  ASSERT_EQ(im.pixels.size(), 64u);
  for (std::uint8_t v : im.pixels) EXPECT_NEAR(v, 90, 3);
}

TEST(Decode, HugeClaimedSizesAreRefusedBeforeDecoding) {
  // Headers claiming 2^32 pixels in a few bytes.
  expect_data_error(
      [&] {
        decode(make_png(65536, 65536, 8, 0, {{1, 2}}), 1);
      },
      {"test", "unsupported image size 65536x65536"});
  Bytes pgm;
  append(pgm, "P5 65535 65535 255\n\x01");
  expect_data_error([&] { decode(pgm, 1); }, {"test", "unsupported image size 65535x65535"});
  // Within the cap, but far more rows than a 100-byte deflate stream can hold.
  expect_data_error(
      [&] {
        decode(make_png(10000, 10000, 8, 0, {{1, 2}}), 1);
      },
      {"test", "truncated or corrupt", "too small"});
  Bytes bmp = {'B', 'M'};
  bmp.resize(54, 0);
  bmp[10] = 54;
  bmp[14] = 40;
  bmp[18] = 0x00, bmp[19] = 0x40;  // 16384 wide
  bmp[22] = 0x00, bmp[23] = 0x40;  // 16384 high
  bmp[26] = 1, bmp[28] = 24;
  expect_data_error([&] { decode(bmp, 3); }, {"test", "truncated or corrupt", "rows"});
}

// The process's peak of mapped memory (VmPeak), in bytes.
std::size_t peak_mapped() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmPeak:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
  return 0;
}

// Decodes `bytes` in a child process: 0 when it fails with "truncated or corrupt" having mapped
// less than 128 MiB more at its peak; 4 when it mapped more (the header's claim was allocated).
int decode_in_child(const Bytes& bytes) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::size_t before = peak_mapped();
    int code = 5;  // no error
    try {
      decode(bytes, 1);
    } catch (const DataError& e) {
      code = std::string(e.what()).find("truncated or corrupt") != std::string::npos ? 0 : 3;
    } catch (...) {
      code = 6;
    }
    if (code == 0 && peak_mapped() > before + (std::size_t{128} << 20)) code = 4;
    std::_Exit(code);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// Found by fuzzing: a 1 × 1 PNG with a text chunk claiming 2 GiB made libpng allocate 2 GiB (it
// only warns about chunks over the cap); a JPEG header claiming 16384 × 16384 over a few bytes
// allocated all its pixels before the missing data was noticed.
TEST(Decode, ChunksAndHeadersClaimingGigabytesAllocateLittle) {
  if (kAddressSanitizer) GTEST_SKIP() << "AddressSanitizer maps its own memory";
  Bytes png = make_png(1, 1, 8, 0, {{7}});
  Bytes text;
  put32(text, 0x7ffffff0u);  // the chunk's length; its data is not there
  append(text, "tEXtcomment");
  png.insert(png.begin() + 33, text.begin(), text.end());  // after the signature and IHDR
  EXPECT_EQ(decode_in_child(png), 0) << "3: another message, 4: mapped the claim, 5: no error";

  ScratchDir dir;
  const std::vector<std::uint8_t> flat(16 * 16, 100);
  ASSERT_NE(stbi_write_jpg(dir.file("s.jpg").c_str(), 16, 16, 1, flat.data(), 90), 0);
  Bytes jpeg = read_bytes(dir.file("s.jpg"));
  for (std::size_t i = 0; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xff && jpeg[i + 1] == 0xc0) {  // SOF0: height and width become 16384
      jpeg[i + 5] = 0x40, jpeg[i + 6] = 0x00, jpeg[i + 7] = 0x40, jpeg[i + 8] = 0x00;
      break;
    }
  }
  jpeg.resize(jpeg.size() / 2);
  EXPECT_EQ(decode_in_child(jpeg), 0) << "3: another message, 4: mapped the claim, 5: no error";
}

// Found by fuzzing: 119 bytes of arithmetic-coded JPEG claiming 65484 x 511 CMYK pixels decoded
// for seconds (arithmetic-coded scans read zeros past their data, without a warning). Refused.
TEST(Decode, ArithmeticCodedJpegIsRefused) {
  const Bytes jpeg = {0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x10, 0x10, 0xd9, 0x18, 0x16, 0x16,
                      0x18, 0xd0, 0xff, 0xed, 0xe3, 0x25, 0x1d, 0x28, 0x3a, 0x33, 0x3d, 0x44, 0x39,
                      0x33, 0x38, 0x35, 0x40, 0x48, 0x5c, 0x00, 0x00, 0x13, 0x00, 0x00, 0x00, 0x00,
                      0x1c, 0xdc, 0x00, 0x43, 0x01, 0x11, 0x12, 0x12, 0x63, 0x63, 0x63, 0x63, 0x63,
                      0x63, 0x63, 0x63, 0x63, 0x31, 0x34, 0x34, 0xff, 0xfe, 0x34, 0x1f, 0x27, 0x39,
                      0x3d, 0x38, 0x32, 0x3c, 0x2e, 0x33, 0x34, 0x32, 0xff, 0xc9, 0x00, 0x14, 0x08,
                      0xff, 0xcc, 0x01, 0xff, 0x04, 0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11,
                      0x00, 0x04, 0x11, 0x00, 0xf9, 0xfa, 0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00,
                      0x02, 0x11, 0x03, 0x11, 0xbb, 0xe5, 0xbf, 0x91, 0x7f, 0x91, 0xff, 0xd9};
  expect_data_error([&] { decode(jpeg, 1); }, {"test", "arithmetic-coded JPEG"});
}

TEST(Decode, LowBitDepthGrayIsScaledToFullRange) {
  // 2-bit gray: levels 0..3 scale to 0, 85, 170, 255.
  EXPECT_EQ(decode(make_png(4, 1, 2, 0, {{0x1b}}), 1).pixels,
            (std::vector<std::uint8_t>{0, 85, 170, 255}));
}

}  // namespace
}  // namespace nmfkit::io::test
