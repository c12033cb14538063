// The Kullback-Leibler coordinate descent (solver cd with β = 1: core/kl_cd_steps.cpp,
// kernels/kl_cd.hpp): one row's kernel against a plain double loop of the same Newton steps and
// against the compressed form of the same row; whole fits that lower the divergence, keep W and H
// non-negative, report the true divergence, recover exact low-rank data, end at or below
// multiplicative updates, give the same bytes for one and two threads and for dense and sparse
// storage of X, honour the penalties and hold H fixed for transform; the options that do nothing
// for this loss are refused.
#include "kernels/kl_cd.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "../test_data.hpp"
#include "cd_fit_checks.hpp"
#include "core/beta.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit {
namespace {

using testing::same_bytes;

template <typename T>
class KlCd : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KlCd, Scalars);

/// n × m data with about `zero_fraction` zeros, the rest W·H of random rank-r factors plus noise.
template <typename T>
Matrix<T> kl_data(Index n, Index m, Index r, double zero_fraction, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> w(static_cast<std::size_t>(n * r)), h(static_cast<std::size_t>(r * m));
  for (double& v : w) v = u(gen);
  for (double& v : h) v = u(gen);
  Matrix<T> x(n, m);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < m; ++j) {
      double s = 0;
      for (Index l = 0; l < r; ++l) s += w[i * r + l] * h[l * m + j];
      x(i, j) = u(gen) < zero_fraction ? T(0) : static_cast<T>(s * (0.8 + 0.4 * u(gen)));
    }
  return x;
}

FitOptions cd_options(int k, int iterations) {
  FitOptions o = testing::options_for("cd", k);
  o.beta = 1;
  o.init = Init::kRandom;
  o.max_iter = iterations;
  o.tol = 0;
  return o;
}

/// The same Newton steps in plain double arithmetic, one entry at a time.
void reference_row(const std::vector<double>& x, std::vector<double>& f,
                   const std::vector<double>& g, const std::vector<double>& g_sum,
                   const kernels::KlCdControl& c) {
  const std::size_t len = x.size(), k = f.size();
  std::vector<double> v(len, 0.0);
  for (std::size_t t = 0; t < k; ++t)
    for (std::size_t p = 0; p < len; ++p) v[p] += f[t] * g[t * len + p];
  for (std::size_t t = 0; t < k; ++t) {
    for (int step = 0; step < c.max_steps; ++step) {
      double sq = 0, sh = 0;
      for (std::size_t p = 0; p < len; ++p) {
        const double vp = std::max(v[p], c.epsilon);
        sq += g[t * len + p] * x[p] / vp;
        sh += g[t * len + p] * g[t * len + p] * x[p] / (vp * vp);
      }
      const double grad = g_sum[t] - sq + c.l1 + c.l2 * f[t], hess = sh + c.l2;
      const double next = hess > 0 ? std::max(0.0, f[t] - grad / hess) : f[t];
      const double d = next - f[t];
      for (std::size_t p = 0; p < len; ++p) v[p] += d * g[t * len + p];
      f[t] = next;
      if (d == 0 || std::abs(d) <= c.step_tol * next) break;
    }
  }
}

