// Initialisations (random, NNDSVD and its variants) and the randomized truncated SVD under them.
#include "core/init.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numbers>
#include <random>
#include <vector>

#include "core/csr_data.hpp"
#include "core/data.hpp"
#include "core/randomized_svd.hpp"
#include "test_data.hpp"

namespace nmfkit::core {
namespace {

using testing::same_bytes;

using nmfkit::testing::uniform_matrix;

constexpr Init kInits[] = {Init::kRandom, Init::kNndsvd, Init::kNndsvda, Init::kNndsvdar};

FitOptions init_options(Init init, int k, std::uint64_t seed = 0) {
  FitOptions o;
  o.k = k;
  o.init = init;
  o.seed = seed;
  return o;
}

template <typename T>
Factors<T> init_of(const Matrix<T>& x, const FitOptions& o, int threads = 1) {
  const DenseData<T> data(x.view(), threads);
  return initialize(data, o);
}

template <typename T>
Index count_zeros(const Matrix<T>& m) {
  Index zeros = 0;
  for (T v : m.values) zeros += v == T(0);
  return zeros;
}

/// ‖X − W·(Hᵀ)ᵀ‖_F / ‖X‖_F.
template <typename T>
double relative_residual(const Matrix<T>& x, const Factors<T>& f) {
  double diff = 0, norm = 0;
  for (Index i = 0; i < x.rows; ++i)
    for (Index j = 0; j < x.cols; ++j) {
      double wh = 0;
      for (Index l = 0; l < f.w.cols; ++l) wh += double(f.w(i, l)) * double(f.ht(j, l));
      diff += (double(x(i, j)) - wh) * (double(x(i, j)) - wh);
      norm += double(x(i, j)) * double(x(i, j));
    }
  return std::sqrt(diff / norm);
}

template <typename T>
class Initialize : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Initialize, Scalars);

TYPED_TEST(Initialize, ShapesAreRightAndEntriesNonNegativeAndFinite) {
  using T = TypeParam;
  const Matrix<T> x = uniform_matrix<T>(60, 40, 1);
  for (Init init : kInits) {
    for (int k : {1, 5, 40}) {
      const Factors<T> f = init_of(x, init_options(init, k));
      EXPECT_EQ(f.w.rows, 60);
      EXPECT_EQ(f.w.cols, k);
      EXPECT_EQ(f.ht.rows, 40);
      EXPECT_EQ(f.ht.cols, k);
      for (const Matrix<T>* m : {&f.w, &f.ht})
        for (T v : m->values) {
          ASSERT_TRUE(v >= T(0) && std::isfinite(v)) << init_name(init) << " k " << k << ": " << v;
        }
    }
  }
}

TYPED_TEST(Initialize, NndsvdKeepsZerosAndItsVariantsFillOnlyThose) {
  using T = TypeParam;
  const Matrix<T> x = uniform_matrix<T>(80, 50, 2);
  const int k = 6;
  const double mean = DenseData<T>(x.view(), 1).mean();

  const Factors<T> plain = init_of(x, init_options(Init::kNndsvd, k));
  const Factors<T> a = init_of(x, init_options(Init::kNndsvda, k));
  const Factors<T> ar = init_of(x, init_options(Init::kNndsvdar, k));
  // A generic matrix has mixed-sign singular vectors beyond the first: NNDSVD keeps one sign.
  EXPECT_GT(count_zeros(plain.w), 0);
  EXPECT_GT(count_zeros(plain.ht), 0);
  EXPECT_EQ(count_zeros(a.w) + count_zeros(a.ht), 0);
  EXPECT_EQ(count_zeros(ar.w) + count_zeros(ar.ht), 0);
  // The first component comes from |u₀|, |v₀| of a positive matrix: no zeros there.
  for (Index i = 0; i < x.rows; ++i) EXPECT_GT(plain.w(i, 0), T(0));

  Index filled = 0;
  for (int which = 0; which < 2; ++which) {
    const Matrix<T>& p = which == 0 ? plain.w : plain.ht;
    const Matrix<T>& pa = which == 0 ? a.w : a.ht;
    const Matrix<T>& par = which == 0 ? ar.w : ar.ht;
    for (std::size_t i = 0; i < p.values.size(); ++i) {
      if (p.values[i] != T(0)) {
        EXPECT_EQ(pa.values[i], p.values[i]) << "nndsvda changed a non-zero entry";
        EXPECT_EQ(par.values[i], p.values[i]) << "nndsvdar changed a non-zero entry";
      } else {
        ++filled;
        EXPECT_EQ(pa.values[i], static_cast<T>(mean)) << "nndsvda fills with mean(X)";
        // mean(X)/100·|N(0,1)|: positive and, with a few hundred draws, below mean/100·6.
        EXPECT_GT(par.values[i], T(0));
        EXPECT_LE(double(par.values[i]), mean / 100 * 6) << "nndsvdar fill is not small";
      }
    }
  }
  EXPECT_GT(filled, 50);
}

TYPED_TEST(Initialize, SameSeedGivesSameBytesAndThreadsDoNotMatter) {
  using T = TypeParam;
  // More rows than one chunk, so the SVD's products are really split.
  const Matrix<T> x = uniform_matrix<T>(5000, 30, 3);
  for (Init init : kInits) {
    const Factors<T> one = init_of(x, init_options(init, 4, 11), 1);
    const Factors<T> again = init_of(x, init_options(init, 4, 11), 1);
    const Factors<T> three = init_of(x, init_options(init, 4, 11), 3);
    EXPECT_TRUE(same_bytes(one.w, again.w)) << init_name(init);
    EXPECT_TRUE(same_bytes(one.ht, again.ht)) << init_name(init);
    EXPECT_TRUE(same_bytes(one.w, three.w)) << init_name(init);
    EXPECT_TRUE(same_bytes(one.ht, three.ht)) << init_name(init);
  }
  // The seed matters where something is drawn directly.
  for (Init init : {Init::kRandom, Init::kNndsvdar}) {
    const Factors<T> s11 = init_of(x, init_options(init, 4, 11));
    const Factors<T> s12 = init_of(x, init_options(init, 4, 12));
    EXPECT_FALSE(same_bytes(s11.w, s12.w)) << init_name(init);
  }
}

TYPED_TEST(Initialize, RandomUsesTheScaleSqrtMeanOverK) {
  using T = TypeParam;
  // Entries are sqrt(mean/k)·|N(0,1)|: mean sqrt(mean/k)·sqrt(2/π), mean square mean/k.
  Matrix<T> x = uniform_matrix<T>(400, 300, 4);
  for (T& v : x.values) v = static_cast<T>(3 * v);  // mean(X) ≈ 1.5
  double mean_x = 0;
  for (T v : x.values) mean_x += double(v);
  mean_x /= double(x.values.size());
  const int k = 7;
  const Factors<T> f = init_of(x, init_options(Init::kRandom, k, 5));
  double sum = 0, sum_sq = 0;
  Index count = 0;
  for (const Matrix<T>* m : {&f.w, &f.ht})
    for (T v : m->values) {
      sum += double(v);
      sum_sq += double(v) * double(v);
      ++count;
    }
  const double scale = std::sqrt(mean_x / k);
  const double half_normal_sd = std::sqrt(1 - 2 / std::numbers::pi);
  EXPECT_NEAR(sum / double(count), scale * std::sqrt(2 / std::numbers::pi),
              5 * scale * half_normal_sd / std::sqrt(double(count)));
  // E[N²] = 1, Var[N²] = 2.
  EXPECT_NEAR(sum_sq / double(count), scale * scale,
              5 * scale * scale * std::sqrt(2.0) / std::sqrt(double(count)));
}

TYPED_TEST(Initialize, NndsvdIsExactOnRankOne) {
  using T = TypeParam;
  std::mt19937 gen(6);
  std::uniform_real_distribution<double> u(0.1, 1.0);
  std::vector<double> a(70), b(45);
  for (double& v : a) v = u(gen);
  for (double& v : b) v = u(gen);
  Matrix<T> x(70, 45);
  for (Index i = 0; i < 70; ++i)
    for (Index j = 0; j < 45; ++j)
      x(i, j) = static_cast<T>(a[static_cast<std::size_t>(i)] * b[static_cast<std::size_t>(j)]);
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-6;
  for (Init init : {Init::kNndsvd, Init::kNndsvda, Init::kNndsvdar}) {
    const Factors<T> f = init_of(x, init_options(init, 1));
    EXPECT_LT(relative_residual(x, f), tol) << init_name(init);
  }
}

// ---- randomized_svd ----

using RowMajorXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

RowMajorXd to_eigen(const Matrix<double>& x) {
  return Eigen::Map<const RowMajorXd>(x.data(), x.rows, x.cols);
}

double orthonormality_error(const Eigen::MatrixXd& q) {
  return (q.transpose() * q - Eigen::MatrixXd::Identity(q.cols(), q.cols())).cwiseAbs().maxCoeff();
}

/// Σ_i decay^i · a_i b_iᵀ with non-negative uniform a_i, b_i: full rank, fast-decaying spectrum.
Matrix<double> decaying_matrix(Index n, Index m, double decay, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Matrix<double> x(n, m);
  double weight = 1;
  for (Index t = 0; t < std::min(n, m); ++t, weight *= decay) {
    std::vector<double> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(m));
    for (double& v : a) v = u(gen);
    for (double& v : b) v = u(gen);
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < m; ++j)
        x(i, j) += weight * a[static_cast<std::size_t>(i)] * b[static_cast<std::size_t>(j)];
  }
  return x;
}

