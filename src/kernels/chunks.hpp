#pragma once
// A fixed partition of rows into chunks that depends only on the row count, never on the thread
// count: every reduction over rows sums per-chunk partials in chunk order, so results are
// bit-identical whatever the number of threads.
#include <algorithm>
#include <vector>

#include "nmfkit/matrix.hpp"

namespace nmfkit::kernels {

inline constexpr Index kChunkRows = 2048;  ///< target rows per chunk
inline constexpr Index kMaxChunks = 32;    ///< cap, so partial buffers stay small
/// At least this many chunks where each still gets kMinChunkRows rows: with a few thousand rows
/// of uneven length (a tf-idf matrix's documents) two or three chunks left a thread idle.
inline constexpr Index kMinChunks = 8;
inline constexpr Index kMinChunkRows = 256;

/// Rows per task for the row-parallel loops whose results do not depend on the partition.
inline constexpr Index kRowsPerTask = 256;

struct RowChunks {
  Index rows = 0;
  Index count = 1;
  Index begin(Index c) const { return rows * c / count; }
  Index end(Index c) const { return rows * (c + 1) / count; }
};

inline RowChunks row_chunks(Index rows) {
  const Index wanted =
      std::max((rows + kChunkRows - 1) / kChunkRows, std::min(kMinChunks, rows / kMinChunkRows));
  return RowChunks{rows, std::clamp<Index>(wanted, 1, kMaxChunks)};
}

/// out[i] = Σ_c partial[c·size + i] for i < size, over the `count` chunks in chunk order.
template <typename Value>
void sum_chunk_partials(const Value* partial, Index count, Index size, Value* out) {
  for (Index i = 0; i < size; ++i) {
    Value s{};
    for (Index c = 0; c < count; ++c) s += partial[c * size + i];
    out[i] = s;
  }
}

/// Σ_r row_value(r) over rows 0…rows−1: each chunk sums its rows in order, then the chunk sums
/// are added in chunk order, so the result does not depend on the thread count. Value needs a
/// value-initialised zero and +=.
template <typename Value, typename RowValue>
Value sum_over_rows(Index rows, int threads, RowValue row_value) {
  const RowChunks chunks = row_chunks(rows);
  std::vector<Value> partial(static_cast<std::size_t>(chunks.count), Value{});
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    Value s{};
    for (Index r = chunks.begin(c); r < chunks.end(c); ++r) s += row_value(r);
    partial[static_cast<std::size_t>(c)] = s;
  }
  Value total{};
  for (const Value& s : partial) total += s;
  return total;
}

}  // namespace nmfkit::kernels
