// The 8-bit CSR form (kernels::CsrBytes): when it is chosen, and that its products and residual
// equal those of the float CSR it came from (to rounding: the compiler may fuse multiply-adds
// differently in the two instantiations), for 8-bit images scaled by 1/255 (in
// double, as the loaders do, or in T, as numpy's X / 255 does) and for raw pixel values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "../test_data.hpp"
#include "core/csr_data.hpp"
#include "core/make_data.hpp"
#include "kernels/csr.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit {
namespace {

enum class Levels { kDoubleScaled, kTypeScaled, kRaw };

/// rows × cols pixels, each zero with probability 0.7, else a level in 1…255 expressed as `levels`.
template <typename T>
std::vector<T> pixels(Index rows, Index cols, Levels levels, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> level(1, 255);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<T> x(static_cast<std::size_t>(rows * cols));
  for (T& v : x) {
    if (u(gen) < 0.7) continue;
    const int q = level(gen);
    v = levels == Levels::kRaw          ? T(q)
        : levels == Levels::kTypeScaled ? T(q) / T(255)
                                        : static_cast<T>(q * (1.0 / 255.0));
  }
  return x;
}

template <typename T>
std::vector<T> uniform(Index count, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<T> v(static_cast<std::size_t>(count));
  for (T& e : v) e = static_cast<T>(u(gen));
  return v;
}

/// Largest |a − b| relative to max |b|; 1 when the sizes differ.
template <typename T>
double gap(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size() || a.empty()) return 1;
  double diff = 0, size = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
    size = std::max(size, std::abs(double(b[i])));
  }
  return diff / size;
}

template <typename T>
constexpr double kTolerance = sizeof(T) == 4 ? 1e-5 : 1e-13;

template <typename T>
class CsrBytesTest : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CsrBytesTest, Scalars);

TYPED_TEST(CsrBytesTest, ProductsAndResidualEqualThoseOfFloatCsr) {
  using T = TypeParam;
  // 5000 rows: several row chunks, so the partial sums of transpose_times are exercised.
  const Index n = 5000, m = 300;
  for (Levels levels : {Levels::kDoubleScaled, Levels::kTypeScaled, Levels::kRaw}) {
    const std::vector<T> x = pixels<T>(n, m, levels, 7);
    const DenseView<T> view(x.data(), n, m);
    const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(view, 2);
    const auto bytes = kernels::csr_bytes(view, 2);
    ASSERT_TRUE(bytes.has_value());
    // The same stored entries, whatever the thread count.
    EXPECT_EQ(bytes->row_start, csr.row_start);
    ASSERT_EQ(bytes->nonzeros(), csr.nonzeros());
    for (std::size_t e = 0; e < csr.value.size(); ++e) {
      ASSERT_EQ(Index(bytes->col[e]), Index(csr.col[e]));
      ASSERT_EQ(bytes->palette[bytes->code[e]], csr.value[e]);
    }
    const auto one = kernels::csr_bytes(view, 1);
    ASSERT_TRUE(one.has_value());
    EXPECT_EQ(one->code, bytes->code);
    EXPECT_EQ(one->col, bytes->col);
    for (Index p : {Index(1), Index(7), Index(10), Index(23), Index(40)}) {
      const std::vector<T> right_m = uniform<T>(m * p, 1), right_n = uniform<T>(n * p, 2);
      std::vector<T> a(static_cast<std::size_t>(n * p)), b(a.size());
      kernels::times(csr, T(0.5), right_m.data(), p, a.data(), 2);
      kernels::times(*bytes, T(0.5), right_m.data(), p, b.data(), 2);
      EXPECT_LT(gap(a, b), kTolerance<T>) << "times, p = " << p;
      std::vector<T> c(static_cast<std::size_t>(m * p)), d(c.size());
      kernels::transpose_times(csr, T(0.5), right_n.data(), p, c.data(), 2);
      kernels::transpose_times(*bytes, T(0.5), right_n.data(), p, d.data(), 1);
      EXPECT_LT(gap(c, d), kTolerance<T>) << "transpose_times, p = " << p;
      const std::vector<T> h = uniform<T>(p * m, 3);
      const double r = kernels::residual_squared_norm(csr, 0.5, right_n.data(), h.data(), p, 2);
      EXPECT_NEAR(kernels::residual_squared_norm(*bytes, 0.5, right_n.data(), h.data(), p, 3), r,
                  1e-12 * r);
    }
  }
}

