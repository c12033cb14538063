// Behaviour of fit(): recovery, monotonicity, non-negativity, determinism, errors, bookkeeping.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cd_fit_checks.hpp"
#include "nmfkit/nmfkit.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using testing::all_non_negative;
using testing::direct_error;
using testing::frobenius;
using testing::low_rank;
using testing::options_for;

using testing::message_of;

TEST(Fit, HigherKGivesLowerError) {
  const auto d = low_rank<double>(80, 40, 8, 21);
  double previous = std::numeric_limits<double>::infinity();
  for (int k : {1, 2, 4, 6, 8}) {
    FitOptions o = options_for("hals", k);
    o.max_iter = 300;
    const double e = fit(d.x.view(), o).relative_error;
    EXPECT_LT(e, previous) << "k = " << k;
    previous = e;
  }
}

TEST(Fit, ResultRecordsHowItWasObtained) {
  const auto d = low_rank<float>(50, 20, 3, 1);
  FitOptions o = options_for("mu", 3);
  o.max_iter = 7;
  o.tol = 0;
  o.seed = 9;
  o.init = Init::kRandom;
  const FitResult<float> r = fit(d.x.view(), o);
  EXPECT_EQ(r.iterations, 7);
  EXPECT_FALSE(r.converged) << "stopped by max_iter, so not converged";
  EXPECT_EQ(r.loss_history.size(), 8u);
  EXPECT_EQ(r.seed, 9u);
  EXPECT_EQ(r.solver, "mu");
  EXPECT_EQ(r.init, Init::kRandom);
  EXPECT_EQ(r.threads, 1);
  EXPECT_EQ(r.W.rows, 50);
  EXPECT_EQ(r.W.cols, 3);
  EXPECT_EQ(r.H.rows, 3);
  EXPECT_EQ(r.H.cols, 20);
  EXPECT_GT(r.seconds, 0);
  EXPECT_NEAR(r.error, std::sqrt(2 * r.loss_history.back()), 1e-4 * r.error);
  EXPECT_NEAR(r.error, testing::direct_error(d.x, r.W, r.H), 1e-5 * r.error);
}

TEST(Fit, ConvergesBeforeMaxIterWithTolerance) {
  const auto d = low_rank<double>(60, 30, 3, 4);
  FitOptions o = options_for("hals", 3);
  o.max_iter = 1000;
  o.tol = 1e-4;
  const FitResult<double> r = fit(d.x.view(), o);
  EXPECT_TRUE(r.converged);
  EXPECT_LT(r.iterations, 1000);
  // The documented rule held when it stopped: 10 iterations gained at most tol.
  const auto err = [&](std::size_t i) { return std::sqrt(2 * r.loss_history[i]); };
  const std::size_t last = r.loss_history.size() - 1;
  EXPECT_LE(err(last - 10) - err(last), 1e-4 * err(last - 10));
}

TEST(Fit, ProgressIsReportedAndCanCancel) {
  const auto d = low_rank<double>(30, 20, 2, 2);
  FitOptions o = options_for("hals", 2);
  o.tol = 0;
  int calls = 0;
  o.progress = [&](const Progress& p) {
    ++calls;
    EXPECT_EQ(p.iteration, calls);
    EXPECT_EQ(p.max_iter, 200);
    EXPECT_GE(p.relative_error, 0);
    return p.iteration < 5;
  };
  const FitResult<double> r = fit(d.x.view(), o);
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(r.iterations, 5);
  EXPECT_FALSE(r.converged);
}

TEST(Fit, RandomInitDrawsNumpysStream) {
  // scikit-learn: H = sqrt(mean(X)/k)·|RandomState(0).standard_normal((k, m))|, drawn before W.
  Matrix<double> x(4, 3, 2.0);
  FitOptions o = options_for("hals", 2);
  o.init = Init::kRandom;
  o.max_iter = 1;
  // One HALS iteration changes the factors, so look at the initial loss instead: with
  // W and H from numpy's first 6 + 8 normals the loss is fixed.
  const double avg = std::sqrt(2.0 / 2);
  const double h0[6] = {1.764052345967664, 0.4001572083672233, 0.9787379841057392,
                        2.240893199201458, 1.8675579901499675, 0.977277879876411};
  const double w0[8] = {0.9500884175255894,  0.1513572082976979, 0.10321885179355784,
                        0.41059850193837233, 0.144043571160878,  1.454273506962975,
                        0.7610377251469934,  0.12167501649282841};
  double loss = 0;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) {
      const double wh = avg * w0[i * 2] * avg * h0[j] + avg * w0[i * 2 + 1] * avg * h0[3 + j];
      loss += 0.5 * (2.0 - wh) * (2.0 - wh);
    }
  const FitResult<double> r = fit(x.view(), o);
  EXPECT_NEAR(r.loss_history[0], loss, 1e-12 * loss);
}

