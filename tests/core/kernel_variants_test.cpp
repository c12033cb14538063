// The instruction-set variants of the hot kernels (kernels/isa.hpp), each one this CPU supports
// run in turn: the same small fits (sparse 8-bit X and dense X through the fused pass and the
// separate products; cd, hals, extrapolation) give the same bytes under avx2 and avx512 (both
// fuse multiply-adds alike) and results equal up to rounding under the baseline (no FMA); within
// each variant the fused pass still equals the separate steps bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../test_data.hpp"
#include "kernels/csr.hpp"
#include "kernels/dense.hpp"
#include "kernels/isa.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/fit.hpp"
#include "nmfkit/version.hpp"

namespace nmfkit {
namespace {

using kernels::Isa;
using testing::same_bytes;

/// Restores the variant that was running when it was made.
class RestoreIsa {
 public:
  RestoreIsa() : saved_(kernels::active_isa()) {}
  ~RestoreIsa() { kernels::set_active_isa(saved_); }
  RestoreIsa(const RestoreIsa&) = delete;
  RestoreIsa& operator=(const RestoreIsa&) = delete;

 private:
  Isa saved_;
};

/// Whether this CPU runs both the AVX2 and the AVX-512 variants (the tests that compare them).
bool avx2_and_avx512() {
  return kernels::isa_supported(Isa::kAvx2) && kernels::isa_supported(Isa::kAvx512);
}

/// The fit of x under the AVX2 variant and under the AVX-512 one (the caller restores the variant).
template <typename T>
std::map<Isa, FitResult<T>> fit_under_avx2_and_avx512(const DenseView<T>& x, const FitOptions& o) {
  std::map<Isa, FitResult<T>> fits;
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    kernels::set_active_isa(isa);
    fits.emplace(isa, nmfkit::fit(x, o));
  }
  return fits;
}

TEST(Isa, KernelIsaNamesTheRunningVariant) {
  const RestoreIsa restore;
  const std::vector<Isa> isas = kernels::supported_isas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.front(), Isa::kBaseline);
  for (Isa isa : isas) {
    kernels::set_active_isa(isa);
    EXPECT_EQ(kernels::active_isa(), isa);
    EXPECT_EQ(kernel_isa(), kernels::isa_name(isa));
  }
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!kernels::isa_supported(isa)) {
      EXPECT_THROW(kernels::set_active_isa(isa), InvalidArgument);
    }
  }
}

struct Case {
  const char* solver;
  bool sparse, extrapolate;
  double beta = 2;  // mu with β ≠ 2: the element-wise β loops (kernels/beta_loops.inl)
};
constexpr Case kCases[] = {
    {"cd", true, false},        {"cd", true, true},        {"hals", true, false},
    {"cd", false, false},       {"hals", false, true},     {"mu", false, false},
    {"mu", false, false, 1.0},  {"mu", false, false, 0.0}, {"mu", false, false, 1.5},
    {"mu", false, false, 0.75},
};

template <typename T>
class IsaVariants : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(IsaVariants, Scalars);

TYPED_TEST(IsaVariants, FitsAgreeAcrossTheVariants) {
  using T = TypeParam;
  const RestoreIsa restore;
  const Index n = 700, m = 60;  // sparse: 60% zero 8-bit levels; dense: uniform values
  const std::vector<T> levels =
      testing::converted_levels<T>(testing::random_levels(n, m, 0.6, 7), 1.0 / 255.0);
  const Matrix<T> dense = testing::uniform_matrix<T>(n, m, 8);
  for (const Case& c : kCases) {
    FitOptions o = testing::options_for(c.solver, 6);
    o.format = c.sparse ? DataFormat::kSparse : DataFormat::kDense;
    o.extrapolate = c.extrapolate;
    o.beta = c.beta;
    o.max_iter = 30;
    o.tol = 0;
    o.threads = 2;
    const DenseView<T> x = c.sparse ? DenseView<T>(levels.data(), n, m) : dense.view();
    const std::string label = std::string(c.solver) + (c.sparse ? " sparse" : " dense") +
                              (c.extrapolate ? " extrapolated" : "") +
                              (c.beta != 2 ? " beta " + std::to_string(c.beta) : "");
    std::map<Isa, FitResult<T>> fits;
    for (Isa isa : kernels::supported_isas()) {
      kernels::set_active_isa(isa);
      const std::string where = label + " under " + std::string(kernels::isa_name(isa));
      FitResult<T> fit = nmfkit::fit(x, o);
      if (c.solver != std::string("mu")) {  // the fused pass against the separate steps
        FitOptions separate = o;
        separate.fused_pass = false;
        const FitResult<T> other = nmfkit::fit(x, separate);
        EXPECT_TRUE(same_bytes(fit.W, other.W)) << where;
        EXPECT_TRUE(same_bytes(fit.loss_history, other.loss_history)) << where;
      }
      const auto& baseline = fits.count(Isa::kBaseline) ? fits.at(Isa::kBaseline) : fit;
      EXPECT_NEAR(fit.relative_error, baseline.relative_error, 1e-4 * baseline.relative_error)
          << where;
      fits.emplace(isa, std::move(fit));
    }
    if (fits.count(Isa::kAvx2) && fits.count(Isa::kAvx512)) {
      const FitResult<T>& a = fits.at(Isa::kAvx2);
      const FitResult<T>& b = fits.at(Isa::kAvx512);
      EXPECT_TRUE(same_bytes(a.W, b.W)) << label;
      EXPECT_TRUE(same_bytes(a.H, b.H)) << label;
      EXPECT_TRUE(same_bytes(a.loss_history, b.loss_history)) << label;
    }
  }
}