TEST(RandomizedSvd, ExactLowRankMatchesJacobi) {
  const Matrix<double> x = testing::low_rank<double>(200, 50, 5, 8).x;
  const DenseData<double> data(x.view(), 1);
  const TruncatedSvd svd = randomized_svd(data, 5, 10, 7, 0);
  ASSERT_EQ(svd.u.rows(), 200);
  ASSERT_EQ(svd.u.cols(), 5);
  ASSERT_EQ(svd.v.rows(), 50);
  ASSERT_EQ(svd.v.cols(), 5);
  ASSERT_EQ(svd.s.size(), 5);
  const RowMajorXd e = to_eigen(x);
  const Eigen::JacobiSVD<Eigen::MatrixXd> exact(e);
  for (Index i = 0; i < 5; ++i)
    EXPECT_NEAR(svd.s(i), exact.singularValues()(i), 1e-10 * exact.singularValues()(i)) << i;
  for (Index i = 1; i < 5; ++i) EXPECT_GE(svd.s(i - 1), svd.s(i));
  EXPECT_LT(orthonormality_error(svd.u), 1e-12);
  EXPECT_LT(orthonormality_error(svd.v), 1e-12);
  const Eigen::MatrixXd rebuilt = svd.u * svd.s.asDiagonal() * svd.v.transpose();
  EXPECT_LT((rebuilt - e).norm(), 1e-10 * e.norm());
}