TYPED_TEST(CsrBytesTest, RefusedForValuesThatAreNotLevels) {
  using T = TypeParam;
  const Index n = 50, m = 40;
  std::vector<T> x = pixels<T>(n, m, Levels::kDoubleScaled, 3);
  auto bytes_of = [&](const std::vector<T>& v, Index cols) {
    return kernels::csr_bytes(DenseView<T>(v.data(), Index(v.size()) / cols, cols), 2);
  };
  EXPECT_TRUE(bytes_of(x, m).has_value());
  std::vector<T> off = x;
  off[5] = T(0.3);  // not q/255 for any q
  EXPECT_FALSE(bytes_of(off, m).has_value());
  std::vector<T> big = pixels<T>(n, m, Levels::kRaw, 3);
  EXPECT_TRUE(bytes_of(big, m).has_value());
  big[7] = T(256);
  EXPECT_FALSE(bytes_of(big, m).has_value());
  std::vector<T> mixed = x;  // raw and scaled levels in one matrix: neither unit fits both
  mixed[9] = T(200);
  EXPECT_FALSE(bytes_of(mixed, m).has_value());
  // 16-bit column indices: 65536 columns fit, 65537 do not.
  std::vector<T> wide(65537, T(0));
  wide[65535] = T(1);
  EXPECT_TRUE(bytes_of(std::vector<T>(wide.begin(), wide.end() - 1), 65536).has_value());
  EXPECT_FALSE(bytes_of(wide, 65537).has_value());
}

TYPED_TEST(CsrBytesTest, CsrDataUsesBytesForEightBitImagesOnly) {
  using T = TypeParam;
  const Index n = 300, m = 50;
  const std::vector<T> x = pixels<T>(n, m, Levels::kTypeScaled, 5);
  const core::CsrData<T> sparse(DenseView<T>(x.data(), n, m), 2, true);
  EXPECT_TRUE(sparse.bytes());
  // Seen exactly as the dense data: same scale, norm, mean and (to rounding) products.
  const core::DenseData<T> dense(DenseView<T>(x.data(), n, m), 2, true);
  EXPECT_EQ(sparse.rows(), n);
  EXPECT_EQ(sparse.cols(), m);
  EXPECT_EQ(sparse.scale(), dense.scale());
  EXPECT_DOUBLE_EQ(sparse.squared_norm(), dense.squared_norm());
  EXPECT_DOUBLE_EQ(sparse.mean(), dense.mean());
  const Index p = 4;
  const std::vector<T> right = uniform<T>(m * p, 9);
  std::vector<T> a(static_cast<std::size_t>(n * p)), b(a.size());
  sparse.times(right.data(), p, a.data());
  dense.times(right.data(), p, b.data());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-4 * (1 + std::abs(b[i])));
  const std::vector<T> y = uniform<T>(n * m, 5);
  EXPECT_FALSE(core::CsrData<T>(DenseView<T>(y.data(), n, m), 2, true).bytes());
}

