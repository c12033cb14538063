// fit() with missing entries: they have no influence, the masked loss never increases, a full
// mask is the ordinary fit's problem, and bad masks are refused.
#include "core/masked_fit.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "nmfkit/errors.hpp"
#include "nmfkit/fit.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using testing::same_bytes;

std::vector<std::uint8_t> every_seventh_missing(Index n, Index m) {
  std::vector<std::uint8_t> observed(static_cast<std::size_t>(n * m), 1);
  for (std::size_t p = 3; p < observed.size(); p += 7) observed[p] = 0;
  return observed;
}

class MaskedFit : public ::testing::TestWithParam<std::string> {};

TEST_P(MaskedFit, MissingValuesHaveNoInfluence) {
  const Index n = 40, m = 30;
  Matrix<float> x = testing::low_rank<float>(n, m, 4, 7).x;
  const std::vector<std::uint8_t> observed = every_seventh_missing(n, m);
  const DenseView<std::uint8_t> mask(observed.data(), n, m);
  FitOptions o = testing::options_for(GetParam(), 4);
  o.max_iter = 50;
  const FitResult<float> first = fit(x.view(), mask, o);
  for (std::size_t p = 0; p < observed.size(); ++p)
    if (observed[p] == 0) x.values[p] = p % 2 ? 1e6f : std::numeric_limits<float>::quiet_NaN();
  o.threads = 3;
  const FitResult<float> second = fit(x.view(), mask, o);
  EXPECT_TRUE(same_bytes(first.W, second.W));
  EXPECT_TRUE(same_bytes(first.H, second.H));
  EXPECT_EQ(first.loss_history, second.loss_history);
}

TEST_P(MaskedFit, MaskedLossNeverIncreasesAndMatchesTheDirectError) {
  const Index n = 50, m = 36;
  const Matrix<double> x = testing::uniform_matrix<double>(n, m, 11);
  const std::vector<std::uint8_t> observed = every_seventh_missing(n, m);
  FitOptions o = testing::options_for(GetParam(), 5);
  o.max_iter = 60;
  o.tol = 0;
  const FitResult<double> r = fit(x.view(), DenseView<std::uint8_t>(observed.data(), n, m), o);
  for (std::size_t i = 1; i < r.loss_history.size(); ++i)
    EXPECT_LE(r.loss_history[i], r.loss_history[i - 1] * (1 + 1e-12)) << "iteration " << i;
  double direct = 0;
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < m; ++j) {
      if (observed[static_cast<std::size_t>(i * m + j)] == 0) continue;
      double wh = 0;
      for (Index l = 0; l < 5; ++l) wh += r.W(i, l) * r.H(l, j);
      direct += (x(i, j) - wh) * (x(i, j) - wh);
    }
  EXPECT_NEAR(r.error, std::sqrt(direct), 1e-9 * std::sqrt(direct));
  EXPECT_NEAR(r.loss_history.back(), 0.5 * direct, 1e-8 * direct);
}

INSTANTIATE_TEST_SUITE_P(Rules, MaskedFit, ::testing::Values("hals", "mu", "cd", "anls-bpp"));