TEST(Fit, MaxIterZeroReturnsTheStartWithItsError) {
  const auto d = low_rank<double>(30, 12, 3, 4);
  for (const Init init : {Init::kRandom, Init::kNndsvd, Init::kNndsvda}) {
    FitOptions o = options_for("cd", 3);
    o.init = init;
    o.max_iter = 0;
    const FitResult<double> start = fit(d.x.view(), o);
    EXPECT_EQ(start.iterations, 0);
    ASSERT_EQ(start.loss_history.size(), 1u);
    EXPECT_NEAR(start.error, direct_error(d.x, start.W, start.H), 1e-9 * frobenius(d.x));
    // The fit from that start begins exactly there.
    o.max_iter = 1;
    const FitResult<double> one = fit(d.x.view(), o);
    EXPECT_NEAR(one.loss_history[0], start.loss_history[0], 1e-12 * start.loss_history[0]);
  }
}

TEST(Fit, ScikitLearnStoppingTestsEveryTenthIterationAgainstTheStartingError) {
  const auto d = low_rank<double>(40, 15, 3, 6);
  FitOptions o = options_for("mu", 3);
  o.init = Init::kRandom;
  o.stopping = Stopping::kScikitLearn;
  o.tol = 1e-3;
  o.max_iter = 1000;
  const FitResult<double> r = fit(d.x.view(), o);
  ASSERT_TRUE(r.converged);
  EXPECT_EQ(r.iterations % 10, 0);
  // The errors at the tests (data term alone: no penalty here): the last test met the rule, the
  // earlier ones did not.
  auto error = [&](int it) { return std::sqrt(2 * r.loss_history[static_cast<std::size_t>(it)]); };
  const double start = error(0);
  EXPECT_LT((error(r.iterations - 10) - error(r.iterations)) / start, o.tol);
  for (int it = 10; it < r.iterations; it += 10)
    EXPECT_GE((error(it - 10) - error(it)) / start, o.tol) << it;
}

