// The coordinate sweeps on 16 rows at once (rules::coordinate_descent_lanes), run in the fit's
// precision: a coordinate whose G_jj is so small that 1/G_jj overflows that precision is left as
// it is, like G_jj = 0, instead of sending its row to infinity; the other coordinates still reach
// the row problem's minimiser.
#include <gtest/gtest.h>

#include <algorithm>
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

/// AᵀA for a random inner × k matrix A with entries in [0, 1), with component `zero` all zero
/// (its row and column of G are 0, as for a component that vanished).
Matrix<double> random_gram(Index k, Index inner, Index zero, std::mt19937& gen) {
  std::uniform_real_distribution<double> u(0, 1);
  Matrix<double> a(inner, k), g(k, k);
  for (double& v : a.values) v = u(gen);
  for (Index i = 0; i < k; ++i)
    for (Index j = 0; j < k; ++j) {
      double s = 0;
      for (Index r = 0; r < inner; ++r) s += a(r, i) * a(r, j);
      g(i, j) = i == zero || j == zero ? 0.0 : s;
    }
  return g;
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
    const Matrix<double> g = random_gram(k, inner, k / 2, gen);
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

// One row's sweeps written plainly, every multiply-add as std::fma, the squared move rounded
// before it is summed: what coordinate_descent_lanes does in each lane where the instruction set
// has FMA. stop_ratio2 = 0: a row stops only after a sweep that moved nothing.
std::vector<float> reference_sweeps(const std::vector<float>& f0, const std::vector<float>& p,
                                    const std::vector<float>& g, Index k, double l1, int sweeps,
                                    float& violation) {
  const auto at = [](Index i) { return static_cast<std::size_t>(i); };
  std::vector<float> x = f0, q(at(k)), gx(at(k), 0.0f), inv(at(k));
  for (Index j = 0; j < k; ++j) q[at(j)] = static_cast<float>(double(p[at(j)]) - l1);
  for (Index l = 0; l < k; ++l)
    for (Index j = 0; j < k; ++j) gx[at(j)] = std::fma(g[at(l * k + j)], x[at(l)], gx[at(j)]);
  for (Index j = 0; j < k; ++j) {
    const float gjj = g[at(j * k + j)], r = 1.0f / gjj;
    inv[at(j)] = gjj > 0 && r <= std::numeric_limits<float>::max() ? r : 0.0f;
  }
  violation = 0;
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    float move = 0;
    for (Index j = 0; j < k; ++j) {
      const float grad = gx[at(j)] - q[at(j)];
      if (sweep == 0) violation += std::abs(x[at(j)] == 0 ? std::min(0.0f, grad) : grad);
      if (inv[at(j)] == 0) continue;
      const float next = std::max(0.0f, std::fma(-grad, inv[at(j)], x[at(j)]));
      const float d = next - x[at(j)];
      x[at(j)] = next;
      const volatile float squared = d * d;  // rounded, then added
      move += squared;
      for (Index l = 0; l < k; ++l) gx[at(l)] = std::fma(d, g[at(j * k + l)], gx[at(l)]);
    }
    if (move == 0) break;
  }
  return x;
}

// The lanes' kernels (G·x formed in registers, the register sweeps, the general loop for a
// listed order) against that reference, bit for bit, under each variant with FMA: k from 2 to
// 43, a zero G_jj, an l1 penalty, entries at zero, a partial block of rows.
TEST(CoordinateDescentLanes, EveryLaneIsThePlainRowsSweepsBitForBit) {
  const kernels::Isa saved = kernels::active_isa();
  std::mt19937 gen(9);
  std::uniform_real_distribution<double> u(0, 1);
  for (const Index k :
       {Index(2), Index(7), Index(12), Index(13), Index(24), Index(25), Index(43)}) {
    const Index rows = 21, inner = k + 5;
    const Matrix<double> g = random_gram(k, inner, 1, gen);
    const std::vector<float> gt = rules::lanes_gram<float>(g);
    Matrix<float> p(rows, k), f0(rows, k);
    for (float& v : p.values) v = static_cast<float>(u(gen) * double(inner) / 2);
    for (float& v : f0.values) v = u(gen) < 0.25 ? 0.0f : static_cast<float>(u(gen));
    std::vector<Index> identity(static_cast<std::size_t>(k));
    for (Index j = 0; j < k; ++j) identity[static_cast<std::size_t>(j)] = j;
    for (const kernels::Isa isa : kernels::supported_isas()) {
      if (isa == kernels::Isa::kBaseline) continue;  // no FMA: a·b + c rounded twice
      kernels::set_active_isa(isa);
      for (const bool listed : {false, true}) {
        rules::SweepControl control;
        control.max_sweeps = 3;
        control.stop_ratio2 = 0;
        if (listed) control.order = identity.data();
        Matrix<float> f = f0;
        rules::coordinate_descent_rows(f, p, g, 0.03, control, 2);
        for (Index r = 0; r < rows; ++r) {
          const auto row = [&](const Matrix<float>& m) {
            return std::vector<float>(m.values.begin() + r * k, m.values.begin() + (r + 1) * k);
          };
          float violation = 0;
          const std::vector<float> expected =
              reference_sweeps(row(f0), row(p), gt, k, 0.03, control.max_sweeps, violation);
          EXPECT_EQ(0, std::memcmp(expected.data(), f.values.data() + r * k, sizeof(float) * k))
              << "k " << k << ", row " << r << ", " << (listed ? "listed" : "natural")
              << " order, under " << kernels::isa_name(isa);
        }
      }
    }
  }
  kernels::set_active_isa(saved);
}