// The sparse products' passes differ per variant (AVX-512: rows padded to 16 floats or 8 doubles,
// passes of up to 32 columns; AVX2: padded to one register, 8 floats or 4 doubles, X·Hᵀ in passes
// of at most 24 floats or 12 doubles and Xᵀ·W of 32 or 16), but every entry is summed over the
// same stored entries in the same order: the same bytes, for widths at and around each boundary,
// from float CSR and from 8-bit levels, for both products and through the fused pass.
TYPED_TEST(IsaVariants, SparseProductsAgreeForEveryWidth) {
  using T = TypeParam;
  if (!avx2_and_avx512()) GTEST_SKIP() << "needs AVX2 and AVX-512";
  const RestoreIsa restore;
  const Index n = 403, m = 61;
  const std::vector<T> levels =
      testing::converted_levels<T>(testing::random_levels(n, m, 0.6, 31), 1.0 / 255.0);
  const DenseView<T> view(levels.data(), n, m);
  const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(view, 2);
  const auto bytes = kernels::csr_bytes(view, 2);
  ASSERT_TRUE(bytes.has_value());
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (const Index p : {3, 5, 8, 9, 10, 12, 13, 16, 17, 20, 24, 25, 33, 40, 50, 100}) {
    std::vector<T> h(static_cast<std::size_t>(m * p)), w(static_cast<std::size_t>(n * p));
    for (T& v : h) v = static_cast<T>(uniform(rng));
    for (T& v : w) v = static_cast<T>(uniform(rng));
    std::map<Isa, std::vector<std::vector<T>>> outs;
    std::map<Isa, std::vector<double>> residuals;  // ‖s·X − W·H‖²: Hᵀ's rows in 8-lane blocks
    for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
      kernels::set_active_isa(isa);
      residuals[isa] = {kernels::residual_squared_norm(csr, 0.5, w.data(), h.data(), p, 2),
                        kernels::residual_squared_norm(*bytes, 1.0, w.data(), h.data(), p, 2)};
      std::vector<std::vector<T>>& o = outs[isa];
      o.assign(4, {});
      o[0].resize(static_cast<std::size_t>(n * p));
      o[1].resize(static_cast<std::size_t>(m * p));
      o[2].resize(static_cast<std::size_t>(n * p));
      o[3].resize(static_cast<std::size_t>(m * p));
      kernels::times(csr, T(0.5), h.data(), p, o[0].data(), 2);
      kernels::transpose_times(csr, T(0.5), w.data(), p, o[1].data(), 2);
      kernels::times(*bytes, T(1), h.data(), p, o[2].data(), 2);
      kernels::transpose_times(*bytes, T(1), w.data(), p, o[3].data(), 2);
    }
    for (std::size_t i = 0; i < 4; ++i)
      EXPECT_TRUE(same_bytes(outs.at(Isa::kAvx2)[i], outs.at(Isa::kAvx512)[i]))
          << "p " << p << ", product " << i;
    EXPECT_EQ(residuals.at(Isa::kAvx2), residuals.at(Isa::kAvx512)) << "p " << p;
  }
  // The fused pass (both products, one pass over X) at widths of one and of several passes.
  for (const int k : {10, 20, 50}) {
    FitOptions o = testing::options_for("cd", k);
    o.format = DataFormat::kSparse;
    o.max_iter = 3;
    o.tol = 0;
    o.threads = 2;
    const std::map<Isa, FitResult<T>> fits = fit_under_avx2_and_avx512(view, o);
    EXPECT_TRUE(same_bytes(fits.at(Isa::kAvx2).W, fits.at(Isa::kAvx512).W)) << "k " << k;
    EXPECT_TRUE(same_bytes(fits.at(Isa::kAvx2).H, fits.at(Isa::kAvx512).H)) << "k " << k;
  }
}

