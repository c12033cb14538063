// anls-bpp solves every row's non-negative least-squares problem exactly: checked against a
// brute force over all 2^k passive sets on small problems, with penalties, degenerate Gram
// matrices and single and double precision, and for identical bytes whatever the thread count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

#include "nmfkit/nmfkit.hpp"
#include "solvers/update_rule.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using rules::Penalty;
using testing::all_finite;
using testing::all_non_negative;
using testing::options_for;

/// One batch of row problems: P = Y·O (rows × k) and G = OᵀO (k × k) for random Y (rows × m, some
/// entries negative so that some constraints are active) and O (m × k, non-negative).
template <typename T>
struct Problem {
  Matrix<T> p;
  Matrix<double> g;
};

/// The other factor O (m × k): uniform in [0, 1) with about `zeros` of the entries zero.
Matrix<double> other_factor(Index m, Index k, std::uint32_t seed, double zeros = 0.2) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Matrix<double> o(m, k);
  for (double& v : o.values) v = u(gen) < zeros ? 0.0 : u(gen);
  return o;
}

/// P = Y·O and G = OᵀO for Y (rows × m) uniform in [−0.3, 0.7).
template <typename T>
Problem<T> problem_from(const Matrix<double>& o, Index rows, std::uint32_t seed) {
  const Index m = o.rows, k = o.cols;
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-0.3, 0.7);
  Matrix<double> y(rows, m);
  for (double& v : y.values) v = u(gen);
  Problem<T> pr{Matrix<T>(rows, k), Matrix<double>(k, k)};
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < k; ++j) {
      double s = 0;
      for (Index c = 0; c < m; ++c) s += y(i, c) * o(c, j);
      pr.p(i, j) = static_cast<T>(s);
    }
  for (Index a = 0; a < k; ++a)
    for (Index b = 0; b < k; ++b)
      for (Index c = 0; c < m; ++c) pr.g(a, b) += o(c, a) * o(c, b);
  return pr;
}

template <typename T>
Problem<T> make_problem(Index rows, Index k, Index m, std::uint32_t seed) {
  return problem_from<T>(other_factor(m, k, seed), rows, seed + 1);
}

/// A starting F: uniform in [0, 1) with about half the entries zero.
template <typename T>
Matrix<T> start(Index rows, Index k, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Matrix<T> f(rows, k);
  for (T& v : f.values) v = static_cast<T>(u(gen) < 0.5 ? 0.0 : u(gen));
  return f;
}

/// ½ fᵀ(G + l2·I)f − (p − l1)ᵀf for row i.
template <typename F, typename T>
double objective(const F* f, const T* p, const Matrix<double>& g, const Penalty& pen) {
  const Index k = g.rows;
  double v = 0;
  for (Index a = 0; a < k; ++a) {
    v -= (double(p[a]) - pen.l1) * double(f[a]);
    v += 0.5 * pen.l2 * double(f[a]) * double(f[a]);
    for (Index b = 0; b < k; ++b) v += 0.5 * double(f[a]) * g(a, b) * double(f[b]);
  }
  return v;
}

