// The sparse (CSR) representation against the dense one: the kernels on random sparse matrices of
// every density from empty to full, over row counts that give one chunk, several uneven chunks and
// the 32-chunk cap, on contiguous and strided views; the same bytes whatever the thread count;
// CsrData against DenseData method by method; and the initialisations on both.
#include "kernels/csr.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "core/csr_data.hpp"
#include "core/data.hpp"
#include "core/init.hpp"
#include "kernels/blas_threads.hpp"
#include "kernels/chunks.hpp"
#include "kernels/dense.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using testing::same_bytes;

constexpr int kThreadCounts[] = {1, 2, 3};
constexpr double kDensities[] = {0.0, 0.05, 0.2, 0.9, 1.0};
constexpr Index kWidths[] = {1, 3, 6, 20};  // 4-, 8- and 32-column passes (24 for doubles)

/// A row-major matrix in a buffer of rows × stride entries whose padding is NaN (a kernel that
/// reads it shows up).
template <typename T>
struct Strided {
  std::vector<T> buffer;
  DenseView<T> view;
};

/// Each entry non-zero with probability `density`, then uniform in [0.01, 1).
template <typename T>
Strided<T> sparse_matrix(Index rows, Index cols, Index stride, double density, std::uint32_t seed) {
  Strided<T> s;
  s.buffer.assign(static_cast<std::size_t>(rows * stride), std::numeric_limits<T>::quiet_NaN());
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0), value(0.01, 1.0);
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < cols; ++j)
      s.buffer[static_cast<std::size_t>(i * stride + j)] =
          u(gen) < density ? static_cast<T>(value(gen)) : T(0);
  s.view = DenseView<T>(s.buffer.data(), rows, cols, stride);
  return s;
}

template <typename T>
std::vector<T> random_values(Index count, std::uint32_t seed, double lo, double hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<T> v(static_cast<std::size_t>(count));
  for (T& x : v) x = static_cast<T>(u(gen));
  return v;
}

/// Σ|terms| of every entry of X·right (transpose = false) or Xᵀ·right, in double.
template <typename T>
std::vector<double> term_scale(const DenseView<T>& x, const std::vector<T>& right, Index p,
                               bool transpose) {
  std::vector<double> s(static_cast<std::size_t>((transpose ? x.cols : x.rows) * p), 0.0);
  for (Index i = 0; i < x.rows; ++i)
    for (Index c = 0; c < x.cols; ++c) {
      const double v = std::abs(double(x(i, c)));
      if (v == 0) continue;
      const T* r = right.data() + (transpose ? i : c) * p;
      double* o = s.data() + (transpose ? c : i) * p;
      for (Index j = 0; j < p; ++j) o[j] += v * std::abs(double(r[j]));
    }
  return s;
}

/// Tolerance relative to Σ|terms| for a product computed in T (each of dense and CSR is this close
/// to the exact value).
template <typename T>
double product_tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

/// |a − b| <= tol·scale entry by entry; describes the first failure.
template <typename T>
::testing::AssertionResult close(const std::vector<T>& a, const std::vector<T>& b,
                                 const std::vector<double>& scale, double tol) {
  if (a.size() != b.size() || a.size() != scale.size())
    return ::testing::AssertionFailure() << "sizes " << a.size() << ", " << b.size();
  std::size_t bad = 0, first = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!(std::abs(double(a[i]) - double(b[i])) <=
          tol * scale[i] + std::numeric_limits<double>::min())) {
      if (bad++ == 0) first = i;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << a.size() << " entries off; first at " << first << ": "
         << double(a[first]) << " vs " << double(b[first]) << " (scale " << scale[first] << ")";
}

struct Shape {
  Index rows, cols, stride;
};

std::string describe(const Shape& s, double density, Index p, double scale, int threads) {
  std::ostringstream o;
  o << s.rows << " x " << s.cols << " (stride " << s.stride << "), density " << density
    << ", p = " << p << ", scale " << scale << ", threads = " << threads;
  return o.str();
}

