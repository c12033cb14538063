#include "io/image.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <memory>
#include <string_view>

#include "io/decode.hpp"
#include "io/file_util.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::io {
namespace {

using detail::fail;

constexpr std::array<std::string_view, 7> kExtensions = {".png", ".jpg", ".jpeg", ".bmp",
                                                         ".pgm", ".ppm", ".pnm"};
constexpr std::uint64_t kMaxFileBytes = (std::uint64_t{1} << 31) - 1;

// One separable pass's taps: for each output index, the first source index and its weights.
struct Taps {
  std::vector<int> first;
  std::vector<std::vector<float>> weights;
};

Taps triangle_taps(int in, int out) {
  Taps taps;
  taps.first.resize(static_cast<std::size_t>(out));
  taps.weights.resize(static_cast<std::size_t>(out));
  const double scale = static_cast<double>(in) / out;
  const double support = std::max(1.0, scale);  // half-width of the widened triangle
  for (int o = 0; o < out; ++o) {
    const double centre = (o + 0.5) * scale - 0.5;  // in source pixel coordinates
    const int lo = static_cast<int>(std::floor(centre - support)) + 1;
    const int hi = static_cast<int>(std::ceil(centre + support)) - 1;
    std::vector<double> w;
    double total = 0;
    for (int s = lo; s <= hi; ++s) {
      const double v = std::max(0.0, 1.0 - std::abs(s - centre) / support);
      w.push_back(v);
      total += v;
    }
    // Taps outside the image are folded onto the nearest edge pixel.
    const int first = std::clamp(lo, 0, in - 1);
    const int last = std::clamp(hi, 0, in - 1);
    std::vector<float>& folded = taps.weights[static_cast<std::size_t>(o)];
    folded.assign(static_cast<std::size_t>(last - first + 1), 0.0f);
    for (int s = lo; s <= hi; ++s) {
      const int c = std::clamp(s, 0, in - 1);
      folded[static_cast<std::size_t>(c - first)] +=
          static_cast<float>(w[static_cast<std::size_t>(s - lo)] / total);
    }
    taps.first[static_cast<std::size_t>(o)] = first;
  }
  return taps;
}

}  // namespace

bool is_image_extension(const std::string& extension) {
  std::string lower = extension;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(kExtensions.begin(), kExtensions.end(), lower) != kExtensions.end();
}

Image8 decode_image(const std::uint8_t* data, std::size_t size, int channels,
                    const std::string& name) {
  if (channels < 1 || channels > 4)
    throw InvalidArgument("decode_image: channels must be 1 to 4, got " + std::to_string(channels));
  if (size == 0) fail(name, "not an image (the file is empty)");
  detail::Decoded d = detail::decode(data, size, name);
  Image8 image;
  image.width = d.width;
  image.height = d.height;
  image.channels = channels;
  const int from = d.channels;
  if (from == channels) {
    image.pixels = std::move(d.pixels);
    return image;
  }
  const std::size_t n = static_cast<std::size_t>(d.width) * static_cast<std::size_t>(d.height);
  image.pixels.resize(n * static_cast<std::size_t>(channels));
  const bool from_colour = from >= 3;
  const bool from_alpha = from == 2 || from == 4;
  for (std::size_t p = 0; p < n; ++p) {
    const std::uint8_t* s = d.pixels.data() + p * static_cast<std::size_t>(from);
    std::uint8_t* t = image.pixels.data() + p * static_cast<std::size_t>(channels);
    const std::uint8_t alpha = from_alpha ? s[from - 1] : 255;
    if (channels <= 2) {
      t[0] = from_colour ? gray_of({s[0], s[1], s[2]}) : s[0];
    } else {
      for (int c = 0; c < 3; ++c) t[c] = from_colour ? s[c] : s[0];
    }
    if (channels == 2 || channels == 4) t[channels - 1] = alpha;
  }
  return image;
}