TYPED_TEST(KlCd, RowKernelFollowsAPlainLoopAndItsCompressedForm) {
  using T = TypeParam;
  const Index len = 203, k = 5;  // not a multiple of the 16 lanes
  std::mt19937 gen(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x(len), g(static_cast<std::size_t>(k * len)), f0(k), g_sum(k, 0.0);
  for (double& v : x) v = u(gen) < 0.5 ? 0.0 : 0.1 + u(gen);
  for (double& v : g) v = 0.05 + u(gen);
  for (double& v : f0) v = 0.1 + u(gen);
  for (Index t = 0; t < k; ++t)
    for (Index p = 0; p < len; ++p) g_sum[t] += g[t * len + p];
  kernels::KlCdControl c;
  c.l1 = 0.3;
  c.l2 = 0.2;
  std::vector<double> expected = f0;
  reference_row(x, expected, g, g_sum, c);

  const std::vector<T> xt(x.begin(), x.end()), gt(g.begin(), g.end());
  std::vector<T> f(f0.begin(), f0.end()), v(len);
  kernels::kl_cd_row(xt.data(), len, f.data(), gt.data(), len, g_sum.data(), k, c, v.data());
  const double tolerance = sizeof(T) == 4 ? 1e-4 : 1e-10;
  for (Index t = 0; t < k; ++t) EXPECT_NEAR(f[t], expected[t], tolerance * (1 + expected[t]));

  // The stored entries alone (G's columns gathered): the zeros of x add nothing but G's row sums.
  std::vector<T> xs, gs;
  std::vector<Index> kept;
  for (Index p = 0; p < len; ++p)
    if (x[p] != 0) kept.push_back(p), xs.push_back(T(x[p]));
  const Index count = Index(kept.size());
  gs.resize(static_cast<std::size_t>(k * count));
  for (Index t = 0; t < k; ++t)
    for (Index q = 0; q < count; ++q) gs[t * count + q] = T(g[t * len + kept[q]]);
  std::vector<T> fs(f0.begin(), f0.end());
  kernels::kl_cd_row(xs.data(), count, fs.data(), gs.data(), count, g_sum.data(), k, c, v.data());
  for (Index t = 0; t < k; ++t) EXPECT_NEAR(fs[t], f[t], tolerance * (1 + expected[t]));
}

TYPED_TEST(KlCd, LowersTheDivergenceAndReportsTheTrueOne) {
  using T = TypeParam;
  for (const double zeros : {0.0, 0.7}) {
    SCOPED_TRACE("zero fraction " + std::to_string(zeros));
    const Matrix<T> x = kl_data<T>(120, 45, 4, zeros, 5);
    for (Init init : {Init::kRandom, Init::kNndsvda}) {
      FitOptions o = cd_options(5, 60);
      o.init = init;
      const FitResult<T> r = fit(x.view(), o);
      EXPECT_EQ(r.solver, "cd");
      ASSERT_EQ(r.loss_history.size(), 61u);
      for (std::size_t i = 1; i < r.loss_history.size(); ++i)
        EXPECT_LE(r.loss_history[i], r.loss_history[i - 1] * (1 + 1e-6)) << "iteration " << i;
      EXPECT_TRUE(testing::all_non_negative(r.W));
      EXPECT_TRUE(testing::all_non_negative(r.H));
      // The history's last entry, formed inside the passes, is the divergence of W and H.
      const Matrix<T> ht = transposed(r.H.view());
      const double direct = core::beta_divergence(x.view(), 1.0, r.W, ht, 1.0, 1);
      EXPECT_NEAR(r.loss_history.back(), direct, (sizeof(T) == 4 ? 1e-4 : 1e-9) * direct);
      EXPECT_NEAR(r.error, std::sqrt(2 * direct), (sizeof(T) == 4 ? 1e-4 : 1e-9) * r.error);
    }
  }
}

TEST(KlCdQuality, RecoversExactLowRankDataAndBeatsMultiplicativeUpdates) {
  // X = W·H exactly: the divergence can reach 0.
  const Matrix<double> x = testing::low_rank<double>(80, 30, 3, 7).x;
  FitOptions o = cd_options(3, 3000);
  const FitResult<double> r = fit(x.view(), o);
  double total = 0;
  for (double v : x.values) total += v;
  EXPECT_LT(r.loss_history.back(), 1e-8 * total);

  // Noisy data: in 100 iterations at or below what mu reaches in 400, from the same start.
  const Matrix<double> noisy = kl_data<double>(200, 60, 6, 0.3, 8);
  const FitResult<double> cd = fit(noisy.view(), cd_options(6, 100));
  FitOptions mu = cd_options(6, 400);
  mu.solver = "mu";
  const FitResult<double> m = fit(noisy.view(), mu);
  EXPECT_LE(cd.loss_history.back(), m.loss_history.back());
}

TYPED_TEST(KlCd, SameBytesForOneAndTwoThreadsAndForEitherStorage) {
  using T = TypeParam;
  for (const double zeros : {0.0, 0.8}) {
    const Matrix<T> x = kl_data<T>(700, 50, 5, zeros, 9);
    // 40 iterations: past the extrapolation's warm-up and its first restarts (12 did not reach
    // the compressed lines' stale-gather fault that KlCdIdle.SparseRowsGather... pins down).
    FitOptions o = cd_options(6, 40);
    o.alpha_w = 0.001;
    testing::expect_same_fit_on_one_and_two_threads(x, o);
    o.threads = 2;
    if (zeros == 0) continue;
    // Format dense and sparse each keep X in their own form for the passes: the same first
    // iteration up to the order of the sums. From the second on, compressed lines pass over the
    // entries found idle (at 0 and left there) until every fifth iteration: a different path,
    // to about the same divergence, and as deterministic.
    o.format = DataFormat::kDense;
    const FitResult<T> dense = fit(x.view(), o);
    o.format = DataFormat::kSparse;
    const FitResult<T> sparse = testing::expect_same_fit_on_one_and_two_threads(x, o);
    EXPECT_EQ(dense.format, "dense");
    EXPECT_EQ(sparse.format, "sparse");
    const double tolerance = sizeof(T) == 4 ? 1e-3 : 1e-9;
    EXPECT_NEAR(dense.loss_history[1], sparse.loss_history[1], tolerance * dense.loss_history[1]);
    EXPECT_NEAR(dense.loss_history.back(), sparse.loss_history.back(),
                0.01 * dense.loss_history.back());
    for (std::size_t i = 1; i < sparse.loss_history.size(); ++i)
      EXPECT_LE(sparse.loss_history[i], sparse.loss_history[i - 1] * (1 + 1e-6)) << i;
  }
}

TYPED_TEST(KlCd, LinesBuiltInParallelBlocksGiveTheSameFitAndTheTrueDivergence) {
  // More rows than three of the blocks in which X's lines are counted and filled, several
  // threads' worth, for both losses and both storages; the constant part of the divergence
  // (Σ x·log x, or Σ log x) is summed in chunks, and a value below the smallest normal double
  // still takes its own logarithm.
  using T = TypeParam;
  for (const double zeros : {0.0, 0.8}) {
    Matrix<T> x = kl_data<T>(3500, 24, 3, zeros, 12);
    if constexpr (sizeof(T) == 8) x(7, 3) = T(1e-310);  // subnormal
    for (const double beta : {1.0, 0.0}) {
      if (beta == 0 && zeros > 0) continue;  // Itakura-Saito takes no zeros
      SCOPED_TRACE("zeros " + std::to_string(zeros) + ", beta " + std::to_string(beta));
      FitOptions o = cd_options(4, 6);
      o.beta = beta;
      const FitResult<T> r = testing::expect_same_fit_on_one_and_two_threads(x, o);
      const Matrix<T> ht = transposed(r.H.view());
      const double direct = core::beta_divergence(x.view(), 1.0, r.W, ht, beta, 1);
      EXPECT_NEAR(r.loss_history.back(), direct, (sizeof(T) == 4 ? 1e-4 : 1e-9) * direct);
    }
  }
}

TEST(KlCdIdle, FlaggedEntriesArePassedOverAndVisitedEntriesFlaggedAnew) {
  const Index len = 40, k = 3;
  std::vector<double> x(len, 2.0), g(static_cast<std::size_t>(k * len)), g_sum(k, 0.0);
  for (Index p = 0; p < len; ++p) {
    g[p] = 1.0;                         // entry 0: W·H far below x, its step raises it
    g[len + p] = 1.0;                   // entry 1: likewise
    g[2 * len + p] = p < 20 ? 5.0 : 0;  // entry 2: its row sum outweighs x/v, stays at 0
  }
  for (Index t = 0; t < k; ++t)
    for (Index p = 0; p < len; ++p) g_sum[t] += g[t * len + p] + (t == 2 ? 50.0 : 0.0);
  kernels::KlCdControl c;
  std::uint8_t idle[3] = {1, 0, 0};
  c.idle = idle;
  c.skip_idle = true;
  std::vector<double> f = {0.0, 0.1, 0.0}, v(len);
  kernels::kl_cd_row(x.data(), len, f.data(), g.data(), len, g_sum.data(), k, c, v.data());
  EXPECT_EQ(f[0], 0.0);  // passed over
  EXPECT_EQ(idle[0], 1);
  EXPECT_GT(f[1], 0.1);  // visited, moved, not idle
  EXPECT_EQ(idle[1], 0);
  EXPECT_EQ(f[2], 0.0);  // visited at 0 and left there: idle
  EXPECT_EQ(idle[2], 1);
  c.skip_idle = false;  // a full visit: entry 0 moves and loses its flag
  kernels::kl_cd_row(x.data(), len, f.data(), g.data(), len, g_sum.data(), k, c, v.data());
  EXPECT_GT(f[0], 0.0);
  EXPECT_EQ(idle[0], 0);
  EXPECT_EQ(idle[2], 1);
}

TEST(KlCdIdle, SparseRowsGatherEveryPositiveEntrysRowFlaggedOrNot) {
  // Entry 0 is flagged idle but positive (as extrapolation's restart can leave it): it is passed
  // over, yet its row of G is part of v = f·G. Whatever the gather scratch held before (another
  // line's rows, on the thread that takes this one), the sparse row must end as the dense row does.
  const Index len = 60, k = 3;
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x(len), g(static_cast<std::size_t>(k * len)), g_sum(k, 0.0);
  for (double& v : x) v = u(gen) < 0.6 ? 0.0 : 0.5 + u(gen);
  for (double& v : g) v = 0.1 + u(gen);
  for (Index t = 0; t < k; ++t)
    for (Index p = 0; p < len; ++p) g_sum[t] += g[t * len + p];
  std::vector<std::int32_t> idx;
  std::vector<double> xs;
  for (Index p = 0; p < len; ++p)
    if (x[p] != 0) idx.push_back(std::int32_t(p)), xs.push_back(x[p]);
  const Index count = Index(idx.size());
  const std::vector<double> f0 = {0.7, 0.2, 0.0};

  kernels::KlCdControl c;
  c.skip_idle = true;
  c.divergence = true;
  std::uint8_t dense_idle[3] = {1, 0, 0};
  c.idle = dense_idle;
  std::vector<double> dense_f = f0, v(len);
  const double dense_d = kernels::kl_cd_row(x.data(), len, dense_f.data(), g.data(), len,
                                            g_sum.data(), k, c, v.data());
  EXPECT_EQ(dense_f[0], f0[0]);  // passed over

  std::vector<double> first;
  for (const double stale : {0.0, 1e3}) {
    std::uint8_t idle[3] = {1, 0, 0};
    c.idle = idle;
    std::vector<double> f = f0, vs(static_cast<std::size_t>(count));
    std::vector<double> gathered(static_cast<std::size_t>(k * count), stale);
    const double d = kernels::kl_cd_sparse_row(xs.data(), idx.data(), count, f.data(), g.data(),
                                               len, g_sum.data(), k, c, vs.data(), gathered.data());
    EXPECT_EQ(f[0], f0[0]) << "stale " << stale;
    for (Index t = 0; t < k; ++t)
      EXPECT_NEAR(f[t], dense_f[t], 1e-12 * (1 + dense_f[t]))
          << "entry " << t << ", stale " << stale;
    EXPECT_NEAR(d, dense_d, 1e-12 * (1 + std::abs(dense_d))) << "stale " << stale;
    if (first.empty())
      first = f;
    else
      EXPECT_TRUE(same_bytes(first, f));
  }
}

TEST(KlCdIdle, SparseLinesSkipIdleEntriesAndEndWhereDenseLinesDo) {
  // Mostly zeros and k above the data's rank: many entries of W and H end at 0, which the
  // compressed lines pass over between full visits.
  const Matrix<double> x = kl_data<double>(400, 120, 3, 0.85, 13);
  FitOptions o = cd_options(8, 150);
  o.format = DataFormat::kDense;
  const FitResult<double> dense = fit(x.view(), o);
  o.format = DataFormat::kSparse;
  const FitResult<double> sparse = fit(x.view(), o);
  const auto zeros = [](const Matrix<double>& m) {
    return std::count(m.values.begin(), m.values.end(), 0.0);
  };
  EXPECT_GT(zeros(sparse.W), sparse.W.values.size() / 10);
  EXPECT_NEAR(sparse.loss_history.back(), dense.loss_history.back(),
              1e-3 * dense.loss_history.back());
}

TEST(KlCdVariants, AgreeAcrossInstructionSets) {
  testing::expect_instruction_sets_agree(kl_data<float>(300, 70, 4, 0.0, 10), cd_options(5, 20),
                                         1e-4);
}

TYPED_TEST(KlCd, PenaltiesLowerThePenalisedObjectiveAndSparsifyW) {
  using T = TypeParam;
  const Matrix<T> x = kl_data<T>(150, 40, 4, 0.3, 11);
  FitOptions o = cd_options(6, 80);
  const FitResult<T> plain = fit(x.view(), o);
  o.alpha_w = 0.05;
  o.l1_ratio = 1;
  const FitResult<T> lasso = fit(x.view(), o);
  for (std::size_t i = 1; i < lasso.loss_history.size(); ++i)
    EXPECT_LE(lasso.loss_history[i], lasso.loss_history[i - 1] * (1 + 1e-6)) << i;
  const auto zeros = [](const Matrix<T>& m) {
    return std::count(m.values.begin(), m.values.end(), T(0));
  };
  EXPECT_GT(zeros(lasso.W), zeros(plain.W));
  EXPECT_TRUE(testing::all_non_negative(lasso.W));
}

TYPED_TEST(KlCd, TransformHoldsHAndMatchesMultiplicativeUpdates) {
  using T = TypeParam;
  const Matrix<T> x = kl_data<T>(100, 40, 3, 0.2, 12);
  FitOptions o = cd_options(3, 200);
  const FitResult<T> fitted = fit(x.view(), o);
  const FitResult<T> w = transform(x.view(), fitted.H.view(), o);
  EXPECT_TRUE(same_bytes(w.H, fitted.H));
  FitOptions mu = o;
  mu.solver = "mu";
  const FitResult<T> wm = transform(x.view(), fitted.H.view(), mu);
  // W for fixed H is a convex problem: both rules approach its minimum, cd at least as close.
  EXPECT_LE(w.loss_history.back(), wm.loss_history.back() * (1 + 1e-5));
}

TEST(KlCdOptions, FrobeniusKnobsAndOtherLossesAreRefused) {
  FitOptions o = cd_options(3, 10);
  EXPECT_NO_THROW(o.validate());
  for (const auto& [name, change] : std::vector<std::pair<std::string, void (*)(FitOptions&)>>{
           {"shuffle", [](FitOptions& f) { f.shuffle = true; }},
           {"fused_pass", [](FitOptions& f) { f.fused_pass = false; }}}) {
    FitOptions bad = o;
    change(bad);
    try {
      bad.validate();
      ADD_FAILURE() << name << " was accepted";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("kullback-leibler"), std::string::npos) << e.what();
    }
  }
  o.beta = 0.5;  // cd's rule of its own covers β = 1 and 0 only
  EXPECT_THROW(o.validate(), InvalidArgument);
  o.beta = 1;
  o.solver = "hals";
  try {
    o.validate();
    ADD_FAILURE() << "hals with kullback-leibler was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("use solver cd or mu"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nmfkit