// lazy_objective: the objective is formed only where the stopping test (every 10th iteration),
// the first iteration or the last reads it; everything else about the fit is the same, bit for
// bit: the multiplicative updates for β ≠ 2 on dense X (their divergence then skips a pass of
// logarithms) and Kullback-Leibler on compressed sparse rows; for β = 2 nothing changes.
TEST(Fit, LazyObjectiveIsTheSameFitWithTheObjectiveOnlyWhereItIsRead) {
  Matrix<float> x = testing::positive_data<float>(120, 40, 4, 8);
  Matrix<float> sparse = x;
  for (std::size_t i = 0; i < sparse.values.size(); i += 2) sparse.values[i] = 0.0f;
  struct Case {
    double beta;
    const Matrix<float>* x;
    DataFormat format;
  };
  for (const Case& c : {Case{1, &x, DataFormat::kDense}, Case{0, &x, DataFormat::kDense},
                        Case{0.5, &x, DataFormat::kDense}, Case{2, &x, DataFormat::kDense},
                        Case{1, &sparse, DataFormat::kSparse}}) {
    SCOPED_TRACE("beta " + std::to_string(c.beta));
    FitOptions o = options_for("mu", 4);
    o.beta = c.beta;
    o.init = Init::kRandom;
    o.format = c.format;
    o.stopping = Stopping::kScikitLearn;
    o.tol = 1e-3;
    o.max_iter = 47;  // the test every 10th iteration, then a last one that is not a test
    const FitResult<float> eager = fit(c.x->view(), o);
    o.lazy_objective = true;
    std::vector<int> reported;
    o.progress = [&](const Progress& p) {
      if (!std::isnan(p.error)) {
        EXPECT_FALSE(std::isnan(p.loss));
        reported.push_back(p.iteration);
      } else {
        EXPECT_TRUE(std::isnan(p.loss) && std::isnan(p.relative_error));
      }
      return true;
    };
    const FitResult<float> lazy = fit(c.x->view(), o);
    EXPECT_EQ(lazy.iterations, eager.iterations);
    EXPECT_EQ(lazy.converged, eager.converged);
    EXPECT_EQ(std::memcmp(lazy.W.data(), eager.W.data(), lazy.W.values.size() * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(lazy.H.data(), eager.H.data(), lazy.H.values.size() * sizeof(float)), 0);
    EXPECT_EQ(lazy.error, eager.error);
    ASSERT_EQ(lazy.loss_history.size(), eager.loss_history.size());
    std::vector<int> formed;
    for (std::size_t i = 0; i < lazy.loss_history.size(); ++i) {
      const int it = static_cast<int>(i);
      // β = 2's objective comes from the Gram matrices at no cost: formed after every iteration.
      const bool read = c.beta == 2 || it <= 1 || it % 10 == 0 || it == lazy.iterations;
      if (read) {
        EXPECT_EQ(lazy.loss_history[i], eager.loss_history[i]) << it;
        if (it > 0) formed.push_back(it);
      } else {
        EXPECT_TRUE(std::isnan(lazy.loss_history[i])) << it;
      }
    }
    EXPECT_EQ(reported, formed);
    EXPECT_EQ(formed.front(), 1);
    EXPECT_EQ(formed.back(), lazy.iterations);
  }
}

// lazy_objective with the error window (the CLI's mu): the window is tested every 10th iteration
// only, so the fit stops at a multiple of 10 (or at max_iter); up to there it is the eager fit,
// bit for bit, and the window it stopped on met tol while the earlier ones did not.
TEST(Fit, LazyObjectiveWithTheErrorWindowTestsEvery10thIteration) {
  const Matrix<float> x = testing::positive_data<float>(120, 40, 4, 8);
  for (const double beta : {1.0, 0.5}) {
    SCOPED_TRACE("beta " + std::to_string(beta));
    FitOptions o = options_for("mu", 4);
    o.beta = beta;
    o.init = Init::kRandom;
    o.tol = 2e-3;
    o.max_iter = 500;
    o.lazy_objective = true;
    const FitResult<float> lazy = fit(x.view(), o);
    ASSERT_TRUE(lazy.converged);
    EXPECT_EQ(lazy.iterations % 10, 0);
    const auto error = [&](int it) {
      return std::sqrt(2 * lazy.loss_history[static_cast<std::size_t>(it)]);
    };
    for (int it = 10; it < lazy.iterations; it += 10)
      EXPECT_GT(error(it - 10) - error(it), o.tol * error(it - 10)) << it;
    EXPECT_LE(error(lazy.iterations - 10) - error(lazy.iterations),
              o.tol * error(lazy.iterations - 10));
    for (int it = 2; it < lazy.iterations; ++it)
      EXPECT_EQ(std::isnan(lazy.loss_history[static_cast<std::size_t>(it)]), it % 10 != 0) << it;

    o.lazy_objective = false;
    o.tol = 0;
    o.max_iter = lazy.iterations;
    const FitResult<float> eager = fit(x.view(), o);
    EXPECT_EQ(std::memcmp(lazy.W.data(), eager.W.data(), lazy.W.values.size() * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(lazy.H.data(), eager.H.data(), lazy.H.values.size() * sizeof(float)), 0);
    EXPECT_EQ(lazy.loss_history.back(), eager.loss_history.back());
  }
}

TEST(FitErrors, LazyObjectiveOnlyWithoutExtrapolation) {
  const auto d = low_rank<double>(20, 10, 2, 3);
  FitOptions o = options_for("mu", 2);
  o.lazy_objective = true;
  EXPECT_NO_THROW(fit(d.x.view(), o));  // with the error window too
  o = options_for("hals", 2);
  o.lazy_objective = true;
  o.stopping = Stopping::kScikitLearn;
  EXPECT_EQ(message_of([&] { fit(d.x.view(), o); }),
            "lazy_objective applies only without extrapolation, whose restarts read the objective "
            "after every iteration");
  o.extrapolate = false;
  EXPECT_NO_THROW(fit(d.x.view(), o));
}

TEST(Fit, RandomStartTakesMoreComponentsThanFeatures) {
  const auto d = low_rank<double>(30, 6, 2, 5);
  FitOptions o = options_for("cd", 9);
  o.init = Init::kRandom;
  const FitResult<double> r = fit(d.x.view(), o);
  EXPECT_EQ(r.H.rows, 9);
  EXPECT_EQ(r.W.cols, 9);
  EXPECT_TRUE(all_non_negative(r.W) && all_non_negative(r.H));
  EXPECT_LT(r.relative_error, 1e-2);
}

TEST(FitErrors, RejectsBadK) {
  const auto d = low_rank<double>(10, 6, 2, 1);
  FitOptions o = options_for("hals", 0);
  EXPECT_THROW(fit(d.x.view(), o), InvalidArgument);
  EXPECT_EQ(message_of([&] { fit(d.x.view(), o); }), "k must be at least 1, got 0");
  o.k = 7;
  EXPECT_EQ(message_of([&] { fit(d.x.view(), o); }),
            "k must be between 1 and min(n_samples, n_features) = 6, got 7");
}

TEST(FitErrors, RejectsBadOptions) {
  const auto d = low_rank<double>(10, 6, 2, 1);
  FitOptions o = options_for("nope", 2);
  EXPECT_EQ(message_of([&] { fit(d.x.view(), o); }),
            "unknown solver 'nope' (choose one of hals, cd, anls-bpp, mu)");
  o = options_for("hals", 2);
  o.max_iter = -1;
  EXPECT_THROW(fit(d.x.view(), o), InvalidArgument);
  o = options_for("hals", 2);
  o.tol = -1;
  EXPECT_THROW(fit(d.x.view(), o), InvalidArgument);
  o = options_for("hals", 2);
  o.threads = -2;
  EXPECT_THROW(fit(d.x.view(), o), InvalidArgument);
  o = options_for("hals", 2);
  o.seed = 1ULL << 33;
  EXPECT_THROW(fit(d.x.view(), o), InvalidArgument);
  EXPECT_THROW(parse_init("svd"), InvalidArgument);
  EXPECT_EQ(parse_init("nndsvdar"), Init::kNndsvdar);
}

TEST(FitErrors, RejectsNegativeNanInfAndEmptyData) {
  auto d = low_rank<double>(10, 6, 2, 1);
  const FitOptions o = options_for("hals", 2);
  d.x(3, 4) = -0.5;
  EXPECT_THROW(fit(d.x.view(), o), DataError);
  EXPECT_NE(message_of([&] { fit(d.x.view(), o); }).find("negative value -0.5"), std::string::npos);
  EXPECT_NE(message_of([&] { fit(d.x.view(), o); }).find("sample 3, feature 4"), std::string::npos);
  d.x(3, 4) = std::nan("");
  EXPECT_NE(message_of([&] { fit(d.x.view(), o); }).find("NaN at sample 3"), std::string::npos);
  d.x(3, 4) = std::numeric_limits<double>::infinity();
  EXPECT_NE(message_of([&] { fit(d.x.view(), o); }).find("+Inf at sample 3"), std::string::npos);
  Matrix<double> empty(0, 6);
  FitOptions o0 = options_for("hals", 1);
  EXPECT_THROW(fit(empty.view(), o0), Error);
}

TEST(Fit, AllZeroDataGivesZeroError) {
  Matrix<float> x(12, 5, 0.0f);
  FitOptions o = options_for("hals", 2);
  const FitResult<float> r = fit(x.view(), o);
  EXPECT_EQ(r.error, 0.0);
  EXPECT_EQ(r.relative_error, 0.0);
  EXPECT_TRUE(r.converged);
}

}  // namespace
}  // namespace nmfkit

