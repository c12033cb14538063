#pragma once
// Turns the INPUT argument (a dataset name, an IDX file or an NPY file) into the matrix X
// (samples × features, float32) and the image shape its rows reshape to.
#include <string>
#include <vector>

#include "nmfkit/matrix.hpp"
#include "viz/components.hpp"

namespace nmfkit::cli {

struct Input {
  std::string description;  ///< e.g. "MNIST training images (data/mnist/train-images-idx3-ubyte)"
  std::string path;         ///< the file actually read
  std::vector<float> values;
  Index rows = 0;
  Index cols = 0;
  viz::ImageShape image;
  bool scaled_from_uint8 = false;  ///< 8-bit pixels divided by 255
  DenseView<float> view() const { return DenseView<float>(values.data(), rows, cols); }
};

/// Loads INPUT, keeping at most `limit` samples (0 = all). Throws DataError on unreadable or
/// malformed input, naming the file.
Input load_input(const std::string& input, Index limit);

/// The folder datasets are cached in: $NMFKIT_DATA_DIR, else the build's default.
std::string data_dir();

}  // namespace nmfkit::cli
