#include "input.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/array.hpp"
#include "io/idx.hpp"
#include "io/npy.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMnistTrain = "train-images-idx3-ubyte";
constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

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

bool is_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[6] = {};
  in.read(magic, 6);
  return in.gcount() == 6 && std::string(magic, 6) == "\x93NUMPY";
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

}  // namespace

std::string data_dir() {
  if (const char* env = std::getenv("NMFKIT_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return NMFKIT_DEFAULT_DATA_DIR;
}

Input load_input(const std::string& input, Index limit) {
  Input in;
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
  if (fs::is_directory(in.path))
    throw DataError("cannot read '" + in.path + "': it is a folder, not an IDX or NPY file");

  io::Array a = is_npy(in.path) ? io::read_npy(in.path) : io::read_idx(in.path);
  if (a.shape.empty() || a.shape.size() > 4)
    throw DataError(in.path + ": expected 2 to 4 dimensions (samples first), got " +
                    std::to_string(a.shape.size()));
  if (a.shape.size() == 1)
    throw DataError(in.path +
                    ": a 1-dimensional array has no features; expected samples x features");
  Index cols = 1;
  for (std::size_t d = 1; d < a.shape.size(); ++d) cols *= a.shape[d];
  if (a.shape[0] == 0 || cols == 0)
    throw DataError(in.path + ": X is empty (" + std::to_string(a.shape[0]) + " samples of " +
                    std::to_string(cols) + " features)");
  in.image = image_shape(a, cols);
  in.scaled_from_uint8 = a.dtype == io::DType::kUint8;
  if (limit > 0 && limit < a.shape[0]) {
    a.shape[0] = limit;
    a.bytes.resize(static_cast<std::size_t>(limit * cols) * io::dtype_size(a.dtype));
    a.bytes.shrink_to_fit();
  }
  in.rows = a.shape[0];
  in.cols = cols;
  in.array = std::move(a);
  return in;
}

}  // namespace nmfkit::cli
