// The Kullback-Leibler (β = 1) fit on X stored in compressed sparse rows (core/kl_sparse.hpp,
// kernels::kl_quotients), which forms W·H only at X's stored entries: the kernel against a plain
// double loop; the divergence and whole fits against the dense path (every entry, through row
// blocks) for float and double, with penalties, with stored values below ε, with rows and columns
// of X that are entirely zero, and for 8-bit X (kernels::CsrBytes); the same bytes for any thread
// count and for X given in the caller's CSR; agreement across the instruction-set variants; and
// that format auto now stores half-zero X sparse for this loss.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../test_data.hpp"
#include "core/beta.hpp"
#include "core/csr_data.hpp"
#include "core/kl_sparse.hpp"
#include "kernels/blas_threads.hpp"
#include "kernels/csr.hpp"
#include "kernels/isa.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit {
namespace {

using testing::same_bytes;

template <typename T>
class SparseKl : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(SparseKl, Scalars);

/// n × m data, about 60% zeros, the rest uniform in [0.05, 1); with `awkward`, also stored values
/// far below ε (even after the fit's scaling), a row and a column entirely zero.
template <typename T>
Matrix<T> sparse_data(Index n, Index m, std::uint32_t seed, bool awkward) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Matrix<T> x(n, m);
  for (T& v : x.values) v = u(gen) < 0.6 ? T(0) : static_cast<T>(0.05 + 0.95 * u(gen));
  if (awkward) {
    for (std::size_t e = 7; e < x.values.size(); e += 53) x.values[e] = T(1e-12);
    for (Index j = 0; j < m; ++j) x(n / 3, j) = T(0);
    for (Index i = 0; i < n; ++i) x(i, m / 2) = T(0);
  }
  return x;
}

/// The largest |a − b| / |b| over the two histories (1 when their lengths differ).
double history_gap(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.empty()) return 1;
  double gap = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    gap = std::max(gap, std::abs(a[i] - b[i]) / std::abs(b[i]));
  return gap;
}

/// The largest |a − b| relative to max |b|.
template <typename T>
double matrix_gap(const Matrix<T>& a, const Matrix<T>& b) {
  if (a.values.size() != b.values.size() || a.values.empty()) return 1;
  double diff = 0, size = 0;
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    diff = std::max(diff, std::abs(double(a.values[i]) - double(b.values[i])));
    size = std::max(size, std::abs(double(b.values[i])));
  }
  return diff / size;
}

/// The histories agree to this relative gap after 50 iterations (they differ by about 5e-9 in
/// float, 2e-15 in double: the two paths sum W·H in different orders, the updates carry that on).
template <typename T>
constexpr double kHistoryTolerance = sizeof(T) == 4 ? 1e-6 : 1e-11;
/// And the factors to this gap relative to their largest entry (about 1e-6 and 5e-15).
template <typename T>
constexpr double kFactorTolerance = sizeof(T) == 4 ? 2e-5 : 1e-11;

FitOptions kl_options(int k, int iterations) {
  FitOptions o = testing::options_for("mu", k);
  o.beta = 1;
  o.init = Init::kRandom;
  o.max_iter = iterations;
  o.tol = 0;
  return o;
}

// ---- the kernel ------------------------------------------------------------------------------

