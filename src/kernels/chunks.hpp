#pragma once
// A fixed partition of rows into chunks that depends only on the row count, never on the thread
// count: every reduction over rows sums per-chunk partials in chunk order, so results are
// bit-identical whatever the number of threads.
#include <algorithm>

#include "nmfkit/matrix.hpp"

namespace nmfkit::kernels {

inline constexpr Index kChunkRows = 2048;  ///< target rows per chunk
inline constexpr Index kMaxChunks = 32;    ///< cap, so partial buffers stay small

struct RowChunks {
  Index rows = 0;
  Index count = 1;
  Index begin(Index c) const { return rows * c / count; }
  Index end(Index c) const { return rows * (c + 1) / count; }
};

inline RowChunks row_chunks(Index rows) {
  const Index wanted = (rows + kChunkRows - 1) / kChunkRows;
  return RowChunks{rows, std::clamp<Index>(wanted, 1, kMaxChunks)};
}

}  // namespace nmfkit::kernels
