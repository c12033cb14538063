#include "viz/grid.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

#include "nmfkit/errors.hpp"

namespace nmfkit::viz {
namespace {

constexpr std::int64_t kMaxRatio = 3;        // cols/rows allowed when count > kFreeRatioCount
constexpr int kFreeRatioCount = 5;           // up to this many tiles, one row is always fine
constexpr std::int64_t kPreferredRatio = 2;  // the cols/rows aimed for

// Is a closer to the preferred ratio than b? Compares |c/r − 2| exactly, in integers.
bool closer_to_preferred(GridLayout a, GridLayout b) {
  const std::int64_t da = std::llabs(a.cols - kPreferredRatio * a.rows) * b.rows;
  const std::int64_t db = std::llabs(b.cols - kPreferredRatio * b.rows) * a.rows;
  return da < db;
}

}  // namespace

GridLayout choose_grid(int count) {
  if (count < 1) {
    throw InvalidArgument("the number of tiles must be at least 1, got " + std::to_string(count));
  }
  int min_cols = 1;
  while (static_cast<std::int64_t>(min_cols) * min_cols < count) ++min_cols;

  GridLayout best{};
  std::int64_t best_empty = 0;
  for (int cols = min_cols; cols <= count; ++cols) {
    const int rows = (count + cols - 1) / cols;
    // cols − 3·rows only grows with cols, so once too wide every later choice is too.
    if (count > kFreeRatioCount && cols > kMaxRatio * rows) break;
    const GridLayout candidate{cols, rows};
    const std::int64_t empty = static_cast<std::int64_t>(cols) * rows - count;
    // Ties keep the later (wider) candidate: the loop runs from narrow to wide.
    if (best.cols == 0 || empty < best_empty ||
        (empty == best_empty && !closer_to_preferred(best, candidate))) {
      best = candidate;
      best_empty = empty;
    }
  }
  return best;  // cols = ceil(sqrt(count)) always qualifies (cols <= rows + 1 <= 3·rows)
}

}  // namespace nmfkit::viz
