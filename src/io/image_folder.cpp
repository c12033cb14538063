#include "io/image_folder.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "io/image.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::io {
namespace {

namespace fs = std::filesystem;

std::string size_text(const Image8& image) {
  return std::to_string(image.width) + "x" + std::to_string(image.height);
}

}  // namespace

std::vector<std::string> list_image_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  // Folder links are followed, each folder once: a link to an ancestor (a loop) or a second link
  // to the same folder is not entered again.
  std::set<std::pair<dev_t, ino_t>> seen;
  auto first_visit = [&seen](const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) != 0 || seen.insert({st.st_dev, st.st_ino}).second;
  };
  first_visit(dir);
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec)) {
      if (!first_visit(it->path())) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(type_ec) && is_image_extension(it->path().extension().string()))
      files.push_back(it->path().string());
  }
  if (ec) throw DataError("cannot list the folder '" + dir + "': " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

ImageFolder read_image_folder(const std::string& dir, const ImageFolderOptions& options) {
  if (options.channels != 1 && options.channels != 3)
    throw InvalidArgument("image channels must be 1 or 3, got " + std::to_string(options.channels));
  if ((options.width > 0) != (options.height > 0))
    throw InvalidArgument("an image size needs both a width and a height");
  const std::vector<std::string> files = list_image_files(dir);
  if (files.empty())
    throw DataError("the folder '" + dir +
                    "' holds no images (PNG, JPEG, BMP, PGM/PPM files, searched recursively)");

  ImageFolder out;
  std::string first_file;
  Image8 first;  // size of the first image read (pixels unused)
  std::size_t sample_bytes = 0;
  for (std::size_t index = 0; index < files.size(); ++index) {
    const std::string& file = files[index];
    if (options.limit > 0 && static_cast<std::int64_t>(out.files.size()) >= options.limit) break;
    if (options.before_file) options.before_file(index, files.size());
    Image8 image;
    const bool alpha = options.alpha != AlphaMode::kIgnore;
    try {
      image = read_image(file, options.channels + (alpha ? 1 : 0));
    } catch (const DataError&) {
      if (!options.skip_bad) throw;
      out.skipped.push_back(file);
      continue;
    }
    std::vector<std::uint8_t> observed;
    if (alpha)
      image = resolve_alpha(image, options.alpha, options.background, options.width, options.height,
                            options.alpha == AlphaMode::kMask ? &observed : nullptr);
    if (options.width > 0) {
      image = resize_image(image, options.width, options.height);
    } else if (first_file.empty()) {
      first_file = file;
      first.width = image.width;
      first.height = image.height;
    } else if (image.width != first.width || image.height != first.height) {
      throw DataError("images differ in size: '" + first_file + "' is " + size_text(first) +
                      " but '" + file + "' is " + size_text(image) +
                      " (use --size WxH to resize them all)");
    }
    if (sample_bytes == 0) {
      sample_bytes = image.pixels.size();
      const std::size_t expected =
          options.limit > 0 ? std::min(files.size(), static_cast<std::size_t>(options.limit))
                            : files.size();
      out.images.bytes.reserve(sample_bytes * expected);
      out.images.shape = {0, image.height, image.width};
      if (options.channels == 3) out.images.shape.push_back(3);
    }
    out.images.bytes.insert(out.images.bytes.end(), image.pixels.begin(), image.pixels.end());
    out.observed.insert(out.observed.end(), observed.begin(), observed.end());
    out.files.push_back(file);
  }
  if (out.files.empty())
    throw DataError("none of the " + std::to_string(files.size()) + " image files in '" + dir +
                    "' could be read");
  out.images.dtype = DType::kUint8;
  out.images.shape[0] = static_cast<std::int64_t>(out.files.size());
  out.images.bytes.shrink_to_fit();
  if (std::find(out.observed.begin(), out.observed.end(), 0) == out.observed.end())
    out.observed.clear();  // nothing transparent: no mask
  return out;
}

}  // namespace nmfkit::io