TYPED_TEST(CsrBytesTest, FromLevelsKeepsEveryNonZeroWhereverTheZerosRun) {
  using T = TypeParam;
  // Images-like rows: zero runs of every length (whole 8-byte words and parts of them), a width
  // that is not a multiple of 8, all-zero and all-non-zero rows.
  const Index n = 700, m = 123;
  std::mt19937 gen(9);
  std::uniform_int_distribution<int> run(0, 20), level(1, 255);
  std::vector<std::uint8_t> q(static_cast<std::size_t>(n * m), 0);
  for (Index r = 0; r < n; ++r) {
    if (r % 50 == 7) continue;  // all zeros
    Index j = r % 50 == 8 ? 0 : run(gen);
    while (j < m) {
      const Index length = r % 50 == 8 ? m : 1 + run(gen) / 4;
      for (Index t = j; t < std::min(m, j + length); ++t)
        q[static_cast<std::size_t>(r * m + t)] = static_cast<std::uint8_t>(level(gen));
      j += length + (r % 50 == 8 ? 0 : run(gen));
    }
  }
  const DenseView<std::uint8_t> levels(q.data(), n, m);
  std::array<T, 256> palette{};
  for (std::size_t v = 0; v < 256; ++v) palette[v] = static_cast<T>(v);
  std::vector<std::int64_t> start{0};
  std::vector<std::uint16_t> col;
  std::vector<std::uint8_t> code;
  for (Index r = 0; r < n; ++r) {
    for (Index j = 0; j < m; ++j)
      if (const std::uint8_t v = q[static_cast<std::size_t>(r * m + j)]; v != 0) {
        col.push_back(static_cast<std::uint16_t>(j));
        code.push_back(v);
      }
    start.push_back(static_cast<std::int64_t>(col.size()));
  }
  for (int threads : {1, 3}) {
    EXPECT_EQ(kernels::level_row_starts(levels, threads), start);
    const kernels::CsrBytes<T> b = kernels::csr_bytes_from_levels(levels, palette, threads);
    EXPECT_EQ(b.row_start, start);
    EXPECT_EQ(std::vector<std::uint16_t>(b.col.begin(), b.col.end()), col);
    EXPECT_EQ(std::vector<std::uint8_t>(b.code.begin(), b.code.end()), code);
  }
}

TEST(CsrBytesRowStarts, WrongRowStartsAreRefused) {
  const std::vector<std::uint8_t> q = {0, 3, 0, 5, 0, 0, 7, 7, 0};
  const DenseView<std::uint8_t> levels(q.data(), 3, 3);
  std::array<float, 256> palette{};
  for (std::size_t v = 0; v < 256; ++v) palette[v] = float(v);
  EXPECT_EQ(kernels::level_row_starts(levels, 1), (std::vector<std::int64_t>{0, 1, 2, 4}));
  for (const std::vector<std::int64_t>& wrong :
       {std::vector<std::int64_t>{0, 1, 2}, {1, 2, 3, 5}, {0, 2, 1, 4}, {0, 4, 4, 8}, {0, 1, 3, 4}})
    EXPECT_THROW(kernels::csr_bytes_from_levels(levels, palette, wrong, 1), InvalidArgument);
  const auto b = kernels::csr_bytes_from_levels(levels, palette, {0, 1, 2, 4}, 2);
  EXPECT_EQ(std::vector<std::uint16_t>(b.col.begin(), b.col.end()),
            (std::vector<std::uint16_t>{1, 0, 0, 1}));
}

TEST(ByteCounts, CountsEveryByteForAnyLengthAndThreads) {
  std::mt19937 gen(3);
  std::uniform_int_distribution<int> byte(0, 255);
  for (const std::int64_t count : {0, 1, 4095, 4096, 4097, 3 * 4096 + 5, 70000}) {
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(count));
    for (std::uint8_t& b : bytes) b = static_cast<std::uint8_t>(byte(gen) % 7 * 40);
    std::array<std::int64_t, 256> expected{};
    for (std::uint8_t b : bytes) ++expected[b];
    for (int threads : {1, 3})
      EXPECT_EQ(kernels::byte_counts(bytes.data(), count, threads), expected) << count;
  }
}

