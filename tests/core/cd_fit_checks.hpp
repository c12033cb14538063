#pragma once
// Checks shared by the tests of the divergences' coordinate descent (kl_cd_test.cpp,
// is_cd_test.cpp): whole fits that must not depend on the thread count or the instruction set.
#include <gtest/gtest.h>

#include <vector>

#include "../test_data.hpp"
#include "kernels/isa.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit::testing {

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
