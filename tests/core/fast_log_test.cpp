// kernels::log_positive, the branch-free logarithm of the β-divergence loops: within 1 ulp of
// std::log over the whole range of positive normal doubles, exact at powers of two.
#include "kernels/fast_log.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
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

float float_ulps_apart(float a, double exact) {
  const float b = static_cast<float>(exact);
  const float ulp =
      std::nextafter(std::abs(b), std::numeric_limits<float>::infinity()) - std::abs(b);
  return static_cast<float>(std::abs(double(a) - exact) / ulp);
}

// The float version (the coordinate descent's divergence in single precision): within 1 ulp of
// the exact logarithm over every binade of the normal floats (a stride through all of them).
TEST(FastLog, FloatWithinOneUlpOverTheNormalRange) {
  float worst = 0;
  for (std::uint32_t bits = 0x00800000U; bits < 0x7f800000U; bits += 97) {
    const float x = std::bit_cast<float>(bits);
    const double exact = std::log(double(x));
    if (exact == 0) continue;
    worst = std::max(worst, float_ulps_apart(kernels::log_positive(x), exact));
  }
  EXPECT_LE(worst, 1.0f);
  EXPECT_EQ(kernels::log_positive(1.0f), 0.0f);
  for (int e = -126; e <= 127; ++e)
    EXPECT_LE(float_ulps_apart(kernels::log_positive(std::ldexp(1.0f, e)), e * std::log(2.0)), 0.5f)
        << e;
  for (float x : {std::nextafter(1.0f, 2.0f), std::nextafter(1.0f, 0.0f), 0.70710677f, 1.4142135f,
                  std::numeric_limits<float>::min(), std::numeric_limits<float>::max()})
    EXPECT_LE(float_ulps_apart(kernels::log_positive(x), std::log(double(x))), 1.0f) << x;
}

// kernels::exp_bounded, the exponential of the powers of a β without a specialised one: within
// 2 ulp of std::exp over [−708, 709], exact at 0, +inf above and 0 below.
TEST(FastExp, WithinTwoUlpOfLibmOverItsRange) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> wide(-708.0, 709.0), narrow(-2.0, 2.0);
  double worst = 0;
  for (int i = 0; i < 1000000; ++i)
    for (const double x : {wide(rng), narrow(rng)})
      worst = std::max(worst, ulps_apart(kernels::exp_bounded(x), std::exp(x)));
  EXPECT_LE(worst, 2.0);
  EXPECT_EQ(kernels::exp_bounded(0.0), 1.0);
  for (double x : {-708.0, 709.0, 1e-300, -1e-300, 0.34657359027997264, -0.34657359027997264})
    EXPECT_LE(ulps_apart(kernels::exp_bounded(x), std::exp(x)), 2.0) << x;
  EXPECT_EQ(kernels::exp_bounded(709.5), std::numeric_limits<double>::infinity());
  EXPECT_EQ(kernels::exp_bounded(1e300), std::numeric_limits<double>::infinity());
  EXPECT_EQ(kernels::exp_bounded(-708.5), 0.0);
  EXPECT_EQ(kernels::exp_bounded(-std::numeric_limits<double>::infinity()), 0.0);
}

// kernels::pow_positive against std::pow over the values the β-divergences' updates take (W·H
// from 1e-30 to 1e30, exponents β − 1 and β − 2 for β in (−1, 4)): relative error within
// (3 + 3·|e·ln v|) ulp (the logarithm's rounding, scaled by e and by the exponential); 0 and
// subnormal bases.
TEST(FastExp, PowPositiveAgainstLibm) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> log10v(-30.0, 30.0), exponent(-3.0, 3.0);
  for (int i = 0; i < 1000000; ++i) {
    const double v = std::pow(10.0, log10v(rng)), e = exponent(rng);
    if (e == 0) continue;
    const double bound = 3 + 3 * std::abs(e * std::log(v));
    ASSERT_LE(ulps_apart(kernels::pow_positive(v, e), std::pow(v, e)), bound) << v << " " << e;
  }
  EXPECT_EQ(kernels::pow_positive(0.0, 0.7), 0.0);
  EXPECT_EQ(kernels::pow_positive(0.0, -1.3), std::numeric_limits<double>::infinity());
  EXPECT_EQ(kernels::pow_positive(1.0, -1.7), 1.0);
  EXPECT_EQ(kernels::pow_positive(4.0, 0.5), 2.0);
  for (const double v : {std::numeric_limits<double>::denorm_min(), 1e-310, 3e-320})
    for (const double e : {0.3, -0.01, 1.5})
      EXPECT_LE(ulps_apart(kernels::pow_positive(v, e), std::pow(v, e)),
                3 + 3 * std::abs(e * std::log(v)))
          << v << " " << e;
}

}  // namespace
}  // namespace nmfkit