// The fill's products have a second path each: S·Hᵀ accumulates on the heap when k is too large
// for the stack, Sᵀ·W goes by columns when the chunk partials would be too large. Each path
// gives the masked loss of the factors it returns, and the paths agree.
TEST(MaskedFitAll, EveryFillPathGivesTheMaskedLoss) {
  const Index k = core::kFillStackValues + 4, n = k + 20, m = k + 10;
  const Matrix<double> x = testing::uniform_matrix<double>(n, m, 3);
  const std::vector<std::uint8_t> observed = every_seventh_missing(n, m);
  const DenseView<std::uint8_t> mask(observed.data(), n, m);
  FitOptions o = testing::options_for("hals", k);
  o.max_iter = 4;
  o.tol = 0;
  std::vector<FitResult<double>> results;
  for (double limit : {1e18, 0.0}) results.push_back(core::masked_fit(x.view(), mask, o, limit));
  for (const FitResult<double>& r : results) {
    double direct = 0;
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < m; ++j) {
        if (observed[static_cast<std::size_t>(i * m + j)] == 0) continue;
        double wh = 0;
        for (Index l = 0; l < k; ++l) wh += r.W(i, l) * r.H(l, j);
        direct += (x(i, j) - wh) * (x(i, j) - wh);
      }
    EXPECT_NEAR(r.loss_history.back(), 0.5 * direct, 1e-8 * direct);
    for (std::size_t i = 1; i < r.loss_history.size(); ++i)
      EXPECT_LE(r.loss_history[i], r.loss_history[i - 1] * (1 + 1e-12)) << "iteration " << i;
  }
  EXPECT_NEAR(results[0].loss_history.back(), results[1].loss_history.back(),
              1e-9 * results[0].loss_history.back());
}

TEST(MaskedFitAll, FullMaskGivesTheOrdinaryObjective) {
  const Matrix<double> x = testing::uniform_matrix<double>(30, 20, 5);
  const std::vector<std::uint8_t> all(600, 1);
  const FitOptions o = testing::options_for("hals", 3);
  const FitResult<double> masked = fit(x.view(), DenseView<std::uint8_t>(all.data(), 30, 20), o);
  const FitResult<double> plain = fit(x.view(), o);
  EXPECT_NEAR(masked.error, plain.error, 1e-9 * plain.error);
  EXPECT_EQ(masked.iterations, plain.iterations);
}

TEST(MaskedFitAll, RecoversMissingEntriesOfExactLowRankData) {
  const Matrix<double> x = testing::low_rank<double>(60, 40, 3, 2).x;
  const std::vector<std::uint8_t> observed = every_seventh_missing(60, 40);
  FitOptions o = testing::options_for("hals", 3);
  o.max_iter = 2000;
  o.tol = 0;
  const FitResult<double> r = fit(x.view(), DenseView<std::uint8_t>(observed.data(), 60, 40), o);
  double worst = 0;
  for (std::size_t p = 0; p < observed.size(); ++p) {
    if (observed[p] != 0) continue;
    const Index i = static_cast<Index>(p) / 40, j = static_cast<Index>(p) % 40;
    double wh = 0;
    for (Index l = 0; l < 3; ++l) wh += r.W(i, l) * r.H(l, j);
    worst = std::max(worst, std::abs(wh - x(i, j)));
  }
  EXPECT_LT(worst, 1e-3);
}

TEST(MaskedFitAll, RefusesBadMasksAndOptions) {
  const Matrix<float> x = testing::uniform_matrix<float>(10, 8, 1);
  std::vector<std::uint8_t> observed(80, 1);
  const FitOptions o = testing::options_for("hals", 2);
  EXPECT_THROW(fit(x.view(), DenseView<std::uint8_t>(observed.data(), 8, 10), o), DataError);
  std::vector<std::uint8_t> row_hidden = observed;
  for (int j = 0; j < 8; ++j) row_hidden[static_cast<std::size_t>(2 * 8 + j)] = 0;
  EXPECT_THROW(fit(x.view(), DenseView<std::uint8_t>(row_hidden.data(), 10, 8), o), DataError);
  std::vector<std::uint8_t> col_hidden = observed;
  for (int i = 0; i < 10; ++i) col_hidden[static_cast<std::size_t>(i * 8 + 5)] = 0;
  EXPECT_THROW(fit(x.view(), DenseView<std::uint8_t>(col_hidden.data(), 10, 8), o), DataError);
  FitOptions kl = testing::options_for("mu", 2);
  kl.beta = 1;
  EXPECT_THROW(fit(x.view(), DenseView<std::uint8_t>(observed.data(), 10, 8), kl), InvalidArgument);
}

}  // namespace
}  // namespace nmfkit
