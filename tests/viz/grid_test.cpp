#include "viz/grid.hpp"

#include <gtest/gtest.h>

#include "nmfkit/errors.hpp"

namespace nmfkit::viz {
namespace {

struct GridCase {
  int count;
  int cols;
  int rows;
};

TEST(Grid, ChoosesPinnedLayouts) {
  const GridCase cases[] = {
      {1, 1, 1}, {2, 2, 1},  {3, 3, 1},  {4, 2, 2},  {5, 5, 1},  {7, 4, 2},
      {9, 3, 3}, {10, 5, 2}, {13, 5, 3}, {16, 4, 4}, {20, 5, 4}, {50, 10, 5},
  };
  for (const auto& c : cases) {
    const GridLayout g = choose_grid(c.count);
    EXPECT_EQ(g.cols, c.cols) << "count " << c.count;
    EXPECT_EQ(g.rows, c.rows) << "count " << c.count;
  }
}

TEST(Grid, EveryLayoutHoldsAllTilesWithoutEmptyRows) {
  for (int count = 1; count <= 1000; ++count) {
    const GridLayout g = choose_grid(count);
    EXPECT_GE(g.cols * g.rows, count) << count;
    EXPECT_LT((g.rows - 1) * g.cols, count) << count;  // the last row is not empty
    EXPECT_GE(g.cols * g.cols, count) << count;        // cols >= ceil(sqrt(count))
    if (count > 5) {
      EXPECT_LE(g.cols, 3 * g.rows) << count;
    }
  }
}

TEST(Grid, RejectsNonPositiveCount) {
  EXPECT_THROW(choose_grid(0), InvalidArgument);
  EXPECT_THROW(choose_grid(-3), InvalidArgument);
}

}  // namespace
}  // namespace nmfkit::viz
