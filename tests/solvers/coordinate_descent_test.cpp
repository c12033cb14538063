// The coordinate sweeps on 16 rows at once (rules::coordinate_descent_lanes), run in the fit's
// precision: a coordinate whose G_jj is so small that 1/G_jj overflows that precision is left as
// it is, like G_jj = 0, instead of sending its row to infinity; the other coordinates still reach
// the row problem's minimiser.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/isa.hpp"
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

// Float sweeps in natural order keep G·x in registers where the instruction set allows
// (AVX2, AVX-512: solvers/coordinate_descent_lanes.inl); the same order given as a list takes the
// general loop. Both must be the same bytes, under every variant this CPU runs: several k (one
// group, groups and a rest, past AVX-512's per-k versions), a partial block of rows, a coordinate
// with G_jj = 0, an l1 penalty, entries at zero.
TEST(CoordinateDescentLanes, RegisterSweepsAreTheGeneralLoopsBytes) {
  const kernels::Isa saved = kernels::active_isa();
  std::mt19937 gen(5);
  std::uniform_real_distribution<double> u(0, 1);
  for (const Index k : {Index(2), Index(5), Index(9), Index(16), Index(24), Index(25), Index(43)}) {
    const Index rows = 37, inner = k + 7;
    Matrix<double> a(inner, k), g(k, k);
    for (double& v : a.values) v = u(gen);
    for (Index i = 0; i < k; ++i)
      for (Index j = 0; j < k; ++j) {
        double s = 0;
        for (Index r = 0; r < inner; ++r) s += a(r, i) * a(r, j);
        g(i, j) = i == k / 2 || j == k / 2 ? 0.0 : s;  // one component all zero
      }
    Matrix<float> p(rows, k), f0(rows, k);
    for (float& v : p.values) v = static_cast<float>(2 * u(gen) * double(inner) / 4);
    for (float& v : f0.values) v = u(gen) < 0.3 ? 0.0f : static_cast<float>(u(gen));
    std::vector<Index> identity(static_cast<std::size_t>(k));
    for (Index j = 0; j < k; ++j) identity[static_cast<std::size_t>(j)] = j;
    for (const kernels::Isa isa : kernels::supported_isas()) {
      kernels::set_active_isa(isa);
      rules::SweepControl control;
      control.max_sweeps = 20;
      control.stop_ratio2 = 1e-8;
      Matrix<float> natural = f0, listed = f0;
      const double v1 = rules::coordinate_descent_rows(natural, p, g, 0.05, control, 2);
      control.order = identity.data();
      const double v2 = rules::coordinate_descent_rows(listed, p, g, 0.05, control, 2);
      const std::string where =
          "k " + std::to_string(k) + " under " + std::string(kernels::isa_name(isa));
      EXPECT_EQ(v1, v2) << where;
      EXPECT_EQ(0, std::memcmp(natural.values.data(), listed.values.data(),
                               natural.values.size() * sizeof(float)))
          << where;
      EXPECT_NE(0, std::memcmp(natural.values.data(), f0.values.data(),
                               natural.values.size() * sizeof(float)))
          << where << ": the sweeps moved nothing";
    }
  }
  kernels::set_active_isa(saved);
}

}  // namespace
}  // namespace nmfkit