TYPED_TEST(CsrBytesTest, FromLevelsEqualsTheFormOfTheConvertedMatrix) {
  using T = TypeParam;
  const Index n = 5000, m = 120;
  const std::vector<std::uint8_t> q = testing::random_levels(n, m, 0.7, 4);
  const DenseView<std::uint8_t> levels(q.data(), n, m);
  std::array<std::int64_t, 256> expected{};
  for (std::uint8_t v : q) ++expected[v];
  EXPECT_EQ(kernels::level_counts(levels, 1), expected);
  EXPECT_EQ(kernels::level_counts(levels, 3), expected);
  for (double scale : {1.0 / 255.0, 1.0}) {
    const std::vector<T> x = testing::converted_levels<T>(q, scale);
    const auto reference = kernels::csr_bytes(DenseView<T>(x.data(), n, m), 2);
    ASSERT_TRUE(reference.has_value());
    std::array<T, 256> palette{};
    for (std::size_t v = 0; v < 256; ++v) palette[v] = static_cast<T>(double(v) * scale);
    for (int threads : {1, 3}) {
      const kernels::CsrBytes<T> b = kernels::csr_bytes_from_levels(levels, palette, threads);
      EXPECT_EQ(b.row_start, reference->row_start);
      EXPECT_EQ(b.col, reference->col);
      ASSERT_EQ(b.code.size(), reference->code.size());
      for (std::size_t e = 0; e < b.code.size(); ++e)
        ASSERT_EQ(b.palette[b.code[e]], reference->palette[reference->code[e]]);
    }
  }
  std::vector<std::uint8_t> wide(65537, 1);
  EXPECT_THROW(kernels::csr_bytes_from_levels(DenseView<std::uint8_t>(wide.data(), 1, 65537),
                                              std::array<T, 256>{}, 1),
               InvalidArgument);
}

// fit() of 8-bit levels gives the fit of their float copy: sparse (stored as codes, ‖X‖ summed
// in another order, so to rounding) and dense (converted inside: the same bytes), for the
// Frobenius loss and for Kullback-Leibler.
TEST(FitLevels, EqualsTheFitOfTheFloatCopy) {
  const Index n = 400, m = 64;
  struct Case {
    double zeros;
    const char* solver;
    double beta;
    double tolerance;
  };
  for (const Case& c : {Case{0.8, "cd", 2, 1e-4}, Case{0.8, "hals", 2, 1e-4}, Case{0.2, "cd", 2, 0},
                        Case{0.8, "mu", 1, 0}}) {
    const std::vector<std::uint8_t> q = testing::random_levels(n, m, c.zeros, 11);
    const std::vector<float> x = testing::converted_levels<float>(q, 1.0 / 255.0);
    FitOptions o;
    o.k = 5;
    o.solver = c.solver;
    o.beta = c.beta;
    o.max_iter = 30;
    o.threads = 2;
    const FitResult<float> a = fit(LevelsView{DenseView<std::uint8_t>(q.data(), n, m)}, o);
    const FitResult<float> b = fit(DenseView<float>(x.data(), n, m), o);
    EXPECT_EQ(a.format, b.format);
    EXPECT_EQ(a.format, c.zeros > 0.5 && (c.beta == 2 || c.beta == 1) ? "sparse" : "dense");
    EXPECT_EQ(a.iterations, b.iterations);
    EXPECT_NEAR(a.relative_error, b.relative_error, 1e-6 * b.relative_error) << c.solver;
    EXPECT_NEAR(a.x_norm, b.x_norm, 1e-12 * b.x_norm);
    double gap_w = 0;
    for (std::size_t i = 0; i < a.W.values.size(); ++i)
      gap_w = std::max(gap_w, std::abs(double(a.W.values[i]) - double(b.W.values[i])));
    EXPECT_LE(gap_w, c.tolerance) << c.solver << ", zeros " << c.zeros;
  }
}

// Kullback-Leibler reads 8-bit CSR at its stored entries (the other losses but Frobenius through
// its row blocks): the dense float copy's fit up to rounding.
TEST(FitLevels, KullbackLeiblerFromEightBitCodesIsTheFloatFit) {
  const Index n = 200, m = 30;
  const std::vector<std::uint8_t> q = testing::random_levels(n, m, 0.6, 77);
  std::vector<float> x(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) x[i] = static_cast<float>(double(q[i]) / 255.0);
  FitOptions o;
  o.k = 3;
  o.solver = "mu";
  o.beta = 1;
  o.max_iter = 15;
  o.format = DataFormat::kSparse;
  const FitResult<float> codes = fit(LevelsView{DenseView<std::uint8_t>(q.data(), n, m)}, o);
  o.format = DataFormat::kDense;
  const FitResult<float> copy = fit(DenseView<float>(x.data(), n, m), o);
  EXPECT_EQ(codes.format, "sparse");
  for (std::size_t i = 0; i < copy.W.values.size(); ++i)
    ASSERT_NEAR(codes.W.values[i], copy.W.values[i], 1e-4 * (1 + std::abs(copy.W.values[i])));
  for (std::size_t i = 0; i < copy.H.values.size(); ++i)
    ASSERT_NEAR(codes.H.values[i], copy.H.values[i], 1e-4 * (1 + std::abs(copy.H.values[i])));
}

