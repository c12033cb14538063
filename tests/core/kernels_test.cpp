// The dense kernels against plain double-precision reference loops, for float and double, over
// row counts that give one chunk, several chunks and chunk boundaries that do not divide evenly,
// on contiguous and strided views; and the same bytes whatever the thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/blas_threads.hpp"
#include "kernels/chunks.hpp"
#include "kernels/dense.hpp"
#include "test_data.hpp"

namespace nmfkit::kernels {
namespace {

using testing::same_bytes;

constexpr int kThreadCounts[] = {1, 2, 3};

/// A row-major matrix in a buffer of rows × stride entries whose padding is NaN, so a kernel that
/// reads past a row's last column shows up.
template <typename T>
struct Strided {
  std::vector<T> buffer;
  DenseView<T> view;
};

template <typename T>
std::vector<T> random_values(Index count, std::uint32_t seed, double lo, double hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<T> v(static_cast<std::size_t>(count));
  for (T& x : v) x = static_cast<T>(u(gen));
  return v;
}

template <typename T>
Strided<T> make_matrix(Index rows, Index cols, Index stride, std::uint32_t seed, double lo = -1,
                       double hi = 1) {
  Strided<T> s;
  s.buffer.assign(static_cast<std::size_t>(rows * stride), std::numeric_limits<T>::quiet_NaN());
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < cols; ++j)
      s.buffer[static_cast<std::size_t>(i * stride + j)] = static_cast<T>(u(gen));
  s.view = DenseView<T>(s.buffer.data(), rows, cols, stride);
  return s;
}

/// Exact value (in double) and Σ|terms| of every output entry.
struct Reference {
  std::vector<double> value, scale;
};

template <typename T>
Reference reference_times(const DenseView<T>& x, const std::vector<T>& right, Index p) {
  Reference r{std::vector<double>(static_cast<std::size_t>(x.rows * p), 0.0),
              std::vector<double>(static_cast<std::size_t>(x.rows * p), 0.0)};
  for (Index i = 0; i < x.rows; ++i)
    for (Index c = 0; c < x.cols; ++c)
      for (Index j = 0; j < p; ++j) {
        const double t = double(x(i, c)) * double(right[static_cast<std::size_t>(c * p + j)]);
        r.value[static_cast<std::size_t>(i * p + j)] += t;
        r.scale[static_cast<std::size_t>(i * p + j)] += std::abs(t);
      }
  return r;
}

template <typename T>
Reference reference_transpose_times(const DenseView<T>& x, const std::vector<T>& right, Index p) {
  Reference r{std::vector<double>(static_cast<std::size_t>(x.cols * p), 0.0),
              std::vector<double>(static_cast<std::size_t>(x.cols * p), 0.0)};
  for (Index i = 0; i < x.rows; ++i)
    for (Index c = 0; c < x.cols; ++c)
      for (Index j = 0; j < p; ++j) {
        const double t = double(x(i, c)) * double(right[static_cast<std::size_t>(i * p + j)]);
        r.value[static_cast<std::size_t>(c * p + j)] += t;
        r.scale[static_cast<std::size_t>(c * p + j)] += std::abs(t);
      }
  return r;
}

template <typename T>
Reference reference_gram(const std::vector<T>& f, Index rows, Index k) {
  Reference r{std::vector<double>(static_cast<std::size_t>(k * k), 0.0),
              std::vector<double>(static_cast<std::size_t>(k * k), 0.0)};
  for (Index i = 0; i < rows; ++i)
    for (Index a = 0; a < k; ++a)
      for (Index b = 0; b < k; ++b) {
        const double t = double(f[static_cast<std::size_t>(i * k + a)]) *
                         double(f[static_cast<std::size_t>(i * k + b)]);
        r.value[static_cast<std::size_t>(a * k + b)] += t;
        r.scale[static_cast<std::size_t>(a * k + b)] += std::abs(t);
      }
  return r;
}

/// Tolerance relative to Σ|terms| for products computed in T.
template <typename T>
double product_tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

/// Counts entries with |actual − value| > tol·scale and describes the first.
template <typename T>
::testing::AssertionResult close_to(const std::vector<T>& actual, const Reference& ref,
                                    double tol) {
  if (actual.size() != ref.value.size())
    return ::testing::AssertionFailure() << "size " << actual.size() << " vs " << ref.value.size();
  std::size_t bad = 0, first = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double diff = std::abs(double(actual[i]) - ref.value[i]);
    if (!(diff <= tol * ref.scale[i] + std::numeric_limits<double>::min())) {
      if (bad == 0) first = i;
      ++bad;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << actual.size() << " entries off; first at " << first << ": got "
         << double(actual[first]) << ", want " << ref.value[first] << " (scale " << ref.scale[first]
         << ", tol " << tol << ")";
}

struct Shape {
  Index rows, cols, stride;
};

std::string describe(const Shape& s, Index p, int threads) {
  std::ostringstream o;
  o << s.rows << " x " << s.cols << " (stride " << s.stride << "), p = " << p
    << ", threads = " << threads;
  return o.str();
}

// One chunk (1, 7), two uneven chunks (2049), three uneven chunks (5000), the 32-chunk cap with
// uneven chunks (70000); contiguous and strided; a single column and a wide one.
const Shape kShapes[] = {{1, 1, 1},    {1, 5, 5},     {7, 3, 3},     {7, 13, 20},
                         {2048, 2, 2}, {2049, 4, 4},  {2049, 4, 9},  {5000, 6, 6},
                         {5000, 3, 7}, {70000, 3, 3}, {70000, 2, 5}, {300, 40, 41}};
constexpr Index kWidths[] = {1, 3, 20};

template <typename T>
class Kernels : public ::testing::Test {
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
TYPED_TEST_SUITE(Kernels, Scalars);

TEST(RowChunks, PartitionDependsOnlyOnRowsAndCoversThemInOrder) {
  EXPECT_EQ(row_chunks(1).count, 1);
  EXPECT_EQ(row_chunks(2 * kMinChunkRows - 1).count, 1);  // chunks of kMinChunkRows at least
  EXPECT_EQ(row_chunks(2 * kMinChunkRows).count, 2);
  EXPECT_EQ(row_chunks(kChunkRows).count, kMinChunks);  // a few thousand rows: kMinChunks
  EXPECT_EQ(row_chunks(5000).count, kMinChunks);
  EXPECT_EQ(row_chunks(kChunkRows * (kMinChunks + 1)).count, kMinChunks + 1);
  EXPECT_EQ(row_chunks(kChunkRows * (kMinChunks + 1) + 1).count, kMinChunks + 2);
  EXPECT_EQ(row_chunks(kChunkRows * kMaxChunks).count, kMaxChunks);
  EXPECT_EQ(row_chunks(70000).count, kMaxChunks);
  for (Index rows : {1, 7, 511, 512, 2048, 2049, 5000, 65536, 70000, 1000003}) {
    const RowChunks c = row_chunks(rows);
    EXPECT_EQ(c.begin(0), 0);
    EXPECT_EQ(c.end(c.count - 1), rows);
    for (Index i = 0; i < c.count; ++i) {
      EXPECT_LT(c.begin(i), c.end(i)) << rows << " rows, chunk " << i << " is empty";
      if (i > 0) {
        EXPECT_EQ(c.begin(i), c.end(i - 1));
      }
    }
  }
}

TYPED_TEST(Kernels, TimesMatchesReference) {
  using T = TypeParam;
  std::uint32_t seed = 1;
  for (const Shape& s : kShapes) {
    const Strided<T> x = make_matrix<T>(s.rows, s.cols, s.stride, seed++);
    for (Index p : kWidths) {
      const std::vector<T> right = random_values<T>(s.cols * p, seed++, -1, 1);
      const Reference ref = reference_times(x.view, right, p);
      std::vector<T> first;
      for (int threads : kThreadCounts) {
        std::vector<T> out(static_cast<std::size_t>(s.rows * p), T(-7));
        times(x.view, T(1), right.data(), p, out.data(), threads);
        EXPECT_TRUE(close_to(out, ref, product_tolerance<T>())) << describe(s, p, threads);
        if (first.empty())
          first = out;
        else
          EXPECT_TRUE(same_bytes(first, out)) << describe(s, p, threads) << " differs from 1";
      }
    }
  }
}

TYPED_TEST(Kernels, TransposeTimesMatchesReference) {
  using T = TypeParam;
  std::uint32_t seed = 100;
  for (const Shape& s : kShapes) {
    const Strided<T> x = make_matrix<T>(s.rows, s.cols, s.stride, seed++);
    for (Index p : kWidths) {
      const std::vector<T> right = random_values<T>(s.rows * p, seed++, -1, 1);
      const Reference ref = reference_transpose_times(x.view, right, p);
      std::vector<T> first;
      for (int threads : kThreadCounts) {
        std::vector<T> out(static_cast<std::size_t>(s.cols * p), T(-7));
        transpose_times(x.view, T(1), right.data(), p, out.data(), threads);
        EXPECT_TRUE(close_to(out, ref, product_tolerance<T>())) << describe(s, p, threads);
        if (first.empty())
          first = out;
        else
          EXPECT_TRUE(same_bytes(first, out)) << describe(s, p, threads) << " differs from 1";
      }
    }
  }
}

TYPED_TEST(Kernels, GramMatchesReferenceAndIsExactlySymmetric) {
  using T = TypeParam;
  // Accumulated and returned in double.
  const double tol = 1e-12;
  std::uint32_t seed = 200;
  for (Index rows : {1, 7, 2048, 2049, 5000, 70000}) {
    for (Index k : kWidths) {
      const std::vector<T> f = random_values<T>(rows * k, seed++, -1, 1);
      const Reference ref = reference_gram(f, rows, k);
      std::vector<double> first;
      for (int threads : kThreadCounts) {
        std::vector<double> g(static_cast<std::size_t>(k * k), -7.0);
        gram(f.data(), rows, k, g.data(), threads);
        EXPECT_TRUE(close_to(g, ref, tol)) << rows << " rows, k = " << k << ", " << threads;
        for (Index a = 0; a < k; ++a)
          for (Index b = 0; b < k; ++b)
            EXPECT_EQ(g[static_cast<std::size_t>(a * k + b)],
                      g[static_cast<std::size_t>(b * k + a)]);
        if (first.empty())
          first = g;
        else
          EXPECT_TRUE(same_bytes(first, g)) << rows << " rows, k = " << k << ", " << threads;
      }
    }
  }
}

TYPED_TEST(Kernels, ResidualSquaredNormMatchesReference) {
  using T = TypeParam;
  // W·H is formed in T, the differences are squared and summed in double.
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-13;
  std::uint32_t seed = 250;
  // Also a shape whose chunks are split into several blocks of W·H (~2^20 entries each).
  std::vector<Shape> shapes(std::begin(kShapes), std::end(kShapes));
  shapes.push_back({5000, 1000, 1003});
  for (const Shape& s : shapes) {
    const Strided<T> x = make_matrix<T>(s.rows, s.cols, s.stride, seed++, 0, 1);
    for (Index k : kWidths) {
      if (s.rows * s.cols > 1000000 && k != 3) continue;  // keep the reference loop short
      const std::vector<T> w = random_values<T>(s.rows * k, seed++, 0, 1);
      const std::vector<T> h = random_values<T>(k * s.cols, seed++, 0, 1);
      double want = 0, scale = 0;
      for (Index i = 0; i < s.rows; ++i)
        for (Index j = 0; j < s.cols; ++j) {
          double wh = 0;
          for (Index l = 0; l < k; ++l)
            wh += double(w[static_cast<std::size_t>(i * k + l)]) *
                  double(h[static_cast<std::size_t>(l * s.cols + j)]);
          const double xv = x.view(i, j);
          want += (xv - wh) * (xv - wh);
          scale += (std::abs(xv) + wh) * (std::abs(xv) + wh);
        }
      const double one = residual_squared_norm(x.view, 1.0, w.data(), h.data(), k, 1);
      EXPECT_NEAR(one, want, tol * scale) << describe(s, k, 1);
      for (int threads : kThreadCounts)
        EXPECT_EQ(residual_squared_norm(x.view, 1.0, w.data(), h.data(), k, threads), one)
            << describe(s, k, threads);
    }
  }
  // An exact factorization has residual 0 (up to rounding of W·H in T).
  const Strided<T> w = make_matrix<T>(3000, 2, 2, 9, 0, 1);
  const std::vector<T> h = random_values<T>(2 * 7, 10, 0, 1);
  std::vector<T> x(static_cast<std::size_t>(3000 * 7));
  times(w.view, T(1), h.data(), 7, x.data(), 1);
  const double r =
      residual_squared_norm(DenseView<T>(x.data(), 3000, 7), 1.0, w.buffer.data(), h.data(), 2, 2);
  double x2 = 0;
  for (T v : x) x2 += double(v) * double(v);
  EXPECT_LE(r, (std::is_same_v<T, float> ? 1e-12 : 1e-28) * x2);
}

TYPED_TEST(Kernels, ScaleMultipliesEveryProductOfX) {
  using T = TypeParam;
  const Strided<T> x = make_matrix<T>(5000, 6, 8, 77, 0, 1);
  const std::vector<T> r_cols = random_values<T>(6 * 3, 78, 0, 1);
  const std::vector<T> r_rows = random_values<T>(5000 * 3, 79, 0, 1);
  std::vector<T> one(5000 * 3), quarter(5000 * 3), t_one(6 * 3), t_quarter(6 * 3);
  times(x.view, T(1), r_cols.data(), 3, one.data(), 2);
  times(x.view, T(0.25), r_cols.data(), 3, quarter.data(), 2);
  for (std::size_t i = 0; i < one.size(); ++i) EXPECT_EQ(quarter[i], one[i] * T(0.25));
  transpose_times(x.view, T(1), r_rows.data(), 3, t_one.data(), 2);
  transpose_times(x.view, T(0.25), r_rows.data(), 3, t_quarter.data(), 2);
  for (std::size_t i = 0; i < t_one.size(); ++i)
    EXPECT_NEAR(t_quarter[i], t_one[i] * T(0.25), 1e-6 * std::abs(t_one[i]));
  // ‖X/4 − W·H/4‖² = ‖X − W·H‖² / 16.
  const std::vector<T> w3 = random_values<T>(5000 * 3, 80, 0, 1);
  const std::vector<T> h3 = random_values<T>(3 * 6, 81, 0, 1);
  std::vector<T> h3_quarter(h3.size());
  for (std::size_t i = 0; i < h3.size(); ++i) h3_quarter[i] = h3[i] * T(0.25);
  const double full = residual_squared_norm(x.view, 1.0, w3.data(), h3.data(), 3, 2);
  const double scaled = residual_squared_norm(x.view, 0.25, w3.data(), h3_quarter.data(), 3, 2);
  EXPECT_NEAR(scaled, full / 16, 1e-6 * full);
}

TYPED_TEST(Kernels, DotMatchesReference) {
  using T = TypeParam;
  std::uint32_t seed = 300;
  for (Index count : {1, 7, 2048, 2049, 5000, 70000, 210001}) {
    const std::vector<T> a = random_values<T>(count, seed++, -1, 1);
    const std::vector<T> b = random_values<T>(count, seed++, -1, 1);
    double want = 0, scale = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      want += double(a[i]) * double(b[i]);
      scale += std::abs(double(a[i]) * double(b[i]));
    }
    const double one = dot(a.data(), b.data(), count, 1);
    EXPECT_NEAR(one, want, 1e-13 * scale) << count;  // accumulated in double for both types
    for (int threads : kThreadCounts)
      EXPECT_EQ(dot(a.data(), b.data(), count, threads), one) << count << ", " << threads;
  }
}

TYPED_TEST(Kernels, NormAndSumMatchReference) {
  using T = TypeParam;
  std::uint32_t seed = 400;
  for (const Shape& s : kShapes) {
    const Strided<T> x = make_matrix<T>(s.rows, s.cols, s.stride, seed++);
    double sq = 0, sum = 0, abs_sum = 0;
    for (Index i = 0; i < s.rows; ++i)
      for (Index j = 0; j < s.cols; ++j) {
        const double v = x.view(i, j);
        sq += v * v;
        sum += v;
        abs_sum += std::abs(v);
      }
    const NormAndSum one = norm_and_sum(x.view, 1);
    EXPECT_NEAR(one.squared_norm, sq, 1e-13 * sq) << describe(s, 0, 1);
    EXPECT_NEAR(one.sum, sum, 1e-13 * abs_sum) << describe(s, 0, 1);
    for (int threads : kThreadCounts) {
      const NormAndSum r = norm_and_sum(x.view, threads);
      EXPECT_EQ(r.squared_norm, one.squared_norm) << describe(s, 0, threads);
      EXPECT_EQ(r.sum, one.sum) << describe(s, 0, threads);
    }
  }
}

TYPED_TEST(Kernels, FirstInvalidIsNoneOnCleanDataEvenWithNanPadding) {
  using T = TypeParam;
  std::uint32_t seed = 500;
  for (const Shape& s : kShapes) {
    Strided<T> x = make_matrix<T>(s.rows, s.cols, s.stride, seed++, 0, 1);
    // Edge cases that are valid: zero, negative zero, the largest finite, the smallest subnormal.
    x.buffer[0] = T(-0.0);
    x.buffer[static_cast<std::size_t>((s.rows - 1) * s.stride + s.cols - 1)] =
        std::numeric_limits<T>::max();
    if (s.cols > 1) x.buffer[1] = std::numeric_limits<T>::denorm_min();
    for (int threads : kThreadCounts)
      EXPECT_FALSE(first_invalid(x.view, threads).has_value()) << describe(s, 0, threads);
  }
}

TYPED_TEST(Kernels, FirstInvalidFindsEachKindOfBadEntry) {
  using T = TypeParam;
  const T bad_values[] = {T(-0.5), -std::numeric_limits<T>::denorm_min(),
                          std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                          -std::numeric_limits<T>::infinity()};
  std::uint32_t seed = 600;
  for (const Shape& s : kShapes) {
    const RowChunks chunks = row_chunks(s.rows);
    // Positions: first entry, last entry, last row of the first chunk, first row of the last one.
    std::vector<std::pair<Index, Index>> places = {{0, 0}, {s.rows - 1, s.cols - 1}};
    places.emplace_back(chunks.end(0) - 1, s.cols / 2);
    places.emplace_back(chunks.begin(chunks.count - 1), 0);
    Strided<T> x = make_matrix<T>(s.rows, s.cols, s.stride, seed++, 0, 1);
    for (T bad : bad_values) {
      for (auto [r, c] : places) {
        T& entry = x.buffer[static_cast<std::size_t>(r * s.stride + c)];
        const T saved = entry;
        entry = bad;
        for (int threads : kThreadCounts) {
          const auto found = first_invalid(x.view, threads);
          ASSERT_TRUE(found.has_value()) << describe(s, 0, threads) << " bad " << bad;
          EXPECT_EQ(found->row, r) << describe(s, 0, threads) << " bad " << bad;
          EXPECT_EQ(found->col, c) << describe(s, 0, threads) << " bad " << bad;
          if (std::isnan(bad)) {
            EXPECT_TRUE(std::isnan(found->value));
          } else {
            EXPECT_EQ(found->value, double(bad));
          }
        }
        entry = saved;
      }
    }
  }
}

TYPED_TEST(Kernels, FirstInvalidReportsTheEarliestInRowMajorOrder) {
  using T = TypeParam;
  const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
  for (const Shape& s : {Shape{70000, 4, 6}, Shape{5000, 3, 3}, Shape{7, 5, 5}}) {
    const RowChunks chunks = row_chunks(s.rows);
    Strided<T> x = make_matrix<T>(s.rows, s.cols, s.stride, 7, 0, 1);
    auto set = [&](Index r, Index c, T v) {
      x.buffer[static_cast<std::size_t>(r * s.stride + c)] = v;
    };
    // Later chunks hold bad entries in earlier columns; the earliest row wins, and within a row
    // the earliest column.
    const Index target = chunks.count > 1 ? chunks.end(0) - 1 : s.rows / 2;
    set(target, s.cols - 1, -inf);
    set(target, s.cols - 2, T(-1));
    set(s.rows - 1, 0, nan);
    if (chunks.count > 2) set(chunks.begin(2), 0, inf);
    if (target + 1 < s.rows) set(target + 1, 0, T(-3));
    for (int threads : kThreadCounts) {
      const auto found = first_invalid(x.view, threads);
      ASSERT_TRUE(found.has_value());
      EXPECT_EQ(found->row, target) << describe(s, 0, threads);
      EXPECT_EQ(found->col, s.cols - 2) << describe(s, 0, threads);
      EXPECT_EQ(found->value, -1.0);
    }
  }
}

}  // namespace
}  // namespace nmfkit::kernels