TYPED_TEST(SparseKl, QuotientsAndStoredDivergenceMatchAPlainLoop) {
  using T = TypeParam;
  const Index n = 5000, m = 37;  // several row chunks
  const Matrix<T> x = sparse_data<T>(n, m, 3, true);
  const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(x.view(), 2);
  const double s = 0.7, eps = core::kBetaEpsilon;
  for (Index k : {Index(1), Index(10), Index(16), Index(23), Index(50)}) {
    Matrix<T> w = testing::uniform_matrix<T>(n, k, 4);
    const Matrix<T> ht = testing::uniform_matrix<T>(m, k, 5);
    for (Index l = 0; l < k; ++l) w(11, l) = T(0);  // W·H exactly 0 along row 11: ε replaces it
    std::vector<T> q(csr.value.size()), q_one(q.size());
    const double stored =
        kernels::kl_quotients(csr, s, w.data(), ht.data(), k, eps, q.data(), true, 2);
    double expected = 0, worst = 0;
    for (Index i = 0; i < n; ++i)
      for (std::int64_t e = csr.row_start[i]; e < csr.row_start[i + 1]; ++e) {
        double wh = 0;
        for (Index l = 0; l < k; ++l) wh += double(w(i, l)) * double(ht(csr.col[e], l));
        const double sx = s * double(csr.value[e]), safe = wh == 0 ? eps : wh;
        worst = std::max(worst, std::abs(double(q[e]) - sx / safe) / (sx / safe));
        if (sx > eps) expected += sx * std::log(sx / safe) - sx;
      }
    EXPECT_LT(worst, sizeof(T) == 4 ? 1e-5 : 1e-13) << "k = " << k;
    EXPECT_NEAR(stored, expected, (sizeof(T) == 4 ? 1e-6 : 1e-12) * std::abs(expected));
    // Any thread count, and either output alone, gives the same bytes.
    EXPECT_EQ(kernels::kl_quotients(csr, s, w.data(), ht.data(), k, eps, q_one.data(), true, 1),
              stored);
    EXPECT_TRUE(same_bytes(q, q_one));
    EXPECT_EQ(kernels::kl_quotients(csr, s, w.data(), ht.data(), k, eps, static_cast<T*>(nullptr),
                                    true, 3),
              stored);
    std::fill(q_one.begin(), q_one.end(), T(0));
    EXPECT_EQ(kernels::kl_quotients(csr, s, w.data(), ht.data(), k, eps, q_one.data(), false, 2),
              0.0);
    EXPECT_TRUE(same_bytes(q, q_one));
  }
}

TYPED_TEST(SparseKl, EightBitFormGivesTheQuotientsOfTheFloatForm) {
  using T = TypeParam;
  const Index n = 3000, m = 50, k = 12;
  const std::vector<T> x =
      testing::converted_levels<T>(testing::random_levels(n, m, 0.7, 6), 1.0 / 255.0);
  const DenseView<T> view(x.data(), n, m);
  const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(view, 2);
  const auto bytes = kernels::csr_bytes(view, 2);
  ASSERT_TRUE(bytes.has_value());
  const Matrix<T> w = testing::uniform_matrix<T>(n, k, 7), ht = testing::uniform_matrix<T>(m, k, 8);
  std::vector<T> a(csr.value.size()), b(a.size());
  const double eps = core::kBetaEpsilon;
  const double da = kernels::kl_quotients(csr, 1.3, w.data(), ht.data(), k, eps, a.data(), true, 2);
  const double db =
      kernels::kl_quotients(*bytes, 1.3, w.data(), ht.data(), k, eps, b.data(), true, 2);
  // The same stored values read through the palette: the same arithmetic.
  EXPECT_TRUE(same_bytes(a, b));
  EXPECT_EQ(da, db);
}

TYPED_TEST(SparseKl, DivergenceEqualsTheDensePath) {
  using T = TypeParam;
  const kernels::BlasThreadsGuard blas;
  const Index n = 400, m = 60, k = 7;
  const Matrix<T> x = sparse_data<T>(n, m, 9, true);
  Matrix<T> w = testing::uniform_matrix<T>(n, k, 10);
  const Matrix<T> ht = testing::uniform_matrix<T>(m, k, 11);
  for (Index l = 0; l < k; ++l) w(5, l) = T(0);
  const core::CsrStorage<T> sparse(x.view(), 2);
  for (double s : {1.0, 2.5}) {
    const double dense = core::beta_divergence(x.view(), s, w, ht, 1.0, 2);
    EXPECT_NEAR(core::beta_divergence_of(sparse, s, w, ht, 1.0, 2), dense,
                (sizeof(T) == 4 ? 1e-5 : 1e-12) * dense);
    // Other β keep the row blocks, whatever the storage.
    EXPECT_EQ(core::beta_divergence_of(sparse, s, w, ht, 0.5, 2),
              core::beta_divergence(sparse, s, w, ht, 0.5, 2));
  }
}