// One chunk (1, 7), two uneven chunks (2049), three uneven chunks (5000), the 32-chunk cap with
// uneven chunks (70000), all with few columns; contiguous and strided; and one wider matrix.
const Shape kShapes[] = {{1, 5, 5},     {1, 13, 16},   {7, 3, 3},    {7, 13, 20},
                         {2049, 4, 4},  {2049, 4, 9},  {5000, 6, 6}, {5000, 3, 7},
                         {70000, 3, 3}, {70000, 5, 8}, {300, 90, 93}};

template <typename T>
class CsrKernels : public ::testing::Test {
 protected:
  // As fit() does: OpenBLAS single-threaded while the kernels run.
  static void SetUpTestSuite() { blas_ = new kernels::BlasThreadsGuard(); }
  static void TearDownTestSuite() {
    delete blas_;
    blas_ = nullptr;
  }
  static inline kernels::BlasThreadsGuard* blas_ = nullptr;
};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CsrKernels, Scalars);

TYPED_TEST(CsrKernels, FromDenseKeepsExactlyTheNonZerosWhateverTheThreads) {
  using T = TypeParam;
  std::uint32_t seed = 1;
  for (const Shape& s : kShapes) {
    for (double density : kDensities) {
      Strided<T> x = sparse_matrix<T>(s.rows, s.cols, s.stride, density, seed++);
      // −0 is a zero and is dropped; NaN is not zero and is kept (CsrData rejects it beforehand).
      x.buffer[0] = T(-0.0);
      if (s.cols > 1) x.buffer[1] = std::numeric_limits<T>::quiet_NaN();
      const kernels::CsrMatrix<T> one = kernels::csr_from_dense(x.view, 1);
      ASSERT_EQ(one.rows, s.rows);
      ASSERT_EQ(one.cols, s.cols);
      ASSERT_EQ(one.row_start.size(), static_cast<std::size_t>(s.rows + 1));
      EXPECT_EQ(one.row_start[0], 0);
      ASSERT_EQ(one.row_start.back(), one.nonzeros());
      ASSERT_EQ(one.col.size(), one.value.size());
      // Rebuild the dense matrix: every stored entry in place, in increasing column order.
      std::vector<T> rebuilt(static_cast<std::size_t>(s.rows * s.cols), T(0));
      for (Index i = 0; i < s.rows; ++i) {
        for (auto e = one.row_start[i]; e < one.row_start[i + 1]; ++e) {
          const auto e_at = static_cast<std::size_t>(e);
          ASSERT_GE(one.col[e_at], 0);
          ASSERT_LT(one.col[e_at], s.cols);
          if (e > one.row_start[i]) {
            ASSERT_LT(one.col[e_at - 1], one.col[e_at]);
          }
          ASSERT_NE(one.value[e_at], T(0)) << "a zero was stored";
          rebuilt[static_cast<std::size_t>(i * s.cols + one.col[e_at])] = one.value[e_at];
        }
      }
      for (Index i = 0; i < s.rows; ++i)
        for (Index j = 0; j < s.cols; ++j) {
          const T want = x.view(i, j), got = rebuilt[static_cast<std::size_t>(i * s.cols + j)];
          if (std::isnan(want)) {
            EXPECT_TRUE(std::isnan(got)) << i << ", " << j;
          } else {
            EXPECT_EQ(got, want) << i << ", " << j;
          }
        }
      for (int threads : {2, 3}) {
        const kernels::CsrMatrix<T> other = kernels::csr_from_dense(x.view, threads);
        EXPECT_EQ(other.row_start, one.row_start) << describe(s, density, 0, 1, threads);
        EXPECT_EQ(other.col, one.col) << describe(s, density, 0, 1, threads);
        EXPECT_TRUE(same_bytes(other.value, one.value)) << describe(s, density, 0, 1, threads);
      }
    }
  }
}

TYPED_TEST(CsrKernels, FromDenseRefusesColumnsBeyond32BitIndices) {
  using T = TypeParam;
  // Refused before a single entry is read, so a one-entry buffer is enough.
  const T one = T(1);
  EXPECT_THROW(kernels::csr_from_dense(DenseView<T>(&one, 1, kernels::kMaxCsrCols + 1), 1),
               InvalidArgument);
  EXPECT_THROW(kernels::csr_from_dense(DenseView<T>(&one, -1, 1), 1), InvalidArgument);
  const kernels::CsrMatrix<T> empty = kernels::csr_from_dense(DenseView<T>(&one, 0, 3), 2);
  EXPECT_EQ(empty.rows, 0);
  EXPECT_EQ(empty.nonzeros(), 0);
  EXPECT_EQ(empty.row_start.size(), 1u);
}

