// The β-divergence kernels (core/beta.hpp): the divergence and both multiplicative updates against
// plain double loops that follow scikit-learn's formulas literally, against scikit-learn itself
// (run through /usr/bin/python3; the test fails when it is missing), monotonicity of many updates,
// and the same bytes for any thread count.
#include "core/beta.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/data.hpp"
#include "kernels/blas_threads.hpp"
#include "kernels/dense.hpp"
#include "nmfkit/errors.hpp"
#include "test_data.hpp"

namespace nmfkit::core {
namespace {

using testing::same_bytes;

namespace fs = std::filesystem;

constexpr double kBetas[] = {0, 0.3, 0.5, 1, 1.2, 1.5, 2, 2.7, 3};  // 0.3, 1.2, 2.7: pow_positive

/// Penalties (l1, l2) the updates are checked with.
struct Penalty {
  double l1 = 0, l2 = 0;
};
constexpr Penalty kPenalties[] = {{0, 0}, {0.3, 0}, {0, 0.7}, {0.2, 0.5}};

/// OpenBLAS single-threaded while the kernels run, as fit() does.
class BlasFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { blas_ = new kernels::BlasThreadsGuard(); }
  static void TearDownTestSuite() {
    delete blas_;
    blas_ = nullptr;
  }
  static inline kernels::BlasThreadsGuard* blas_ = nullptr;
};

// ---- data ----------------------------------------------------------------------------------

/// What a problem contains: zeros in X (exact zeros and entries below ε after scaling), whole zero
/// rows of W and Ht (so that W·H has exact zeros), and the scale s the kernels apply to X.
struct Shape {
  Index n = 0, m = 0, k = 0;
  bool zeros_in_x = false;
  bool zeros_in_factors = false;
  double inverse_scale = 1;
};

template <typename T>
struct Problem {
  Matrix<T> x, w, ht;
};

/// Values drawn in double and rounded to T, so a float and a double problem from the same seed
/// hold the same numbers.
template <typename T>
Problem<T> make_problem(const Shape& s, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Problem<T> p{Matrix<T>(s.n, s.m), Matrix<T>(s.n, s.k), Matrix<T>(s.m, s.k)};
  for (T& v : p.x.values) {
    double value = 0.05 + 1.95 * u(gen);
    if (s.zeros_in_x) {
      const double r = u(gen);
      if (r < 0.2)
        value = 0;
      else if (r < 0.25)
        value = 4e-8 / s.inverse_scale;  // below ε once scaled: skipped by the divergence
      else if (r < 0.28)
        value = 6e-7 / s.inverse_scale;  // just above ε
    }
    v = static_cast<T>(value);
  }
  for (T& v : p.w.values) v = static_cast<T>(0.05 + u(gen));
  for (T& v : p.ht.values) v = static_cast<T>(0.05 + u(gen));
  if (s.zeros_in_factors) {
    for (Index l = 0; l < s.k; ++l) {
      p.w(1, l) = 0;   // row 1 of W·H is zero
      p.ht(2, l) = 0;  // column 2 of W·H is zero
    }
    p.w(0, 0) = 0;
    p.ht(0, 1) = 0;
  }
  return p;
}

/// A copy of x in a buffer whose rows are `pad` entries longer, the padding NaN: a kernel that
/// reads past a row's end shows up.
template <typename T>
struct Padded {
  std::vector<T> buffer;
  DenseView<T> view;
};
template <typename T>
Padded<T> padded(const Matrix<T>& x, Index pad) {
  Padded<T> p;
  const Index stride = x.cols + pad;
  p.buffer.assign(static_cast<std::size_t>(x.rows * stride), std::numeric_limits<T>::quiet_NaN());
  for (Index i = 0; i < x.rows; ++i)
    std::copy(x.row(i), x.row(i) + x.cols, p.buffer.begin() + i * stride);
  p.view = DenseView<T>(p.buffer.data(), x.rows, x.cols, stride);
  return p;
}

template <typename T>
Matrix<double> to_double(const Matrix<T>& a, double factor = 1) {
  Matrix<double> d(a.rows, a.cols);
  for (std::size_t e = 0; e < a.values.size(); ++e) d.values[e] = factor * double(a.values[e]);
  return d;
}

// ---- references: scikit-learn's formulas, literally, in double ------------------------------

constexpr double kEps = 1.1920928955078125e-07;  // np.finfo(np.float32).eps

double gamma_of(double beta) {
  return beta < 1 ? 1 / (2 - beta) : beta > 2 ? 1 / (beta - 1) : 1;
}

/// W (n × k) · Htᵀ (k × m).
Matrix<double> product(const Matrix<double>& w, const Matrix<double>& ht) {
  Matrix<double> wh(w.rows, ht.rows);
  for (Index i = 0; i < w.rows; ++i)
    for (Index j = 0; j < ht.rows; ++j) {
      double s = 0;
      for (Index l = 0; l < w.cols; ++l) s += w(i, l) * ht(j, l);
      wh(i, j) = s;
    }
  return wh;
}

/// _beta_divergence(X, W, H, beta) for the already scaled X.
double reference_divergence(const Matrix<double>& x, const Matrix<double>& w,
                            const Matrix<double>& ht, double beta) {
  const Matrix<double> wh = product(w, ht);
  if (beta == 2) {
    double s = 0;
    for (std::size_t e = 0; e < x.values.size(); ++e) {
      const double d = x.values[e] - wh.values[e];
      s += d * d;
    }
    return s / 2;
  }
  std::vector<double> xd, whd;  // entries with X > ε, W·H = 0 replaced by ε
  for (std::size_t e = 0; e < x.values.size(); ++e)
    if (x.values[e] > kEps) {
      xd.push_back(x.values[e]);
      whd.push_back(wh.values[e] == 0 ? kEps : wh.values[e]);
    }
  if (beta == 1) {
    double sum_wh = 0;  // Σ_l (Σ_i W_il)(Σ_j H_lj)
    for (Index l = 0; l < w.cols; ++l) {
      double sw = 0, sh = 0;
      for (Index i = 0; i < w.rows; ++i) sw += w(i, l);
      for (Index j = 0; j < ht.rows; ++j) sh += ht(j, l);
      sum_wh += sw * sh;
    }
    double res = 0, sum_x = 0;
    for (std::size_t e = 0; e < xd.size(); ++e) {
      res += xd[e] * std::log(xd[e] / whd[e]);
      sum_x += xd[e];
    }
    return res + sum_wh - sum_x;
  }
  if (beta == 0) {
    double sum_div = 0, sum_log = 0;
    for (std::size_t e = 0; e < xd.size(); ++e) {
      sum_div += xd[e] / whd[e];
      sum_log += std::log(xd[e] / whd[e]);
    }
    return sum_div - double(x.rows * x.cols) - sum_log;
  }
  double sum_wh_beta = 0, sum_x_wh = 0, sum_x_beta = 0;
  for (double v : wh.values) sum_wh_beta += std::pow(v, beta);
  for (std::size_t e = 0; e < xd.size(); ++e) {
    sum_x_wh += xd[e] * std::pow(whd[e], beta - 1);
    sum_x_beta += std::pow(xd[e], beta);
  }
  return (sum_x_beta - beta * sum_x_wh + (beta - 1) * sum_wh_beta) / (beta * (beta - 1));
}

/// The elementwise factors of the updates: numerator terms X ⊙ (W·H)^(β−2) and denominator terms
/// (W·H)^(β−1), with scikit-learn's ε replacements (β ≠ 2).
struct Terms {
  Matrix<double> num, den;
};
Terms reference_terms(const Matrix<double>& x, const Matrix<double>& w, const Matrix<double>& ht,
                      double beta) {
  const Matrix<double> wh = product(w, ht);
  Terms t{Matrix<double>(x.rows, x.cols), Matrix<double>(x.rows, x.cols)};
  for (std::size_t e = 0; e < x.values.size(); ++e) {
    const double v = wh.values[e];
    const double safe_num = (beta < 2 && v == 0) ? kEps : v;
    const double safe_den = (beta < 1 && v == 0) ? kEps : v;
    t.num.values[e] =
        beta == 1 ? x.values[e] / safe_num : x.values[e] * std::pow(safe_num, beta - 2);
    t.den.values[e] = std::pow(safe_den, beta - 1);
  }
  return t;
}

double reference_step(double old, double num, double den, double l1, double l2, double gamma) {
  if (l1 > 0) den += l1;
  if (l2 > 0) den += l2 * old;
  if (den == 0) den = kEps;
  return old * std::pow(num / den, gamma);
}

/// _multiplicative_update_w for the already scaled X.
Matrix<double> reference_update_w(const Matrix<double>& x, Matrix<double> w,
                                  const Matrix<double>& ht, double beta, Penalty pen) {
  const Index n = w.rows, m = ht.rows, k = w.cols;
  Matrix<double> num(n, k), den(n, k);
  if (beta == 2) {
    for (Index i = 0; i < n; ++i)
      for (Index l = 0; l < k; ++l) {
        double a = 0, b = 0;
        for (Index j = 0; j < m; ++j) a += x(i, j) * ht(j, l);
        for (Index q = 0; q < k; ++q) {
          double hh = 0;
          for (Index j = 0; j < m; ++j) hh += ht(j, q) * ht(j, l);
          b += w(i, q) * hh;
        }
        num(i, l) = a;
        den(i, l) = b;
      }
  } else {
    const Terms t = reference_terms(x, w, ht, beta);
    for (Index i = 0; i < n; ++i)
      for (Index l = 0; l < k; ++l) {
        double a = 0, b = 0;
        for (Index j = 0; j < m; ++j) {
          a += t.num(i, j) * ht(j, l);
          b += beta == 1 ? ht(j, l) : t.den(i, j) * ht(j, l);
        }
        num(i, l) = a;
        den(i, l) = b;
      }
  }
  for (Index i = 0; i < n; ++i)
    for (Index l = 0; l < k; ++l)
      w(i, l) = reference_step(w(i, l), num(i, l), den(i, l), pen.l1, pen.l2, gamma_of(beta));
  return w;
}

/// _multiplicative_update_h for the already scaled X, on Hᵀ.
Matrix<double> reference_update_h(const Matrix<double>& x, const Matrix<double>& w,
                                  Matrix<double> ht, double beta, Penalty pen) {
  const Index n = w.rows, m = ht.rows, k = w.cols;
  Matrix<double> num(m, k), den(m, k);
  if (beta == 2) {
    for (Index j = 0; j < m; ++j)
      for (Index l = 0; l < k; ++l) {
        double a = 0, b = 0;
        for (Index i = 0; i < n; ++i) a += x(i, j) * w(i, l);
        for (Index q = 0; q < k; ++q) {
          double ww = 0;
          for (Index i = 0; i < n; ++i) ww += w(i, q) * w(i, l);
          b += ht(j, q) * ww;
        }
        num(j, l) = a;
        den(j, l) = b;
      }
  } else {
    const Terms t = reference_terms(x, w, ht, beta);
    for (Index j = 0; j < m; ++j)
      for (Index l = 0; l < k; ++l) {
        double a = 0, b = 0;
        for (Index i = 0; i < n; ++i) {
          a += t.num(i, j) * w(i, l);
          b += beta == 1 ? w(i, l) : t.den(i, j) * w(i, l);
        }
        if (beta == 1 && b == 0) b = 1;
        num(j, l) = a;
        den(j, l) = b;
      }
  }
  for (Index j = 0; j < m; ++j)
    for (Index l = 0; l < k; ++l)
      ht(j, l) = reference_step(ht(j, l), num(j, l), den(j, l), pen.l1, pen.l2, gamma_of(beta));
  return ht;
}

// ---- comparisons -----------------------------------------------------------------------------

double relative_difference(double a, double b) {
  if (a == b) return 0;
  return std::abs(a - b) / std::max(std::abs(a), std::abs(b));
}

/// The largest elementwise relative difference, and where.
template <typename T>
std::pair<double, Index> max_relative_difference(const Matrix<T>& got, const Matrix<double>& want) {
  double worst = 0;
  Index where = -1;
  for (std::size_t e = 0; e < want.values.size(); ++e) {
    const double d = relative_difference(double(got.values[e]), want.values[e]);
    if (!(d <= worst)) {
      worst = d;
      where = static_cast<Index>(e);
    }
  }
  return {worst, where};
}

/// Against the double reference loops: double agrees to about 1e-14, float to about 5e-7.
template <typename T>
constexpr double tolerance() {
  return sizeof(T) == sizeof(double) ? 1e-12 : 1e-5;
}

std::string describe(double beta, double s, const char* data) {
  std::ostringstream o;
  o << "beta = " << beta << ", inverse_scale = " << s << ", " << data;
  return o.str();
}

// ---- (1) the divergence against the reference loop ----------------------------------------

template <typename T>
class BetaDivergence : public BlasFixture {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(BetaDivergence, Scalars);

TYPED_TEST(BetaDivergence, MatchesReferenceLoop) {
  using T = TypeParam;
  for (double s : {1.0, 0.25}) {
    for (bool zeros : {false, true}) {
      const Shape shape{37, 29, 4, zeros, zeros, s};
      const Problem<T> p = make_problem<T>(shape, 7);
      const Matrix<double> xs = to_double(p.x, s), w = to_double(p.w), ht = to_double(p.ht);
      for (double beta : kBetas) {
        if (beta <= 0 && zeros) continue;
        const double want = reference_divergence(xs, w, ht, beta);
        const double got = beta_divergence(p.x.view(), s, p.w, p.ht, beta, 2);
        EXPECT_LE(relative_difference(got, want), tolerance<T>())
            << describe(beta, s, zeros ? "with zeros" : "without zeros") << ": got " << got
            << ", want " << want;
      }
    }
  }
}

TYPED_TEST(BetaDivergence, IsZeroAtAnExactFactorizationAndPositiveElsewhere) {
  using T = TypeParam;
  const auto d = testing::low_rank<T>(30, 20, 3, 5);
  // Zeros of W and H leave zeros in X = W·H: keep β > 0 there, where zeros are allowed.
  for (double beta : {0.5, 1.0, 1.5, 2.0, 3.0}) {
    const Matrix<T> ht = transposed(d.h.view());
    const double at_fit = beta_divergence(d.x.view(), 1.0, d.w, ht, beta, 1);
    EXPECT_LE(std::abs(at_fit), sizeof(T) == 8 ? 1e-10 : 1e-6) << "beta = " << beta;
    Matrix<T> off = d.w;
    for (T& v : off.values) v = static_cast<T>(v * T(1.1) + T(0.01));
    EXPECT_GT(beta_divergence(d.x.view(), 1.0, off, ht, beta, 1), 1e-3) << "beta = " << beta;
  }
}

TYPED_TEST(BetaDivergence, StridedViewsAndManyBlocksMatchTheReference) {
  using T = TypeParam;
  // 2100 rows are two chunks; with 1100 features each chunk is two sub-blocks (953 + 97 rows).
  const Shape shape{2100, 1100, 3, true, true, 0.5};
  const Problem<T> p = make_problem<T>(shape, 11);
  const Padded<T> x = padded(p.x, 3);
  const Matrix<double> xs = to_double(p.x, shape.inverse_scale), w = to_double(p.w),
                       ht = to_double(p.ht);
  for (double beta : {0.5, 1.0, 2.0, 3.0}) {
    const double want = reference_divergence(xs, w, ht, beta);
    const double got = beta_divergence(x.view, shape.inverse_scale, p.w, p.ht, beta, 3);
    EXPECT_LE(relative_difference(got, want), tolerance<T>()) << "beta = " << beta;
  }
}

// ---- the updates against the reference loops -------------------------------------------------

template <typename T>
class BetaUpdates : public BlasFixture {};
TYPED_TEST_SUITE(BetaUpdates, Scalars);

template <typename T>
void check_updates_against_reference(const Shape& shape, std::uint32_t seed, Index pad, int threads,
                                     const std::vector<double>& betas,
                                     const std::vector<Penalty>& penalties) {
  const Problem<T> p = make_problem<T>(shape, seed);
  const Padded<T> x = padded(p.x, pad);
  const double s = shape.inverse_scale;
  const Matrix<double> xs = to_double(p.x, s), w0 = to_double(p.w), ht0 = to_double(p.ht);
  for (double beta : betas) {
    if (beta <= 0 && shape.zeros_in_x) continue;
    for (const Penalty& pen : penalties) {
      Matrix<T> w = p.w;
      beta_mu_update_w(x.view, s, w, p.ht, beta, pen.l1, pen.l2, threads);
      const Matrix<double> want_w = reference_update_w(xs, w0, ht0, beta, pen);
      const auto [dw, iw] = max_relative_difference(w, want_w);
      EXPECT_LE(dw, tolerance<T>()) << "W update, beta = " << beta << ", l1 = " << pen.l1
                                    << ", l2 = " << pen.l2 << ", worst entry " << iw;
      // The H update from the updated W, as scikit-learn's loop does.
      Matrix<T> ht = p.ht;
      beta_mu_update_h(x.view, s, w, ht, beta, pen.l1, pen.l2, threads);
      const Matrix<double> want_h = reference_update_h(xs, to_double(w), ht0, beta, pen);
      const auto [dh, ih] = max_relative_difference(ht, want_h);
      EXPECT_LE(dh, tolerance<T>()) << "H update, beta = " << beta << ", l1 = " << pen.l1
                                    << ", l2 = " << pen.l2 << ", worst entry " << ih;
    }
  }
}

TYPED_TEST(BetaUpdates, MatchReferenceLoops) {
  const std::vector<double> betas(std::begin(kBetas), std::end(kBetas));
  for (double s : {1.0, 0.25})
    for (bool zeros : {false, true})
      check_updates_against_reference<TypeParam>(
          Shape{31, 23, 4, zeros, zeros, s}, 3, 0, 2, betas,
          std::vector<Penalty>(std::begin(kPenalties), std::end(kPenalties)));
}

TYPED_TEST(BetaUpdates, StridedViewsAndManyBlocksMatchTheReference) {
  // Two chunks of two sub-blocks each (see the divergence test), a padded view, three threads.
  check_updates_against_reference<TypeParam>(Shape{2100, 1100, 2, true, true, 0.5}, 13, 2, 3,
                                             {0.5, 1.0, 2.0}, {Penalty{0.2, 0.5}});
}

TYPED_TEST(BetaUpdates, SplitWUpdateEqualsDivergenceThenUpdateBitForBit) {
  // beta_divergence_w_terms + beta_mu_step_w against beta_divergence + beta_mu_update_w: the same
  // divergence and the same W, byte for byte, over two chunks of two sub-blocks each (2100 rows
  // of 1100 entries), with zeros, penalties and three threads; W is left alone by the first.
  using T = TypeParam;
  const Problem<T> p = make_problem<T>(Shape{2100, 1100, 3, true, true, 0.5}, 21);
  const DenseStorage<T> x(p.x.view(), 1);
  for (double beta : {0.5, 1.0, 1.5, 3.0}) {
    for (const Penalty& pen : {Penalty{0, 0}, Penalty{0.2, 0.5}}) {
      Matrix<T> want = p.w;
      const double want_divergence = beta_divergence(p.x.view(), 0.5, want, p.ht, beta, 3);
      beta_mu_update_w(p.x.view(), 0.5, want, p.ht, beta, pen.l1, pen.l2, 3);
      WStepTerms<T> kept;
      Matrix<T> w = p.w;
      const double divergence = beta_divergence_w_terms<T>(x, 0.5, w, p.ht, beta, 3, kept);
      EXPECT_EQ(w.values, p.w.values) << "beta = " << beta;
      EXPECT_EQ(divergence, want_divergence) << "beta = " << beta;
      beta_mu_step_w(kept, w, p.ht, beta, pen.l1, pen.l2, 3);
      EXPECT_EQ(w.values, want.values) << "beta = " << beta << ", l1 = " << pen.l1;
    }
  }
  const Problem<T> is = make_problem<T>(Shape{40, 30, 3}, 22);  // no zeros: Itakura-Saito too
  const DenseStorage<T> xi(is.x.view(), 1);
  Matrix<T> want = is.w;
  const double want_divergence = beta_divergence(is.x.view(), 1.0, want, is.ht, 0.0, 2);
  beta_mu_update_w(is.x.view(), 1.0, want, is.ht, 0.0, 0.0, 0.0, 2);
  WStepTerms<T> kept;
  Matrix<T> w = is.w;
  EXPECT_EQ(beta_divergence_w_terms<T>(xi, 1.0, w, is.ht, 0.0, 2, kept), want_divergence);
  beta_mu_step_w(kept, w, is.ht, 0.0, 0.0, 0.0, 2);
  EXPECT_EQ(w.values, want.values);
  // Frobenius has its own update (X·Hᵀ); terms of another shape are refused.
  EXPECT_THROW(beta_divergence_w_terms<T>(xi, 1.0, w, is.ht, 2.0, 1, kept), InvalidArgument);
  Matrix<T> other(39, 3);
  EXPECT_THROW(beta_mu_step_w(kept, other, is.ht, 0.0, 0.0, 0.0, 1), InvalidArgument);
}

TYPED_TEST(BetaUpdates, RejectMismatchedShapes) {
  using T = TypeParam;
  const Problem<T> p = make_problem<T>(Shape{6, 5, 2}, 1);
  Matrix<T> w(6, 3), ht(5, 2);
  EXPECT_THROW(beta_mu_update_w(p.x.view(), 1.0, w, ht, 1.0, 0, 0, 1), InvalidArgument);
  EXPECT_THROW(beta_divergence(p.x.view(), 1.0, w, ht, 1.0, 1), InvalidArgument);
  Matrix<T> ht_wrong(4, 2);
  EXPECT_THROW(beta_mu_update_h(p.x.view(), 1.0, p.w, ht_wrong, 1.0, 0, 0, 1), InvalidArgument);
}

// Where W·H is tiny (1e-30 here; MNIST's float fits at β = ½ reach such products after a dozen
// iterations) its power β − 2 overflows float. Beside a zero of X that made the numerator's term
// 0·inf = NaN, and (W·H)^(β−1), formed as (W·H)^(β−2)·W·H, was inf, NaN again against a zero of
// H: the fit broke down ("the loss became nan"). The updates must match the double reference.
TEST(BetaUpdatesFloat, TinyProductsBesideZerosOfXStayFinite) {
  Matrix<float> x(3, 4), w(3, 2), ht(4, 2);
  x.values = {0.0f, 0.3f, 0.7f, 0.9f,   // W·H: 1e-30 at x = 0, else about 1
              0.5f, 0.0f, 0.6f, 0.8f,   // 1e-30 at x = 0
              0.0f, 0.0f, 0.4f, 0.2f};  // 1e-30 twice, at x = 0
  w.values = {1e-15f, 1.0f, 1.0f, 1e-15f, 1e-15f, 1e-15f};
  ht.values = {1e-15f, 0.0f, 0.0f, 1e-15f, 1.0f, 1.0f, 0.5f, 1.0f};  // H has zeros
  for (const double beta : {0.5, 1.5, 0.3}) {
    SCOPED_TRACE("beta " + std::to_string(beta));
    Matrix<float> w1 = w;
    beta_mu_update_w(x.view(), 1.0, w1, ht, beta, 0, 0, 1);
    const auto [dw, iw] = max_relative_difference(
        w1, reference_update_w(to_double(x), to_double(w), to_double(ht), beta, Penalty{}));
    EXPECT_LE(dw, tolerance<float>()) << "W, worst entry " << iw;
    Matrix<float> ht1 = ht;
    beta_mu_update_h(x.view(), 1.0, w, ht1, beta, 0, 0, 1);
    const auto [dh, ih] = max_relative_difference(
        ht1, reference_update_h(to_double(x), to_double(w), to_double(ht), beta, Penalty{}));
    EXPECT_LE(dh, tolerance<float>()) << "H, worst entry " << ih;
  }
}

// ---- (2) exact agreement with scikit-learn ---------------------------------------------------

/// The sklearn script: for every dataset directory and every case (β, l1, l2) in cases.txt, writes
/// the divergence, W after one update and H after one update from that W.
constexpr const char* kSklearnScript = R"PY(
import sys
import numpy as np
from sklearn.decomposition._nmf import (
    _beta_divergence, _multiplicative_update_w, _multiplicative_update_h)

def gamma_of(beta):
    return 1.0 / (2.0 - beta) if beta < 1 else (1.0 / (beta - 1.0) if beta > 2 else 1.0)

for d in sys.argv[1:]:
    X = np.loadtxt(d + "/x.txt", ndmin=2)
    W = np.loadtxt(d + "/w.txt", ndmin=2)
    H = np.loadtxt(d + "/h.txt", ndmin=2)
    cases = np.loadtxt(d + "/cases.txt", ndmin=2)
    for i, (beta, l1, l2) in enumerate(cases):
        g = gamma_of(beta)
        div = _beta_divergence(X, W, H, beta)
        W1 = _multiplicative_update_w(X, W.copy(), H.copy(), beta_loss=beta, l1_reg_W=l1,
                                      l2_reg_W=l2, gamma=g)[0]
        H1 = _multiplicative_update_h(X, W1, H.copy(), beta_loss=beta, l1_reg_H=l1,
                                      l2_reg_H=l2, gamma=g)
        if isinstance(H1, tuple):
            H1 = H1[0]
        np.savetxt("%s/div%d.txt" % (d, i), np.atleast_1d(div), fmt="%.17g")
        np.savetxt("%s/w%d.txt" % (d, i), W1, fmt="%.17g")
        np.savetxt("%s/h%d.txt" % (d, i), H1, fmt="%.17g")
)PY";

struct SklearnCase {
  double beta = 2;
  Penalty penalty;
  double divergence = 0;
  Matrix<double> w, ht;  // after one update of W, then of H (as Hᵀ)
};

struct SklearnDataset {
  Shape shape;
  std::uint32_t seed = 0;
  std::vector<SklearnCase> cases;
};

struct SklearnResults {
  bool ok = false;
  std::string error;
  std::vector<SklearnDataset> datasets;
};

void write_matrix(const fs::path& path, const Matrix<double>& a) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) throw std::runtime_error("cannot write " + path.string());
  for (Index i = 0; i < a.rows; ++i) {
    for (Index j = 0; j < a.cols; ++j) std::fprintf(f, j ? " %.17g" : "%.17g", a(i, j));
    std::fprintf(f, "\n");
  }
  std::fclose(f);
}

