#pragma once
// numpy's legacy RandomState stream (MT19937 seeded like RandomState(seed), doubles from two
// 32-bit draws, Gaussians by the polar method), so `init=random` with seed s draws the same
// numbers as scikit-learn with random_state=s.
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace nmfkit::core {

class NumpyRandom {
 public:
  explicit NumpyRandom(std::uint32_t seed) : engine_(seed) {}

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() {
    const std::uint32_t a = static_cast<std::uint32_t>(engine_()) >> 5;
    const std::uint32_t b = static_cast<std::uint32_t>(engine_()) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /// Standard normal N(0, 1).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double x1, x2, r2;
    do {
      x1 = 2.0 * uniform() - 1.0;
      x2 = 2.0 * uniform() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double f = std::sqrt(-2.0 * std::log(r2) / r2);
    spare_ = f * x1;
    has_spare_ = true;
    return f * x2;
  }

  /// Uniform integer in [0, max], by numpy's legacy masked rejection sampling.
  std::uint32_t interval(std::uint32_t max) {
    if (max == 0) return 0;
    std::uint32_t mask = max;
    for (int shift = 1; shift <= 16; shift <<= 1) mask |= mask >> shift;
    std::uint32_t value;
    do {
      value = static_cast<std::uint32_t>(engine_()) & mask;
    } while (value > max);
    return value;
  }

  /// Shuffles v in place as numpy's legacy RandomState.shuffle does (Fisher–Yates from the end);
  /// shuffling 0…n−1 gives RandomState.permutation(n).
  template <typename V>
  void shuffle(std::vector<V>& v) {
    for (std::size_t i = v.size(); i-- > 1;)
      std::swap(v[i], v[interval(static_cast<std::uint32_t>(i))]);
  }

 private:
  std::mt19937 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace nmfkit::core