TYPED_TEST(CsrKernels, ZeroFractionCountsExactly) {
  using T = TypeParam;
  std::uint32_t seed = 50;
  for (const Shape& s : kShapes) {
    for (double density : kDensities) {
      Strided<T> x = sparse_matrix<T>(s.rows, s.cols, s.stride, density, seed++);
      x.buffer[0] = T(-0.0);                                              // counts as zero
      if (s.cols > 1) x.buffer[1] = std::numeric_limits<T>::quiet_NaN();  // does not
      Index zeros = 0;
      for (Index i = 0; i < s.rows; ++i)
        for (Index j = 0; j < s.cols; ++j) zeros += x.view(i, j) == T(0);
      const double want = double(zeros) / (double(s.rows) * double(s.cols));
      for (int threads : kThreadCounts)
        EXPECT_EQ(kernels::zero_fraction(x.view, threads), want)
            << describe(s, density, 0, 1, threads);
    }
  }
  const T one = T(1);
  EXPECT_EQ(kernels::zero_fraction(DenseView<T>(&one, 0, 4), 1), 0.0);
}

TYPED_TEST(CsrKernels, SummarizeIsZeroFractionNormAndSumAndFirstInvalidInOnePass) {
  using T = TypeParam;
  std::uint32_t seed = 70;
  for (const Shape& s : kShapes) {
    for (double density : kDensities) {
      Strided<T> x = sparse_matrix<T>(s.rows, s.cols, s.stride, density, seed++);
      x.buffer[0] = T(-0.0);  // a zero, and valid
      const kernels::RowChunks chunks = kernels::row_chunks(s.rows);
      // Valid, then with bad entries: a later one in an earlier column of the next row, and one in
      // the last chunk, so that the earliest in row-major order has to win across chunks.
      for (Index bad_row : {Index(-1), chunks.end(0) - 1, s.rows - 1}) {
        Strided<T> y = x;
        y.view.data = y.buffer.data();
        if (bad_row >= 0) {
          y.buffer[static_cast<std::size_t>(bad_row * s.stride + s.cols / 2)] =
              std::numeric_limits<T>::quiet_NaN();
          if (bad_row + 1 < s.rows)
            y.buffer[static_cast<std::size_t>((bad_row + 1) * s.stride)] = -1;
          y.buffer[static_cast<std::size_t>((s.rows - 1) * s.stride + s.cols - 1)] =
              std::numeric_limits<T>::infinity();
        }
        const double zero_fraction = kernels::zero_fraction(y.view, 1);
        const kernels::NormAndSum stats = kernels::norm_and_sum(y.view, 1);
        const auto bad = kernels::first_invalid(y.view, 1);
        for (int threads : kThreadCounts) {
          const std::string what = describe(s, density, 0, 1, threads);
          const kernels::DenseSummary got = kernels::summarize(y.view, threads);
          EXPECT_EQ(double(got.zeros) / (double(s.rows) * double(s.cols)), zero_fraction) << what;
          EXPECT_EQ(0, std::memcmp(&got.stats, &stats, sizeof stats)) << what;
          ASSERT_EQ(got.bad.has_value(), bad.has_value()) << what;
          if (bad) {
            EXPECT_EQ(got.bad->row, bad->row) << what;
            EXPECT_EQ(got.bad->col, bad->col) << what;
            EXPECT_EQ(std::isnan(got.bad->value), std::isnan(bad->value)) << what;
          }
        }
      }
    }
  }
}