TEST(RandomizedSvd, FastDecayingFullRankMatchesLeadingSingularValues) {
  const Matrix<double> x = decaying_matrix(200, 50, 0.3, 9);
  const DenseData<double> data(x.view(), 1);
  const TruncatedSvd svd = randomized_svd(data, 5, 10, 7, 3);
  const Eigen::JacobiSVD<Eigen::MatrixXd> exact(to_eigen(x),
                                                Eigen::ComputeThinU | Eigen::ComputeThinV);
  for (Index i = 0; i < 5; ++i)
    EXPECT_NEAR(svd.s(i), exact.singularValues()(i), 1e-8 * exact.singularValues()(i)) << i;
  EXPECT_LT(orthonormality_error(svd.u), 1e-12);
  EXPECT_LT(orthonormality_error(svd.v), 1e-12);
  // Same subspaces: |u_iᵀ u*_i| ≈ 1 for the well separated leading triplets.
  for (Index i = 0; i < 5; ++i) {
    EXPECT_NEAR(std::abs(svd.u.col(i).dot(exact.matrixU().col(i))), 1.0, 1e-6) << i;
    EXPECT_NEAR(std::abs(svd.v.col(i).dot(exact.matrixV().col(i))), 1.0, 1e-6) << i;
  }
  // The rank-5 truncation is as good as the best one (Eckart–Young).
  const Eigen::MatrixXd rebuilt = svd.u * svd.s.asDiagonal() * svd.v.transpose();
  double tail = 0;
  for (Index i = 5; i < exact.singularValues().size(); ++i)
    tail += exact.singularValues()(i) * exact.singularValues()(i);
  EXPECT_NEAR((rebuilt - to_eigen(x)).norm(), std::sqrt(tail), 1e-6 * std::sqrt(tail));
}