// Format auto stores X sparse from the zero fraction of its loss and k: 55% for the Frobenius loss
// with 5 to 12 components, half for Kullback-Leibler, 64% for the Frobenius loss with more than
// 12 or at most 4,
// never for the losses that read every entry; the same for 8-bit levels, their float copy and a
// double array.
TEST(FormatAuto, StoresSparseFromTheZeroFractionOfTheLossAndK) {
  EXPECT_EQ(core::auto_sparse_zero_fraction(2, 4), 0.64);
  EXPECT_EQ(core::auto_sparse_zero_fraction(2, 5), 0.55);
  EXPECT_EQ(core::auto_sparse_zero_fraction(2, 12), 0.55);
  EXPECT_EQ(core::auto_sparse_zero_fraction(2, 13), 0.64);
  EXPECT_EQ(core::auto_sparse_zero_fraction(1, 50), 0.5);
  EXPECT_GT(core::auto_sparse_zero_fraction(0.5, 2), 1.0);
  EXPECT_TRUE(core::sparse_chosen(DataFormat::kSparse, 2.0, 0.0));
  EXPECT_FALSE(core::sparse_chosen(DataFormat::kDense, 0.5, 1.0));
  EXPECT_TRUE(core::sparse_chosen(DataFormat::kAuto, 0.5, 0.5));
  EXPECT_FALSE(core::sparse_chosen(DataFormat::kAuto, 0.64, 0.63));

  const Index n = 200, m = 40;
  struct Case {
    double zeros;
    Index k;
    double beta;
    const char* format;
  };
  for (const Case& c :
       {Case{0.6, 5, 2, "sparse"}, Case{0.5, 12, 2, "dense"}, Case{0.56, 4, 2, "dense"},
        Case{0.72, 4, 2, "sparse"}, Case{0.56, 13, 2, "dense"}, Case{0.72, 13, 2, "sparse"},
        Case{0.56, 13, 1, "sparse"}, Case{0.56, 4, 1, "sparse"}, Case{0.72, 4, 0.5, "dense"},
        Case{0.4, 5, 2, "dense"}}) {
    const std::vector<std::uint8_t> q = testing::random_levels(n, m, c.zeros, 5);
    const std::vector<float> x = testing::converted_levels<float>(q, 1.0 / 255.0);
    const std::vector<double> xd = testing::converted_levels<double>(q, 1.0 / 255.0);
    FitOptions o;
    o.k = static_cast<int>(c.k);
    o.beta = c.beta;
    o.solver = c.beta == 2 ? "hals" : "mu";
    o.init = Init::kRandom;
    o.max_iter = 2;
    const std::string what = "zeros " + std::to_string(c.zeros) + ", k " + std::to_string(c.k) +
                             ", beta " + std::to_string(c.beta);
    EXPECT_EQ(fit(LevelsView{DenseView<std::uint8_t>(q.data(), n, m)}, o).format, c.format) << what;
    EXPECT_EQ(fit(DenseView<float>(x.data(), n, m), o).format, c.format) << what;
    EXPECT_EQ(fit(DenseView<double>(xd.data(), n, m), o).format, c.format) << what;
  }
}

TEST(FitLevels, RefusesEmptyLevelsAndBadScales) {
  std::vector<std::uint8_t> q(12, 3);
  FitOptions o;
  o.k = 2;
  EXPECT_THROW(fit(LevelsView{DenseView<std::uint8_t>(q.data(), 0, 4)}, o), DataError);
  // Also scales whose levels overflow or underflow float.
  for (double scale : {0.0, -1.0, std::nan(""), 1e37, 1e-50})
    EXPECT_THROW(fit(LevelsView{DenseView<std::uint8_t>(q.data(), 3, 4), scale}, o),
                 InvalidArgument);
}

}  // namespace
}  // namespace nmfkit
