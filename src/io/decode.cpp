#include "io/decode.hpp"

#include <png.h>
// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <new>

#include "io/file_util.hpp"

// stb_image compiled here with its BMP decoder alone, every function internal to this file.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS (1 << 24)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuseless-cast"
#endif
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <stb_image.h>
#pragma GCC diagnostic pop

namespace nmfkit::io::detail {
namespace {

constexpr const char* kCorrupt = "truncated or corrupt image data";

[[noreturn]] void corrupt(const std::string& name, const std::string& detail) {
  fail(name, std::string(kCorrupt) + (detail.empty() ? "" : " (" + detail + ")"));
}

// Refuses sizes beyond the caps before anything is allocated.
void check_size(const std::string& name, std::int64_t w, std::int64_t h, int channels) {
  if (w < 1 || h < 1 || w > kMaxPixels || h > kMaxPixels || w * h > kMaxPixels ||
      w * h * channels > kMaxDecodedBytes)
    fail(name, "unsupported image size " + std::to_string(w) + "x" + std::to_string(h) +
                   " (at most " + std::to_string(kMaxPixels) + " pixels)");
}

std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
std::uint16_t le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}

// ---- PNG (libpng) ----

struct PngSource {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t pos;
  char message[160];
};

extern "C" void png_on_error(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->message, sizeof src->message, "%s", message);
  png_longjmp(png, 1);
}
extern "C" void png_on_warning(png_structp, png_const_charp) {}

extern "C" void png_read_memory(png_structp png, png_bytep out, png_size_t n) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (n > src->size - src->pos) png_error(png, "the file ends early");
  std::memcpy(out, src->data + src->pos, n);
  src->pos += n;
}

// The part that may longjmp: no object with a destructor lives in this frame.
bool png_decode(PngSource* src, Decoded* out, std::vector<png_bytep>* rows) {
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, src, png_on_error, png_on_warning);
  if (png == nullptr) throw std::bad_alloc();
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    throw std::bad_alloc();
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, src, png_read_memory);
  png_set_user_limits(png, 1u << 24, 1u << 24);
  png_set_chunk_malloc_max(png, std::size_t{64} << 20);
  // Benign errors (a chunk over the size above among them) are errors here: libpng would only
  // warn and then allocate what the chunk claims.
  png_set_benign_errors(png, 0);
  png_read_info(png, info);
  const png_uint_32 w = png_get_image_width(png, info);
  const png_uint_32 h = png_get_image_height(png, info);
  const int depth = png_get_bit_depth(png, info);
  const int type = png_get_color_type(png, info);
  // Bytes of the filtered rows as stored; deflate cannot expand more than about 1032-fold, so a
  // smaller file cannot hold them.
  const double raw =
      static_cast<double>(h) *
      (1.0 + std::ceil(static_cast<double>(w) * png_get_channels(png, info) * depth / 8.0));
  const bool too_small = raw > 1100.0 * static_cast<double>(src->size) + 65536.0;
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS) != 0) png_set_tRNS_to_alpha(png);
  if (depth == 16) png_set_scale_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int channels = png_get_channels(png, info);
  // Sizes beyond the caps are refused by the caller (out->channels = -1), before allocating.
  out->width = static_cast<int>(std::min<png_uint_32>(w, 1u << 30));
  out->height = static_cast<int>(std::min<png_uint_32>(h, 1u << 30));
  out->channels = channels;
  const bool too_large = static_cast<std::int64_t>(w) * h > kMaxPixels ||
                         static_cast<std::int64_t>(w) * h * channels > kMaxDecodedBytes;
  if (too_large || too_small || (channels < 1 || channels > 4)) {
    std::snprintf(src->message, sizeof src->message, "%s",
                  too_large   ? ""
                  : too_small ? "the file is too small for its size"
                              : "channels");
    png_destroy_read_struct(&png, &info, nullptr);
    out->channels = too_large ? -1 : 0;
    return false;
  }
  const std::size_t row_bytes = static_cast<std::size_t>(w) * static_cast<std::size_t>(channels);
  try {
    out->pixels.resize(row_bytes * h);
    rows->resize(h);
  } catch (...) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw;
  }
  for (png_uint_32 y = 0; y < h; ++y) (*rows)[y] = out->pixels.data() + row_bytes * y;
  png_read_image(png, rows->data());
  png_read_end(png, nullptr);  // a file cut after its pixels is truncated too
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