TYPED_TEST(CsrKernels, TimesMatchesDense) {
  using T = TypeParam;
  std::uint32_t seed = 100;
  for (const Shape& s : kShapes) {
    for (double density : kDensities) {
      const Strided<T> x = sparse_matrix<T>(s.rows, s.cols, s.stride, density, seed++);
      const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(x.view, 2);
      for (Index p : kWidths) {
        const std::vector<T> right = random_values<T>(s.cols * p, seed++, -1, 1);
        for (T scale : {T(1), T(0.25)}) {
          std::vector<double> tol = term_scale(x.view, right, p, false);
          for (double& t : tol) t *= double(scale);
          std::vector<T> dense(static_cast<std::size_t>(s.rows * p));
          kernels::times(x.view, scale, right.data(), p, dense.data(), 1);
          std::vector<T> first;
          for (int threads : kThreadCounts) {
            std::vector<T> out(dense.size(), T(-7));
            kernels::times(csr, scale, right.data(), p, out.data(), threads);
            EXPECT_TRUE(close(out, dense, tol, 2 * product_tolerance<T>()))
                << describe(s, density, p, double(scale), threads);
            if (first.empty())
              first = out;
            else
              EXPECT_TRUE(same_bytes(first, out))
                  << describe(s, density, p, double(scale), threads) << " differs from 1";
          }
          if (density == 0) {
            for (T v : first) EXPECT_EQ(v, T(0));
          }
        }
      }
    }
  }
}

TYPED_TEST(CsrKernels, TransposeTimesMatchesDense) {
  using T = TypeParam;
  std::uint32_t seed = 200;
  for (const Shape& s : kShapes) {
    for (double density : kDensities) {
      const Strided<T> x = sparse_matrix<T>(s.rows, s.cols, s.stride, density, seed++);
      const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(x.view, 2);
      for (Index p : kWidths) {
        const std::vector<T> right = random_values<T>(s.rows * p, seed++, -1, 1);
        for (T scale : {T(1), T(0.25)}) {
          std::vector<double> tol = term_scale(x.view, right, p, true);
          for (double& t : tol) t *= double(scale);
          std::vector<T> dense(static_cast<std::size_t>(s.cols * p));
          kernels::transpose_times(x.view, scale, right.data(), p, dense.data(), 1);
          std::vector<T> first;
          for (int threads : kThreadCounts) {
            std::vector<T> out(dense.size(), T(-7));
            kernels::transpose_times(csr, scale, right.data(), p, out.data(), threads);
            EXPECT_TRUE(close(out, dense, tol, 2 * product_tolerance<T>()))
                << describe(s, density, p, double(scale), threads);
            if (first.empty())
              first = out;
            else
              EXPECT_TRUE(same_bytes(first, out))
                  << describe(s, density, p, double(scale), threads) << " differs from 1";
          }
          if (density == 0) {
            for (T v : first) EXPECT_EQ(v, T(0));
          }
        }
      }
    }
  }
}

TYPED_TEST(CsrKernels, RowsOfSeveralPassesMatchDense) {
  // 40 and 100 columns: rows read in several passes (with AVX-512 32 + 16 and 32 + 32 + 32 + 16
  // columns of floats, 32 + 8 and 32 + 32 + 32 + 8 of doubles; with AVX2 X·Hᵀ in passes of up to
  // 24 floats or 12 doubles and Xᵀ·W of up to 32 or 16; the baseline 16 at a time).
  using T = TypeParam;
  std::uint32_t seed = 250;
  for (const Shape& s : {Shape{7, 13, 20}, Shape{2049, 4, 9}, Shape{300, 90, 93}}) {
    const Strided<T> x = sparse_matrix<T>(s.rows, s.cols, s.stride, 0.3, seed++);
    const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(x.view, 2);
    for (Index p : {Index(40), Index(100)}) {
      const std::vector<T> h = random_values<T>(s.cols * p, seed++, -1, 1);
      const std::vector<T> w = random_values<T>(s.rows * p, seed++, -1, 1);
      const std::vector<double> tol_times = term_scale(x.view, h, p, false);
      const std::vector<double> tol_transpose = term_scale(x.view, w, p, true);
      std::vector<T> dense_times(static_cast<std::size_t>(s.rows * p));
      std::vector<T> dense_transpose(static_cast<std::size_t>(s.cols * p));
      kernels::times(x.view, T(1), h.data(), p, dense_times.data(), 1);
      kernels::transpose_times(x.view, T(1), w.data(), p, dense_transpose.data(), 1);
      std::vector<T> first_times, first_transpose;
      for (int threads : {1, 2}) {
        std::vector<T> times(dense_times.size(), T(-7)), transpose(dense_transpose.size(), T(-7));
        kernels::times(csr, T(1), h.data(), p, times.data(), threads);
        kernels::transpose_times(csr, T(1), w.data(), p, transpose.data(), threads);
        EXPECT_TRUE(close(times, dense_times, tol_times, 2 * product_tolerance<T>()))
            << describe(s, 0.3, p, 1.0, threads);
        EXPECT_TRUE(close(transpose, dense_transpose, tol_transpose, 2 * product_tolerance<T>()))
            << describe(s, 0.3, p, 1.0, threads) << " (transposed)";
        if (first_times.empty()) {
          first_times = times;
          first_transpose = transpose;
        } else {
          EXPECT_TRUE(same_bytes(first_times, times)) << describe(s, 0.3, p, 1.0, threads);
          EXPECT_TRUE(same_bytes(first_transpose, transpose)) << describe(s, 0.3, p, 1.0, threads);
        }
      }
    }
  }
}

