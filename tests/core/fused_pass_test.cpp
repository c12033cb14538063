// The fused pass over X's rows (kernels::fused_rows, FitOptions::fused_pass): it must give the
// bytes of the separate steps it replaces (times, the row updates, transpose_times, gram), for
// both CSR forms and dense rows (with or without a stride), any width, block size and thread count;
// and whole fits with it must equal fits without it, for every rule that uses it (cd, hals; with
// extrapolation, shuffle, regularisation).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "../test_data.hpp"
#include "kernels/csr.hpp"
#include "kernels/dense.hpp"
#include "nmfkit/fit.hpp"

namespace nmfkit {
namespace {

using testing::same_bytes;

template <typename T>
std::vector<T> uniform(std::size_t count, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<T> v(count);
  for (T& e : v) e = static_cast<T>(u(gen));
  return v;
}

/// A row update that depends on the row's p and its old value, as the rules do.
template <typename T>
void update_rows(T* w, const T* p, Index count, Index k) {
  for (Index i = 0; i < count * k; ++i)
    w[i] = static_cast<T>(std::max(0.0, 0.5 * double(w[i]) + double(p[i]) - 0.25));
}

template <typename T>
class FusedRows : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(FusedRows, Scalars);

TYPED_TEST(FusedRows, EqualsTheSeparateStepsBitForBit) {
  using T = TypeParam;
  // 5000 rows: three row chunks of unequal length, none a multiple of the block sizes.
  const Index n = 5000, m = 37;
  const std::vector<std::uint8_t> q = testing::random_levels(n, m, 0.6, 1);
  const std::vector<T> xv = testing::converted_levels<T>(q, 1.0 / 255.0);
  const DenseView<T> view(xv.data(), n, m);
  // The same values in rows of m + 3 entries: a dense view with a stride.
  std::vector<T> strided(static_cast<std::size_t>(n * (m + 3)), T(9));
  for (Index r = 0; r < n; ++r)
    std::copy(xv.begin() + r * m, xv.begin() + (r + 1) * m, strided.begin() + r * (m + 3));
  const DenseView<T> strided_view(strided.data(), n, m, m + 3);
  const kernels::CsrMatrix<T> csr = kernels::csr_from_dense(view, 2);
  const auto bytes = kernels::csr_bytes(view, 2);
  ASSERT_TRUE(bytes.has_value());
  const T scale = T(0.75);
  for (const Index p : {1, 5, 10, 16, 20, 40, 70}) {
    const std::vector<T> right = uniform<T>(static_cast<std::size_t>(m * p), 2);
    const std::vector<T> w0 = uniform<T>(static_cast<std::size_t>(n * p), 3);
    for (const Index block_rows : {1, 7, 16}) {
      for (const int threads : {1, 3}) {
        auto check = [&](const auto& x, const char* form) {
          // The separate steps.
          std::vector<T> xh(static_cast<std::size_t>(n * p)), w = w0;
          kernels::times(x, scale, right.data(), p, xh.data(), threads);
          for (Index r = 0; r < n; ++r) update_rows(w.data() + r * p, xh.data() + r * p, 1, p);
          std::vector<T> xtw(static_cast<std::size_t>(m * p));
          kernels::transpose_times(x, scale, w.data(), p, xtw.data(), threads);
          std::vector<double> g(static_cast<std::size_t>(p * p));
          kernels::gram(w.data(), n, p, g.data(), threads);
          // The fused pass; every row visited exactly once, in blocks of at most block_rows.
          std::vector<T> wf = w0, xtwf(xtw.size());
          std::vector<double> gf(g.size());
          std::vector<int> visits(static_cast<std::size_t>(n), 0);
          const kernels::RowBlockFn<T> block = [&](Index first, Index count, const T* pr) {
            EXPECT_LE(count, block_rows);
            for (Index r = first; r < first + count; ++r) ++visits[static_cast<std::size_t>(r)];
            update_rows(wf.data() + first * p, pr, count, p);
          };
          kernels::fused_rows(x, scale, right.data(), p, wf.data(), block_rows, block, xtwf.data(),
                              gf.data(), threads);
          const std::string where = std::string(form) + " p=" + std::to_string(p) +
                                    " block=" + std::to_string(block_rows) +
                                    " threads=" + std::to_string(threads);
          EXPECT_TRUE(same_bytes(wf, w)) << where;
          EXPECT_TRUE(same_bytes(xtwf, xtw)) << where;
          EXPECT_TRUE(same_bytes(gf, g)) << where;
          EXPECT_EQ(std::count(visits.begin(), visits.end(), 1), n) << where;
        };
        check(csr, "csr");
        check(*bytes, "bytes");
        check(view, "dense");
        check(strided_view, "dense with a stride");
      }
    }
  }
}

/// Fits of the same options with and without the fused pass.
template <typename T, typename Fit>
void expect_same_fits(FitOptions o, Fit&& run, const std::string& where) {
  o.fused_pass = false;
  const FitResult<T> plain = run(o);
  o.fused_pass = true;
  const FitResult<T> fused = run(o);
  EXPECT_EQ(fused.iterations, plain.iterations) << where;
  EXPECT_TRUE(same_bytes(fused.W, plain.W)) << where;
  EXPECT_TRUE(same_bytes(fused.H, plain.H)) << where;
  EXPECT_TRUE(same_bytes(fused.loss_history, plain.loss_history)) << where;
  EXPECT_GT(fused.timings.fused, 0) << where;
  EXPECT_EQ(plain.timings.fused, 0) << where;
}

struct Variant {
  const char* solver;
  bool extrapolate, shuffle;
  double alpha, l1_ratio;
};

const Variant kVariants[] = {
    {"cd", false, false, 0, 0},      {"cd", true, false, 0, 0},    {"cd", false, true, 0, 0},
    {"cd", true, false, 0.01, 0.5},  {"hals", false, false, 0, 0}, {"hals", true, false, 0, 0},
    {"hals", false, false, 0.02, 1},
};

FitOptions options_of(const Variant& v, int k) {
  FitOptions o = testing::options_for(v.solver, k);
  o.extrapolate = v.extrapolate;
  o.shuffle = v.shuffle;
  o.alpha_w = v.alpha;
  o.l1_ratio = v.l1_ratio;
  o.format = DataFormat::kSparse;
  o.max_iter = 25;
  o.tol = 0;
  o.threads = 2;
  return o;
}

TYPED_TEST(FusedRows, FitsWithAndWithoutItAreTheSame) {
  using T = TypeParam;
  const Index n = 3000, m = 49;
  const std::vector<std::uint8_t> q = testing::random_levels(n, m, 0.5, 4);
  const std::vector<T> xv = testing::converted_levels<T>(q, 1.0 / 255.0);
  const DenseView<T> view(xv.data(), n, m);
  for (const Variant& v : kVariants)
    for (const int k : {3, 10, 20}) {
      const std::string where = std::string(v.solver) + (v.extrapolate ? " extrapolate" : "") +
                                (v.shuffle ? " shuffle" : "") +
                                " alpha=" + std::to_string(v.alpha) + " k=" + std::to_string(k);
      for (const DataFormat format : {DataFormat::kSparse, DataFormat::kDense}) {
        FitOptions o = options_of(v, k);
        o.format = format;
        expect_same_fits<T>(
            o, [&](const FitOptions& oo) { return fit(view, oo); },
            where + (format == DataFormat::kDense ? " dense" : " sparse"));
      }
    }
}

TEST(FusedRowsLevels, FitsOfEightBitLevelsWithAndWithoutItAreTheSame) {
  const Index n = 3000, m = 49;
  const std::vector<std::uint8_t> q = testing::random_levels(n, m, 0.5, 5);
  const LevelsView x{DenseView<std::uint8_t>(q.data(), n, m)};
  for (const Variant& v : kVariants)
    expect_same_fits<float>(
        options_of(v, 10), [&](const FitOptions& o) { return fit(x, o); }, v.solver);
}

TEST(FusedRowsLevels, StoppingRulesAndTinyDataAgree) {
  // cd's projected-gradient rule and the error-window rule stop at the same iteration with the
  // fused pass; fewer rows than a block, an all-zero row.
  const Index n = 3000, m = 49;
  const std::vector<std::uint8_t> q = testing::random_levels(n, m, 0.5, 7);
  const LevelsView x{DenseView<std::uint8_t>(q.data(), n, m)};
  for (const char* solver : {"cd", "hals"}) {
    FitOptions o = options_of(kVariants[0], 6);
    o.solver = solver;
    o.tol = 1e-3;
    o.max_iter = 300;
    expect_same_fits<float>(
        o, [&](const FitOptions& oo) { return fit(x, oo); }, solver);
  }
  std::vector<std::uint8_t> tiny = testing::random_levels(10, 12, 0.5, 8);
  std::fill(tiny.begin() + 24, tiny.begin() + 36, std::uint8_t{0});  // row 2
  const LevelsView t{DenseView<std::uint8_t>(tiny.data(), 10, 12)};
  for (const Variant& v : kVariants)
    expect_same_fits<float>(
        options_of(v, 3), [&](const FitOptions& o) { return fit(t, o); }, v.solver);
}

TEST(FusedRowsLevels, SinglePrecisionFitsUseItOnEveryStorageAndTransformDoesNot) {
  const Index n = 400, m = 30;
  const std::vector<std::uint8_t> q = testing::random_levels(n, m, 0.5, 6);
  const std::vector<float> xv = testing::converted_levels<float>(q, 1.0 / 255.0);
  const DenseView<float> view(xv.data(), n, m);
  FitOptions o = options_of(kVariants[0], 4);
  o.format = DataFormat::kDense;
  EXPECT_GT(fit(view, o).timings.fused, 0);
  o.format = DataFormat::kSparse;
  const FitResult<float> r = fit(view, o);
  EXPECT_GT(r.timings.fused, 0);
  EXPECT_EQ(transform(view, r.H.view(), o).timings.fused, 0);
}

}  // namespace
}  // namespace nmfkit