// ---- whole fits ------------------------------------------------------------------------------

TYPED_TEST(SparseKl, FitFollowsTheDenseFit) {
  using T = TypeParam;
  struct Penalty {
    double alpha_w, alpha_h, l1_ratio;
  };
  for (const bool awkward : {false, true}) {
    const Matrix<T> x = sparse_data<T>(300, 80, 12, awkward);
    for (const Penalty p : {Penalty{0, -1, 0}, Penalty{0.01, 0.02, 0.3}, Penalty{0.005, -1, 0},
                            Penalty{0.01, 0.01, 1}}) {
      SCOPED_TRACE(std::string(awkward ? "awkward X" : "plain X") + ", alpha " +
                   std::to_string(p.alpha_w) + "/" + std::to_string(p.alpha_h) + ", l1 ratio " +
                   std::to_string(p.l1_ratio));
      FitOptions o = kl_options(6, 50);
      o.alpha_w = p.alpha_w;
      o.alpha_h = p.alpha_h;
      o.l1_ratio = p.l1_ratio;
      o.format = DataFormat::kDense;
      const FitResult<T> dense = fit(x.view(), o);
      o.format = DataFormat::kSparse;
      const FitResult<T> sparse = fit(x.view(), o);
      EXPECT_EQ(sparse.format, "sparse");
      ASSERT_EQ(sparse.loss_history.size(), 51u);
      EXPECT_LT(history_gap(sparse.loss_history, dense.loss_history), kHistoryTolerance<T>);
      EXPECT_NEAR(sparse.error, dense.error, kHistoryTolerance<T> * dense.error);
      EXPECT_LT(matrix_gap(sparse.W, dense.W), kFactorTolerance<T>);
      EXPECT_LT(matrix_gap(sparse.H, dense.H), kFactorTolerance<T>);
      // The objective falls, as the dense fit's does.
      EXPECT_LT(sparse.loss_history.back(), sparse.loss_history.front());
      if (awkward) {  // the zero row of X gives a zero row of W, the zero column a zero of H
        for (Index l = 0; l < 6; ++l) {
          EXPECT_EQ(sparse.W(100, l), T(0));
          EXPECT_EQ(sparse.H(l, 40), T(0));
        }
      }
    }
  }
}

TYPED_TEST(SparseKl, NndsvdaStartAndTransformFollowTheDenseFit) {
  using T = TypeParam;
  const Matrix<T> x = sparse_data<T>(200, 50, 13, true);
  FitOptions o = kl_options(5, 30);
  o.init = Init::kNndsvda;  // from the products: its start already differs by rounding
  o.format = DataFormat::kDense;
  const FitResult<T> dense = fit(x.view(), o);
  o.format = DataFormat::kSparse;
  const FitResult<T> sparse = fit(x.view(), o);
  EXPECT_LT(history_gap(sparse.loss_history, dense.loss_history), 10 * kHistoryTolerance<T>);
  // W for fixed H (only W's update and the divergence).
  o.format = DataFormat::kDense;
  const FitResult<T> dense_w = transform(x.view(), dense.H.view(), o);
  o.format = DataFormat::kAuto;  // 60% zeros: sparse
  const FitResult<T> sparse_w = transform(x.view(), dense.H.view(), o);
  EXPECT_EQ(sparse_w.format, "sparse");
  EXPECT_LT(history_gap(sparse_w.loss_history, dense_w.loss_history), kHistoryTolerance<T>);
}