Decoded decode_png(const std::uint8_t* data, std::size_t size, const std::string& name) {
  PngSource src{data, size, 0, {}};
  Decoded out;
  std::vector<png_bytep> rows;
  if (!png_decode(&src, &out, &rows)) {
    if (out.channels == -1) check_size(name, out.width, out.height, 4);
    corrupt(name, src.message);
  }
  return out;
}

// ---- JPEG (libjpeg-turbo) ----

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

extern "C" void jpeg_on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings that mean the pixels are not all there end the decoding; the benign ones (extra
// bytes between markers, an unknown JFIF revision, ...) are ignored as other viewers do.
extern "C" void jpeg_on_message(j_common_ptr cinfo, int level) {
  if (level != -1) return;
  switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
      jpeg_on_error(cinfo);
      break;
    default:
      break;
  }
}

// Progressive files with thousands of scans take minutes to decode; real ones have about ten.
constexpr int kMaxJpegScans = 500;
extern "C" void jpeg_on_progress(j_common_ptr cinfo) {
  if (cinfo->is_decompressor == 0) return;
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxJpegScans) {
    auto* err = reinterpret_cast<JpegError*>(cinfo->err);
    std::snprintf(err->message, sizeof err->message, "more than %d scans", kMaxJpegScans);
    std::longjmp(err->jump, 1);
  }
}

