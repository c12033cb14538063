#pragma once
// Checks shared by the tests of the divergences' coordinate descent (kl_cd_test.cpp,
// is_cd_test.cpp): whole fits that must not depend on the thread count or the instruction set.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "../test_data.hpp"
#include "kernels/isa.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit::testing {

/// n × m positive data: W·H of random rank-r factors times Gamma-like noise (the Itakura-Saito
/// divergence is the likelihood of multiplicative exponential noise), plus a small floor.
template <typename T>
Matrix<T> positive_data(Index n, Index m, Index r, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::exponential_distribution<double> noise(1.0);
  std::vector<double> w(static_cast<std::size_t>(n * r)), h(static_cast<std::size_t>(r * m));
  for (double& v : w) v = u(gen) * u(gen);
  for (double& v : h) v = u(gen);
  Matrix<T> x(n, m);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < m; ++j) {
      double s = 0.01;
      for (Index l = 0; l < r; ++l) s += w[i * r + l] * h[l * m + j];
      x(i, j) = static_cast<T>(s * (0.5 + 0.5 * noise(gen)));
    }
  return x;
}

/// Fits x with o on one thread and on two: the same W, H and history, to the byte. Returns the
/// two-thread fit.
template <typename T>
FitResult<T> expect_same_fit_on_one_and_two_threads(const Matrix<T>& x, FitOptions o) {
  o.threads = 1;
  const FitResult<T> one = fit(x.view(), o);
  o.threads = 2;
  FitResult<T> two = fit(x.view(), o);
  EXPECT_TRUE(same_bytes(one.W, two.W));
  EXPECT_TRUE(same_bytes(one.H, two.H));
  EXPECT_TRUE(same_bytes(one.loss_history, two.loss_history));
  return two;
}

/// The fit's last objective under every instruction set this processor runs, within `relative`
/// of the first one's.
inline void expect_instruction_sets_agree(const Matrix<float>& x, const FitOptions& o,
                                          double relative) {
  const kernels::Isa saved = kernels::active_isa();
  std::vector<double> last;
  for (kernels::Isa isa : kernels::supported_isas()) {
    kernels::set_active_isa(isa);
    last.push_back(fit(x.view(), o).loss_history.back());
  }
  kernels::set_active_isa(saved);
  for (double v : last) EXPECT_NEAR(v, last.front(), relative * last.front());
}

}  // namespace nmfkit::testing
