#pragma once
// Small synthetic data for the tests: exact low-rank non-negative matrices and their factors.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "nmfkit/errors.hpp"
#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit::testing {

template <typename T>
struct LowRank {
  Matrix<T> x, w, h;
};

/// X = W·H with W (n × r) and H (r × m) drawn uniform in [0, 1), about a third of them zeroed so
/// the factorization is essentially unique.
template <typename T>
LowRank<T> low_rank(Index n, Index m, Index r, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  LowRank<T> d{Matrix<T>(n, m), Matrix<T>(n, r), Matrix<T>(r, m)};
  for (T& v : d.w.values) v = static_cast<T>(u(gen) < 0.3 ? 0.0 : u(gen));
  for (T& v : d.h.values) v = static_cast<T>(u(gen) < 0.3 ? 0.0 : u(gen));
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < m; ++j) {
      double s = 0;
      for (Index l = 0; l < r; ++l) s += double(d.w(i, l)) * double(d.h(l, j));
      d.x(i, j) = static_cast<T>(s);
    }
  return d;
}

/// Exact rank-r non-negative data (low_rank() with seed 100 + seed) plus Gaussian noise with a
/// standard deviation of `noise` times its mean (default 5%), clipped at 0.
inline Matrix<double> noisy_low_rank(Index n, Index m, Index r, std::uint32_t seed,
                                     double noise = 0.05) {
  Matrix<double> x = low_rank<double>(n, m, r, 100 + seed).x;
  double mean = 0;
  for (double v : x.values) mean += v;
  mean /= double(x.values.size());
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, noise * mean);
  for (double& v : x.values) v = std::max(0.0, v + normal(gen));
  return x;
}

/// A generic non-negative matrix: entries uniform in [low, 1), full rank.
template <typename T>
Matrix<T> uniform_matrix(Index n, Index m, std::uint32_t seed, double low = 0.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(low, 1.0);
  Matrix<T> x(n, m);
  for (T& v : x.values) v = static_cast<T>(u(gen));
  return x;
}

/// rows × cols 8-bit levels (as 8-bit images hold them), each zero with probability `zeros`,
/// the others uniform in 1…255.
inline std::vector<std::uint8_t> random_levels(Index rows, Index cols, double zeros,
                                               std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> level(1, 255);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::uint8_t> x(static_cast<std::size_t>(rows * cols), 0);
  for (std::uint8_t& v : x)
    if (u(gen) >= zeros) v = static_cast<std::uint8_t>(level(gen));
  return x;
}

/// The levels as the loaders convert them: T(q · scale), computed in double.
template <typename T>
std::vector<T> converted_levels(const std::vector<std::uint8_t>& levels, double scale) {
  std::vector<T> x(levels.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<T>(double(levels[i]) * scale);
  return x;
}

/// The message of the nmfkit::Error that f throws, or "(no exception)".
inline std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no exception)";
}

/// Options for `solver` with k components on one thread; everything else default.
inline FitOptions options_for(const std::string& solver, int k) {
  FitOptions o;
  o.k = k;
  o.solver = solver;
  o.threads = 1;
  return o;
}

template <typename T>
bool all_finite(const Matrix<T>& m) {
  for (T v : m.values)
    if (!std::isfinite(v)) return false;
  return true;
}

template <typename T>
bool all_non_negative(const Matrix<T>& m) {
  for (T v : m.values)
    if (!(v >= 0)) return false;
  return true;
}

/// ‖X − W·H‖_F computed directly (the reference for the Gram-trick loss).
template <typename T>
double direct_error(const Matrix<T>& x, const Matrix<T>& w, const Matrix<T>& h) {
  double s = 0;
  for (Index i = 0; i < x.rows; ++i)
    for (Index j = 0; j < x.cols; ++j) {
      double wh = 0;
      for (Index l = 0; l < w.cols; ++l) wh += double(w(i, l)) * double(h(l, j));
      const double d = double(x(i, j)) - wh;
      s += d * d;
    }
  return std::sqrt(s);
}

template <typename T>
double frobenius(const Matrix<T>& x) {
  double s = 0;
  for (T v : x.values) s += double(v) * double(v);
  return std::sqrt(s);
}

/// Whether a and b hold exactly the same bytes (and sizes).
template <typename T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}
template <typename T>
bool same_bytes(const Matrix<T>& a, const Matrix<T>& b) {
  return a.rows == b.rows && a.cols == b.cols && same_bytes(a.values, b.values);
}

}  // namespace nmfkit::testing