Image8 read_image(const std::string& path, int channels) {
  if (channels < 1 || channels > 4)
    throw InvalidArgument("read_image: channels must be 1 to 4, got " + std::to_string(channels));
  detail::InputFile file(path);
  const std::uint64_t size = file.size();
  if (size == 0) fail(path, "not an image (the file is empty)");
  if (size > kMaxFileBytes) fail(path, "image file larger than 2 GiB");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (file.read(bytes.data(), bytes.size()) < bytes.size())
    fail(path, "the file shrank while reading");
  return decode_image(bytes.data(), bytes.size(), channels, path);
}

Image8 resize_image(const Image8& image, int width, int height) {
  if (width < 1 || height < 1)
    throw InvalidArgument("resize_image: size must be at least 1x1, got " + std::to_string(width) +
                          "x" + std::to_string(height));
  if (image.width == width && image.height == height) return image;
  const int c = image.channels;
  const Taps tx = triangle_taps(image.width, width);
  const Taps ty = triangle_taps(image.height, height);
  // Horizontal pass into floats (height_in × width × c), then vertical into bytes.
  std::vector<float> mid(static_cast<std::size_t>(image.height) * width * c);
  for (int y = 0; y < image.height; ++y) {
    const std::uint8_t* src = image.pixels.data() + static_cast<std::size_t>(y) * image.width * c;
    float* dst = mid.data() + static_cast<std::size_t>(y) * width * c;
    for (int x = 0; x < width; ++x) {
      const auto& w = tx.weights[static_cast<std::size_t>(x)];
      const int first = tx.first[static_cast<std::size_t>(x)];
      for (int ch = 0; ch < c; ++ch) {
        float sum = 0;
        for (std::size_t t = 0; t < w.size(); ++t)
          sum += w[t] * src[(static_cast<std::size_t>(first) + t) * c + ch];
        dst[static_cast<std::size_t>(x) * c + ch] = sum;
      }
    }
  }
  Image8 out;
  out.width = width;
  out.height = height;
  out.channels = c;
  out.pixels.resize(static_cast<std::size_t>(width) * height * c);
  const std::size_t row = static_cast<std::size_t>(width) * c;
  for (int y = 0; y < height; ++y) {
    const auto& w = ty.weights[static_cast<std::size_t>(y)];
    const int first = ty.first[static_cast<std::size_t>(y)];
    std::uint8_t* dst = out.pixels.data() + static_cast<std::size_t>(y) * row;
    for (std::size_t i = 0; i < row; ++i) {
      float sum = 0;
      for (std::size_t t = 0; t < w.size(); ++t)
        sum += w[t] * mid[(static_cast<std::size_t>(first) + t) * row + i];
      dst[i] = static_cast<std::uint8_t>(std::clamp(std::lround(sum), 0L, 255L));
    }
  }
  return out;
}

AlphaMode parse_alpha_mode(const std::string& name) {
  for (AlphaMode m : {AlphaMode::kComposite, AlphaMode::kMask, AlphaMode::kIgnore})
    if (name == alpha_mode_name(m)) return m;
  throw InvalidArgument("unknown --alpha '" + name + "' (choose composite, mask or ignore)");
}

const char* alpha_mode_name(AlphaMode mode) {
  switch (mode) {
    case AlphaMode::kIgnore:
      return "ignore";
    case AlphaMode::kComposite:
      return "composite";
    case AlphaMode::kMask:
      return "mask";
  }
  return "?";
}