TYPED_TEST(CsrKernels, ResidualSquaredNormMatchesDense) {
  using T = TypeParam;
  std::uint32_t seed = 300;
  for (const Shape& s : kShapes) {
    for (double density : kDensities) {
      const Strided<T> x = sparse_matrix<T>(s.rows, s.cols, s.stride, density, seed++);
      const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(x.view, 2);
      for (Index k : kWidths) {
        const std::vector<T> w = random_values<T>(s.rows * k, seed++, 0, 1);
        const std::vector<T> h = random_values<T>(k * s.cols, seed++, 0, 1);
        for (double scale : {1.0, 0.25}) {
          // Dense forms W·H in T; in double both agree to 1e-9 relative. In float the dense kernel
          // rounds every (W·H)_ij to float: bound as the dense kernel's own test does.
          double bound = 0;
          if (std::is_same_v<T, float>) {
            for (Index i = 0; i < s.rows; ++i)
              for (Index j = 0; j < s.cols; ++j) {
                double wh = 0;
                for (Index l = 0; l < k; ++l)
                  wh += double(w[static_cast<std::size_t>(i * k + l)]) *
                        double(h[static_cast<std::size_t>(l * s.cols + j)]);
                const double a = scale * x.view(i, j) + wh;
                bound += a * a;
              }
            bound *= 1e-6;
          }
          const double dense =
              kernels::residual_squared_norm(x.view, scale, w.data(), h.data(), k, 1);
          const double one = kernels::residual_squared_norm(csr, scale, w.data(), h.data(), k, 1);
          if (std::is_same_v<T, double>) bound = 1e-9 * dense;
          EXPECT_NEAR(one, dense, bound) << describe(s, density, k, scale, 1);
          for (int threads : kThreadCounts)
            EXPECT_EQ(kernels::residual_squared_norm(csr, scale, w.data(), h.data(), k, threads),
                      one)
                << describe(s, density, k, scale, threads);
        }
      }
    }
  }
}

TYPED_TEST(CsrKernels, ResidualOfAnExactSparseFactorizationIsNearZero) {
  using T = TypeParam;
  // W and H each 80% zeros: X = W·H is sparse, and its zeros are covered by the Gram term only.
  const Index n = 3000, m = 40, k = 4;
  std::vector<T> w = random_values<T>(n * k, 11, 0, 1), h = random_values<T>(k * m, 12, 0, 1);
  std::mt19937 gen(13);
  std::uniform_real_distribution<double> u(0, 1);
  for (T& v : w) v = u(gen) < 0.8 ? T(0) : v;
  for (T& v : h) v = u(gen) < 0.8 ? T(0) : v;
  std::vector<T> x(static_cast<std::size_t>(n * m));
  kernels::times(DenseView<T>(w.data(), n, k), T(1), h.data(), m, x.data(), 1);
  const DenseView<T> view(x.data(), n, m);
  EXPECT_GT(kernels::zero_fraction(view, 1), 0.5);
  double x2 = 0;
  for (T v : x) x2 += double(v) * double(v);
  const double r = kernels::residual_squared_norm(kernels::csr_from_dense(view, 2), 1.0, w.data(),
                                                  h.data(), k, 2);
  EXPECT_GE(r, 0.0);
  // The Gram term's rounding is relative to ‖W·H‖² (1e-16 in double); X's own rounding to T
  // dominates in float.
  EXPECT_LE(r, (std::is_same_v<T, float> ? 1e-12 : 1e-14) * x2);
}

