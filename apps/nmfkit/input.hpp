#pragma once
// Turns the INPUT argument (a dataset name, an image folder, an IDX, NPY, NPZ, Matrix Market or CSV
// file) into the matrix X (samples × features) and the image shape its rows reshape to.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "io/array.hpp"
#include "io/plain_rows.hpp"
#include "io/sparse.hpp"
#include "nmfkit/fit.hpp"
#include "nmfkit/matrix.hpp"
#include "viz/components.hpp"
#include "viz/samples.hpp"

namespace nmfkit::cli {

/// How INPUT is read: the --color, --size, --skip-bad, --shape and --limit options.
struct InputOptions {
  std::string color = "gray";  ///< image folders: "gray" or "rgb"
  std::string size;            ///< image folders: "WxH" resizes every image; empty keeps sizes
  bool skip_bad = false;       ///< image folders: skip unreadable files
  std::string alpha;           ///< image folders: composite (when empty), mask or ignore
  std::string background;      ///< image folders, alpha composite: the colour (black when empty)
  std::string shape;  ///< "HxW" or "HxWxC": the image shape of a row; empty = from the file
  Index limit = 0;    ///< keep at most this many samples (0 = all)
  /// Uncompressed 8-bit NPY (C order) and IDX files are not read whole: Input::plain reads their
  /// rows a block at a time (for a fit that reads X through levels_source()).
  bool defer_uint8 = false;
};

/// Declares --color, --size, --skip-bad and --shape on a command.
void add_input_options(CLI::App& command, InputOptions& options);

/// Checks the options alone (formats of --color, --size, --shape); throws InvalidArgument.
void validate_input_options(const InputOptions& options);

/// The rows of a file last read for Input::sample_rows.
struct RowBlock {
  std::mutex mutex;
  Index first = 0;
  Index count = 0;
  std::vector<std::uint8_t> levels;
};

struct Input {
  std::string description;  ///< e.g. "MNIST training images"
  std::string path;         ///< the file actually read
  io::Array array;          ///< the samples as read (already cut to the limit); empty when sparse
  /// Set when the file's 8-bit rows are read from it on request (InputOptions::defer_uint8):
  /// `array` then has the dtype and shape but no bytes.
  std::shared_ptr<const io::PlainRows> plain;
  /// scipy.sparse .npz and coordinate .mtx files: X in compressed sparse rows (cut to the limit),
  /// never made dense for the fit.
  std::optional<io::SparseMatrix> sparse;
  Index rows = 0;
  Index cols = 0;
  Index file_rows = 0;  ///< samples in the file before --limit (image folders: the images read)
  viz::ImageShape image;
  bool scaled_from_uint8 = false;  ///< 8-bit pixels are divided by 255
  /// "mnist", "fashion-mnist", "images", "npy", "npz", "mtx", "csv" or "idx"
  std::string kind;
  std::vector<std::string> files;    ///< image folders: the file of each sample
  std::vector<std::string> skipped;  ///< image folders: files skipped as unreadable
  /// Image folders with --alpha mask: rows × cols, 0 where a pixel is transparent (missing);
  /// empty when nothing is.
  std::vector<std::uint8_t> observed;
  Index transparent = 0;         ///< --alpha mask: entries of transparent pixels
  std::string alpha = "ignore";  ///< what was done with transparency (files: ignore)
  std::string background;        ///< composite: the background colour as given

  /// X (rows × cols, row-major) in T, 8-bit pixels scaled to [0, 1]. Dense inputs only.
  template <typename T>
  std::vector<T> matrix() const {
    return io::to_vector<T>(array, scaled_from_uint8 ? 1.0 / 255.0 : 1.0);
  }
  /// The samples as read, one row at a time in T (8-bit pixels scaled as matrix() scales them),
  /// for the pictures: no copy of X in T is made. None once take_matrix() has freed them. The
  /// rows read this Input, which must outlive them.
  template <typename T>
  viz::SampleRows<T> sample_rows() const {
    const double scale = scaled_from_uint8 ? 1.0 / 255.0 : 1.0;
    if (plain) {
      // From the file about 64 KiB of rows at a time: a picture that visits every row (the class
      // means) makes one read per block, not per row.
      auto block = std::make_shared<RowBlock>();
      const Index block_rows = std::max<Index>(1, (Index(1) << 16) / cols);
      return viz::SampleRows<T>(rows, cols, [this, scale, block, block_rows](Index i, T* out) {
        const std::lock_guard<std::mutex> lock(block->mutex);
        if (i < block->first || i >= block->first + block->count) {
          block->count = 0;  // until the read below succeeds
          block->levels.resize(static_cast<std::size_t>(std::min(block_rows, rows - i) * cols));
          plain->read(i, std::min(block_rows, rows - i), block->levels.data());
          block->first = i;
          block->count = std::min(block_rows, rows - i);
        }
        const std::uint8_t* row = block->levels.data() + (i - block->first) * cols;
        for (Index j = 0; j < cols; ++j) out[j] = static_cast<T>(double(row[j]) * scale);
      });
    }
    if (array.bytes.empty()) return {};
    return viz::SampleRows<T>(rows, cols, [this, scale](Index i, T* out) {
      io::convert_range<T>(array, i * cols, cols, scale, out);
    });
  }
  /// Whether X is 8-bit pixels a fit can read as levels: left in their file (`plain`), or read
  /// into a uint8 array with no transparent pixels to mask.
  bool holds_levels() const {
    return plain || (!sparse && array.dtype == io::DType::kUint8 && observed.empty());
  }
  /// X as the 8-bit pixels read into memory (an array of uint8, rows cut to the limit).
  LevelsView levels_view() const {
    return {DenseView<std::uint8_t>(array.bytes.data(), rows, cols),
            scaled_from_uint8 ? 1.0 / 255.0 : 1.0};
  }
  /// X as the levels `plain` reads (rows cut to the limit). Only with `plain`.
  LevelsSource levels_source() const {
    return {
        rows, cols, scaled_from_uint8 ? 1.0 / 255.0 : 1.0, 0,
        [p = plain](Index first, Index count, std::uint8_t* out) { p->read(first, count, out); }};
  }
  /// matrix(), then frees the samples as read: a fit needs X only once, in T.
  template <typename T>
  std::vector<T> take_matrix() {
    std::vector<T> x = matrix<T>();
    array.bytes = {};
    return x;
  }
};

/// Loads INPUT. Throws DataError on unreadable or malformed input, naming the file, and
/// InvalidArgument when an option does not fit the input.
Input load_input(const std::string& input, const InputOptions& options);

/// The label file that goes with the input, or "" when there is none: mnist's and
/// fashion-mnist's training labels, and for an IDX file named …images-idx3-ubyte[.gz] the
/// …labels-idx1-ubyte[.gz] beside it when it exists.
std::string companion_label_file(const Input& in);

/// Whether the label file is one of Fashion-MNIST's (its classes have names).
bool is_fashion_mnist_file(const std::string& path);

/// Refuses a sparse input (InvalidArgument naming `what`, e.g. "-k auto"): for the features that
/// need X dense.
void refuse_sparse(const Input& in, const std::string& what);

/// Whether `path` starts with NPY's magic bytes; whether its extension is .csv or .tsv.
bool is_npy(const std::string& path);
bool is_csv(const std::string& path);

/// The folder datasets are cached in: $NMFKIT_DATA_DIR, else the build's default.
std::string data_dir();

}  // namespace nmfkit::cli
