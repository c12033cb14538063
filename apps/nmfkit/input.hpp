#pragma once
// Turns the INPUT argument (a dataset name, an IDX file or an NPY file) into the matrix X
// (samples × features, float32) and the image shape its rows reshape to.
#include <string>
#include <vector>

#include "io/array.hpp"
#include "nmfkit/matrix.hpp"
#include "viz/components.hpp"

namespace nmfkit::cli {

struct Input {
  std::string description;  ///< e.g. "MNIST training images"
  std::string path;         ///< the file actually read
  io::Array array;          ///< the samples as read (already cut to the limit)
  Index rows = 0;
  Index cols = 0;
  viz::ImageShape image;
  bool scaled_from_uint8 = false;  ///< 8-bit pixels are divided by 255

  /// X (rows × cols, row-major) in T, 8-bit pixels scaled to [0, 1].
  template <typename T>
  std::vector<T> matrix() const {
    return io::to_vector<T>(array, scaled_from_uint8 ? 1.0 / 255.0 : 1.0);
  }
};

/// Loads INPUT, keeping at most `limit` samples (0 = all). Throws DataError on unreadable or
/// malformed input, naming the file.
Input load_input(const std::string& input, Index limit);

/// The folder datasets are cached in: $NMFKIT_DATA_DIR, else the build's default.
std::string data_dir();

}  // namespace nmfkit::cli
