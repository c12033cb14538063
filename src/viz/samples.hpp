#pragma once
/// The samples X (n × m) that pictures draw, read one row at a time: a dense view in T, or any
/// storage that can write row i in T on request (8-bit pixels, compressed sparse rows), so that a
/// picture never needs all of X in T.
#include <functional>
#include <vector>

#include "nmfkit/matrix.hpp"

namespace nmfkit::viz {

template <typename T>
class SampleRows {
 public:
  /// Writes row i (cols values) to out.
  using Fill = std::function<void(Index i, T* out)>;

  /// No samples: the pictures that show them are left out.
  SampleRows() = default;
  /// The rows of x, read in place; a view without data has no samples.
  SampleRows(const DenseView<T>& x)  // NOLINT(google-explicit-constructor): a view is samples
      : rows(x.data ? x.rows : 0), cols(x.cols), dense_(x) {}
  SampleRows(Index n, Index m, Fill fill) : rows(n), cols(m), fill_(std::move(fill)) {}

  Index rows = 0;
  Index cols = 0;

  bool empty() const { return rows == 0 || (dense_.data == nullptr && !fill_); }
  /// Row i: in place for a dense view, else written to `buffer` (valid until its next use).
  const T* row(Index i, std::vector<T>& buffer) const {
    if (dense_.data != nullptr) return dense_.row(i);
    buffer.resize(static_cast<std::size_t>(cols));
    fill_(i, buffer.data());
    return buffer.data();
  }

 private:
  DenseView<T> dense_{nullptr, 0, 0};
  Fill fill_;
};

}  // namespace nmfkit::viz