/// The exact minimiser of one row by brute force: for every subset S of the coordinates in
/// `allowed`, solve G'_SS x = q_S by Gaussian elimination (skipping numerically singular S) and
/// keep the non-negative x of least objective. Coordinates outside `allowed` keep f's values.
template <typename T>
std::vector<double> brute_force(const T* f, const T* p, const Matrix<double>& g, const Penalty& pen,
                                const std::vector<Index>& allowed) {
  const Index k = g.rows;
  std::vector<double> best(f, f + k), x(static_cast<std::size_t>(k));
  for (Index j : allowed) best[j] = 0;
  std::vector<double> q(static_cast<std::size_t>(k));
  for (Index j = 0; j < k; ++j) {
    q[j] = double(p[j]) - pen.l1;
    for (Index l = 0; l < k; ++l)
      if (std::find(allowed.begin(), allowed.end(), l) == allowed.end())
        q[j] -= g(j, l) * double(f[l]);
  }
  double best_value = objective(best.data(), p, g, pen);
  const Index na = static_cast<Index>(allowed.size());
  for (std::uint32_t mask = 1; mask < (1u << na); ++mask) {
    std::vector<Index> s;
    for (Index t = 0; t < na; ++t)
      if (mask & (1u << t)) s.push_back(allowed[t]);
    const Index n = static_cast<Index>(s.size());
    std::vector<double> a(static_cast<std::size_t>(n * (n + 1)));
    for (Index r = 0; r < n; ++r) {
      for (Index c = 0; c < n; ++c) a[r * (n + 1) + c] = g(s[r], s[c]) + (r == c ? pen.l2 : 0.0);
      a[r * (n + 1) + n] = q[s[r]];
    }
    bool singular = false;
    for (Index c = 0; c < n && !singular; ++c) {
      Index piv = c;
      for (Index r = c + 1; r < n; ++r)
        if (std::abs(a[r * (n + 1) + c]) > std::abs(a[piv * (n + 1) + c])) piv = r;
      if (std::abs(a[piv * (n + 1) + c]) <= 1e-10 * (g(s[c], s[c]) + pen.l2)) singular = true;
      for (Index t = 0; t <= n; ++t) std::swap(a[c * (n + 1) + t], a[piv * (n + 1) + t]);
      for (Index r = 0; r < n && !singular; ++r) {
        if (r == c) continue;
        const double factor = a[r * (n + 1) + c] / a[c * (n + 1) + c];
        for (Index t = c; t <= n; ++t) a[r * (n + 1) + t] -= factor * a[c * (n + 1) + t];
      }
    }
    if (singular) continue;
    x = best;
    for (Index j : allowed) x[j] = 0;
    bool feasible = true;
    for (Index r = 0; r < n; ++r) {
      x[s[r]] = a[r * (n + 1) + n] / a[r * (n + 1) + r];
      feasible = feasible && x[s[r]] >= 0;
    }
    if (!feasible) continue;
    const double value = objective(x.data(), p, g, pen);
    if (value < best_value) {
      best_value = value;
      best = x;
    }
  }
  return best;
}

std::vector<Index> all_coordinates(Index k) {
  std::vector<Index> v;
  for (Index j = 0; j < k; ++j) v.push_back(j);
  return v;
}

template <typename T>
double update(Matrix<T>& f, const Problem<T>& pr, const Penalty& pen, int threads = 1) {
  auto rule = rules::make_update_rule<T>("anls-bpp", options_for("anls-bpp", int(f.cols)));
  return rule->update(f, pr.p, pr.g, pen, threads);
}

/// Agreement with the brute force: entries to `tol` relative to the row's largest entry, and an
/// objective no worse.
template <typename T>
void expect_matches(const Matrix<T>& f, const Matrix<T>& f0, const Problem<T>& pr,
                    const Penalty& pen, const std::vector<Index>& allowed, double tol,
                    const char* what) {
  for (Index i = 0; i < f.rows; ++i) {
    const std::vector<double> ref = brute_force(f0.row(i), pr.p.row(i), pr.g, pen, allowed);
    double scale = 1;
    for (double v : ref) scale = std::max(scale, std::abs(v));
    for (Index j = 0; j < f.cols; ++j)
      ASSERT_NEAR(double(f(i, j)), ref[j], tol * scale)
          << what << " row " << i << " coordinate " << j << " k " << f.cols;
    const double got = objective(f.row(i), pr.p.row(i), pr.g, pen);
    const double want = objective(ref.data(), pr.p.row(i), pr.g, pen);
    EXPECT_LE(got, want + tol * (1 + std::abs(want))) << what << " row " << i;
  }
}

/// Expects f ≥ 0, y = (G + l2·I)f − (p − l1) ≥ 0 and y = 0 where f > 0, to `tol` relative to the
/// scale of each y_j.
template <typename T>
void expect_kkt(const Matrix<T>& f, const Matrix<T>& p, const Matrix<double>& g, const Penalty& pen,
                double tol) {
  ASSERT_TRUE(all_non_negative(f));
  for (Index i = 0; i < f.rows; ++i)
    for (Index j = 0; j < f.cols; ++j) {
      double y = -(double(p(i, j)) - pen.l1) + pen.l2 * double(f(i, j));
      double scale = std::abs(double(p(i, j))) + pen.l1 + pen.l2 * double(f(i, j));
      for (Index l = 0; l < f.cols; ++l) {
        y += g(j, l) * double(f(i, l));
        scale += std::abs(g(j, l) * double(f(i, l)));
      }
      ASSERT_GE(y, -tol * scale) << "row " << i << " coordinate " << j;
      if (f(i, j) > 0) {
        ASSERT_LE(std::abs(y), tol * scale) << "row " << i << " coordinate " << j;
      }
    }
}