TEST(SparseKlLevels, EightBitXFollowsTheDenseFit) {
  const Index n = 400, m = 64;
  const std::vector<std::uint8_t> levels = testing::random_levels(n, m, 0.7, 14);
  const std::vector<float> x = testing::converted_levels<float>(levels, 1.0 / 255.0);
  FitOptions o = kl_options(5, 50);
  o.alpha_w = 0.002;
  o.l1_ratio = 0.5;
  o.format = DataFormat::kDense;
  const FitResult<float> dense = fit(DenseView<float>(x.data(), n, m), o);
  o.format = DataFormat::kAuto;
  const FitResult<float> from_levels =
      fit(LevelsView{DenseView<std::uint8_t>(levels.data(), n, m), 1.0 / 255.0}, o);
  EXPECT_EQ(from_levels.format, "sparse");
  EXPECT_LT(history_gap(from_levels.loss_history, dense.loss_history), kHistoryTolerance<float>);
  // The float copy stored sparse is held as 8-bit codes too: the same fit.
  const FitResult<float> copied = fit(DenseView<float>(x.data(), n, m), o);
  EXPECT_EQ(copied.format, "sparse");
  EXPECT_LT(history_gap(copied.loss_history, from_levels.loss_history), 1e-6);
}

TYPED_TEST(SparseKl, SameBytesForOneAndTwoThreads) {
  using T = TypeParam;
  const Matrix<T> x = sparse_data<T>(5000, 40, 15, true);  // three row chunks
  FitOptions o = kl_options(7, 15);
  o.format = DataFormat::kSparse;
  o.alpha_w = 0.001;
  o.threads = 1;
  const FitResult<T> one = fit(x.view(), o);
  o.threads = 2;
  const FitResult<T> two = fit(x.view(), o);
  EXPECT_TRUE(same_bytes(one.W, two.W));
  EXPECT_TRUE(same_bytes(one.H, two.H));
  EXPECT_TRUE(same_bytes(one.loss_history, two.loss_history));
}

TEST(SparseKlCsrView, IsTheSparseFitWithoutACopy) {
  const Matrix<double> x = sparse_data<double>(300, 50, 16, true);
  std::vector<std::int64_t> indptr{0}, indices;
  std::vector<double> values;
  for (Index i = 0; i < x.rows; ++i) {
    for (Index j = 0; j < x.cols; ++j)
      if (x(i, j) != 0) indices.push_back(j), values.push_back(x(i, j));
    indptr.push_back(static_cast<std::int64_t>(values.size()));
  }
  FitOptions o = kl_options(4, 20);
  o.format = DataFormat::kSparse;
  const FitResult<double> copied = fit(x.view(), o);
  const FitResult<double> in_place = fit(
      CsrView<double, std::int64_t>{x.rows, x.cols, indptr.data(), indices.data(), values.data()},
      o);
  EXPECT_TRUE(same_bytes(in_place.W, copied.W));
  EXPECT_TRUE(same_bytes(in_place.H, copied.H));
  EXPECT_EQ(in_place.loss_history, copied.loss_history);
}

TYPED_TEST(SparseKl, VariantsAgree) {
  using T = TypeParam;
  const kernels::Isa saved = kernels::active_isa();
  const Matrix<T> x = sparse_data<T>(600, 45, 17, true);
  FitOptions o = kl_options(6, 20);
  o.format = DataFormat::kSparse;
  std::map<kernels::Isa, FitResult<T>> fits;
  for (kernels::Isa isa : kernels::supported_isas()) {
    kernels::set_active_isa(isa);
    fits.emplace(isa, fit(x.view(), o));
  }
  kernels::set_active_isa(saved);
  const FitResult<T>& baseline = fits.at(kernels::Isa::kBaseline);
  for (const auto& [isa, f] : fits)
    EXPECT_LT(history_gap(f.loss_history, baseline.loss_history), kHistoryTolerance<T>)
        << kernels::isa_name(isa);
  if (fits.count(kernels::Isa::kAvx2) && fits.count(kernels::Isa::kAvx512)) {
    EXPECT_TRUE(same_bytes(fits.at(kernels::Isa::kAvx2).W, fits.at(kernels::Isa::kAvx512).W));
    EXPECT_TRUE(same_bytes(fits.at(kernels::Isa::kAvx2).H, fits.at(kernels::Isa::kAvx512).H));
  }
}