std::array<std::uint8_t, 3> parse_color(const std::string& text) {
  const auto bad = [&text]() {
    return InvalidArgument("--background '" + text +
                           "' is not a colour (write black, white, gray, #rrggbb, #rgb or R,G,B)");
  };
  if (text == "black") return {0, 0, 0};
  if (text == "white") return {255, 255, 255};
  if (text == "gray" || text == "grey") return {128, 128, 128};
  auto hex = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw bad();
  };
  if (!text.empty() && text[0] == '#' && (text.size() == 7 || text.size() == 4)) {
    std::array<std::uint8_t, 3> c{};
    for (int i = 0; i < 3; ++i)
      c[static_cast<std::size_t>(i)] =
          text.size() == 7
              ? static_cast<std::uint8_t>(hex(text[1 + 2 * i]) * 16 + hex(text[2 + 2 * i]))
              : static_cast<std::uint8_t>(hex(text[1 + i]) * 17);
    return c;
  }
  std::array<std::uint8_t, 3> c{};
  std::size_t from = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t comma = text.find(',', from);
    if ((i < 2) == (comma == std::string::npos)) throw bad();
    const std::string part =
        text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    int v = -1;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() || v < 0 || v > 255)
      throw bad();
    c[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
    from = comma + 1;
  }
  return c;
}

std::uint8_t gray_of(const std::array<std::uint8_t, 3>& rgb) {
  return static_cast<std::uint8_t>((rgb[0] * 77 + rgb[1] * 150 + rgb[2] * 29) >> 8);
}

Image8 resolve_alpha(const Image8& image, AlphaMode mode,
                     const std::array<std::uint8_t, 3>& background, int width, int height,
                     std::vector<std::uint8_t>* observed) {
  const int cc = image.channels - 1;  // colour channels
  if (cc != 1 && cc != 3)
    throw InvalidArgument("resolve_alpha: the image needs 2 or 4 channels, got " +
                          std::to_string(image.channels));
  std::array<std::uint8_t, 3> bg = background;
  if (cc == 1) bg = {gray_of(background), 0, 0};
  Image8 in = image;
  const bool resize = width > 0 && height > 0 && (width != image.width || height != image.height);
  if (resize) {  // premultiply, resize, divide: hidden colours stay out of visible pixels
    for (std::size_t p = 0; p < in.pixels.size(); p += static_cast<std::size_t>(in.channels)) {
      const int a = in.pixels[p + static_cast<std::size_t>(cc)];
      for (int c = 0; c < cc; ++c)
        in.pixels[p + static_cast<std::size_t>(c)] =
            static_cast<std::uint8_t>((in.pixels[p + static_cast<std::size_t>(c)] * a + 127) / 255);
    }
    in = resize_image(in, width, height);
    for (std::size_t p = 0; p < in.pixels.size(); p += static_cast<std::size_t>(in.channels)) {
      const int a = in.pixels[p + static_cast<std::size_t>(cc)];
      for (int c = 0; c < cc; ++c) {
        std::uint8_t& v = in.pixels[p + static_cast<std::size_t>(c)];
        v = a == 0 ? 0 : static_cast<std::uint8_t>(std::min(255, (v * 255 + a / 2) / a));
      }
    }
  }
  Image8 out;
  out.width = in.width;
  out.height = in.height;
  out.channels = cc;
  const std::size_t pixels =
      static_cast<std::size_t>(in.width) * static_cast<std::size_t>(in.height);
  out.pixels.resize(pixels * static_cast<std::size_t>(cc));
  if (observed != nullptr) observed->assign(out.pixels.size(), 1);
  for (std::size_t q = 0; q < pixels; ++q) {
    const std::uint8_t* src = in.pixels.data() + q * static_cast<std::size_t>(in.channels);
    std::uint8_t* dst = out.pixels.data() + q * static_cast<std::size_t>(cc);
    const int a = src[cc];
    for (int c = 0; c < cc; ++c) {
      if (mode == AlphaMode::kComposite)
        dst[c] = static_cast<std::uint8_t>(
            (src[c] * a + bg[static_cast<std::size_t>(c)] * (255 - a) + 127) / 255);
      else if (mode == AlphaMode::kMask)
        dst[c] = a == 0 ? 0 : src[c];
      else
        dst[c] = src[c];
      if (observed != nullptr && mode == AlphaMode::kMask && a == 0)
        (*observed)[q * static_cast<std::size_t>(cc) + static_cast<std::size_t>(c)] = 0;
    }
  }
  return out;
}

}  // namespace nmfkit::io
