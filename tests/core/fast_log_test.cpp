// kernels::log_positive, the branch-free logarithm of the β-divergence loops: within 1 ulp of
// std::log over the whole range of positive normal doubles, exact at powers of two.
#include "kernels/fast_log.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace nmfkit {
namespace {

double ulps_apart(double a, double b) {
  const double ulp = std::nextafter(b, std::numeric_limits<double>::infinity()) - b;
  return std::abs(a - b) / ulp;
}

TEST(FastLog, WithinOneUlpOfLibmOverTheNormalRange) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> exponent(-1021.0, 1023.0), mantissa(1.0, 2.0);
  double worst = 0;
  for (int i = 0; i < 2000000; ++i) {
    const double x = std::ldexp(mantissa(rng), static_cast<int>(exponent(rng)));
    worst = std::max(worst, ulps_apart(kernels::log_positive(x), std::log(x)));
  }
  EXPECT_LE(worst, 1.0);
}

TEST(FastLog, NearOneAndAtTheEnds) {
  for (double x : {1.0, std::nextafter(1.0, 2.0), std::nextafter(1.0, 0.0), 1 + 1e-9, 1 - 1e-9,
                   0.70710678118654752, 1.4142135623730951, std::numeric_limits<double>::min(),
                   std::numeric_limits<double>::max(), 1.1920928955078125e-07}) {
    EXPECT_LE(ulps_apart(kernels::log_positive(x), std::log(x)), 1.0) << x;
  }
  EXPECT_EQ(kernels::log_positive(1.0), 0.0);
  for (int e = -1022; e <= 1023; e += 7)
    EXPECT_EQ(kernels::log_positive(std::ldexp(1.0, e)), std::log(std::ldexp(1.0, e))) << e;
}

}  // namespace
}  // namespace nmfkit