// The dense products' register blocks differ per variant (AVX-512: 4 rows of X by 4 of H, each
// sum one 64-byte register; AVX2: 4 by 3, each 32-byte half of the 64-byte sums formed in turn;
// Xᵀ·W as 6 sums × 64 bytes held across the rows under AVX2), but every lane of every sum takes
// the same terms in the same order: the same bytes, for row lengths with and without a partial
// last 64 bytes (shorter than one register too), row counts that leave 1-3 rows over, widths that
// leave 1-5 sums over, through the separate products and the fused pass (whose update of W
// changes it), which within each variant also equals the separate products.
TYPED_TEST(IsaVariants, DenseProductsAgreeForEveryWidth) {
  using T = TypeParam;
  if (!avx2_and_avx512()) GTEST_SKIP() << "needs AVX2 and AVX-512";
  const RestoreIsa restore;
  const Index n = 403;
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> uniform(0, 1);
  const auto random = [&](Index count) {
    std::vector<T> v(static_cast<std::size_t>(count));
    for (T& e : v) e = static_cast<T>(uniform(rng));
    return v;
  };
  for (const Index m : {3, 16, 37, 61}) {
    const std::vector<T> x = random(n * m);
    const DenseView<T> view(x.data(), n, m);
    for (const Index p : {1, 2, 3, 4, 5, 6, 7, 11, 13, 20, 50}) {
      const std::vector<T> right = random(m * p), w0 = random(n * p);
      // The fused pass's update: each block's rows of W become its rows of X·right, halved.
      const auto halve = [](std::vector<T>& w, Index p_) {
        return [&w, p_](Index first, Index count, const T* xr) {
          for (Index i = 0; i < count * p_; ++i)
            w[static_cast<std::size_t>(first * p_ + i)] = xr[i] / 2;
        };
      };
      std::map<Isa, std::vector<std::vector<T>>> outs;
      for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
        kernels::set_active_isa(isa);
        std::vector<std::vector<T>>& o = outs[isa];
        o.assign(5, {});
        o[0].resize(static_cast<std::size_t>(n * p));
        o[1].resize(static_cast<std::size_t>(m * p));
        o[3].resize(static_cast<std::size_t>(m * p));
        kernels::times(view, T(0.5), right.data(), p, o[0].data(), 2);
        kernels::transpose_times(view, T(0.5), w0.data(), p, o[1].data(), 2);
        o[2] = w0;
        std::vector<double> gram(static_cast<std::size_t>(p * p));
        kernels::fused_rows<T>(view, T(0.5), right.data(), p, o[2].data(), 16, halve(o[2], p),
                               o[3].data(), gram.data(), 2);
        o[4].assign(gram.begin(), gram.end());
        {  // the fused pass = the separate steps
          std::vector<T> w = o[0], xtw(static_cast<std::size_t>(m * p));
          for (T& e : w) e /= 2;
          kernels::transpose_times(view, T(0.5), w.data(), p, xtw.data(), 2);
          EXPECT_TRUE(same_bytes(w, o[2])) << "m " << m << ", p " << p;
          EXPECT_TRUE(same_bytes(xtw, o[3])) << "m " << m << ", p " << p;
        }
      }
      for (std::size_t i = 0; i < 5; ++i)
        EXPECT_TRUE(same_bytes(outs.at(Isa::kAvx2)[i], outs.at(Isa::kAvx512)[i]))
            << "m " << m << ", p " << p << ", output " << i;
    }
  }
}