TYPED_TEST(CsrKernels, NormAndSumEqualDenseBitForBit) {
  using T = TypeParam;
  std::uint32_t seed = 400;
  for (const Shape& s : kShapes) {
    for (double density : kDensities) {
      const Strided<T> x = sparse_matrix<T>(s.rows, s.cols, s.stride, density, seed++);
      const kernels::NormAndSum dense = kernels::norm_and_sum(x.view, 1);
      const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(x.view, 1);
      for (int threads : kThreadCounts) {
        const kernels::NormAndSum sparse = kernels::norm_and_sum(csr, threads);
        EXPECT_EQ(sparse.squared_norm, dense.squared_norm) << describe(s, density, 0, 1, threads);
        EXPECT_EQ(sparse.sum, dense.sum) << describe(s, density, 0, 1, threads);
      }
    }
  }
}

TYPED_TEST(CsrKernels, FirstInvalidMatchesDense) {
  using T = TypeParam;
  const T bad_values[] = {T(-0.5), -std::numeric_limits<T>::denorm_min(),
                          std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                          -std::numeric_limits<T>::infinity()};
  std::uint32_t seed = 500;
  for (const Shape& s : kShapes) {
    Strided<T> x = sparse_matrix<T>(s.rows, s.cols, s.stride, 0.2, seed++);
    x.buffer[0] = T(-0.0);  // valid, and not stored
    for (int threads : kThreadCounts)
      EXPECT_FALSE(kernels::first_invalid(kernels::csr_from_dense(x.view, 1), threads));
    const kernels::RowChunks chunks = kernels::row_chunks(s.rows);
    // Alone, then with later bad entries in earlier columns: the earliest in row-major order wins.
    const std::pair<Index, Index> places[] = {{0, 0},
                                              {s.rows - 1, s.cols - 1},
                                              {chunks.end(0) - 1, s.cols / 2},
                                              {chunks.begin(chunks.count - 1), s.cols - 1}};
    for (T bad : bad_values) {
      for (auto [r, c] : places) {
        Strided<T> y = x;
        y.view.data = y.buffer.data();
        y.buffer[static_cast<std::size_t>(r * s.stride + c)] = bad;
        if (r + 1 < s.rows) y.buffer[static_cast<std::size_t>((r + 1) * s.stride)] = T(-2);
        if (c + 1 < s.cols) y.buffer[static_cast<std::size_t>(r * s.stride + c + 1)] = T(-3);
        const auto want = kernels::first_invalid(y.view, 1);
        ASSERT_TRUE(want.has_value());
        const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(y.view, 1);
        for (int threads : kThreadCounts) {
          const auto got = kernels::first_invalid(csr, threads);
          ASSERT_TRUE(got.has_value()) << describe(s, 0.2, 0, 1, threads) << " bad " << bad;
          EXPECT_EQ(got->row, want->row) << describe(s, 0.2, 0, 1, threads) << " bad " << bad;
          EXPECT_EQ(got->col, want->col) << describe(s, 0.2, 0, 1, threads) << " bad " << bad;
          if (std::isnan(bad)) {
            EXPECT_TRUE(std::isnan(got->value));
          } else {
            EXPECT_EQ(got->value, want->value);
          }
        }
      }
    }
  }
}

// ---- CsrData against DenseData ----

template <typename T>
class CsrDataTest : public CsrKernels<T> {};
TYPED_TEST_SUITE(CsrDataTest, Scalars);

