// The coordinate sweeps on 16 rows at once (rules::coordinate_descent_lanes), run in the fit's
// precision: a coordinate whose G_jj is so small that 1/G_jj overflows that precision is left as
// it is, like G_jj = 0, instead of sending its row to infinity; the other coordinates still reach
// the row problem's minimiser.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "solvers/coordinate_descent_row.hpp"

namespace nmfkit {
namespace {

template <typename T>
class Lanes : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Lanes, Scalars);

TYPED_TEST(Lanes, AGramDiagonalWhoseInverseOverflowsLeavesItsCoordinate) {
  using T = TypeParam;
  const Index k = 3, rows = 5;
  // G = diag(2, tiny, 4): coordinates 0 and 2 decouple, coordinate 1's 1/G_11 overflows T.
  const T tiny = std::numeric_limits<T>::denorm_min() * T(4);
  ASSERT_GT(T(1) / tiny, std::numeric_limits<T>::max());
  const std::vector<T> g = {T(2), T(0), T(0), T(0), tiny, T(0), T(0), T(0), T(4)};
  std::vector<T> f(static_cast<std::size_t>(rows * k)), p(f.size());
  for (Index r = 0; r < rows; ++r) {
    f[static_cast<std::size_t>(r * k + 0)] = T(1);
    f[static_cast<std::size_t>(r * k + 1)] = T(0.5);
    f[static_cast<std::size_t>(r * k + 2)] = T(1);
    p[static_cast<std::size_t>(r * k + 0)] = T(r + 1);     // minimiser (r + 1) / 2
    p[static_cast<std::size_t>(r * k + 1)] = T(1);         // pushes it up: by 1/G_11, to infinity
    p[static_cast<std::size_t>(r * k + 2)] = T(-(r + 1));  // minimiser 0 (clipped)
  }
  rules::SweepControl control;
  control.max_sweeps = 5;
  rules::LaneScratch<T> scratch(k);
  std::vector<double> violation(static_cast<std::size_t>(rows));
  rules::coordinate_descent_lanes(f.data(), p.data(), rows, 0.0, g.data(), k, control, scratch,
                                  violation.data());
  for (Index r = 0; r < rows; ++r) {
    EXPECT_NEAR(double(f[static_cast<std::size_t>(r * k + 0)]), double(r + 1) / 2.0, 1e-6) << r;
    EXPECT_EQ(f[static_cast<std::size_t>(r * k + 1)], T(0.5)) << r;
    EXPECT_EQ(f[static_cast<std::size_t>(r * k + 2)], T(0)) << r;
    EXPECT_TRUE(std::isfinite(violation[static_cast<std::size_t>(r)])) << r;
  }
}

}  // namespace
}  // namespace nmfkit