// The float sweeps in natural order keep G·x in registers (solvers/coordinate_descent_lanes.inl):
// with AVX-512 all of it for k ≤ 24 and groups of 12 coordinates beyond, with AVX2 groups of 4.
// Both are the general loop's sums in its order, so the two variants give the same bytes: for k
// at both ends of AVX-512's range and past it (one group and one coordinate; three groups and
// seven), with an l1 penalty, and for a rule that shuffles the coordinates (which takes the
// general loop on both).
TEST(IsaVariants, CoordinateDescentSweepsAgreeForEveryK) {
  if (!avx2_and_avx512()) GTEST_SKIP() << "needs AVX2 and AVX-512";
  const RestoreIsa restore;
  const Index n = 300, m = 60;
  const Matrix<float> x = testing::uniform_matrix<float>(n, m, 21);
  for (const int k : {2, 9, 17, 24, 25, 43}) {
    for (const bool shuffle : {false, true}) {
      FitOptions o = testing::options_for(shuffle ? "cd" : "hals", k);
      o.shuffle = shuffle;
      o.alpha_w = 0.01;
      o.l1_ratio = 0.5;
      o.max_iter = 8;
      o.tol = 0;
      o.threads = 2;
      const std::map<Isa, FitResult<float>> fits = fit_under_avx2_and_avx512(x.view(), o);
      const std::string label = "k " + std::to_string(k) + (shuffle ? ", shuffled" : "");
      EXPECT_TRUE(same_bytes(fits.at(Isa::kAvx2).W, fits.at(Isa::kAvx512).W)) << label;
      EXPECT_TRUE(same_bytes(fits.at(Isa::kAvx2).H, fits.at(Isa::kAvx512).H)) << label;
    }
  }
}

// W·H in single precision (kernels::w_times_h, the β-divergences' blocks of W·H and the final
// error): nmfkit's own loop, each entry Σ_t w_it·h_tj with t in order from 0, whatever the
// register blocks. Every variant the CPU has is checked entry by entry against that sum formed
// here, by a product then a sum for each term (the baseline has no FMA) or, for AVX2 and AVX-512,
// by fused multiply-adds (the release build's: GCC fuses from -O2 on, so the -O1 sanitizer build
// gives the first form); row counts leave partial register blocks, column counts partial 64-byte
// vectors.
TEST(IsaVariants, WTimesHIsTheSumInOrderOnEveryVariant) {
  const RestoreIsa restore;
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (const Index rows : {1, 5, 6, 7, 13, 16, 40}) {
    for (const Index k : {1, 3, 10, 40}) {
      for (const Index m : {1, 15, 16, 17, 33, 100, 513}) {
        std::vector<float> w(static_cast<std::size_t>(rows * k)),
            h(static_cast<std::size_t>(k * m));
        for (float& e : w) e = uniform(rng);
        for (float& e : h) e = uniform(rng);
        for (Isa isa : kernels::supported_isas()) {
          kernels::set_active_isa(isa);
          std::vector<float> wh(static_cast<std::size_t>(rows * m), -1.0f);
          kernels::w_times_h(w.data(), rows, k, h.data(), m, wh.data());
          Index unlike_plain = 0, unlike_fused = 0;
          for (Index i = 0; i < rows; ++i)
            for (Index j = 0; j < m; ++j) {
              float plain = 0, fused = 0;
              for (Index t = 0; t < k; ++t) {
                const float a = w[static_cast<std::size_t>(i * k + t)];
                const float b = h[static_cast<std::size_t>(t * m + j)];
                const float product = a * b;  // rounded before the sum
                plain = plain + product;
                fused = std::fma(a, b, fused);
              }
              const float got = wh[static_cast<std::size_t>(i * m + j)];
              unlike_plain += got != plain;
              unlike_fused += got != fused;
            }
          const std::string label = std::string(kernels::isa_name(isa)) + ", " +
                                    std::to_string(rows) + " x " + std::to_string(k) + " · " +
                                    std::to_string(k) + " x " + std::to_string(m);
          if (isa == Isa::kBaseline)
            EXPECT_EQ(unlike_plain, 0) << label;
          else
            EXPECT_EQ(std::min(unlike_plain, unlike_fused), 0) << label;
        }
      }
    }
  }
}

