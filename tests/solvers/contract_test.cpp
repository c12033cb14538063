// The contract every registered update rule must meet, run over the whole registry: exact
// low-rank data is recovered, the loss never increases, W and H stay non-negative, the same seed
// gives the same bytes whatever the thread count, the reported error is the true one, dense and
// sparse storage agree, and the regularised objective never increases.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "nmfkit/nmfkit.hpp"
#include "solvers/update_rule.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using testing::all_non_negative;
using testing::direct_error;
using testing::frobenius;
using testing::low_rank;
using testing::options_for;

std::vector<std::string> registered() {
  std::vector<std::string> names;
  for (const SolverInfo& s : solvers()) names.emplace_back(s.name);
  return names;
}

class EveryRule : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryRule, RecoversExactLowRankMatrix) {
  const auto d = low_rank<double>(40, 30, 3, 7);
  FitOptions o = options_for(GetParam(), 3);
  o.max_iter = 20000;
  o.tol = 0;
  // NMF is not convex: from some starts a rule can settle in a local minimum even on exact data
  // (nndsvda does on about 1 in 20 such matrices). Random starts recover these reliably.
  o.init = Init::kRandom;
  const FitResult<double> r = fit(d.x.view(), o);
  EXPECT_LT(r.relative_error, 1e-3) << GetParam();
  EXPECT_NEAR(direct_error(d.x, r.W, r.H) / frobenius(d.x), r.relative_error, 1e-6);
}

TEST_P(EveryRule, LossNeverIncreasesAndFactorsStayNonNegative) {
  const auto d = low_rank<double>(60, 25, 4, 11);
  for (Init init : {Init::kRandom, Init::kNndsvd, Init::kNndsvda}) {
    FitOptions o = options_for(GetParam(), 5);
    o.init = init;
    o.max_iter = 150;
    o.tol = 0;
    const FitResult<double> r = fit(d.x.view(), o);
    ASSERT_EQ(r.loss_history.size(), 151u);
    for (std::size_t i = 1; i < r.loss_history.size(); ++i)
      EXPECT_LE(r.loss_history[i], r.loss_history[i - 1] * (1 + 1e-12) + 1e-12)
          << GetParam() << " init " << init_name(init) << " iteration " << i;
    EXPECT_TRUE(all_non_negative(r.W));
    EXPECT_TRUE(all_non_negative(r.H));
  }
}

TEST_P(EveryRule, SameSeedGivesIdenticalBytesWithOneAndTwoThreads) {
  // More rows than one chunk so the products and Grams really are split.
  const auto d = low_rank<float>(5000, 40, 6, 3);
  for (Init init : {Init::kRandom, Init::kNndsvda}) {
    FitOptions o = options_for(GetParam(), 6);
    o.init = init;
    o.max_iter = 15;
    o.seed = 42;
    const FitResult<float> one = fit(d.x.view(), o);
    o.threads = 2;
    const FitResult<float> two = fit(d.x.view(), o);
    ASSERT_EQ(one.W.values.size(), two.W.values.size());
    EXPECT_EQ(0, std::memcmp(one.W.data(), two.W.data(), one.W.values.size() * sizeof(float)));
    EXPECT_EQ(0, std::memcmp(one.H.data(), two.H.data(), one.H.values.size() * sizeof(float)));
    EXPECT_EQ(one.loss_history, two.loss_history);
  }
}

TEST_P(EveryRule, ReportedErrorMatchesDirectComputationInSinglePrecision) {
  const auto d = low_rank<float>(300, 50, 8, 5);
  FitOptions o = options_for(GetParam(), 4);
  o.max_iter = 30;
  const FitResult<float> r = fit(d.x.view(), o);
  const double direct = direct_error(d.x, r.W, r.H);
  EXPECT_NEAR(r.error, direct, 1e-4 * frobenius(d.x));
  EXPECT_NEAR(r.relative_error, direct / frobenius(d.x), 1e-4);
  EXPECT_NEAR(r.x_norm, frobenius(d.x), 1e-6 * frobenius(d.x));
}