/// Σ a_l·b_l as the FMA variants' kl_quotients forms it: 16 lanes of fused multiply-adds over
/// blocks of 16 (zeros past k), then the lanes added 16 → 8 → 4 → 2 → 1.
template <typename T>
T sixteen_lane_dot(const T* a, const T* b, Index k) {
  T acc[16] = {};
  for (Index l0 = 0; l0 < k; l0 += 16)
    for (Index j = 0; j < 16 && l0 + j < k; ++j) acc[j] = std::fma(a[l0 + j], b[l0 + j], acc[j]);
  for (int j = 0; j < 8; ++j) acc[j] += acc[j + 8];
  for (int j = 0; j < 4; ++j) acc[j] += acc[j + 4];
  return (acc[0] + acc[2]) + (acc[1] + acc[3]);
}

// The AVX2 and AVX-512 kernels form W·H at 4 to 16 stored entries of a row at once, their dot
// products' trees side by side in shuffles: each entry's sum is still the one-by-one tree's.
TYPED_TEST(SparseKl, GroupedDotsAreTheOneByOneDotsBitForBit) {
  using T = TypeParam;
  const kernels::Isa saved = kernels::active_isa();
  const Index n = 300, m = 200;  // about 80 stored entries a row: several groups and a tail
  const Matrix<T> x = sparse_data<T>(n, m, 21, true);
  const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(x.view(), 2);
  const double s = 1.1, eps = core::kBetaEpsilon;
  int checked = 0;
  for (kernels::Isa isa : kernels::supported_isas()) {
    if (isa == kernels::Isa::kBaseline) continue;  // no FMA: other sums
    kernels::set_active_isa(isa);
    for (Index k : {Index(3), Index(10), Index(16), Index(23), Index(40)}) {
      const Matrix<T> w = testing::uniform_matrix<T>(n, k, 22);
      const Matrix<T> ht = testing::uniform_matrix<T>(m, k, 23);
      std::vector<T> q(csr.value.size()), expected(q.size());
      kernels::kl_quotients(csr, s, w.data(), ht.data(), k, eps, q.data(), false, 2);
      for (Index i = 0; i < n; ++i)
        for (std::int64_t e = csr.row_start[i]; e < csr.row_start[i + 1]; ++e) {
          const double wh = double(sixteen_lane_dot(w.row(i), ht.row(csr.col[e]), k));
          expected[e] = static_cast<T>(s * double(csr.value[e]) / (wh == 0 ? eps : wh));
        }
      EXPECT_TRUE(same_bytes(q, expected)) << kernels::isa_name(isa) << ", k = " << k;
      ++checked;
    }
  }
  kernels::set_active_isa(saved);
  if (checked == 0) GTEST_SKIP() << "this processor has neither AVX2 nor AVX-512";
}

TEST(SparseKlFormat, AutoIsSparseForKullbackLeiblerOnHalfZeroX) {
  Matrix<double> x = testing::uniform_matrix<double>(20, 10, 18, 0.1);
  for (std::size_t i = 0; i < 99; ++i) x.values[2 * i] = 0;  // 99 of 200 zero
  FitOptions o = kl_options(2, 3);
  EXPECT_EQ(fit(x.view(), o).format, "dense");
  x.values[198] = 0;  // exactly half
  EXPECT_EQ(fit(x.view(), o).format, "sparse");
  for (double beta : {0.5, 1.5, 3.0}) {  // the other β ≠ 2 stay dense
    o.beta = beta;
    EXPECT_EQ(fit(x.view(), o).format, "dense") << beta;
  }
}

}  // namespace
}  // namespace nmfkit