TYPED_TEST(CsrDataTest, MatchesDenseDataMethodByMethod) {
  using T = TypeParam;
  std::uint32_t seed = 700;
  const Shape shapes[] = {{7, 13, 20}, {2049, 30, 33}, {5000, 12, 12}};
  for (const Shape& s : shapes) {
    for (double density : {0.0, 0.05, 0.2, 1.0}) {
      Strided<T> x = sparse_matrix<T>(s.rows, s.cols, s.stride, density, seed++);
      // Large values, so that normalising changes the scale.
      for (T& v : x.buffer) v *= T(1000);
      for (bool normalize : {false, true}) {
        for (int threads : kThreadCounts) {
          const std::string what = describe(s, density, 0, normalize, threads);
          const core::DenseData<T> dense(x.view, threads, normalize);
          const core::CsrData<T> sparse(x.view, threads, normalize);
          const core::Scaled<T>& data = sparse;  // through the interface, as the driver uses it
          EXPECT_EQ(data.rows(), dense.rows()) << what;
          EXPECT_EQ(data.cols(), dense.cols()) << what;
          EXPECT_EQ(data.scale(), dense.scale()) << what;
          EXPECT_EQ(data.squared_norm(), dense.squared_norm()) << what;
          EXPECT_EQ(data.mean(), dense.mean()) << what;
          if (normalize && density > 0) {
            EXPECT_GT(data.scale(), 1) << what;
          }

          const Index p = 3;
          const double inverse = 1 / dense.scale();
          const std::vector<T> right_cols = random_values<T>(s.cols * p, seed++, 0, 1);
          std::vector<double> tol = term_scale(x.view, right_cols, p, false);
          for (double& t : tol) t *= inverse;
          std::vector<T> a(static_cast<std::size_t>(s.rows * p)), b(a.size());
          dense.times(right_cols.data(), p, a.data());
          data.times(right_cols.data(), p, b.data());
          EXPECT_TRUE(close(b, a, tol, 2 * product_tolerance<T>())) << what;

          const std::vector<T> right_rows = random_values<T>(s.rows * p, seed++, 0, 1);
          tol = term_scale(x.view, right_rows, p, true);
          for (double& t : tol) t *= inverse;
          std::vector<T> at(static_cast<std::size_t>(s.cols * p)), bt(at.size());
          dense.transpose_times(right_rows.data(), p, at.data());
          data.transpose_times(right_rows.data(), p, bt.data());
          EXPECT_TRUE(close(bt, at, tol, 2 * product_tolerance<T>())) << what;

          const Index k = 4;
          const std::vector<T> w = random_values<T>(s.rows * k, seed++, 0, 1);
          const std::vector<T> h = random_values<T>(k * s.cols, seed++, 0, 1);
          const double r_dense = dense.residual_squared_norm(w.data(), h.data(), k);
          const double r_sparse = data.residual_squared_norm(w.data(), h.data(), k);
          EXPECT_NEAR(r_sparse, r_dense, (std::is_same_v<T, float> ? 1e-5 : 1e-9) * r_dense)
              << what;
        }
      }
    }
  }
}

TYPED_TEST(CsrDataTest, KeepsNoReferenceToTheView) {
  using T = TypeParam;
  Strided<T> x = sparse_matrix<T>(300, 20, 24, 0.2, 800);
  const core::CsrData<T> sparse(x.view, 2, true);
  const core::DenseData<T> dense(x.view, 2, true);
  const std::vector<T> right = random_values<T>(20 * 3, 801, 0, 1);
  std::vector<T> before(300 * 3), after(300 * 3);
  sparse.times(right.data(), 3, before.data());
  std::fill(x.buffer.begin(), x.buffer.end(), std::numeric_limits<T>::quiet_NaN());
  sparse.times(right.data(), 3, after.data());
  EXPECT_TRUE(same_bytes(before, after));
}

/// Runs make() and returns the exception's type and message.
template <typename Make>
std::string error_of(Make make) {
  try {
    make();
  } catch (const DataError& e) {
    return std::string("DataError: ") + e.what();
  } catch (const InvalidArgument& e) {
    return std::string("InvalidArgument: ") + e.what();
  }
  return "no error";
}

