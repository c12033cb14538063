// The Itakura-Saito coordinate descent (solver cd with β = 0: core/kl_cd_steps.cpp,
// kernels/kl_cd.hpp with KlCdControl::itakura_saito): one row's kernel against a plain double
// loop of the same guarded Newton steps on the majorizer; whole fits that lower the divergence,
// keep W and H non-negative, report the true divergence, end at or below multiplicative updates,
// give the same bytes for one and two threads and agree across instruction sets; transform holds
// H; the options that do nothing for this loss are refused, and X with zeros is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "../test_data.hpp"
#include "cd_fit_checks.hpp"
#include "core/beta.hpp"
#include "kernels/kl_cd.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit {
namespace {

using testing::same_bytes;

template <typename T>
class IsCd : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(IsCd, Scalars);

FitOptions is_options(int k, int iterations, Init init = Init::kNndsvda) {
  FitOptions o = testing::options_for("cd", k);
  o.beta = 0;
  o.init = init;
  o.max_iter = iterations;
  o.tol = 0;
  return o;
}

/// The same guarded Newton steps in plain double arithmetic, one entry at a time.
void reference_row(const std::vector<double>& x, std::vector<double>& f,
                   const std::vector<double>& g, const kernels::KlCdControl& c) {
  const std::size_t len = x.size(), k = f.size();
  std::vector<double> v(len, 0.0);
  for (std::size_t t = 0; t < k; ++t)
    for (std::size_t p = 0; p < len; ++p) v[p] += f[t] * g[t * len + p];
  for (std::size_t t = 0; t < k; ++t) {
    for (int step = 0; step < c.max_steps; ++step) {
      double grad = 0, hess = 0, top = 0;
      for (std::size_t p = 0; p < len; ++p) {
        const double vp = std::max(v[p], c.epsilon), gp = g[t * len + p];
        grad += gp / vp - gp * x[p] / (vp * vp);
        hess += 2 * gp * gp * x[p] / (vp * vp * vp);
        top = std::max(top, gp / vp);
      }
      grad += c.l1 + c.l2 * f[t];
      hess += c.l2;
      double next = std::max(0.0, f[t] - grad / hess);
      if (next < f[t]) next = std::max(next, f[t] - c.shrink / top);
      const double d = next - f[t];
      for (std::size_t p = 0; p < len; ++p) v[p] += d * g[t * len + p];
      f[t] = next;
      if (d == 0 || std::abs(d) <= c.step_tol * next) break;
    }
  }
}

/// Σ_j x/v − log(x/v) − 1 for v = f·G.
double row_divergence(const std::vector<double>& x, const std::vector<double>& f,
                      const std::vector<double>& g) {
  double d = 0;
  for (std::size_t p = 0; p < x.size(); ++p) {
    double v = 0;
    for (std::size_t t = 0; t < f.size(); ++t) v += f[t] * g[t * x.size() + p];
    d += x[p] / v - std::log(x[p] / v) - 1;
  }
  return d;
}

TYPED_TEST(IsCd, RowKernelFollowsAPlainLoopAndLowersTheRowsDivergence) {
  using T = TypeParam;
  const Index len = 203, k = 5;  // not a multiple of the 16 lanes
  std::mt19937 gen(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x(len), g(static_cast<std::size_t>(k * len)), f0(k);
  for (double& v : x) v = 0.05 + 2 * u(gen);
  for (double& v : g) v = 0.05 + u(gen);
  for (double& v : f0) v = 0.1 + u(gen);
  kernels::KlCdControl c;
  c.itakura_saito = true;
  c.max_steps = 4;
  c.step_tol = 0.05;
  for (const double l2 : {0.0, 0.2}) {
    c.l2 = l2;
    std::vector<double> expected = f0;
    reference_row(x, expected, g, c);
    if (l2 == 0) {
      EXPECT_LT(row_divergence(x, expected, g), row_divergence(x, f0, g));
    }

    const std::vector<T> xt(x.begin(), x.end()), gt(g.begin(), g.end());
    std::vector<T> f(f0.begin(), f0.end()), v(len);
    const std::vector<double> unused(k, 0.0);
    c.divergence = true;
    const double part =
        kernels::kl_cd_row(xt.data(), len, f.data(), gt.data(), len, unused.data(), k, c, v.data());
    c.divergence = false;
    const double tolerance = sizeof(T) == 4 ? 1e-4 : 1e-10;
    for (Index t = 0; t < k; ++t) EXPECT_NEAR(f[t], expected[t], tolerance * (1 + expected[t]));
    // The returned part is Σ x/v + log v at the final f.
    double direct = 0;
    for (Index p = 0; p < len; ++p) {
      double vp = 0;
      for (Index t = 0; t < k; ++t) vp += double(f[t]) * double(gt[t * len + p]);
      direct += double(xt[p]) / vp + std::log(vp);
    }
    EXPECT_NEAR(part, direct, (sizeof(T) == 4 ? 1e-4 : 1e-10) * std::abs(direct));
  }
}

TYPED_TEST(IsCd, RowKernelGuardKeepsEveryProductAboveHalf) {
  // An entry far too large against x: the Newton step of the majorizer would take it to 0 and
  // W·H with it; the guard lowers it so that no entry of v = f·G loses more than half in a step.
  using T = TypeParam;
  const Index len = 40, k = 1;
  std::vector<T> x(len, T(0.01)), g(len), f = {T(50)};
  for (Index p = 0; p < len; ++p) g[p] = T(1 + p % 3);
  std::vector<T> v(len);
  kernels::KlCdControl c;
  c.itakura_saito = true;
  c.max_steps = 1;
  const std::vector<double> unused(k, 0.0);
  // The bound holds to the precision of the kernel's reciprocals: in single precision the AVX2
  // build takes the processor's 12-bit estimate (relative error at most 1.5·2⁻¹²), elsewhere
  // float or double precision.
  const double precision = sizeof(T) == 4 ? 1e-3 : 1e-6;
  kernels::kl_cd_row(x.data(), len, f.data(), g.data(), len, unused.data(), k, c, v.data());
  // The step's bound: 0.5 / max(g/v) = 0.5 · 50.
  EXPECT_NEAR(double(f[0]), 25.0, 25.0 * precision);
  // Two steps: halved twice, still above 0 (unguarded, the first step lands at 0).
  f[0] = T(50);
  c.max_steps = 2;
  c.step_tol = 0;
  kernels::kl_cd_row(x.data(), len, f.data(), g.data(), len, unused.data(), k, c, v.data());
  EXPECT_NEAR(double(f[0]), 12.5, 12.5 * precision);
  c.shrink = 1e30;
  f[0] = T(50);
  kernels::kl_cd_row(x.data(), len, f.data(), g.data(), len, unused.data(), k, c, v.data());
  EXPECT_LT(double(f[0]), 12.5);
}

TYPED_TEST(IsCd, LowersTheDivergenceAndReportsTheTrueOne) {
  using T = TypeParam;
  const Matrix<T> x = testing::positive_data<T>(120, 45, 4, 5);
  for (Init init : {Init::kRandom, Init::kNndsvda}) {
    SCOPED_TRACE(std::string(init_name(init)));
    const FitResult<T> r = fit(x.view(), is_options(5, 60, init));
    EXPECT_EQ(r.solver, "cd");
    ASSERT_EQ(r.loss_history.size(), 61u);
    // Every step lowers a majorizer, so the divergence falls (up to float rounding) ...
    for (std::size_t i = 1; i < r.loss_history.size(); ++i)
      EXPECT_LE(r.loss_history[i], r.loss_history[i - 1] * (1 + 1e-5)) << "iteration " << i;
    // ... by far from where it started.
    EXPECT_LT(r.loss_history.back(), 0.5 * r.loss_history.front());
    EXPECT_TRUE(testing::all_non_negative(r.W));
    EXPECT_TRUE(testing::all_non_negative(r.H));
    // The history's last entry, formed inside the passes, is the divergence of W and H.
    const Matrix<T> ht = transposed(r.H.view());
    const double direct = core::beta_divergence(x.view(), 1.0, r.W, ht, 0.0, 1);
    EXPECT_NEAR(r.loss_history.back(), direct, (sizeof(T) == 4 ? 1e-3 : 1e-9) * direct);
    EXPECT_NEAR(r.error, std::sqrt(2 * direct), (sizeof(T) == 4 ? 1e-3 : 1e-9) * r.error);
  }
}

TEST(IsCdQuality, EndsBelowMultiplicativeUpdatesInAQuarterOfTheIterations) {
  for (const std::uint32_t seed : {8u, 9u}) {
    const Matrix<double> x = testing::positive_data<double>(200, 60, 6, seed);
    for (Init init : {Init::kRandom, Init::kNndsvda}) {
      SCOPED_TRACE(std::string(init_name(init)) + " seed " + std::to_string(seed));
      const FitResult<double> cd = fit(x.view(), is_options(6, 100, init));
      FitOptions mu = is_options(6, 400, init);
      mu.solver = "mu";
      const FitResult<double> m = fit(x.view(), mu);
      EXPECT_LE(cd.loss_history.back(), m.loss_history.back());
    }
  }
}

TYPED_TEST(IsCd, SameBytesForOneAndTwoThreads) {
  using T = TypeParam;
  const Matrix<T> x = testing::positive_data<T>(700, 50, 5, 9);
  FitOptions o = is_options(6, 12);
  o.alpha_w = 0.001;
  const FitResult<T> two = testing::expect_same_fit_on_one_and_two_threads(x, o);
  o.threads = 2;
  // Asked for sparse storage, the passes still read every entry (each one enters the loss).
  o.format = DataFormat::kSparse;
  const FitResult<T> sparse = fit(x.view(), o);
  EXPECT_NEAR(sparse.loss_history.back(), two.loss_history.back(),
              (sizeof(T) == 4 ? 1e-3 : 1e-9) * two.loss_history.back());
}

TEST(IsCdVariants, AgreeAcrossInstructionSets) {
  testing::expect_instruction_sets_agree(testing::positive_data<float>(300, 70, 4, 10),
                                         is_options(5, 20), 1e-4);
}

TYPED_TEST(IsCd, PenaltiesSparsifyWAndTransformHoldsH) {
  using T = TypeParam;
  const Matrix<T> x = testing::positive_data<T>(150, 40, 4, 11);
  FitOptions o = is_options(6, 80);
  const FitResult<T> plain = fit(x.view(), o);
  o.alpha_w = 0.5;
  o.l1_ratio = 1;
  const FitResult<T> lasso = fit(x.view(), o);
  const auto zeros = [](const Matrix<T>& m) {
    return std::count(m.values.begin(), m.values.end(), T(0));
  };
  EXPECT_GT(zeros(lasso.W), zeros(plain.W));
  EXPECT_TRUE(testing::all_non_negative(lasso.W));

  const FitResult<T> w = transform(x.view(), plain.H.view(), is_options(6, 100));
  EXPECT_TRUE(same_bytes(w.H, plain.H));
  FitOptions mu = is_options(6, 100);
  mu.solver = "mu";
  const FitResult<T> wm = transform(x.view(), plain.H.view(), mu);
  EXPECT_LE(w.loss_history.back(), wm.loss_history.back() * (1 + 1e-5));
}

TEST(IsCdOptions, FrobeniusKnobsAndZerosAreRefused) {
  FitOptions o = is_options(3, 10);
  EXPECT_NO_THROW(o.validate());
  FitOptions bad = o;
  bad.shuffle = true;
  try {
    bad.validate();
    ADD_FAILURE() << "shuffle was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("itakura-saito"), std::string::npos) << e.what();
  }
  Matrix<double> x = testing::positive_data<double>(30, 20, 2, 12);
  x(3, 4) = 0;
  EXPECT_THROW(fit(x.view(), o), DataError);
  o.beta = 0.5;  // cd has no rule of its own for other β
  EXPECT_THROW(o.validate(), InvalidArgument);
}

}  // namespace
}  // namespace nmfkit