template <typename T>
class AnlsBpp : public ::testing::Test {
 protected:
  static double tol() { return std::is_same_v<T, float> ? 2e-5 : 1e-9; }
};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(AnlsBpp, Scalars);

TYPED_TEST(AnlsBpp, MatchesBruteForceWithAndWithoutPenalties) {
  using T = TypeParam;
  const Penalty penalties[] = {{0, 0}, {0.3, 0}, {0, 0.5}, {0.2, 0.7}};
  for (Index k = 1; k <= 6; ++k)
    for (std::uint32_t seed = 1; seed <= 3; ++seed)
      for (const Penalty& pen : penalties) {
        const Problem<T> pr = make_problem<T>(40, k, 12, seed * 100 + std::uint32_t(k));
        for (bool from_zero : {false, true}) {
          const Matrix<T> f0 = from_zero ? Matrix<T>(40, k) : start<T>(40, k, seed);
          Matrix<T> f = f0;
          update(f, pr, pen);
          EXPECT_TRUE(all_non_negative(f));
          expect_matches(f, f0, pr, pen, all_coordinates(k), this->tol(), "random");
        }
      }
}

TYPED_TEST(AnlsBpp, ZeroColumnStaysAsItIsAndTheRestIsSolved) {
  using T = TypeParam;
  const Index k = 5;
  Matrix<double> o = other_factor(15, k, 7);
  for (Index c = 0; c < o.rows; ++c) o(c, 2) = 0;
  const Problem<T> pr = problem_from<T>(o, 60, 8);
  ASSERT_EQ(pr.g(2, 2), 0.0);
  const Matrix<T> f0 = start<T>(60, k, 8);
  for (const Penalty& pen : {Penalty{0, 0}, Penalty{0.25, 0}}) {
    Matrix<T> f = f0;
    update(f, pr, pen);
    EXPECT_TRUE(all_finite(f));
    EXPECT_TRUE(all_non_negative(f));
    for (Index i = 0; i < f.rows; ++i) EXPECT_EQ(f(i, 2), f0(i, 2));
    expect_matches(f, f0, pr, pen, {0, 1, 3, 4}, this->tol(), "zero column");
  }
  // With l2 > 0 the coordinate has a diagonal again: its exact value is max(0, −l1/l2) = 0.
  Matrix<T> f = f0;
  const Penalty pen{0.1, 0.5};
  update(f, pr, pen);
  for (Index i = 0; i < f.rows; ++i) EXPECT_EQ(f(i, 2), T(0));
  expect_matches(f, f0, pr, pen, all_coordinates(k), this->tol(), "zero column, l2");
}

TYPED_TEST(AnlsBpp, ZeroGramLeavesEverythingAsItIs) {
  using T = TypeParam;
  const Index k = 4;
  Problem<T> pr{Matrix<T>(10, k), Matrix<double>(k, k)};
  const Matrix<T> f0 = start<T>(10, k, 3);
  Matrix<T> f = f0;
  const double violation = update(f, pr, Penalty{0.5, 0});
  EXPECT_EQ(f.values, f0.values);
  EXPECT_TRUE(std::isfinite(violation));
}

TYPED_TEST(AnlsBpp, NonPositiveRightHandSideGivesZero) {
  using T = TypeParam;
  const Index k = 6;
  Problem<T> pr = make_problem<T>(50, k, 20, 21);
  for (T& v : pr.p.values) v = -std::abs(v);
  for (const Penalty& pen : {Penalty{0, 0}, Penalty{0.2, 0.3}}) {
    Matrix<T> f = start<T>(50, k, 22);
    update(f, pr, pen);
    for (T v : f.values) EXPECT_EQ(v, T(0));
  }
}

