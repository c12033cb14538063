// FitOptions::sketch: a Frobenius fit of X's projection on a randomized sketch of its range.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nmfkit/nmfkit.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using testing::direct_error;
using testing::frobenius;
using testing::low_rank;
using testing::noisy_low_rank;
using testing::options_for;
using testing::same_bytes;
using testing::uniform_matrix;

Matrix<float> to_float(const Matrix<double>& m) {
  Matrix<float> out(m.rows, m.cols);
  for (std::size_t i = 0; i < m.values.size(); ++i) out.values[i] = static_cast<float>(m.values[i]);
  return out;
}

using testing::message_of;

// Exact rank-r data lies in any sketch of at least r directions: the sketched fit is a fit of X
// itself and recovers it as the plain fit does.
TEST(Sketch, ExactLowRankDataIsRecoveredThroughTheSketch) {
  const auto d = low_rank<double>(300, 120, 5, 3);
  FitOptions o = options_for("hals", 5);
  o.max_iter = 400;
  o.tol = 0;
  o.sketch = 10;
  const FitResult<double> r = fit(d.x.view(), o);
  EXPECT_EQ(r.sketch_columns, 15);
  EXPECT_LT(r.relative_error, 1e-4);
  o.sketch = 0;
  const FitResult<double> plain = fit(d.x.view(), o);
  EXPECT_EQ(plain.sketch_columns, 0);
  EXPECT_LT(plain.relative_error, 1e-4);
}

// On data that is not low-rank the sketch's projection is not X: the final error is still X's
// own (computed from the returned factors and X), and it stays close to the plain fit's.
TEST(Sketch, FinalErrorIsThatOfXItselfAndNearThePlainFits) {
  const Matrix<double> x = noisy_low_rank(400, 150, 8, 5, 0.3);
  for (const std::string solver : {"hals", "cd", "random"}) {
    // "random": hals from a random start (the sketch then serves the products alone).
    FitOptions o = options_for(solver == "random" ? "hals" : solver, 8);
    if (solver == "random") o.init = Init::kRandom;
    o.sketch = 24;
    const FitResult<double> r = fit(x.view(), o);
    EXPECT_NEAR(r.error, direct_error(x, r.W, r.H), 1e-9 * frobenius(x)) << solver;
    EXPECT_NEAR(r.relative_error, r.error / frobenius(x), 1e-12) << solver;
    o.sketch = 0;
    const FitResult<double> plain = fit(x.view(), o);
    EXPECT_LT(r.relative_error, plain.relative_error * 1.01) << solver;
    EXPECT_GT(r.relative_error, plain.relative_error * 0.99) << solver;
  }
}

// The products go through the sketch: a narrower sketch (fewer directions of X) fits worse, so
// the option changes what is fitted (and a test that cannot tell it from the plain fit would pass
// with the option ignored).
TEST(Sketch, ANarrowSketchFitsAProjectionThatLosesSomeOfX) {
  const Matrix<float> x = uniform_matrix<float>(500, 200, 11);
  FitOptions o = options_for("hals", 6);
  o.max_iter = 100;
  o.tol = 0;
  const FitResult<float> plain = fit(x.view(), o);
  o.sketch = 1;  // 7 directions of a full-rank X
  o.sketch_power_iterations = 0;
  const FitResult<float> narrow = fit(x.view(), o);
  EXPECT_GT(narrow.relative_error, plain.relative_error * 1.0001);
  EXPECT_NEAR(narrow.error, direct_error(x, narrow.W, narrow.H), 1e-4 * frobenius(x));
}

TEST(Sketch, SameBytesForAnyThreadCount) {
  const Matrix<float> x = to_float(noisy_low_rank(3000, 90, 6, 8, 0.2));
  std::vector<FitResult<float>> runs;
  for (int threads : {1, 2, 3}) {
    FitOptions o = options_for("hals", 6);
    o.sketch = 20;
    o.threads = threads;
    runs.push_back(fit(x.view(), o));
  }
  for (std::size_t t = 1; t < runs.size(); ++t) {
    EXPECT_TRUE(same_bytes(runs[0].W.values, runs[t].W.values)) << "run " << t;
    EXPECT_TRUE(same_bytes(runs[0].H.values, runs[t].H.values)) << "run " << t;
    EXPECT_EQ(runs[0].iterations, runs[t].iterations);
  }
}

TEST(Sketch, RefusedWhereItDoesNotApply) {
  const Matrix<double> x = uniform_matrix<double>(60, 30, 2, 0.1);
  FitOptions o = options_for("hals", 4);
  o.sketch = -1;
  EXPECT_EQ(message_of([&] { o.validate(); }), "sketch must be >= 0 (0: fit X itself), got -1");
  o = options_for("mu", 4);
  o.beta = 1;
  o.sketch = 10;
  EXPECT_EQ(message_of([&] { o.validate(); }),
            "sketch applies only to the frobenius loss, not kullback-leibler");
  o = options_for("hals", 4);
  o.sketch_power_iterations = 2;
  EXPECT_EQ(message_of([&] { o.validate(); }),
            "sketch_power_iterations applies only with sketch > 0 (a fit of X's projection), not "
            "with sketch 0");
  o.sketch = 5;
  o.sketch_power_iterations = -1;
  EXPECT_EQ(message_of([&] { o.validate(); }), "sketch_power_iterations must be >= 0, got -1");
  o = options_for("hals", 4);
  o.sketch = 26;
  EXPECT_EQ(message_of([&] { fit(x.view(), o); }),
            "sketch: k + sketch = 30 columns must be below min(n_samples, n_features) = 30 (a "
            "sketch that wide is no smaller than X)");
  o.sketch = 10;
  const FitResult<double> f = fit(x.view(), o);
  EXPECT_EQ(message_of([&] { transform(x.view(), f.H.view(), o); }),
            "sketch applies only to a fit of all of X in one process, not with transform (H is "
            "given)");
  std::vector<std::uint8_t> observed(static_cast<std::size_t>(60 * 30), 1);
  observed[7] = 0;
  EXPECT_EQ(message_of([&] { fit(x.view(), DenseView<std::uint8_t>(observed.data(), 60, 30), o); }),
            "sketch applies only to a fit of all of X in one process, not with missing entries (a "
            "masked fit)");
}

}  // namespace
}  // namespace nmfkit