TYPED_TEST(CsrDataTest, RejectsBadInputAsDenseDataDoes) {
  using T = TypeParam;
  std::vector<T> buffer(12, T(0.5));
  std::vector<DenseView<T>> views = {
      DenseView<T>(buffer.data(), 0, 3),
      DenseView<T>(buffer.data(), 3, 0),
      DenseView<T>(nullptr, 3, 4),
      DenseView<T>(buffer.data(), 3, 4, 3),                    // stride < cols
      DenseView<T>(buffer.data(), Index{1} << 31, 1),          // too many rows
      DenseView<T>(buffer.data(), 1, Index{1} << 31),          // too many columns
      DenseView<T>(buffer.data(), 1, 2, (Index{1} << 31) + 1)  // stride too large
  };
  const T bad_values[] = {T(-1), std::numeric_limits<T>::quiet_NaN(),
                          std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity()};
  std::vector<std::vector<T>> bad_buffers;
  for (T bad : bad_values) {
    bad_buffers.push_back(buffer);
    bad_buffers.back()[7] = bad;
  }
  for (const auto& b : bad_buffers) views.push_back(DenseView<T>(b.data(), 3, 4));
  // ‖X‖² overflows double (only reachable with double entries).
  std::vector<T> huge(12, std::is_same_v<T, double> ? T(1e200) : T(0));
  if (std::is_same_v<T, double>) views.push_back(DenseView<T>(huge.data(), 3, 4));
  for (const DenseView<T>& v : views) {
    for (int threads : {1, 3}) {
      const std::string want = error_of([&] { core::DenseData<T>(v, threads, true); });
      ASSERT_NE(want, "no error") << v.rows << " x " << v.cols;
      EXPECT_EQ(error_of([&] { core::CsrData<T>(v, threads, true); }), want);
    }
  }
}

// ---- the initialisations on both ----

template <typename T>
class CsrInit : public CsrKernels<T> {};
TYPED_TEST_SUITE(CsrInit, Scalars);

template <typename T>
double relative_difference(const Matrix<T>& a, const Matrix<T>& b) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    const double d = double(a.values[i]) - double(b.values[i]);
    diff += d * d;
    norm += double(b.values[i]) * double(b.values[i]);
  }
  return std::sqrt(diff / norm);
}

TYPED_TEST(CsrInit, MatchesDenseForRandomAndNndsvda) {
  using T = TypeParam;
  std::uint32_t seed = 900;
  // Sparse data with a clear low-rank structure (about 70% zeros) plus sparse
  // noise.
  const Index n = 500, m = 120, r = 6;
  std::vector<T> w = random_values<T>(n * r, seed++, 0, 1),
                 h = random_values<T>(r * m, seed++, 0, 1);
  std::mt19937 gen(seed++);
  std::uniform_real_distribution<double> u(0, 1);
  for (T& v : w) v = u(gen) < 0.8 ? T(0) : v;
  for (T& v : h) v = u(gen) < 0.7 ? T(0) : v;
  std::vector<T> x(static_cast<std::size_t>(n * m));
  kernels::times(DenseView<T>(w.data(), n, r), T(1), h.data(), m, x.data(), 1);
  for (T& v : x)
    if (v > 0) v += static_cast<T>(0.01 * u(gen));
  const DenseView<T> view(x.data(), n, m);
  EXPECT_GT(kernels::zero_fraction(view, 1), 0.5);
  for (bool normalize : {false, true}) {
    for (Init init : {Init::kRandom, Init::kNndsvda}) {
      for (int k : {1, 4, 10}) {
        FitOptions o;
        o.k = k;
        o.init = init;
        o.seed = 3;
        const core::DenseData<T> dense(view, 2, normalize);
        const core::CsrData<T> sparse(view, 2, normalize);
        const core::Factors<T> want = core::initialize(dense, o);
        const core::Factors<T> got = core::initialize(sparse, o);
        const std::string what = std::string(init_name(init)) + ", k = " + std::to_string(k) +
                                 (normalize ? ", normalised" : "");
        if (init == Init::kRandom) {
          // Uses mean(X) only, which is the same bit for bit.
          EXPECT_TRUE(same_bytes(got.w, want.w)) << what;
          EXPECT_TRUE(same_bytes(got.ht, want.ht)) << what;
        } else {
          EXPECT_LE(relative_difference(got.w, want.w), 1e-5) << what;
          EXPECT_LE(relative_difference(got.ht, want.ht), 1e-5) << what;
        }
        // And the sparse data gives the same bytes whatever the thread count.
        const core::CsrData<T> sparse3(view, 3, normalize);
        const core::Factors<T> got3 = core::initialize(sparse3, o);
        EXPECT_TRUE(same_bytes(got3.w, got.w)) << what;
        EXPECT_TRUE(same_bytes(got3.ht, got.ht)) << what;
      }
    }
  }
}

}  // namespace
}  // namespace nmfkit