TYPED_TEST(AnlsBpp, DuplicateColumnsReachTheMinimum) {
  // G singular (two identical components) without l2: the minimiser is not unique, but its value
  // is, and the rule must reach it without NaN or Inf.
  using T = TypeParam;
  const Index k = 5, rows = 60;
  Matrix<double> o = other_factor(15, k, 5, 0.0);
  for (Index c = 0; c < o.rows; ++c) o(c, 3) = o(c, 1);
  const Problem<T> pr = problem_from<T>(o, rows, 6);
  for (const Penalty& pen : {Penalty{0, 0}, Penalty{0.1, 0}}) {
    const Matrix<T> f0 = start<T>(rows, k, 6);
    Matrix<T> f = f0;
    update(f, pr, pen);
    EXPECT_TRUE(all_finite(f));
    EXPECT_TRUE(all_non_negative(f));
    for (Index i = 0; i < rows; ++i) {
      const std::vector<double> ref =
          brute_force(f0.row(i), pr.p.row(i), pr.g, pen, all_coordinates(k));
      const double want = objective(ref.data(), pr.p.row(i), pr.g, pen);
      EXPECT_LE(objective(f.row(i), pr.p.row(i), pr.g, pen),
                want + 10 * this->tol() * (1 + std::abs(want)))
          << "row " << i;
    }
  }
}

TYPED_TEST(AnlsBpp, SatisfiesKktConditionsAtLargerK) {
  using T = TypeParam;
  const Index k = 40, rows = 100;
  const Problem<T> pr = make_problem<T>(rows, k, 80, 31);
  const Penalty pen{0.05, 0.01};
  Matrix<T> f = start<T>(rows, k, 32);
  update(f, pr, pen);
  expect_kkt(f, pr.p, pr.g, pen, std::is_same_v<T, float> ? 1e-4 : 1e-9);
}

TYPED_TEST(AnlsBpp, SatisfiesKktConditionsOnIllConditionedProblems) {
  // Pairs of nearly parallel components make G ill-conditioned (about 1e6 at the smallest
  // spread): the exchanges need many steps and the backup rule; the answer must still be exact.
  // The spreads take G on both sides of where the steps stop going through G⁻¹ and factorize
  // each passive set instead.
  using T = TypeParam;
  const Index k = 30, rows = 400;
  for (double spread : {1e-1, 1e-2, 3e-3, 1e-3}) {
    Matrix<double> o = other_factor(60, k, 61, 0.3);
    std::mt19937 gen(62);
    std::uniform_real_distribution<double> u(0.0, spread);
    for (Index j = 1; j < k; j += 2)
      for (Index c = 0; c < o.rows; ++c) o(c, j) = o(c, j - 1) + u(gen);
    const Problem<T> pr = problem_from<T>(o, rows, 63);
    for (bool from_zero : {true, false}) {
      Matrix<T> f = from_zero ? Matrix<T>(rows, k) : start<T>(rows, k, 62);
      update(f, pr, Penalty{});
      SCOPED_TRACE("spread " + std::to_string(spread));
      expect_kkt(f, pr.p, pr.g, Penalty{}, std::is_same_v<T, float> ? 1e-4 : 1e-10);
    }
  }
}

TYPED_TEST(AnlsBpp, ASecondUpdateKeepsTheSolution) {
  // The rule's stopping test is the error's (StopRule::kErrorWindow), so it forms no violation
  // measure and returns 0; solving the solved rows again must leave them where they are.
  using T = TypeParam;
  const Index k = 6;
  const Problem<T> pr = make_problem<T>(80, k, 20, 41);
  const Penalty pen{0.1, 0.2};
  Matrix<T> f = start<T>(80, k, 42);
  EXPECT_EQ(update(f, pr, pen), 0.0);
  const Matrix<T> solved = f;
  EXPECT_EQ(update(f, pr, pen), 0.0);
  for (std::size_t t = 0; t < f.values.size(); ++t)
    EXPECT_NEAR(double(f.values[t]), double(solved.values[t]), 10 * this->tol());
}

TYPED_TEST(AnlsBpp, SameBytesWhateverTheThreadCount) {
  using T = TypeParam;
  const Index k = 8, rows = 5000;
  const Problem<T> pr = make_problem<T>(rows, k, 30, 51);
  const Matrix<T> f0 = start<T>(rows, k, 52);
  const Penalty pen{0.05, 0.1};
  Matrix<T> one = f0;
  update(one, pr, pen, 1);
  for (int threads : {2, 3}) {
    Matrix<T> f = f0;
    update(f, pr, pen, threads);
    EXPECT_EQ(0, std::memcmp(one.data(), f.data(), one.values.size() * sizeof(T)))
        << threads << " threads";
  }
}

}  // namespace
}  // namespace nmfkit
