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

}  // namespace
}  // namespace nmfkit