TEST_P(EveryRule, OneUpdateLowersItsSubproblem) {
  // f ← rule(f; P, G, penalty) must not raise ½ tr(F G Fᵀ) − tr(Pᵀ F) + l1·ΣF + ½·l2·‖F‖² and
  // must keep F ≥ 0, with and without a penalty.
  const auto d = low_rank<double>(30, 20, 4, 13);
  const auto o = low_rank<double>(20, 4, 4, 14).x;  // the other factor, 20 × 4
  Matrix<double> p(30, 4), g(4, 4);
  for (Index i = 0; i < 30; ++i)
    for (Index j = 0; j < 4; ++j)
      for (Index c = 0; c < 20; ++c) p(i, j) += d.x(i, c) * o(c, j);
  for (Index a = 0; a < 4; ++a)
    for (Index b = 0; b < 4; ++b)
      for (Index c = 0; c < 20; ++c) g(a, b) += o(c, a) * o(c, b);
  for (const rules::Penalty penalty : {rules::Penalty{0, 0}, rules::Penalty{0.7, 2.5}}) {
    Matrix<double> f(30, 4, 0.5);
    auto objective = [&] {
      double v = 0;
      for (Index i = 0; i < 30; ++i)
        for (Index a = 0; a < 4; ++a) {
          v += (penalty.l1 - p(i, a)) * f(i, a) + 0.5 * penalty.l2 * f(i, a) * f(i, a);
          for (Index b = 0; b < 4; ++b) v += 0.5 * f(i, a) * g(a, b) * f(i, b);
        }
      return v;
    };
    auto rule = rules::make_update_rule<double>(GetParam(), options_for(GetParam(), 4));
    double before = objective();
    for (int step = 0; step < 5; ++step) {
      rule->update(f, p, g, penalty, 1);
      const double after = objective();
      EXPECT_LE(after, before + 1e-12 * std::abs(before))
          << GetParam() << " step " << step << " l1 " << penalty.l1;
      EXPECT_TRUE(all_non_negative(f));
      before = after;
    }
  }
}

/// Data shaped like images: X = W·H + noise with rank 4, W and H 70% zeros (so about 70% of X is
/// zero, and the factorization is well determined), the non-zero entries of X raised by up to 0.1.
template <typename T>
Matrix<T> mostly_zeros(Index n, Index m, std::uint32_t seed) {
  constexpr Index kRank = 4;
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Matrix<double> w(n, kRank), h(kRank, m);
  for (double& v : w.values) v = u(gen) < 0.7 ? 0.0 : u(gen);
  for (double& v : h.values) v = u(gen) < 0.7 ? 0.0 : u(gen);
  Matrix<T> x(n, m);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < m; ++j) {
      double s = 0;
      for (Index l = 0; l < kRank; ++l) s += w(i, l) * h(l, j);
      x(i, j) = static_cast<T>(s > 0 ? s + 0.1 * u(gen) : 0.0);
    }
  return x;
}

/// max |a − b| over max |a|: how far two factors are apart, relative to their size.
template <typename T>
double relative_gap(const Matrix<T>& a, const Matrix<T>& b) {
  double gap = 0, size = 0;
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    gap = std::max(gap, std::abs(double(a.values[i]) - double(b.values[i])));
    size = std::max(size, std::abs(double(a.values[i])));
  }
  return size > 0 ? gap / size : gap;
}

template <typename T>
std::size_t zeros(const Matrix<T>& m) {
  return static_cast<std::size_t>(std::count(m.values.begin(), m.values.end(), T(0)));
}

/// Fits the same data stored dense and sparse (CSR). The two formats form X·Hᵀ, Xᵀ·W and ‖X‖²
/// with different summation orders, so they may differ by rounding and by nothing else.
template <typename T>
void expect_same_factors_dense_and_sparse(const std::string& solver, double tolerance) {
  const Matrix<T> x = mostly_zeros<T>(300, 40, 21);
  ASSERT_GT(zeros(x), x.values.size() * 6 / 10);
  FitOptions o = options_for(solver, 4);
  o.max_iter = 30;
  o.tol = 0;
  o.format = DataFormat::kDense;
  const FitResult<T> dense = fit(x.view(), o);
  o.format = DataFormat::kSparse;
  const FitResult<T> sparse = fit(x.view(), o);
  ASSERT_EQ(dense.format, "dense");
  ASSERT_EQ(sparse.format, "sparse");
  ASSERT_EQ(dense.W.values.size(), sparse.W.values.size());
  ASSERT_EQ(dense.H.values.size(), sparse.H.values.size());
  EXPECT_LT(relative_gap(dense.W, sparse.W), tolerance) << solver;
  EXPECT_LT(relative_gap(dense.H, sparse.H), tolerance) << solver;
  EXPECT_NEAR(dense.error, sparse.error, tolerance * dense.error) << solver;
  ASSERT_EQ(dense.loss_history.size(), sparse.loss_history.size());
  for (std::size_t i = 0; i < dense.loss_history.size(); ++i)
    EXPECT_NEAR(dense.loss_history[i], sparse.loss_history[i], tolerance * dense.loss_history[0])
        << solver << " iteration " << i;
}

