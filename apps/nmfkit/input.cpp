#include "input.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common.hpp"
#include "interrupt.hpp"
#include "io/array.hpp"
#include "io/csv.hpp"
#include "io/idx.hpp"
#include "io/image.hpp"
#include "io/image_folder.hpp"
#include "io/mtx.hpp"
#include "io/npy.hpp"
#include "io/npz.hpp"
#include "io/zip.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMnistTrain = "train-images-idx3-ubyte";
constexpr const char* kMnistLabels = "train-labels-idx1-ubyte";
constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";
constexpr const char* kFashionLabels = "train-labels-idx1-ubyte.gz";

std::string mnist_path() {
  const fs::path dir = fs::path(data_dir()) / "mnist";
  const fs::path file = dir / kMnistTrain;
  if (fs::exists(file)) return file.string();
  const fs::path script = fs::path(NMFKIT_SOURCE_DIR) / "scripts" / "fetch-mnist.sh";
  if (!fs::exists(script))
    throw DataError("MNIST is not in " + dir.string() +
                    "; put the IDX files there or set NMFKIT_DATA_DIR");
  // The fetch script reports on stdout; keep nmfkit's stdout for its own summary.
  const std::string command =
      shell_quote(script.string()) + " " + shell_quote(dir.string()) + " >&2";
  if (std::system(command.c_str()) != 0 || !fs::exists(file))
    throw DataError("could not fetch MNIST into " + dir.string() + " (see the messages above)");
  return file.string();
}

std::string fashion_path() {
  const fs::path file = fs::path(kFashionDir) / "train-images-idx3-ubyte.gz";
  if (!fs::exists(file))
    throw DataError(std::string("Fashion-MNIST is not installed in ") + kFashionDir +
                    " (apt-get install dataset-fashion-mnist)");
  return file.string();
}

// "28x28" or "28x28x3" split at 'x' into positive numbers; empty when malformed.
std::vector<Index> parse_dims(const std::string& text) {
  std::vector<Index> dims;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t x = std::min(text.find('x', start), text.size());
    const std::string part = text.substr(start, x - start);
    if (part.empty() || part.size() > 9 ||
        part.find_first_not_of("0123456789") != std::string::npos)
      return {};
    dims.push_back(std::stoll(part));
    if (dims.back() < 1) return {};
    start = x + 1;
  }
  return dims;
}

std::string shape_text(const viz::ImageShape& s) {
  return std::to_string(s.height) + "x" + std::to_string(s.width) +
         (s.channels > 1 ? "x" + std::to_string(s.channels) : "");
}

// The image shape of a row: from the array's trailing dimensions, else a square, else one row.
viz::ImageShape image_shape(const io::Array& a, Index cols) {
  const auto& s = a.shape;
  if (s.size() == 3) return {s[1], s[2], 1};
  if (s.size() == 4 && (s[3] == 1 || s[3] == 3)) return {s[1], s[2], s[3]};
  const auto side = static_cast<Index>(std::llround(std::sqrt(double(cols))));
  if (side * side == cols) return {side, side, 1};
  return {1, cols, 1};
}

// --shape: the image shape of a row when the file has none; when it has one, they must agree.
viz::ImageShape apply_shape(const std::string& text, const io::Array& a, Index cols,
                            const std::string& path) {
  if (text.empty()) return image_shape(a, cols);
  const std::vector<Index> d = parse_dims(text);
  const viz::ImageShape shape{d[0], d[1], d.size() == 3 ? d[2] : 1};
  if (shape.size() != cols)
    throw InvalidArgument("--shape " + text + " has " + std::to_string(shape.size()) +
                          " values per image but each row of '" + path + "' has " +
                          std::to_string(cols));
  if (a.shape.size() > 2) {
    const viz::ImageShape own = image_shape(a, cols);
    if (own.height != shape.height || own.width != shape.width || own.channels != shape.channels)
      throw InvalidArgument("--shape " + text + " disagrees with the image shape " +
                            shape_text(own) + " of '" + path + "'");
  }
  return shape;
}

