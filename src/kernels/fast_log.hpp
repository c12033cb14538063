#pragma once
// The natural logarithm of a positive, finite, normal double without a call into libm and without
// a branch, so that loops over many entries (the β-divergences) vectorise: the exponent and the
// mantissa are split with integer operations and log(1 + f) is evaluated by the classic
// reduction s = f / (2 + f), log(1 + f) = f − f²/2 + s·(f²/2 + R(s²)) with R the minimax
// polynomial of degree 14 in s used by fdlibm-derived libraries (error below 1 ulp of the result
// for the reduced argument). Its result is within 1 ulp of std::log on positive normal arguments
// (tests/core/fast_log_test.cpp); zero, negative, subnormal, infinite and NaN arguments give
// meaningless values: callers mask them out or check the sum afterwards. The same header has the
// float logarithm, and the exponential and the power built on them for the β-divergences whose
// powers are not square roots.
#include <bit>
#include <cstdint>
#include <limits>

namespace nmfkit::kernels {

inline double log_positive(double x) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2, its leading bits exactly
  constexpr double kLn2Lo = 1.90821492927058770002e-10;  // and the rest
  constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01;
  constexpr double kLg3 = 2.857142874366239149e-01, kLg4 = 2.222219843214978396e-01;
  constexpr double kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01;
  constexpr double kLg7 = 1.479819860511658591e-01;
  // Shift the mantissa's range to [√2/2, √2): the exponent then comes out of the top bits.
  constexpr std::uint64_t kSqrtHalfBits = 0x3fe6a09e00000000ULL;  // high word of √2/2
  constexpr std::uint64_t kOneBits = 0x3ff0000000000000ULL;
  std::uint64_t bits = std::bit_cast<std::uint64_t>(x) + (kOneBits - kSqrtHalfBits);
  // The unbiased exponent as a double, exactly: 2^52 + e read as a double, minus 2^52 + 1023.
  const double k =
      std::bit_cast<double>((bits >> 52) | 0x4330000000000000ULL) - (4503599627370496.0 + 1023.0);
  bits = (bits & 0x000fffffffffffffULL) + kSqrtHalfBits;
  const double f = std::bit_cast<double>(bits) - 1.0;
  const double half_f2 = 0.5 * f * f;
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
  const double t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
  return s * (half_f2 + t1 + t2) + k * kLn2Lo - half_f2 + f + k * kLn2Hi;
}

/// log_positive for a positive, finite, normal float, in float arithmetic: the same split of
/// exponent and mantissa (into [√2/2, √2)), then log(1 + f) = f − f²/2 + f³·P(f) with the
/// degree-8 minimax polynomial of the Cephes library's logf, and k·ln 2 in two parts. No
/// division: 16 lanes of it cost about what 4 of the double version do. Within 1 ulp of the
/// exact logarithm over the normal floats (0.82 at worst; tests/core/fast_log_test.cpp).
inline float log_positive(float x) {
  constexpr std::uint32_t kSqrtHalfBits = 0x3f3504f3U;  // √2/2
  constexpr std::uint32_t kOneBits = 0x3f800000U;
  std::uint32_t bits = std::bit_cast<std::uint32_t>(x) + (kOneBits - kSqrtHalfBits);
  const float k = static_cast<float>(static_cast<std::int32_t>(bits >> 23) - 127);
  bits = (bits & 0x007fffffU) + kSqrtHalfBits;
  const float f = std::bit_cast<float>(bits) - 1.0f;
  const float z = f * f;
  float p = 7.0376836292e-2f;
  p = p * f - 1.1514610310e-1f;
  p = p * f + 1.1676998740e-1f;
  p = p * f - 1.2420140846e-1f;
  p = p * f + 1.4249322787e-1f;
  p = p * f - 1.6668057665e-1f;
  p = p * f + 2.0000714765e-1f;
  p = p * f - 2.4999993993e-1f;
  p = p * f + 3.3333331174e-1f;
  const float y = p * f * z + k * -2.12194440e-4f - 0.5f * z;
  return (f + y) + k * 0.693359375f;
}

/// e^x without a call into libm and without a branch, so that it vectorises: x = n·ln 2 + r with
/// n rounded to the nearest integer (by adding 1.5·2^52) and |r| ≤ ln 2 / 2 (ln 2 in two parts, so
/// that n·ln 2's leading part is exact), e^r by its Taylor series to degree 13 (truncated below
/// 1e-17 of it), times 2^n built in the exponent bits. Within a few ulp of std::exp on
/// [−708, 709] (tests/core/fast_log_test.cpp); above that +inf, below it 0 (the subnormal results
/// are not formed). NaN gives a meaningless value.
inline double exp_bounded(double x) {
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 significant bits: n·kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kShift = 6755399441055744.0;  // 1.5·2^52: adding it rounds to an integer
  const double xc = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
  const double t = xc * kInvLn2 + kShift;
  const double n = t - kShift;
  const double r = (xc - n * kLn2Hi) - n * kLn2Lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // n from t's low bits (t − kShift as integers), then 2^n as the bits of a double.
  const std::int64_t ni = std::bit_cast<std::int64_t>(t) - std::bit_cast<std::int64_t>(kShift);
  const double scale = std::bit_cast<double>(static_cast<std::uint64_t>(ni + 1023) << 52);
  const double y = p * scale;
  return x > 709.0 ? std::numeric_limits<double>::infinity() : (x < -708.0 ? 0.0 : y);
}

/// v^e for v ≥ 0 and e ≠ 0 (finite), as exp(e·log v) from log_positive and exp_bounded, without a
/// branch: 0 → 0 for e > 0 and +inf for e < 0; subnormal v are scaled into the normal range
/// first. Its relative error grows with |e·ln v| (the logarithm's rounding is scaled by e and by
/// the exponential): within (3 + 3·|e·ln v|) ulp, a few ulp for the values of the β-divergences
/// near a fit, and far below a float's precision for any.
inline double pow_positive(double v, double e) {
  constexpr double kMinNormal = std::numeric_limits<double>::min();
  constexpr double kTwo54 = 18014398509481984.0;
  constexpr double kLnTwo54 = 37.42994775023704;  // 54·ln 2
  const bool tiny = v < kMinNormal;
  const double lg = log_positive(tiny ? (v == 0 ? 1.0 : v * kTwo54) : v) - (tiny ? kLnTwo54 : 0.0);
  const double y = exp_bounded(e * lg);
  return v == 0 ? (e > 0 ? 0.0 : std::numeric_limits<double>::infinity()) : y;
}

}  // namespace nmfkit::kernels