// The rows stream through the lanes: a row that stops hands its lane to the next row while the
// other lanes sweep on. So that must not change any row's result: rows that stop after very
// different numbers of sweeps (some at the cap), all handed over in one call, against each row
// alone, bit for bit, moves and violations, under every variant, in both orders and precisions,
// for k from 2 to 43 (every register version of the sweeps and the general loop).
TYPED_TEST(Lanes, ARowsResultDoesNotDependOnTheRowsBesideIt) {
  using T = TypeParam;
  const kernels::Isa saved = kernels::active_isa();
  std::mt19937 gen(13);
  std::uniform_real_distribution<double> u(0, 1);
  for (const Index k : {Index(2), Index(7), Index(13), Index(24), Index(25), Index(43)}) {
    const Index rows = 150, inner = k + 3;
    const std::vector<T> g = rules::lanes_gram<T>(random_gram(k, inner, k / 3, gen));
    std::vector<T> p(static_cast<std::size_t>(rows * k)), f0(p.size());
    for (Index r = 0; r < rows; ++r)  // some rows far from their minimiser, some near it
      for (Index j = 0; j < k; ++j) {
        const std::size_t i = static_cast<std::size_t>(r * k + j);
        p[i] = static_cast<T>(u(gen) * double(inner) / 2 * (r % 5 == 0 ? 10 : 1));
        f0[i] = u(gen) < 0.25 ? T(0) : static_cast<T>(u(gen) * (r % 3 == 0 ? 20 : 1));
      }
    std::vector<Index> identity(static_cast<std::size_t>(k));
    for (Index j = 0; j < k; ++j) identity[static_cast<std::size_t>(j)] = j;
    for (const kernels::Isa isa : kernels::supported_isas()) {
      kernels::set_active_isa(isa);
      for (const bool listed : {false, true}) {
        rules::SweepControl control;
        control.max_sweeps = 30;
        control.stop_ratio2 = 1e-4;
        if (listed) control.order = identity.data();
        rules::LaneScratch<T> scratch(k);
        std::vector<T> together = f0, alone = f0;
        std::vector<double> v_together(static_cast<std::size_t>(rows)), v_alone(v_together.size());
        rules::coordinate_descent_lanes(together.data(), p.data(), rows, 0.02, g.data(), k,
                                        control, scratch, v_together.data());
        for (Index r = 0; r < rows; ++r)
          rules::coordinate_descent_lanes(alone.data() + r * k, p.data() + r * k, 1, 0.02,
                                          g.data(), k, control, scratch, v_alone.data() + r);
        const std::string where = "k " + std::to_string(k) + ", " +
                                  (listed ? "listed" : "natural") + " order, under " +
                                  std::string(kernels::isa_name(isa));
        EXPECT_EQ(0, std::memcmp(together.data(), alone.data(), together.size() * sizeof(T)))
            << where;
        EXPECT_EQ(v_together, v_alone) << where;
        EXPECT_NE(0, std::memcmp(together.data(), f0.data(), together.size() * sizeof(T)))
            << where << ": the sweeps moved nothing";
      }
    }
  }
  kernels::set_active_isa(saved);
}

}  // namespace
}  // namespace nmfkit