TEST(RandomizedSvd, WellConditionedSketchGivesOrthonormalExactTriplets) {
  // A sketch whose columns are far from dependent (σ₁/σ₁₅ ≈ 150): the final SVD of Xᵀ·Q goes
  // through two Cholesky passes and the SVD of the small factor rather than a bidiagonalisation.
  const Matrix<double> x = decaying_matrix(300, 60, 0.7, 13);
  const DenseData<double> data(x.view(), 1);
  const Eigen::JacobiSVD<Eigen::MatrixXd> exact(to_eigen(x),
                                                Eigen::ComputeThinU | Eigen::ComputeThinV);
  for (int threads : {1, 2}) {
    const TruncatedSvd svd = randomized_svd(data, 5, 10, 7, 4, threads);
    ASSERT_EQ(svd.u.rows(), 300);
    ASSERT_EQ(svd.u.cols(), 5);
    ASSERT_EQ(svd.v.rows(), 60);
    for (Index i = 0; i < 5; ++i) {
      EXPECT_NEAR(svd.s(i), exact.singularValues()(i), 1e-9 * exact.singularValues()(i)) << i;
      EXPECT_NEAR(std::abs(svd.u.col(i).dot(exact.matrixU().col(i))), 1.0, 1e-9) << i;
      EXPECT_NEAR(std::abs(svd.v.col(i).dot(exact.matrixV().col(i))), 1.0, 1e-9) << i;
    }
    EXPECT_LT(orthonormality_error(svd.u), 1e-12);
    EXPECT_LT(orthonormality_error(svd.v), 1e-12);
  }
}

TEST(RandomizedSvd, FullRankRequestIsAnExactSvd) {
  // rank == min(n, m): no room for oversampling; the result is the full SVD.
  const Matrix<double> x = uniform_matrix<double>(60, 20, 10);
  const DenseData<double> data(x.view(), 1);
  const TruncatedSvd svd = randomized_svd(data, 20, 10, 4, 0);
  ASSERT_EQ(svd.s.size(), 20);
  const Eigen::JacobiSVD<Eigen::MatrixXd> exact(to_eigen(x));
  for (Index i = 0; i < 20; ++i)
    EXPECT_NEAR(svd.s(i), exact.singularValues()(i), 1e-10 * exact.singularValues()(0)) << i;
  const Eigen::MatrixXd rebuilt = svd.u * svd.s.asDiagonal() * svd.v.transpose();
  EXPECT_LT((rebuilt - to_eigen(x)).norm(), 1e-10 * to_eigen(x).norm());
}