std::vector<double> read_numbers(const fs::path& path) {
  std::ifstream in(path);
  std::vector<double> v;
  std::string token;
  while (in >> token) v.push_back(std::stod(token));  // stod reads "inf" and "nan" too
  return v;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The datasets: X with zeros (exact and below ε) and factors with zero rows, for β > 0; X
/// without zeros (factors still with zero rows, so W·H has zeros) for every β. Scaled by 0.25,
/// exact in binary, so sklearn sees exactly s·X.
std::vector<SklearnDataset> sklearn_datasets() {
  std::vector<SklearnDataset> sets = {{Shape{23, 17, 4, true, true, 0.25}, 101, {}},
                                      {Shape{19, 21, 3, false, true, 0.25}, 202, {}}};
  for (SklearnDataset& set : sets)
    for (double beta : kBetas) {
      if (beta <= 0 && set.shape.zeros_in_x) continue;
      for (const Penalty& pen : kPenalties) set.cases.push_back(SklearnCase{beta, pen, 0, {}, {}});
    }
  return sets;
}

/// Runs scikit-learn once for the whole test program.
const SklearnResults& sklearn_results() {
  static const SklearnResults results = [] {
    SklearnResults r;
    r.datasets = sklearn_datasets();
    std::string dir = (fs::temp_directory_path() / "nmfkit_beta_test_XXXXXX").string();
    if (::mkdtemp(dir.data()) == nullptr) {
      r.error = "mkdtemp failed";
      return r;
    }
    std::string command = "/usr/bin/python3 " + (fs::path(dir) / "script.py").string();
    { std::ofstream(fs::path(dir) / "script.py") << kSklearnScript; }
    for (std::size_t d = 0; d < r.datasets.size(); ++d) {
      const SklearnDataset& set = r.datasets[d];
      const fs::path sub = fs::path(dir) / ("set" + std::to_string(d));
      fs::create_directory(sub);
      // The problem in double holds float-representable values (see make_problem).
      const Problem<double> p = make_problem<double>(set.shape, set.seed);
      write_matrix(sub / "x.txt", to_double(p.x, set.shape.inverse_scale));
      write_matrix(sub / "w.txt", p.w);
      write_matrix(sub / "h.txt", transposed(p.ht.view()));
      Matrix<double> cases(Index(set.cases.size()), 3);
      for (std::size_t c = 0; c < set.cases.size(); ++c) {
        cases(Index(c), 0) = set.cases[c].beta;
        cases(Index(c), 1) = set.cases[c].penalty.l1;
        cases(Index(c), 2) = set.cases[c].penalty.l2;
      }
      write_matrix(sub / "cases.txt", cases);
      command += " " + sub.string();
    }
    command += " > " + (fs::path(dir) / "log.txt").string() + " 2>&1";
    const int status = std::system(command.c_str());
    if (status != 0) {
      r.error = "`" + command + "` failed (status " + std::to_string(status) +
                "); scikit-learn for /usr/bin/python3 comes from Debian's python3-sklearn "
                "(scripts/install-deps.sh test). Output:\n" +
                read_text(fs::path(dir) / "log.txt");
      fs::remove_all(dir);
      return r;
    }
    for (std::size_t d = 0; d < r.datasets.size(); ++d) {
      SklearnDataset& set = r.datasets[d];
      const fs::path sub = fs::path(dir) / ("set" + std::to_string(d));
      const Index n = set.shape.n, m = set.shape.m, k = set.shape.k;
      for (std::size_t c = 0; c < set.cases.size(); ++c) {
        SklearnCase& sc = set.cases[c];
        const std::string i = std::to_string(c);
        const std::vector<double> div = read_numbers(sub / ("div" + i + ".txt"));
        const std::vector<double> w = read_numbers(sub / ("w" + i + ".txt"));
        const std::vector<double> h = read_numbers(sub / ("h" + i + ".txt"));
        if (div.size() != 1 || Index(w.size()) != n * k || Index(h.size()) != k * m) {
          r.error = "unexpected output in " + sub.string() + " for case " + i;
          fs::remove_all(dir);
          return r;
        }
        sc.divergence = div[0];
        sc.w = Matrix<double>(n, k);
        sc.w.values = w;
        sc.ht = Matrix<double>(m, k);
        for (Index l = 0; l < k; ++l)
          for (Index j = 0; j < m; ++j) sc.ht(j, l) = h[std::size_t(l * m + j)];
      }
    }
    fs::remove_all(dir);
    r.ok = true;
    return r;
  }();
  return results;
}

template <typename T>
class BetaSklearn : public BlasFixture {};
TYPED_TEST_SUITE(BetaSklearn, Scalars);

/// Double agrees with scikit-learn to about 1e-15 (the bound asked for is 1e-6; 1e-10 leaves room
/// for another numpy's rounding); float, whose W·H is formed in single precision, to about 5e-7.
template <typename T>
constexpr double sklearn_tolerance() {
  return sizeof(T) == sizeof(double) ? 1e-10 : 1e-5;
}

TYPED_TEST(BetaSklearn, DivergenceAndOneUpdateOfEachFactorMatchScikitLearn) {
  using T = TypeParam;
  const SklearnResults& r = sklearn_results();
  ASSERT_TRUE(r.ok) << r.error;
  int checked = 0;
  for (const SklearnDataset& set : r.datasets) {
    const Problem<T> p = make_problem<T>(set.shape, set.seed);
    const double s = set.shape.inverse_scale;
    for (const SklearnCase& sc : set.cases) {
      const std::string what =
          describe(sc.beta, s, set.shape.zeros_in_x ? "X with zeros" : "X > 0") +
          ", l1 = " + std::to_string(sc.penalty.l1) + ", l2 = " + std::to_string(sc.penalty.l2);
      const double div = beta_divergence(p.x.view(), s, p.w, p.ht, sc.beta, 2);
      EXPECT_LE(relative_difference(div, sc.divergence), sklearn_tolerance<T>())
          << what << ": divergence " << div << ", scikit-learn " << sc.divergence;
      Matrix<T> w = p.w;
      beta_mu_update_w(p.x.view(), s, w, p.ht, sc.beta, sc.penalty.l1, sc.penalty.l2, 2);
      const auto [dw, iw] = max_relative_difference(w, sc.w);
      EXPECT_LE(dw, sklearn_tolerance<T>()) << what << ": W entry " << iw;
      Matrix<T> ht = p.ht;
      beta_mu_update_h(p.x.view(), s, w, ht, sc.beta, sc.penalty.l1, sc.penalty.l2, 2);
      const auto [dh, ih] = max_relative_difference(ht, sc.ht);
      EXPECT_LE(dh, sklearn_tolerance<T>()) << what << ": Ht entry " << ih;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 8 * 4 + 9 * 4);  // kBetas without β = 0 on X with zeros, and with it
}

// ---- (3) monotonicity ------------------------------------------------------------------------

class BetaMonotone : public BlasFixture {};

/// D_β + l1·(‖W‖₁ + ‖H‖₁) + ½·l2·(‖W‖² + ‖H‖²).
double objective(const Matrix<double>& x, const Matrix<double>& w, const Matrix<double>& ht,
                 double beta, Penalty pen) {
  double penalty = 0;
  for (const Matrix<double>* f : {&w, &ht})
    for (double v : f->values) penalty += pen.l1 * v + 0.5 * pen.l2 * v * v;
  return beta_divergence(x.view(), 1.0, w, ht, beta, 1) + penalty;
}

/// scikit-learn's fit loop zeroes entries below float64's epsilon after the updates (W for β < 1,
/// H for β ≤ 1) "for stability": without it, entries driven towards zero underflow after a few
/// dozen iterations and the next update meets 0·∞.
void clamp_tiny(Matrix<double>& f) {
  for (double& v : f.values)
    if (v < std::numeric_limits<double>::epsilon()) v = 0;
}

// The updates are majorise-minimise steps (Févotte & Idier 2011, with γ) for D_β plus the L1
// penalty, which is linear, for every β; and for the L2 penalty when β ≥ 2, where ½·l2·w² is
// majorised by a power β of w/w̃. For β < 2 the L2 term in the denominator is scikit-learn's
// heuristic, not a majorisation: it may overshoot and raise the objective by a hair, so there
// the test only bounds such rises.
TEST_F(BetaMonotone, ManyUpdatesNeverIncreaseTheObjective) {
  for (double beta : {0.0, 0.5, 1.0, 1.5, 2.0, 3.0, -0.5, 2.5}) {
    for (bool zeros : {false, true}) {
      if (beta <= 0 && zeros) continue;
      for (const Penalty& pen : kPenalties) {
        const bool guaranteed = pen.l2 == 0 || beta >= 2;
        const double allowed_rise = guaranteed ? 1e-13 : 1e-9;
        const Problem<double> p = make_problem<double>(Shape{14, 11, 3, zeros, false, 1}, 17);
        Matrix<double> w = p.w, ht = p.ht;
        double previous = objective(p.x, w, ht, beta, pen);
        const double first = previous;
        bool failed = false;
        for (int it = 0; it < 300 && !failed; ++it) {
          for (int half = 0; half < 2 && !failed; ++half) {
            if (half == 0) {
              beta_mu_update_w(p.x.view(), 1.0, w, ht, beta, pen.l1, pen.l2, 1);
              if (beta < 1) clamp_tiny(w);
            } else {
              beta_mu_update_h(p.x.view(), 1.0, w, ht, beta, pen.l1, pen.l2, 1);
              if (beta <= 1) clamp_tiny(ht);
            }
            const double now = objective(p.x, w, ht, beta, pen);
            if (!(now <= previous + allowed_rise * std::abs(previous))) {
              ADD_FAILURE() << "beta = " << beta << (zeros ? ", X with zeros" : "")
                            << ", l1 = " << pen.l1 << ", l2 = " << pen.l2 << ": iteration " << it
                            << (half ? " (H)" : " (W)") << " raised the objective from " << previous
                            << " to " << now;
              failed = true;
            }
            previous = now;
          }
        }
        EXPECT_LT(previous, 0.9 * first)
            << "beta = " << beta << ", l1 = " << pen.l1 << ", l2 = " << pen.l2;
      }
    }
  }
}

// ---- (4) the same bytes for any thread count ---------------------------------------------------

template <typename T>
class BetaThreads : public BlasFixture {};
TYPED_TEST_SUITE(BetaThreads, Scalars);

TYPED_TEST(BetaThreads, ResultsAreIdenticalForOneTwoAndThreeThreads) {
  using T = TypeParam;
  // 5000 rows are three chunks.
  const Problem<T> p = make_problem<T>(Shape{5000, 20, 5, true, true, 0.5}, 23);
  for (double beta : kBetas) {
    const Penalty pen{0.1, 0.2};
    double div1 = 0;
    Matrix<T> w1, ht1;
    for (int threads : {1, 2, 3}) {
      const double div = beta_divergence(p.x.view(), 0.5, p.w, p.ht, beta, threads);
      Matrix<T> w = p.w, ht = p.ht;
      beta_mu_update_w(p.x.view(), 0.5, w, p.ht, beta, pen.l1, pen.l2, threads);
      beta_mu_update_h(p.x.view(), 0.5, w, ht, beta, pen.l1, pen.l2, threads);
      if (threads == 1) {
        div1 = div;
        w1 = w;
        ht1 = ht;
        continue;
      }
      EXPECT_EQ(std::memcmp(&div, &div1, sizeof div), 0)
          << "beta = " << beta << ", threads = " << threads << ": " << div << " vs " << div1;
      EXPECT_TRUE(same_bytes(w, w1)) << "W, beta = " << beta << ", threads = " << threads;
      EXPECT_TRUE(same_bytes(ht, ht1)) << "Ht, beta = " << beta << ", threads = " << threads;
    }
  }
}

}  // namespace
}  // namespace nmfkit::core