/// --alpha mask: counts the transparent entries, then takes a pixel transparent in every image
/// (an icon's corner), or an image transparent everywhere, as observed black (its value is 0):
/// there is nothing to fit there, and 0 is what the components give it anyway, instead of a column
/// or row of the factors left undetermined.
void settle_transparency(Input& in) {
  in.transparent = std::count(in.observed.begin(), in.observed.end(), std::uint8_t{0});
  if (in.observed.empty()) return;
  const std::size_t n = static_cast<std::size_t>(in.rows), m = in.observed.size() / n;
  std::vector<std::uint8_t> col_seen(m, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t* row = in.observed.data() + i * m;
    bool row_seen = false;
    for (std::size_t j = 0; j < m; ++j) {
      col_seen[j] |= row[j];
      row_seen = row_seen || row[j] != 0;
    }
    if (!row_seen) std::fill(row, row + m, std::uint8_t{1});
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j)
      if (col_seen[j] == 0) in.observed[i * m + j] = 1;
  if (std::find(in.observed.begin(), in.observed.end(), 0) == in.observed.end())
    in.observed.clear();
}

/// An NPY of n × h × w × 4 (RGBA) or × 2 (gray and alpha) uint8 images with --alpha: the colour
/// channels with the alpha resolved as for image folders.
io::Array resolve_npy_alpha(io::Array a, const InputOptions& o, Input& in) {
  const auto& s = a.shape;
  if (s.size() != 4 || (s[3] != 2 && s[3] != 4))
    throw InvalidArgument(
        "--alpha applies to image folders and to NPY files of n x h x w x 4 "
        "(RGBA) or x 2 (gray and alpha) images; '" +
        in.path + "' is " + std::to_string(s.size()) + "-D" +
        (s.size() == 4 ? " with " + std::to_string(s[3]) + " channels" : ""));
  if (a.dtype != io::DType::kUint8)
    throw InvalidArgument("--alpha reads the alpha channel of uint8 images (0 to 255); '" +
                          in.path + "' holds another dtype");
  const io::AlphaMode mode = io::parse_alpha_mode(o.alpha);
  const auto background = io::parse_color(o.background.empty() ? "black" : o.background);
  in.alpha = io::alpha_mode_name(mode);
  in.background = o.background.empty() ? "black" : o.background;
  const int h = static_cast<int>(s[1]), w = static_cast<int>(s[2]), c = static_cast<int>(s[3]);
  const std::size_t per = static_cast<std::size_t>(h) * static_cast<std::size_t>(w);
  io::Array out;
  out.dtype = io::DType::kUint8;
  out.shape = {s[0], s[1], s[2]};
  if (c == 4) out.shape.push_back(3);
  for (std::int64_t i = 0; i < s[0]; ++i) {
    io::Image8 image{w, h, c, {}};
    const std::uint8_t* src = a.bytes.data() + static_cast<std::size_t>(i) * per * std::size_t(c);
    image.pixels.assign(src, src + per * std::size_t(c));
    std::vector<std::uint8_t> seen;
    const io::Image8 colour = io::resolve_alpha(image, mode, background, 0, 0,
                                                mode == io::AlphaMode::kMask ? &seen : nullptr);
    out.bytes.insert(out.bytes.end(), colour.pixels.begin(), colour.pixels.end());
    in.observed.insert(in.observed.end(), seen.begin(), seen.end());
  }
  if (std::find(in.observed.begin(), in.observed.end(), 0) == in.observed.end())
    in.observed.clear();
  return out;
}

io::Array read_folder(const std::string& dir, const InputOptions& o, Input& in) {
  io::ImageFolderOptions fo;
  fo.channels = o.color == "rgb" ? 3 : 1;
  if (!o.size.empty()) {
    const std::vector<Index> d = parse_dims(o.size);
    fo.width = static_cast<int>(d[0]);
    fo.height = static_cast<int>(d[1]);
  }
  fo.skip_bad = o.skip_bad;
  fo.limit = o.limit;
  fo.alpha = io::parse_alpha_mode(o.alpha.empty() ? "composite" : o.alpha);
  fo.background = io::parse_color(o.background.empty() ? "black" : o.background);
  in.alpha = io::alpha_mode_name(fo.alpha);
  in.background = o.background.empty() ? "black" : o.background;
  fo.before_file = [](std::size_t, std::size_t) {
    check_interrupted();
    test_pause("image");
  };
  io::ImageFolder folder = io::read_image_folder(dir, fo);
  in.files = std::move(folder.files);
  in.skipped = std::move(folder.skipped);
  in.observed = std::move(folder.observed);
  return std::move(folder.images);
}

}  // namespace

void refuse_sparse(const Input& in, const std::string& what) {
  if (in.sparse)
    throw InvalidArgument(what + " needs X dense, and '" + in.path + "' is a sparse matrix (" +
                          std::to_string(in.sparse->nnz()) + " stored entries)");
}

bool is_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[6] = {};
  in.read(magic, 6);
  return in.gcount() == 6 && std::string(magic, 6) == "\x93NUMPY";
}

