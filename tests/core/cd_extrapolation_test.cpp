// Extrapolation of the divergences' coordinate descent (solver cd with β = 1 or 0, extrapolated
// by default: core/kl_cd_steps.cpp with core/extrapolation.hpp): on by default for these losses
// only; the first iterations are the plain ones (the warm-up) and the path leaves them later; the
// contract of every rule holds (non-negative factors, a non-increasing history of the best pair,
// the history's end is the divergence of the factors returned, the same bytes for one and two
// threads, dense or compressed lines); summed over several data sets it ends at or below plain
// coordinate descent, Itakura-Saito from NNDSVDA included (where extrapolating the first, large
// moves restarted from the start again and again).
#include <gtest/gtest.h>

#include <string>

#include "../test_data.hpp"
#include "cd_fit_checks.hpp"
#include "core/beta.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit {
namespace {

using testing::same_bytes;

template <typename T>
class CdExtrapolation : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CdExtrapolation, Scalars);

FitOptions divergence_options(double beta, int k, int iterations) {
  FitOptions o = testing::options_for("cd", k);
  o.beta = beta;
  o.init = Init::kNndsvda;
  o.max_iter = iterations;
  o.tol = 0;
  return o;
}

std::string loss_of(double beta) {
  return beta == 0 ? "itakura-saito" : "kullback-leibler";
}

TEST(CdExtrapolationOptions, OnByDefaultForTheDivergencesOnly) {
  for (double beta : {1.0, 0.0}) {
    SCOPED_TRACE(loss_of(beta));
    FitOptions o = divergence_options(beta, 3, 10);
    EXPECT_TRUE(extrapolates(o));
    o.extrapolate = false;
    EXPECT_NO_THROW(o.validate());
    EXPECT_FALSE(extrapolates(o));
    o.extrapolate = true;
    EXPECT_NO_THROW(o.validate());
    EXPECT_TRUE(extrapolates(o));
  }
  // The Frobenius cd stays scikit-learn's rule; mu never extrapolates.
  EXPECT_FALSE(extrapolates(divergence_options(2, 3, 10)));
  FitOptions mu = divergence_options(1, 3, 10);
  mu.solver = "mu";
  EXPECT_FALSE(extrapolates(mu));
}

TYPED_TEST(CdExtrapolation, WarmsUpPlainThenKeepsTheContract) {
  using T = TypeParam;
  const Matrix<T> x = testing::positive_data<T>(150, 50, 5, 21);
  const double tolerance = sizeof(T) == 4 ? 1e-3 : 1e-9;
  for (double beta : {1.0, 0.0}) {
    SCOPED_TRACE(loss_of(beta));
    FitOptions o = divergence_options(beta, 6, 80);
    const FitResult<T> extrapolated = fit(x.view(), o);
    o.extrapolate = false;
    const FitResult<T> plain = fit(x.view(), o);
    ASSERT_EQ(extrapolated.loss_history.size(), 81u);
    // From NNDSVDA the first iteration lowers the divergence by far more than the warm-up's
    // fraction: it is the plain one, to the byte ...
    EXPECT_EQ(extrapolated.loss_history[1], plain.loss_history[1]);
    // ... and extrapolation does start later, so the paths part.
    EXPECT_FALSE(same_bytes(extrapolated.loss_history, plain.loss_history));
    for (std::size_t i = 1; i < extrapolated.loss_history.size(); ++i)
      EXPECT_LE(extrapolated.loss_history[i], extrapolated.loss_history[i - 1]) << i;
    EXPECT_TRUE(testing::all_non_negative(extrapolated.W));
    EXPECT_TRUE(testing::all_non_negative(extrapolated.H));
    // The best pair is returned, and the history ends at its divergence.
    const Matrix<T> ht = transposed(extrapolated.H.view());
    const double direct = core::beta_divergence(x.view(), 1.0, extrapolated.W, ht, beta, 1);
    EXPECT_NEAR(extrapolated.loss_history.back(), direct, tolerance * direct);
  }
}

TYPED_TEST(CdExtrapolation, SameBytesForOneAndTwoThreadsOnDenseAndCompressedLines) {
  using T = TypeParam;
  Matrix<T> x = testing::positive_data<T>(400, 60, 5, 22);
  for (double beta : {1.0, 0.0}) {
    SCOPED_TRACE(loss_of(beta));
    testing::expect_same_fit_on_one_and_two_threads(x, divergence_options(beta, 6, 40));
  }
  // Kullback-Leibler on compressed lines, where idle entries are passed over between visits.
  for (std::size_t i = 0; i < x.values.size(); i += 3) x.values[i] = T(0);
  FitOptions o = divergence_options(1, 6, 40);
  o.format = DataFormat::kSparse;
  testing::expect_same_fit_on_one_and_two_threads(x, o);
}

TEST(CdExtrapolationQuality, EndsAtOrBelowPlainCoordinateDescentSummedOverDataSets) {
  // Summed over data sets, so that one local minimum cannot decide the test.
  for (double beta : {1.0, 0.0}) {
    SCOPED_TRACE(loss_of(beta));
    double plain_total = 0, extrapolated_total = 0;
    for (std::uint32_t seed = 30; seed < 34; ++seed) {
      const Matrix<double> x = testing::positive_data<double>(300, 80, 8, seed);
      FitOptions o = divergence_options(beta, 8, 60);
      extrapolated_total += fit(x.view(), o).loss_history.back();
      o.extrapolate = false;
      plain_total += fit(x.view(), o).loss_history.back();
    }
    EXPECT_LE(extrapolated_total, plain_total);
  }
}

}  // namespace
}  // namespace nmfkit