TEST(RandomizedSvd, SingleRowAndSingleColumn) {
  for (auto [n, m] : {std::pair<Index, Index>{1, 30}, {30, 1}, {1, 1}}) {
    const Matrix<double> x = uniform_matrix<double>(n, m, 11);
    const DenseData<double> data(x.view(), 1);
    const TruncatedSvd svd = randomized_svd(data, 1, 10, 7, 0);
    ASSERT_EQ(svd.s.size(), 1);
    double norm = 0;
    for (double v : x.values) norm += v * v;
    EXPECT_NEAR(svd.s(0), std::sqrt(norm), 1e-12 * std::sqrt(norm)) << n << " x " << m;
    EXPECT_NEAR(svd.u.norm(), 1.0, 1e-12);
    EXPECT_NEAR(svd.v.norm(), 1.0, 1e-12);
  }
}

TEST(RandomizedSvd, SinglePrecisionDataIsAccurateToSinglePrecision) {
  const Matrix<float> x = testing::low_rank<float>(200, 50, 5, 12).x;
  const DenseData<float> data(x.view(), 1);
  const TruncatedSvd svd = randomized_svd(data, 5, 10, 7, 0);
  Eigen::MatrixXd e(200, 50);
  for (Index i = 0; i < 200; ++i)
    for (Index j = 0; j < 50; ++j) e(i, j) = x(i, j);
  const Eigen::JacobiSVD<Eigen::MatrixXd> exact(e);
  for (Index i = 0; i < 5; ++i)
    EXPECT_NEAR(svd.s(i), exact.singularValues()(i), 1e-5 * exact.singularValues()(0)) << i;
  EXPECT_LT(orthonormality_error(svd.u), 1e-10);
}

TEST(RandomizedSvd, ThreadCountDoesNotChangeTheBytes) {
  const Matrix<double> x = decaying_matrix(5000, 12, 0.5, 13);
  const DenseData<double> one(x.view(), 1), three(x.view(), 3);
  const TruncatedSvd a = randomized_svd(one, 4, 10, 7, 1);
  const TruncatedSvd b = randomized_svd(three, 4, 10, 7, 1);
  EXPECT_EQ(0, std::memcmp(a.u.data(), b.u.data(), sizeof(double) * std::size_t(a.u.size())));
  EXPECT_EQ(0, std::memcmp(a.s.data(), b.s.data(), sizeof(double) * std::size_t(a.s.size())));
  EXPECT_EQ(0, std::memcmp(a.v.data(), b.v.data(), sizeof(double) * std::size_t(a.v.size())));
}

/// X's storage, counting how often the products read it.
template <typename T>
class CountingData final : public nmfkit::Data<T> {
 public:
  /// fused: whether to offer x's fused pass.
  explicit CountingData(const nmfkit::Data<T>& x, bool fused = true) : x_(x), fused_(fused) {}
  Index rows() const override { return x_.rows(); }
  Index cols() const override { return x_.cols(); }
  DataStats stats() const override { return x_.stats(); }
  void times(const T* right, Index p, T scale, T* out, int threads) const override {
    ++passes;
    x_.times(right, p, scale, out, threads);
  }
  void transpose_times(const T* right, Index p, T scale, T* out, int threads) const override {
    ++passes;
    x_.transpose_times(right, p, scale, out, threads);
  }
  DenseView<T> row_block(Index first, Index count, std::vector<T>& buffer) const override {
    return x_.row_block(first, count, buffer);
  }
  bool has_fused_w_pass() const override { return fused_ && x_.has_fused_w_pass(); }
  void fused_w_pass(const T* ht, Index k, T scale, T* w, Index block_rows,
                    const RowBlockFn<T>& block, T* xtw, double* gram, int threads) const override {
    ++passes;
    x_.fused_w_pass(ht, k, scale, w, block_rows, block, xtw, gram, threads);
  }
  mutable int passes = 0;

 private:
  const nmfkit::Data<T>& x_;
  bool fused_;
};

