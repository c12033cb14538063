// Extrapolation with restarts (FitOptions::extrapolate): for the rules that allow it, the contract
// of every rule still holds (non-negative factors, a non-increasing history of the best iterate,
// the reported error is that of the factors returned, exact low-rank data recovered, the same
// bytes for any thread count, dense and sparse storage agree), and on ill-conditioned data it
// reaches a lower error than plain updates in the same number of iterations. mu, which never
// extrapolates, refuses it.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "../test_data.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit {
namespace {

using testing::same_bytes;

using testing::all_non_negative;
using testing::direct_error;
using testing::frobenius;
using testing::low_rank;
using testing::options_for;

/// Exact rank-r data plus uniform noise of relative size `noise`, with a few dominant components
/// (column scales of W spread over two orders of magnitude): slow for plain alternating updates.
Matrix<double> ill_conditioned(Index n, Index m, Index r, double noise, std::uint32_t seed) {
  auto d = low_rank<double>(n, m, r, seed);
  std::mt19937 gen(seed + 1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (Index i = 0; i < n; ++i)
    for (Index l = 0; l < r; ++l) d.w(i, l) *= std::pow(100.0, double(l) / double(r - 1));
  Matrix<double> x(n, m);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < m; ++j) {
      double s = 0;
      for (Index l = 0; l < r; ++l) s += d.w(i, l) * d.h(l, j);
      x(i, j) = s * (1 + noise * u(gen));
    }
  return x;
}

class Extrapolated : public ::testing::TestWithParam<std::string> {};

TEST_P(Extrapolated, KeepsTheContractOfEveryRule) {
  const Matrix<double> x = ill_conditioned(80, 50, 5, 0.05, 3);
  FitOptions o = options_for(GetParam(), 5);
  o.extrapolate = true;
  o.max_iter = 200;
  const FitResult<double> r = fit(x.view(), o);
  EXPECT_TRUE(all_non_negative(r.W) && all_non_negative(r.H));
  for (std::size_t i = 1; i < r.loss_history.size(); ++i)
    EXPECT_LE(r.loss_history[i], r.loss_history[i - 1]) << "iteration " << i;
  // The history ends at the objective of the factors returned.
  EXPECT_NEAR(std::sqrt(2 * r.loss_history.back()), r.error, 1e-9 * r.error);
  EXPECT_NEAR(direct_error(x, r.W, r.H), r.error, 1e-9 * r.error);
}

TEST_P(Extrapolated, RecoversExactLowRankMatrix) {
  const auto d = low_rank<double>(40, 30, 3, 7);
  FitOptions o = options_for(GetParam(), 3);
  o.extrapolate = true;
  o.init = Init::kRandom;
  o.max_iter = 5000;
  o.tol = 0;
  EXPECT_LT(fit(d.x.view(), o).relative_error, 1e-3);
}

TEST_P(Extrapolated, SameBytesForAnyThreadCountAndStorage) {
  auto d = low_rank<float>(300, 40, 4, 5);
  for (std::size_t i = 0; i < d.x.values.size(); i += 2) d.x.values[i] = 0;  // half zeros
  FitOptions o = options_for(GetParam(), 4);
  o.extrapolate = true;
  o.max_iter = 40;
  o.tol = 0;
  o.format = DataFormat::kDense;
  const FitResult<float> one = fit(d.x.view(), o);
  o.threads = 2;
  const FitResult<float> two = fit(d.x.view(), o);
  EXPECT_TRUE(same_bytes(one.W, two.W) && same_bytes(one.H, two.H));
  o.format = DataFormat::kSparse;
  const FitResult<float> sparse = fit(d.x.view(), o);
  // Float rounding of the near-exact fit, relative to ‖X‖.
  EXPECT_NEAR(sparse.error, one.error, 1e-4 * frobenius(d.x));
}

TEST_P(Extrapolated, LowerErrorThanPlainUpdatesInTheSameIterationsOnAverage) {
  // Summed over several data sets, so that one lucky local minimum cannot decide the test.
  double plain_total = 0, extrapolated_total = 0;
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    const Matrix<double> x = ill_conditioned(200, 100, 8, 0.01, seed);
    FitOptions o = options_for(GetParam(), 8);
    o.max_iter = 25;
    o.tol = 0;
    o.extrapolate = false;
    const double plain = fit(x.view(), o).error;
    o.extrapolate = true;
    const double extrapolated = fit(x.view(), o).error;
    plain_total += plain;
    extrapolated_total += extrapolated;
  }
  EXPECT_LT(extrapolated_total, 0.95 * plain_total);
}

INSTANTIATE_TEST_SUITE_P(Rules, Extrapolated, ::testing::Values("cd", "hals", "anls-bpp"),
                         [](const auto& param) {
                           std::string name = param.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

TEST(Extrapolation, RefusedForMultiplicativeUpdates) {
  // mu never extrapolates, so asking it to is refused rather than silently ignored.
  const Matrix<double> x = ill_conditioned(60, 40, 4, 0.05, 9);
  FitOptions o = options_for("mu", 4);
  o.extrapolate = true;
  try {
    fit(x.view(), o);
    ADD_FAILURE() << "mu with extrapolate was not refused";
  } catch (const InvalidArgument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("extrapolate"), std::string::npos) << message;
    EXPECT_NE(message.find("mu"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace nmfkit