namespace nmfkit {
namespace {

// FitOptions::exact_when_few_zeros: X with fewer than 10% zeros is fitted by anls-bpp
// extrapolated, exactly as that rule asked for by name; anything else keeps hals.
TEST(Fit, ExactSolvesWhenXHasFewZeros) {
  Matrix<double> x = testing::uniform_matrix<double>(120, 40, 81);
  for (double& v : x.values) v += 0.05;  // no zeros
  FitOptions o = testing::options_for("hals", 4);
  o.max_iter = 15;
  o.exact_when_few_zeros = true;
  const FitResult<double> chosen = fit(x.view(), o);
  EXPECT_EQ(chosen.solver, "anls-bpp");
  FitOptions named = testing::options_for("anls-bpp", 4);
  named.max_iter = 15;
  named.extrapolate = true;
  const FitResult<double> by_name = fit(x.view(), named);
  EXPECT_EQ(chosen.W.values, by_name.W.values);
  EXPECT_EQ(chosen.H.values, by_name.H.values);
  EXPECT_EQ(chosen.iterations, by_name.iterations);

  // Not asked, or a choice the flag must not override: hals.
  FitOptions plain = o;
  plain.exact_when_few_zeros = false;
  EXPECT_EQ(fit(x.view(), plain).solver, "hals");
  FitOptions no_extrapolation = o;
  no_extrapolation.extrapolate = false;
  EXPECT_EQ(fit(x.view(), no_extrapolation).solver, "hals");
  FitOptions sweeps = o;
  sweeps.hals_max_sweeps = 3;
  EXPECT_EQ(fit(x.view(), sweeps).solver, "hals");
  FitOptions kl = o;
  kl.beta = 1;
  kl.solver = "cd";
  EXPECT_EQ(fit(x.view(), kl).solver, "cd");

  // A tenth of the entries zero, or more: hals.
  Matrix<double> zeros = x;
  for (std::size_t e = 0; e < zeros.values.size(); e += 10) zeros.values[e] = 0;
  EXPECT_EQ(fit(zeros.view(), o).solver, "hals");
  Matrix<double> few = x;
  for (std::size_t e = 0; e < few.values.size(); e += 11) few.values[e] = 0;
  EXPECT_EQ(fit(few.view(), o).solver, "anls-bpp");
}

}  // namespace
}  // namespace nmfkit
