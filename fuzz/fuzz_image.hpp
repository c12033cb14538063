#pragma once
// The body of the image-decoder targets (fuzz_png, fuzz_jpeg, fuzz_bmp, fuzz_pnm).
//
// Input: two parameter bytes, then the image file.
//   byte 0: bits 0-1 the channels asked of decode_image (1 to 4); bits 2-3 the alpha mode
//           (composite, mask, ignore) for resolve_alpha when the image has alpha (2 or 4
//           channels); PNG only: bit 4 keeps the chunks' CRCs as they are (when clear, the
//           harness recomputes them, else libpng refuses nearly every mutated file at its first
//           CRC check, deep in a library the fuzzer does not see)
//   byte 1: the size the decoded image is resized to: width 1 + (b & 15), height 1 + (b >> 4)
// The file's first bytes are overwritten with the target's magic bytes, so the fuzzer stays in
// that decoder instead of wandering into "not a PNG, JPEG, BMP or binary PGM/PPM image".
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "io/image.hpp"

namespace nmfkit::fuzz {

/// A magic prefix to force; for PNM, forced to "P5" unless the file already says "P5" or "P6".
enum class ImageKind { kPng, kJpeg, kBmp, kPnm };

inline void force_magic(ImageKind kind, std::vector<std::uint8_t>& file) {
  static constexpr std::array<std::uint8_t, 8> kPng = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  static constexpr std::array<std::uint8_t, 3> kJpeg = {0xFF, 0xD8, 0xFF};
  auto put = [&file](const std::uint8_t* magic, std::size_t n) {
    if (file.size() < n) file.resize(n);
    std::copy(magic, magic + n, file.begin());
  };
  switch (kind) {
    case ImageKind::kPng:
      put(kPng.data(), kPng.size());
      break;
    case ImageKind::kJpeg:
      put(kJpeg.data(), kJpeg.size());
      break;
    case ImageKind::kBmp: {
      const std::uint8_t bm[2] = {'B', 'M'};
      put(bm, 2);
      break;
    }
    case ImageKind::kPnm: {
      const bool ok = file.size() >= 2 && file[0] == 'P' && (file[1] == '5' || file[1] == '6');
      if (!ok) {
        const std::uint8_t p5[2] = {
            'P', static_cast<std::uint8_t>(file.size() >= 2 && file[1] % 2 == 0 ? '6' : '5')};
        put(p5, 2);
      }
      break;
    }
  }
}

/// Rewrites the CRC of every complete chunk after the PNG signature.
inline void fix_png_crcs(std::vector<std::uint8_t>& file) {
  std::size_t pos = 8;
  while (file.size() >= 12 && pos <= file.size() - 12) {
    const std::uint8_t* p = file.data() + pos;
    const std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                               (std::size_t{p[2]} << 8) | std::size_t{p[3]};
    if (length > file.size() - pos - 12) break;
    const auto crc =
        static_cast<std::uint32_t>(crc32(0, file.data() + pos + 4, static_cast<uInt>(length + 4)));
    std::uint8_t* c = file.data() + pos + 8 + length;
    c[0] = static_cast<std::uint8_t>(crc >> 24);
    c[1] = static_cast<std::uint8_t>(crc >> 16);
    c[2] = static_cast<std::uint8_t>(crc >> 8);
    c[3] = static_cast<std::uint8_t>(crc);
    pos += 12 + length;
  }
}

inline int fuzz_image(ImageKind kind, const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int channels = 1 + (data[0] & 3);
  const int alpha = (data[0] >> 2) & 3;
  const int width = 1 + (data[1] & 15);
  const int height = 1 + (data[1] >> 4);
  std::vector<std::uint8_t> file(data + 2, data + size);
  force_magic(kind, file);
  if (kind == ImageKind::kPng && (data[0] & 0x10) == 0) fix_png_crcs(file);
  expect_only_nmfkit_errors([&] {
    const io::Image8 image = io::decode_image(file.data(), file.size(), channels, "fuzz");
    if (image.width < 1 || image.height < 1 || image.channels != channels ||
        image.pixels.size() != static_cast<std::size_t>(image.width) *
                                   static_cast<std::size_t>(image.height) *
                                   static_cast<std::size_t>(channels))
      __builtin_trap();  // decode_image broke its own contract
    const io::Image8 small = io::resize_image(image, width, height);
    if (small.pixels.size() != static_cast<std::size_t>(width * height * channels))
      __builtin_trap();
    if (channels == 2 || channels == 4) {
      const io::AlphaMode mode = alpha == 0   ? io::AlphaMode::kComposite
                                 : alpha == 1 ? io::AlphaMode::kMask
                                              : io::AlphaMode::kIgnore;
      std::vector<std::uint8_t> observed;
      // Resized on premultiplied colours when alpha is 3 (to the small size), else kept.
      const bool resize = alpha == 3;
      (void)io::resolve_alpha(image, mode, {255, 128, 0}, resize ? width : 0, resize ? height : 0,
                              &observed);
    }
  });
  return 0;
}

}  // namespace nmfkit::fuzz
