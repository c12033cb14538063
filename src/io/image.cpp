#include "io/image.hpp"

#include <stb_image.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <memory>
#include <string_view>

#include "io/file_util.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::io {
namespace {

using detail::fail;

constexpr std::array<std::string_view, 7> kExtensions = {".png", ".jpg", ".jpeg", ".bmp",
                                                         ".pgm", ".ppm", ".pnm"};
constexpr std::uint64_t kMaxFileBytes = std::uint64_t{1} << 31;  // stb reads at most int bytes
constexpr std::int64_t kMaxPixels = std::int64_t{1} << 28;

// stb_image's terse reasons ("outofdata", "bad zlib header", ...) in words a user can act on.
std::string explain(const char* reason) {
  const std::string r = reason == nullptr ? "" : reason;
  if (r == "unknown image type") return "not a PNG, JPEG, BMP or binary PGM/PPM image";
  return "truncated or corrupt image data" + (r.empty() ? "" : " (decoder: " + r + ")");
}

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

Image8 read_image(const std::string& path, int channels) {
  if (channels != 1 && channels != 3)
    throw InvalidArgument("read_image: channels must be 1 or 3, got " + std::to_string(channels));
  detail::InputFile file(path);
  const std::uint64_t size = file.size();
  if (size == 0) fail(path, "not an image (the file is empty)");
  if (size > kMaxFileBytes) fail(path, "image file larger than 2 GiB");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (file.read(bytes.data(), bytes.size()) < bytes.size())
    fail(path, "the file shrank while reading");

  int w = 0, h = 0, n = 0;
  if (stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &n) == 0)
    fail(path, explain(stbi_failure_reason()));
  if (w < 1 || h < 1 || static_cast<std::int64_t>(w) * h > kMaxPixels)
    fail(path, "unsupported image size " + std::to_string(w) + "x" + std::to_string(h));
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &n, channels),
      &stbi_image_free);
  if (data == nullptr) fail(path, explain(stbi_failure_reason()));
  Image8 image;
  image.width = w;
  image.height = h;
  image.channels = channels;
  image.pixels.assign(data.get(), data.get() + static_cast<std::size_t>(w) * h * channels);
  return image;
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

}  // namespace nmfkit::io
