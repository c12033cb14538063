#pragma once
/// 8-bit arrays read from their file a block of rows at a time, never whole: uncompressed NPY
/// (C order) and IDX files of uint8, such as MNIST's, located by plain_npy_uint8 (npy.hpp) and
/// plain_idx_uint8 (idx.hpp).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nmfkit::io {

/// An array of uint8 that a file stores plainly (C order) from byte `offset` on.
struct PlainArray {
  std::string path;
  std::vector<std::int64_t> shape;  ///< samples first; a row is the other dimensions
  std::uint64_t offset = 0;         ///< where the data start in the file
};

/// Reads rows of a PlainArray from its file, which stays open. Reads from several threads at
/// once are safe.
class PlainRows {
 public:
  /// Opens the file; throws nmfkit::DataError "cannot open '<path>': …".
  explicit PlainRows(PlainArray array);
  ~PlainRows();
  PlainRows(const PlainRows&) = delete;
  PlainRows& operator=(const PlainRows&) = delete;

  std::int64_t rows() const { return array_.shape.empty() ? 0 : array_.shape[0]; }
  std::int64_t cols() const { return cols_; }
  const std::string& path() const { return array_.path; }

  /// Writes rows [first, first + count) (count · cols() bytes) to out. Throws nmfkit::DataError
  /// naming the file when it cannot be read or holds fewer bytes than it did when opened, and
  /// nmfkit::InvalidArgument for rows outside the array.
  void read(std::int64_t first, std::int64_t count, std::uint8_t* out) const;

 private:
  PlainArray array_;
  std::int64_t cols_ = 1;
  int fd_ = -1;
};

}  // namespace nmfkit::io