/// A sparse (about half zeros) non-negative matrix with a slowly decaying spectrum: σ₁/σ₁₅ is a
/// few units, as on MNIST or a tf-idf matrix.
template <typename T>
Matrix<T> half_sparse_matrix(Index n, Index m, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Matrix<T> x(n, m);
  for (T& v : x.values) v = u(gen) < 0.5 ? T(0) : static_cast<T>(u(gen));
  return x;
}

TEST(RandomizedSvdFused, PowerIterationsReadXOnceEachAfterTheFirst) {
  // Fused passes (sparse storage has them): the first power iteration from the random start
  // reads X twice (X·Ω, then Xᵀ·Q), every later one and the final product once.
  const Matrix<float> x = half_sparse_matrix<float>(3000, 40, 21);
  const CsrStorage<float> storage(x.view(), 2);
  for (int iterations : {0, 1, 4, 7}) {
    const CountingData<float> counting(storage);
    const Scaled<float> data(counting, 2, false);
    randomized_svd(data, 5, 10, iterations, 0, 2);
    EXPECT_EQ(counting.passes, iterations == 0 ? 2 : 2 + iterations) << iterations;
  }
}

template <typename T>
void expect_fused_matches_separate_passes(double tolerance) {
  // The same sketch with and without the fused pass: only the rounding differs.
  const Matrix<T> x = half_sparse_matrix<T>(3000, 40, 22);
  const CsrStorage<T> storage(x.view(), 2);
  const CountingData<T> fused(storage), separate(storage, false);
  const TruncatedSvd a = randomized_svd(Scaled<T>(fused, 2, false), 8, 10, 7, 0, 2);
  const TruncatedSvd b = randomized_svd(Scaled<T>(separate, 2, false), 8, 10, 7, 0, 2);
  EXPECT_EQ(fused.passes, 2 + 7);
  EXPECT_EQ(separate.passes, 2 * 7 + 2);
  for (Index i = 0; i < 8; ++i) EXPECT_NEAR(a.s(i), b.s(i), tolerance * b.s(0)) << i;
  EXPECT_LT(orthonormality_error(a.u), 1e-10);
  EXPECT_LT(orthonormality_error(a.v), 1e-10);
  for (Index i = 0; i < 8; ++i) {
    EXPECT_NEAR(std::abs(a.u.col(i).dot(b.u.col(i))), 1.0, 100 * tolerance) << i;
    EXPECT_NEAR(std::abs(a.v.col(i).dot(b.v.col(i))), 1.0, 100 * tolerance) << i;
  }
}

TEST(RandomizedSvdFused, MatchesSeparatePassesToThePrecisionOfTheData) {
  expect_fused_matches_separate_passes<double>(1e-12);
  expect_fused_matches_separate_passes<float>(1e-5);
}

TEST(RandomizedSvdFused, ExactLowRankSparseDataKeepsSeparatePasses) {
  // Rank 5 with 15 sketch columns: the first iteration's estimates show X·b's columns to be
  // dependent (σ₁/σ₁₅ beyond any precision), so no pass fuses and the result is still the exact
  // SVD.
  const Matrix<double> x = testing::low_rank<double>(400, 50, 5, 23).x;
  const CsrStorage<double> storage(x.view(), 2);
  const CountingData<double> counting(storage);
  const TruncatedSvd svd = randomized_svd(Scaled<double>(counting, 2, false), 5, 10, 7, 0, 2);
  EXPECT_EQ(counting.passes, 2 * 7 + 2);
  const Eigen::JacobiSVD<Eigen::MatrixXd> exact(to_eigen(x));
  for (Index i = 0; i < 5; ++i)
    EXPECT_NEAR(svd.s(i), exact.singularValues()(i), 1e-10 * exact.singularValues()(i)) << i;
  EXPECT_LT(orthonormality_error(svd.u), 1e-12);
}