// out->channels: 1 gray, 3 RGB, 4 CMYK as stored (converted by the caller); -1 too large.
bool jpeg_decode(const std::uint8_t* data, std::size_t size, Decoded* out, JpegError* err,
                 bool* adobe) {
  jpeg_decompress_struct cinfo;
  jpeg_progress_mgr progress;
  cinfo.err = jpeg_std_error(&err->mgr);
  err->mgr.error_exit = jpeg_on_error;
  err->mgr.emit_message = jpeg_on_message;
  err->message[0] = '\0';
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  progress.progress_monitor = jpeg_on_progress;
  cinfo.progress = &progress;
  cinfo.mem->max_memory_to_use = static_cast<long>(
      std::min<std::int64_t>(3 * kMaxDecodedBytes, std::numeric_limits<long>::max()));
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  // Arithmetic-coded scans read past the end of their data as zeros, without a warning: a file
  // cut short (or a few bytes claiming millions of pixels) would decode as an image. They are
  // rare (browsers do not read them either) and refused.
  if (cinfo.arith_code) {
    std::snprintf(err->message, sizeof err->message, "%s",
                  "arithmetic-coded JPEG, which nmfkit does not read");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  const J_COLOR_SPACE in = cinfo.jpeg_color_space;
  cinfo.out_color_space = in == JCS_GRAYSCALE                ? JCS_GRAYSCALE
                          : in == JCS_CMYK || in == JCS_YCCK ? JCS_CMYK
                                                             : JCS_RGB;
  *adobe = cinfo.saw_Adobe_marker != 0;
  jpeg_calc_output_dimensions(&cinfo);
  const std::int64_t w = cinfo.output_width;
  const std::int64_t h = cinfo.output_height;
  const int channels = cinfo.out_color_components;
  out->width = static_cast<int>(std::min<std::int64_t>(w, 1 << 30));
  out->height = static_cast<int>(std::min<std::int64_t>(h, 1 << 30));
  if (w < 1 || h < 1 || w * h > kMaxPixels || w * h * channels > kMaxDecodedBytes || channels < 1 ||
      channels > 4) {
    jpeg_destroy_decompress(&cinfo);
    out->channels = -1;
    return false;
  }
  out->channels = channels;
  const std::size_t row = static_cast<std::size_t>(w) * static_cast<std::size_t>(channels);
  const std::size_t full = row * static_cast<std::size_t>(h);
  // The pixels grow with the rows decoded (doubling, from 1 MiB): a header claiming a huge image
  // over a few bytes of data costs little before the end of the data is noticed.
  const auto grow = [&](std::size_t needed) {
    if (needed <= out->pixels.size()) return;
    try {
      out->pixels.resize(
          std::min(full, std::max({needed, 2 * out->pixels.size(), std::size_t{1} << 20})));
    } catch (...) {
      jpeg_destroy_decompress(&cinfo);
      throw;
    }
  };
  grow(row);
  jpeg_start_decompress(&cinfo);
  while (cinfo.output_scanline < cinfo.output_height) {
    grow(row * (cinfo.output_scanline + std::size_t{1}));
    JSAMPROW line = out->pixels.data() + row * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &line, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

Decoded decode_jpeg(const std::uint8_t* data, std::size_t size, const std::string& name) {
  Decoded out;
  JpegError err;
  bool adobe = false;
  if (!jpeg_decode(data, size, &out, &err, &adobe)) {
    if (out.channels == -1) check_size(name, out.width, out.height, 4);
    if (std::strncmp(err.message, "arithmetic", 10) == 0)
      fail(name,
           "an arithmetic-coded JPEG, which nmfkit does not read (save it as a baseline or "
           "progressive JPEG, or as PNG)");
    corrupt(name, err.message);
  }
  if (out.channels == 4) {  // CMYK: Adobe's files store the inks inverted
    const std::size_t n =
        static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height);
    for (std::size_t p = 0; p < n; ++p) {
      const std::uint8_t* s = out.pixels.data() + 4 * p;
      const int k = adobe ? s[3] : 255 - s[3];
      std::uint8_t rgb[3];
      for (int c = 0; c < 3; ++c)
        rgb[c] = static_cast<std::uint8_t>(((adobe ? s[c] : 255 - s[c]) * k + 127) / 255);
      std::memcpy(out.pixels.data() + 3 * p, rgb, 3);
    }
    out.pixels.resize(3 * n);
    out.channels = 3;
  }
  return out;
}

// ---- binary PGM (P5) and PPM (P6) ----

Decoded decode_pnm(const std::uint8_t* data, std::size_t size, const std::string& name) {
  std::size_t pos = 2;
  // Whitespace and '#' comments, then a decimal number (at most 65535 for the level).
  auto number = [&](const char* what) -> std::int64_t {
    while (pos < size) {
      if (data[pos] == '#') {
        while (pos < size && data[pos] != '\n' && data[pos] != '\r') ++pos;
      } else if (data[pos] == ' ' || data[pos] == '\t' || data[pos] == '\n' || data[pos] == '\r' ||
                 data[pos] == '\v' || data[pos] == '\f') {
        ++pos;
      } else {
        break;
      }
    }
    std::int64_t v = 0;
    const std::size_t start = pos;
    while (pos < size && data[pos] >= '0' && data[pos] <= '9' && pos - start < 10)
      v = v * 10 + (data[pos++] - '0');
    if (pos == start) corrupt(name, std::string("no ") + what + " in the PGM/PPM header");
    return v;
  };
  const int channels = data[1] == '5' ? 1 : 3;
  const std::int64_t w = number("width");
  const std::int64_t h = number("height");
  const std::int64_t maxval = number("maximum level");
  if (maxval < 1 || maxval > 65535)
    corrupt(name, "maximum level " + std::to_string(maxval) + " (must be 1 to 65535)");
  if (pos >= size) corrupt(name, "the file ends in the header");
  ++pos;  // the single whitespace byte before the samples
  check_size(name, w, h, channels);
  const std::uint64_t samples = static_cast<std::uint64_t>(w * h * channels);
  const std::uint64_t bytes = samples * (maxval > 255 ? 2 : 1);
  if (bytes > size - pos)
    corrupt(name, "the file ends after " + std::to_string(size - pos) + " of " +
                      std::to_string(bytes) + " pixel bytes");
  Decoded out;
  out.width = static_cast<int>(w);
  out.height = static_cast<int>(h);
  out.channels = channels;
  out.pixels.resize(samples);
  const std::uint8_t* s = data + pos;
  const auto m = static_cast<std::uint32_t>(maxval);
  for (std::size_t i = 0; i < samples; ++i) {
    std::uint32_t v =
        maxval > 255 ? (static_cast<std::uint32_t>(s[2 * i]) << 8) | s[2 * i + 1] : s[i];
    v = std::min(v, m);  // levels above the maximum are clipped to it
    out.pixels[i] = m == 255 ? static_cast<std::uint8_t>(v)
                             : static_cast<std::uint8_t>((v * 510 + m) / (2 * m));
  }
  return out;
}

// ---- BMP (stb_image, after checking that the file holds its rows) ----

Decoded decode_bmp(const std::uint8_t* data, std::size_t size, const std::string& name) {
  if (size < 26) corrupt(name, "the file ends in the BMP header");
  const std::uint32_t offset = le32(data + 10);
  const std::uint32_t header = le32(data + 14);
  std::int64_t w = 0, h = 0;
  std::uint32_t bpp = 0, compression = 0;
  if (header == 12) {
    w = le16(data + 18);
    h = le16(data + 20);
    bpp = le16(data + 24);
  } else {
    if (header < 40 || size < 34) corrupt(name, "unsupported BMP header");
    w = static_cast<std::int32_t>(le32(data + 18));
    h = static_cast<std::int32_t>(le32(data + 22));
    bpp = le16(data + 28);
    compression = le32(data + 30);
  }
  if (h < 0) h = -h;  // rows stored top-down
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
    corrupt(name, "BMP with " + std::to_string(bpp) + " bits per pixel");
  if (compression != 0 && compression != 3 && compression != 6)
    corrupt(name, "compressed BMP (only uncompressed BMP files are read)");
  check_size(name, w, h, 4);
  const std::uint64_t stride = (static_cast<std::uint64_t>(w) * bpp + 31) / 32 * 4;
  if (offset < 14 + header || offset > size ||
      stride * static_cast<std::uint64_t>(h) > size - offset)
    corrupt(name, "the file does not hold the " + std::to_string(h) + " rows its header promises");
  int bw = 0, bh = 0, n = 0;
  if (stbi_info_from_memory(data, static_cast<int>(size), &bw, &bh, &n) == 0)
    corrupt(name, stbi_failure_reason() == nullptr ? "" : stbi_failure_reason());
  check_size(name, bw, bh < 0 ? -static_cast<std::int64_t>(bh) : bh, 4);  // < 0: top-down
  const int channels = n == 4 ? 4 : 3;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(data, static_cast<int>(size), &bw, &bh, &n, channels),
      &stbi_image_free);
  if (pixels == nullptr)
    corrupt(name, stbi_failure_reason() == nullptr ? "" : stbi_failure_reason());
  Decoded out;
  out.width = bw;
  out.height = bh;
  out.channels = channels;
  out.pixels.assign(pixels.get(), pixels.get() + static_cast<std::size_t>(bw) *
                                                     static_cast<std::size_t>(bh) *
                                                     static_cast<std::size_t>(channels));
  return out;
}

}  // namespace

ImageFormat sniff_image(const std::uint8_t* data, std::size_t size) {
  static const std::uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 8 && std::memcmp(data, kPng, 8) == 0) return ImageFormat::kPng;
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) return ImageFormat::kJpeg;
  if (size >= 2 && data[0] == 'B' && data[1] == 'M') return ImageFormat::kBmp;
  if (size >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6')) return ImageFormat::kPnm;
  return ImageFormat::kUnknown;
}

Decoded decode(const std::uint8_t* data, std::size_t size, const std::string& name) {
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail(name, "image file larger than 2 GiB");
  switch (sniff_image(data, size)) {
    case ImageFormat::kPng:
      return decode_png(data, size, name);
    case ImageFormat::kJpeg:
      return decode_jpeg(data, size, name);
    case ImageFormat::kBmp:
      return decode_bmp(data, size, name);
    case ImageFormat::kPnm:
      return decode_pnm(data, size, name);
    case ImageFormat::kUnknown:
      break;
  }
  fail(name, "not a PNG, JPEG, BMP or binary PGM/PPM image");
}

}  // namespace nmfkit::io::detail