bool is_csv(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".csv" || ext == ".tsv";
}

std::string companion_label_file(const Input& in) {
  if (in.kind == "mnist") return (fs::path(in.path).parent_path() / kMnistLabels).string();
  if (in.kind == "fashion-mnist") return (fs::path(kFashionDir) / kFashionLabels).string();
  if (in.kind != "idx") return "";
  const fs::path path(in.path);
  std::string name = path.filename().string();
  const std::size_t at = name.rfind("images-idx3-ubyte");
  if (at == std::string::npos) return "";
  const std::string stem = name.substr(0, at) + "labels-idx1-ubyte";
  for (const char* ext : {"", ".gz"}) {
    const fs::path candidate = path.parent_path() / (stem + ext);
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return "";
}

bool is_fashion_mnist_file(const std::string& path) {
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(fs::path(path), ec).parent_path();
  return !ec && dir == fs::path(kFashionDir);
}

std::string data_dir() {
  if (const char* env = std::getenv("NMFKIT_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return NMFKIT_DEFAULT_DATA_DIR;
}

void add_input_options(CLI::App& command, InputOptions& o) {
  command.add_option("--color", o.color,
                     "Image folders: gray (default; colour is converted) or rgb (three channels "
                     "per pixel, colour components)");
  command.add_option("--size", o.size,
                     "Image folders: resize every image to WIDTHxHEIGHT pixels (antialiased); "
                     "without it all images must have the same size");
  command.add_flag("--skip-bad", o.skip_bad,
                   "Image folders: skip unreadable or corrupt files and report how many");
  command.add_option("--alpha", o.alpha,
                     "Image folders, transparent pixels: composite (default: blended onto "
                     "--background), mask (pixels with alpha 0 are missing entries: they neither "
                     "count in the loss nor steer the components) or ignore (the colour stored "
                     "under them is data)");
  command.add_option("--background", o.background,
                     "Image folders, --alpha composite: the colour behind the images: black "
                     "(default, zero: transparent areas add nothing), white, gray, #rrggbb or "
                     "R,G,B");
  command.add_option("--shape", o.shape,
                     "HEIGHTxWIDTH or HEIGHTxWIDTHxC (C = 1 or 3): the image a row of a 2-D "
                     "NPY, NPZ, Matrix Market, CSV or IDX file is (default: from the file, else "
                     "square, else a row)");
}

void validate_input_options(const InputOptions& o) {
  if (o.color != "gray" && o.color != "rgb")
    throw InvalidArgument("unknown color '" + o.color + "' (choose gray or rgb)");
  if (!o.alpha.empty()) io::parse_alpha_mode(o.alpha);
  if (!o.background.empty()) {
    io::parse_color(o.background);
    if (!o.alpha.empty() && o.alpha != "composite")
      throw InvalidArgument("--background " + o.background +
                            " applies to --alpha composite, not --alpha " + o.alpha);
  }
  if (!o.size.empty() && parse_dims(o.size).size() != 2)
    throw InvalidArgument("--size must be WIDTHxHEIGHT in pixels, e.g. 64x48, got '" + o.size +
                          "'");
  if (!o.size.empty() && (parse_dims(o.size)[0] > 32768 || parse_dims(o.size)[1] > 32768))
    throw InvalidArgument("--size " + o.size + " is too large (at most 32768 a side)");
  const std::size_t shape_dims = o.shape.empty() ? 2 : parse_dims(o.shape).size();
  if (shape_dims != 2 &&
      !(shape_dims == 3 && (parse_dims(o.shape)[2] == 1 || parse_dims(o.shape)[2] == 3)))
    throw InvalidArgument("--shape must be HEIGHTxWIDTH or HEIGHTxWIDTHxC with C 1 or 3, got '" +
                          o.shape + "'");
}

Input load_input(const std::string& input, const InputOptions& options) {
  validate_input_options(options);
  test_pause("load");
  Input in;
  in.kind = input;
  if (input == "mnist") {
    in.path = mnist_path();
    in.description = "MNIST training images";
  } else if (input == "fashion-mnist") {
    in.path = fashion_path();
    in.description = "Fashion-MNIST training images";
  } else {
    in.path = input;
    in.description = input;
  }
  if (!fs::exists(in.path))
    throw DataError("cannot open '" + in.path + "': No such file or directory");
  const bool folder = fs::is_directory(in.path);
  if (!folder && (options.color != "gray" || !options.size.empty() || options.skip_bad))
    throw InvalidArgument("--color, --size and --skip-bad apply to image folders, and '" + in.path +
                          "' is a file");
  if (!folder && !is_npy(in.path) && (!options.alpha.empty() || !options.background.empty()))
    throw InvalidArgument(
        "--alpha and --background apply to image folders and to NPY files of "
        "images with an alpha channel, and '" +
        in.path + "' is neither");
  if (!options.background.empty() && options.alpha.empty() && !folder)
    throw InvalidArgument(
        "--background needs --alpha composite for an NPY file (its last channel "
        "is alpha only when --alpha says so)");
  if (folder && !options.shape.empty())
    throw InvalidArgument("--shape applies to NPY, NPZ, MTX, CSV and IDX files; the images in '" +
                          in.path + "' have their own shape");

  io::Array a;
  std::optional<io::SparseMatrix> sparse;
  std::optional<io::PlainArray> plain;
  if (folder) {
    in.kind = "images";
    a = read_folder(in.path, options, in);
  } else if (is_npy(in.path)) {
    if (in.kind != "mnist" && in.kind != "fashion-mnist") in.kind = "npy";
    if (options.defer_uint8 && options.alpha.empty()) plain = io::plain_npy_uint8(in.path);
    if (!plain) a = io::read_npy(in.path);
    if (!options.alpha.empty()) a = resolve_npy_alpha(std::move(a), options, in);
  } else if (io::is_zip(in.path) || io::is_mtx(in.path)) {
    const bool npz = io::is_zip(in.path);
    in.kind = npz ? "npz" : "mtx";
    io::MatrixFile f = npz ? io::read_npz(in.path) : io::read_mtx(in.path);
    a = std::move(f.dense);
    sparse = std::move(f.sparse);
  } else if (is_csv(in.path)) {
    in.kind = "csv";
    a = io::read_csv(in.path).values;
  } else {
    if (in.kind != "mnist" && in.kind != "fashion-mnist") in.kind = "idx";
    if (options.defer_uint8) plain = io::plain_idx_uint8(in.path);
    if (!plain) a = io::read_idx(in.path);
  }
  if (plain) {  // the rows stay in the file
    a.dtype = io::DType::kUint8;
    a.shape = plain->shape;
    in.plain = std::make_shared<const io::PlainRows>(std::move(*plain));
  }
  if (sparse) {
    if (sparse->rows == 0 || sparse->cols == 0)
      throw DataError(in.path + ": X is empty (" + std::to_string(sparse->rows) + " samples of " +
                      std::to_string(sparse->cols) + " features)");
    io::Array shape_only;  // a sparse file's rows have no image shape of their own
    shape_only.shape = {sparse->rows, sparse->cols};
    in.image = apply_shape(options.shape, shape_only, sparse->cols, in.path);
    in.file_rows = sparse->rows;
    io::keep_rows(*sparse, options.limit);
    in.rows = sparse->rows;
    in.cols = sparse->cols;
    in.sparse = std::move(sparse);
    return in;
  }
  if (a.shape.empty() || a.shape.size() > 4)
    throw DataError(in.path + ": expected 2 to 4 dimensions (samples first), got " +
                    std::to_string(a.shape.size()));
  if (a.shape.size() == 1)
    throw DataError(in.path +
                    ": a 1-dimensional array has no features; expected samples x features");
  Index cols = 1;
  const bool zero_dim = std::find(a.shape.begin(), a.shape.end(), 0) != a.shape.end();
  for (std::size_t d = 1; d < a.shape.size() && !zero_dim; ++d) cols *= a.shape[d];
  if (zero_dim) cols = 0;  // the other dimensions' product may not fit in 64 bits
  if (a.shape[0] == 0 || cols == 0)
    throw DataError(in.path + ": X is empty (" + std::to_string(a.shape[0]) + " samples of " +
                    std::to_string(cols) + " features)");
  in.image = apply_shape(options.shape, a, cols, in.path);
  in.scaled_from_uint8 = a.dtype == io::DType::kUint8;
  in.file_rows = a.shape[0];
  const Index limit = options.limit;
  if (limit > 0 && limit < a.shape[0]) {
    a.shape[0] = limit;
    if (!in.plain) {
      a.bytes.resize(static_cast<std::size_t>(limit * cols) * io::dtype_size(a.dtype));
      a.bytes.shrink_to_fit();
    }
  }
  in.rows = a.shape[0];
  in.cols = cols;
  if (!in.observed.empty()) {
    in.observed.resize(static_cast<std::size_t>(in.rows * in.cols));
    settle_transparency(in);
  }
  in.array = std::move(a);
  return in;
}

}  // namespace nmfkit::cli