// Dense 8-bit X (kernels::DenseLevels) is decoded a block of rows at a time and run through the
// float kernels: every product, the fused pass (with an update of W), the residual, the summary
// and the decoded rows equal those of the float copy bit for bit, on every variant the CPU has,
// for rows that end in a partial vector (or are shorter than one), row counts that leave partial
// blocks of the products and of the decoding, and one and several chunks.
TEST(DenseLevels, KernelsGiveTheFloatCopysBytesOnEveryVariant) {
  const RestoreIsa restore;
  std::mt19937 rng(21);
  std::uniform_real_distribution<double> uniform(0, 1);
  const auto random = [&](Index count) {
    std::vector<float> v(static_cast<std::size_t>(count));
    for (float& e : v) e = static_cast<float>(uniform(rng));
    return v;
  };
  struct Shape {
    Index n, m;
  };
  for (const Shape s :
       {Shape{1, 5}, Shape{37, 3}, Shape{203, 61}, Shape{130, 768}, Shape{4500, 37}}) {
    const std::vector<std::uint8_t> q = testing::random_levels(s.n, s.m, 0.3, 40);
    for (const double level_scale : {1.0 / 255.0, 1.0, 0.37, 1.0 / 3.0}) {
      // The decoding in single precision where with_scale found it exact, through double otherwise.
      for (const bool fused : {false, true}) {
        const DenseView<std::uint8_t> stored(q.data(), s.n, s.m);
        const kernels::DenseLevels levels =
            fused ? kernels::DenseLevels::with_scale(stored, level_scale)
                  : kernels::DenseLevels{stored, level_scale};
        if (fused && level_scale == 1.0 / 255.0) {
          EXPECT_TRUE(levels.fused_decode);
        }
        std::vector<float> x(q.size());
        for (std::size_t i = 0; i < q.size(); ++i)
          x[i] = static_cast<float>(double(q[i]) * level_scale);  // make_data's palette
        const DenseView<float> view(x.data(), s.n, s.m);
        const kernels::DenseSummary a = kernels::summarize(levels, 2),
                                    b = kernels::summarize(view, 2);
        EXPECT_EQ(a.stats.squared_norm, b.stats.squared_norm);
        EXPECT_EQ(a.stats.sum, b.stats.sum);
        EXPECT_EQ(a.zeros, b.zeros);
        for (Isa isa : {Isa::kBaseline, Isa::kAvx2, Isa::kAvx512}) {
          if (!kernels::isa_supported(isa)) continue;
          kernels::set_active_isa(isa);
          const std::string what = std::string(kernels::isa_name(isa)) + ", " +
                                   std::to_string(s.n) + " x " + std::to_string(s.m) + ", scale " +
                                   std::to_string(level_scale) + (fused ? ", fused" : "");
          std::vector<float> decoded(q.size());
          kernels::decode_levels(levels, 0, s.n, decoded.data());
          EXPECT_TRUE(same_bytes(decoded, x)) << what;
          for (const Index p : {1, 3, 7, 20}) {
            const std::vector<float> right = random(s.m * p), w0 = random(s.n * p);
            std::vector<float> t1(static_cast<std::size_t>(s.n * p)), t2(t1.size());
            kernels::times(levels, 0.5f, right.data(), p, t1.data(), 2);
            kernels::times(view, 0.5f, right.data(), p, t2.data(), 2);
            EXPECT_TRUE(same_bytes(t1, t2)) << what << ", p " << p;
            std::vector<float> u1(static_cast<std::size_t>(s.m * p)), u2(u1.size());
            kernels::transpose_times(levels, 0.5f, w0.data(), p, u1.data(), 2);
            kernels::transpose_times(view, 0.5f, w0.data(), p, u2.data(), 2);
            EXPECT_TRUE(same_bytes(u1, u2)) << what << ", p " << p;
            // The fused pass: each block's rows of W become its rows of X·right, halved.
            std::vector<float> w1 = w0, w2 = w0, v1(u1.size()), v2(u1.size());
            const auto halve = [p](std::vector<float>& w) {
              return [&w, p](Index first, Index count, const float* xr) {
                for (Index i = 0; i < count * p; ++i)
                  w[static_cast<std::size_t>(first * p + i)] = xr[i] / 2;
              };
            };
            std::vector<double> g1(static_cast<std::size_t>(p * p)), g2(g1.size());
            kernels::fused_rows(levels, 0.5f, right.data(), p, w1.data(), 64, halve(w1), v1.data(),
                                g1.data(), 2);
            kernels::fused_rows<float>(view, 0.5f, right.data(), p, w2.data(), 64, halve(w2),
                                       v2.data(), g2.data(), 2);
            EXPECT_TRUE(same_bytes(w1, w2)) << what << ", p " << p;
            EXPECT_TRUE(same_bytes(v1, v2)) << what << ", p " << p;
            EXPECT_EQ(g1, g2) << what << ", p " << p;
            const std::vector<float> h = random(p * s.m);
            EXPECT_EQ(kernels::residual_squared_norm(levels, 0.5, w0.data(), h.data(), p, 2),
                      kernels::residual_squared_norm(view, 0.5, w0.data(), h.data(), p, 2))
                << what << ", p " << p;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace nmfkit