// Why 1e-4 and 1e-10: one product sums at most 300 terms, so a different order moves it by a few
// hundred ulps at worst and typically by ~√300 ulps: ~1e-6 relative in float (ulp 6e-8), ~2e-15
// in double. On well-determined data the rules do not amplify such perturbations much over 30
// iterations: over 40 data seeds the largest gap measured was 5e-6 in float (mu; 2e-6 for the
// others) and 3e-14 in double. The tolerances leave a factor 20 and 3000 on top, and are still
// far below what a wrong product (a missed row or column, a wrong scale) would cause.
// A float fit's coordinate sweeps run in float (solvers/coordinate_descent_row.hpp): up to 50
// sweeps per half-iteration over 30 iterations carry the storages' rounding differences further
// than double sweeps did, to about 2e-4 of the largest entry here.
TEST_P(EveryRule, DenseAndSparseStorageGiveTheSameFactorsInSinglePrecision) {
  expect_same_factors_dense_and_sparse<float>(GetParam(), 1e-3);
}

TEST_P(EveryRule, DenseAndSparseStorageGiveTheSameFactorsInDoublePrecision) {
  expect_same_factors_dense_and_sparse<double>(GetParam(), 1e-10);
}

TEST_P(EveryRule, RegularisedLossNeverIncreasesAndFactorsStayNonNegative) {
  // The history holds the penalised objective; every rule solves (or, for mu, majorizes) each
  // half-iteration's penalised subproblem, so it cannot rise.
  const auto d = low_rank<double>(60, 25, 4, 17);
  for (Init init : {Init::kRandom, Init::kNndsvda}) {
    FitOptions o = options_for(GetParam(), 5);
    o.init = init;
    o.alpha_w = 0.01;
    o.alpha_h = 0.02;
    o.l1_ratio = 0.5;
    o.max_iter = 100;
    o.tol = 0;
    const FitResult<double> r = fit(d.x.view(), o);
    ASSERT_EQ(r.loss_history.size(), 101u);
    for (std::size_t i = 1; i < r.loss_history.size(); ++i)
      EXPECT_LE(r.loss_history[i], r.loss_history[i - 1] * (1 + 1e-12) + 1e-12)
          << GetParam() << " init " << init_name(init) << " iteration " << i;
    EXPECT_TRUE(all_non_negative(r.W));
    EXPECT_TRUE(all_non_negative(r.H));
    // The penalty is part of the objective: the penalised fit's objective exceeds its plain error.
    EXPECT_GT(r.loss_history.back(), 0.5 * r.error * r.error) << GetParam();
  }
}

TEST_P(EveryRule, L1PenaltyGivesSparserW) {
  const std::string solver = GetParam();
  const auto d = low_rank<double>(80, 30, 4, 19);
  FitOptions o = options_for(solver, 6);
  o.max_iter = 100;
  o.tol = 0;
  const FitResult<double> plain = fit(d.x.view(), o);
  o.alpha_w = 0.01;  // and alpha_h the same
  o.l1_ratio = 1;
  const FitResult<double> lasso = fit(d.x.view(), o);
  EXPECT_TRUE(all_non_negative(lasso.W));
  EXPECT_TRUE(all_non_negative(lasso.H));
  // Multiplicative updates scale entries and never set one to zero: for mu only the above holds.
  if (solver == "mu") return;
  // Without the penalty about a quarter of W is zero (W's own zeros); with it about half.
  EXPECT_GT(zeros(lasso.W), zeros(plain.W) + plain.W.values.size() / 10)
      << solver << ": " << zeros(plain.W) << " zeros without the penalty, " << zeros(lasso.W)
      << " with it, of " << plain.W.values.size();
}

// GoogleTest names take letters, digits and '_' only: "anls-bpp" runs as anls_bpp.
INSTANTIATE_TEST_SUITE_P(Registry, EveryRule, ::testing::ValuesIn(registered()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(Registry, NamesAreUniqueAndDescribed) {
  const std::vector<std::string> names = registered();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "hals") << "the default comes first";
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = i + 1; j < names.size(); ++j) EXPECT_NE(names[i], names[j]);
  for (const SolverInfo& s : solvers()) {
    EXPECT_FALSE(s.description.empty()) << s.name;
    EXPECT_EQ(s.description.find('\n'), std::string_view::npos) << s.name;
    EXPECT_TRUE(has_solver(s.name));
  }
  EXPECT_FALSE(has_solver("als"));
  EXPECT_EQ(solver_names(), "hals, cd, anls-bpp, mu");
  EXPECT_THROW(rules::make_update_rule<float>("nope", FitOptions{}), InvalidArgument);
}

}  // namespace
}  // namespace nmfkit