TEST(RandomizedSvdFused, ThreadCountDoesNotChangeTheBytes) {
  const Matrix<float> x = half_sparse_matrix<float>(5000, 30, 24);
  const CsrData<float> one(x.view(), 1), three(x.view(), 3);
  const TruncatedSvd a = randomized_svd(one, 6, 10, 7, 1, 1);
  const TruncatedSvd b = randomized_svd(three, 6, 10, 7, 1, 3);
  EXPECT_EQ(0, std::memcmp(a.u.data(), b.u.data(), sizeof(double) * std::size_t(a.u.size())));
  EXPECT_EQ(0, std::memcmp(a.s.data(), b.s.data(), sizeof(double) * std::size_t(a.s.size())));
  EXPECT_EQ(0, std::memcmp(a.v.data(), b.v.data(), sizeof(double) * std::size_t(a.v.size())));
}

}  // namespace
}  // namespace nmfkit::core

TEST(SketchOversamples, ScikitLearnsTenUnlessRoundingDownToABlockLeavesFive) {
  // k + 10 = 20 → 16 (6 extra): a second 16-column block would cost the products twice.
  EXPECT_EQ(nmfkit::core::sketch_oversamples(10), 6);
  EXPECT_EQ(nmfkit::core::sketch_oversamples(11), 5);   // 21 → 16
  EXPECT_EQ(nmfkit::core::sketch_oversamples(12), 10);  // 22 → 16 would leave 4
  EXPECT_EQ(nmfkit::core::sketch_oversamples(4), 10);   // 14: below one block
  EXPECT_EQ(nmfkit::core::sketch_oversamples(22), 10);  // 32 exactly
  EXPECT_EQ(nmfkit::core::sketch_oversamples(26), 6);   // 36 → 32
  EXPECT_EQ(nmfkit::core::sketch_oversamples(50), 10);  // 60 → 48 would leave -2
  for (nmfkit::Index k = 1; k <= 300; ++k) {
    const nmfkit::Index extra = nmfkit::core::sketch_oversamples(k);
    EXPECT_TRUE(extra == 10 || ((k + extra) % 16 == 0 && extra >= 5 && extra < 10)) << k;
  }
}

TEST(RandomizedSvdSettled, StopsOnceTheLeadingValuesHaveSettled) {
  // Non-negative data with a decaying spectrum: rank-6 products with component scales halving,
  // plus a little noise. With a 1% tolerance the leading values agree with the full run to
  // about that; without one, every power iteration runs.
  const nmfkit::Index n = 300, m = 80, r = 6;
  std::mt19937 gen(5);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> values(static_cast<std::size_t>(n * m), 0.0);
  for (nmfkit::Index l = 0; l < r; ++l) {
    std::vector<double> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(m));
    for (double& v : a) v = u(gen);
    for (double& v : b) v = u(gen) * std::pow(0.5, double(l));
    for (nmfkit::Index i = 0; i < n; ++i)
      for (nmfkit::Index j = 0; j < m; ++j)
        values[static_cast<std::size_t>(i * m + j)] +=
            a[static_cast<std::size_t>(i)] * b[static_cast<std::size_t>(j)];
  }
  for (double& v : values) v += 0.01 * u(gen);
  const nmfkit::core::DenseData<double> data(nmfkit::DenseView<double>(values.data(), n, m), 1);
  const auto capped = nmfkit::core::randomized_svd(data, r, 10, 7, 0, 1);
  const auto settled = nmfkit::core::randomized_svd(data, r, 10, 7, 0, 1, 1e-2);
  for (nmfkit::Index i = 0; i < r; ++i)
    EXPECT_NEAR(settled.s(i), capped.s(i), 2e-2 * capped.s(i)) << i;
  const auto explicit_count = nmfkit::core::randomized_svd(data, r, 10, 7, 0, 1, 0.0);
  EXPECT_EQ(capped.s, explicit_count.s);
  // A tolerance no iteration can meet runs them all too.
  const auto strict = nmfkit::core::randomized_svd(data, r, 10, 7, 0, 1, 1e-300);
  EXPECT_EQ(strict.s, capped.s);
}
