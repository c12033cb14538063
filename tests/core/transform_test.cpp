// transform(), inverse_transform(), fit() from given factors (Init::kCustom), the β-divergence
// losses' checks, and the format a fit reports.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "nmfkit/nmfkit.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using testing::all_non_negative;
using testing::direct_error;
using testing::frobenius;
using testing::low_rank;
using testing::options_for;
using testing::uniform_matrix;

using testing::message_of;

bool contains(const std::string& text, const std::string& word) {
  return text.find(word) != std::string::npos;
}

std::vector<std::string> registered() {
  std::vector<std::string> names;
  for (const SolverInfo& s : solvers()) names.emplace_back(s.name);
  return names;
}

/// W·H by the textbook loop, in double.
template <typename T>
Matrix<double> reference_product(const Matrix<T>& w, const Matrix<T>& h) {
  Matrix<double> out(w.rows, h.cols);
  for (Index i = 0; i < w.rows; ++i)
    for (Index j = 0; j < h.cols; ++j) {
      double s = 0;
      for (Index l = 0; l < w.cols; ++l) s += double(w(i, l)) * double(h(l, j));
      out(i, j) = s;
    }
  return out;
}

/// scikit-learn's generalized Kullback-Leibler divergence D(X‖WH): Σ x·log(x/wh) − x + wh, where
/// a zero x contributes wh.
template <typename T>
double reference_kl(const Matrix<T>& x, const Matrix<T>& w, const Matrix<T>& h) {
  const Matrix<double> wh = reference_product(w, h);
  double d = 0;
  for (Index i = 0; i < x.rows; ++i)
    for (Index j = 0; j < x.cols; ++j) {
      const double xv = x(i, j), v = wh(i, j);
      d += xv > 0 ? xv * std::log(xv / v) - xv + v : v;
    }
  return d;
}

/// A matrix with about `zero_fraction` of its entries exactly zero, the rest uniform in (0, 1).
template <typename T>
Matrix<T> with_zeros(Index n, Index m, double zero_fraction, std::uint32_t seed) {
  Matrix<T> x = uniform_matrix<T>(n, m, seed, 0.05);
  const Matrix<double> coin = uniform_matrix<double>(n, m, seed + 1000);
  for (std::size_t i = 0; i < x.values.size(); ++i)
    if (coin.values[i] < zero_fraction) x.values[i] = T(0);
  return x;
}

// ---- transform ----

TEST(Transform, TrainingDataGivesTheFitsErrorForEveryRule) {
  const Matrix<double> x = uniform_matrix<double>(50, 30, 3);
  for (const std::string& solver : registered()) {
    SCOPED_TRACE(solver);
    const FitOptions o = options_for(solver, 5);
    const FitResult<double> f = fit(x.view(), o);
    const FitResult<double> t = transform(x.view(), f.H.view(), o);
    ASSERT_EQ(t.W.rows, 50);
    ASSERT_EQ(t.W.cols, 5);
    EXPECT_TRUE(all_non_negative(t.W));
    EXPECT_NEAR(t.error, f.error, 0.01 * f.error);
    // The reported error is the true one of the returned factors.
    EXPECT_NEAR(t.error, direct_error(x, t.W, t.H), 1e-9 * frobenius(x));
    EXPECT_NEAR(t.relative_error, t.error / frobenius(x), 1e-12);
    EXPECT_GE(t.iterations, 1);
  }
}

TEST(Transform, TrainingDataGivesTheFitsErrorInSinglePrecision) {
  const Matrix<float> x = uniform_matrix<float>(60, 24, 8);
  for (const std::string& solver : registered()) {
    SCOPED_TRACE(solver);
    const FitOptions o = options_for(solver, 4);
    const FitResult<float> f = fit(x.view(), o);
    const FitResult<float> t = transform(x.view(), f.H.view(), o);
    EXPECT_TRUE(all_non_negative(t.W));
    EXPECT_NEAR(t.error, f.error, 0.01 * f.error);
  }
}

TEST(Transform, TrainingDataGivesTheFitsErrorWithKullbackLeibler) {
  const Matrix<double> x = with_zeros<double>(50, 30, 0.3, 4);
  FitOptions o = options_for("mu", 5);
  o.beta = 1;
  const FitResult<double> f = fit(x.view(), o);
  const FitResult<double> t = transform(x.view(), f.H.view(), o);
  EXPECT_TRUE(all_non_negative(t.W));
  EXPECT_NEAR(t.error, f.error, 0.01 * f.error);
  // The error of a β ≠ 2 fit is scikit-learn's sqrt(2·D_β).
  EXPECT_NEAR(t.error, std::sqrt(2 * reference_kl(x, t.W, t.H)), 1e-6 * t.error);
  EXPECT_NEAR(f.error, std::sqrt(2 * reference_kl(x, f.W, f.H)), 1e-6 * f.error);
}

TEST(Transform, KeepsHByteIdentical) {
  const Matrix<float> x = uniform_matrix<float>(40, 20, 5);
  for (const std::string& solver : registered()) {
    SCOPED_TRACE(solver);
    const FitOptions o = options_for(solver, 3);
    const FitResult<float> f = fit(x.view(), o);
    const FitResult<float> t = transform(x.view(), f.H.view(), o);
    ASSERT_EQ(t.H.rows, f.H.rows);
    ASSERT_EQ(t.H.cols, f.H.cols);
    EXPECT_EQ(0, std::memcmp(t.H.data(), f.H.data(), f.H.values.size() * sizeof(float)));
  }
}

TEST(Transform, AcceptsAStridedH) {
  // H as a view into a wider buffer: the padding must be neither read as data nor copied.
  const Matrix<double> x = uniform_matrix<double>(30, 12, 6);
  const FitOptions o = options_for("hals", 3);
  const FitResult<double> f = fit(x.view(), o);
  Matrix<double> padded(3, 15, -7.0);  // negative padding: reading it would be a DataError
  for (Index l = 0; l < 3; ++l)
    for (Index j = 0; j < 12; ++j) padded(l, j) = f.H(l, j);
  const FitResult<double> strided =
      transform(x.view(), DenseView<double>(padded.data(), 3, 12, 15), o);
  const FitResult<double> plain = transform(x.view(), f.H.view(), o);
  EXPECT_EQ(strided.H.values, f.H.values);
  EXPECT_EQ(strided.W.values, plain.W.values);
}

TEST(Transform, TakesKFromHAndIgnoresTheInit) {
  const Matrix<double> x = uniform_matrix<double>(30, 12, 7);
  const FitResult<double> f = fit(x.view(), options_for("hals", 4));
  FitOptions o = options_for("hals", 9);  // k is H's row count, whatever options.k says
  o.init = Init::kCustom;                 // and transform has no start factors to need
  const FitResult<double> t = transform(x.view(), f.H.view(), o);
  EXPECT_EQ(t.W.cols, 4);
  EXPECT_NEAR(t.error, f.error, 0.01 * f.error);
}

TEST(Transform, FewerSamplesThanComponents) {
  // Applying a fitted model to one or two new samples is the common case; scikit-learn allows it
  // (k is bounded by the training data, not by the data transformed).
  const Matrix<double> x = uniform_matrix<double>(40, 20, 9);
  const FitOptions o = options_for("hals", 5);
  const FitResult<double> f = fit(x.view(), o);
  for (Index rows : {1, 2}) {
    SCOPED_TRACE(rows);
    const DenseView<double> first(x.data(), rows, x.cols);
    FitResult<double> t;
    ASSERT_NO_THROW(t = transform(first, f.H.view(), o));
    EXPECT_EQ(t.W.rows, rows);
    EXPECT_EQ(t.W.cols, 5);
    EXPECT_TRUE(all_non_negative(t.W));
    // W is the best for H, so it represents these rows at least as well as the fit's W did.
    Matrix<double> x_rows(rows, x.cols), w_rows(rows, 5);
    for (Index i = 0; i < rows; ++i) {
      for (Index j = 0; j < x.cols; ++j) x_rows(i, j) = x(i, j);
      for (Index l = 0; l < 5; ++l) w_rows(i, l) = f.W(i, l);
    }
    EXPECT_LE(t.error, 1.01 * direct_error(x_rows, w_rows, f.H));
  }
}

TEST(Transform, HeldOutSamplesOfTheSameSourceAreRepresented) {
  // Held-out rows of the same low-rank source are represented as well as the training rows.
  const auto d = low_rank<double>(80, 25, 3, 10);
  const DenseView<double> train(d.x.data(), 60, 25);
  const DenseView<double> test(d.x.row(60), 20, 25);
  FitOptions o = options_for("anls-bpp", 3);
  o.max_iter = 500;
  const FitResult<double> f = fit(train, o);
  const FitResult<double> t = transform(test, f.H.view(), o);
  EXPECT_LT(t.relative_error, 1e-3);
}

/// X's compressed sparse rows (int32 offsets), as scipy.sparse.csr_matrix holds them.
struct Csr {
  std::vector<std::int32_t> indptr{0}, indices;
  std::vector<double> values;
  CsrView<double, std::int32_t> view(Index rows, Index cols) const {
    return {rows, cols, indptr.data(), indices.data(), values.data()};
  }
};

Csr csr_of(const Matrix<double>& x) {
  Csr c;
  for (Index i = 0; i < x.rows; ++i) {
    for (Index j = 0; j < x.cols; ++j)
      if (x(i, j) != 0) {
        c.indices.push_back(static_cast<std::int32_t>(j));
        c.values.push_back(x(i, j));
      }
    c.indptr.push_back(static_cast<std::int32_t>(c.indices.size()));
  }
  return c;
}

TEST(Transform, SparseXGivesTheDenseResult) {
  const Matrix<double> x = with_zeros<double>(50, 30, 0.6, 21);
  const Csr c = csr_of(x);
  for (const std::string& solver : {std::string("cd"), std::string("mu")}) {
    for (const double beta : {2.0, 1.0}) {
      if (beta != 2 && solver != "mu") continue;
      SCOPED_TRACE(solver + " beta " + std::to_string(beta));
      FitOptions o = options_for(solver, 4);
      o.beta = beta;
      o.format = DataFormat::kSparse;
      const FitResult<double> f = fit(x.view(), o);
      const FitResult<double> dense = transform(x.view(), f.H.view(), o);
      const FitResult<double> sparse = transform(c.view(50, 30), f.H.view(), o);
      EXPECT_EQ(sparse.format, "sparse");
      ASSERT_EQ(sparse.W.rows, 50);
      EXPECT_EQ(sparse.iterations, dense.iterations);
      for (std::size_t i = 0; i < dense.W.values.size(); ++i)
        EXPECT_NEAR(sparse.W.values[i], dense.W.values[i], 1e-9 * (1 + dense.W.values[i]));
      EXPECT_NEAR(sparse.error, dense.error, 1e-9 * dense.error);
    }
  }
}

TEST(TransformErrors, SparseXChecksHAndTheStructure) {
  const Matrix<double> x = with_zeros<double>(20, 10, 0.5, 22);
  Csr c = csr_of(x);
  const Matrix<double> h = uniform_matrix<double>(3, 12, 12);
  const FitOptions o = options_for("cd", 3);
  EXPECT_THROW(transform(c.view(20, 10), h.view(), o), InvalidArgument);
  const Matrix<double> good_h = uniform_matrix<double>(3, 10, 12);
  c.values[2] = -1;
  EXPECT_THROW(transform(c.view(20, 10), good_h.view(), o), DataError);
}

TEST(TransformErrors, RejectsHWithTheWrongNumberOfFeatures) {
  const Matrix<double> x = uniform_matrix<double>(20, 10, 11);
  const Matrix<double> h = uniform_matrix<double>(3, 12, 12);
  const FitOptions o = options_for("hals", 3);
  EXPECT_THROW(transform(x.view(), h.view(), o), InvalidArgument);
  const std::string m = message_of([&] { transform(x.view(), h.view(), o); });
  EXPECT_TRUE(contains(m, "12") && contains(m, "10")) << m;
}

TEST(TransformErrors, RejectsHWithoutRows) {
  const Matrix<double> x = uniform_matrix<double>(20, 10, 11);
  const Matrix<double> h = uniform_matrix<double>(3, 10, 12);
  const FitOptions o = options_for("hals", 3);
  EXPECT_THROW(transform(x.view(), DenseView<double>(h.data(), 0, 10), o), InvalidArgument);
  EXPECT_THROW(transform(x.view(), DenseView<double>(), o), InvalidArgument);
}

TEST(TransformErrors, RejectsNegativeOrNanH) {
  const Matrix<double> x = uniform_matrix<double>(20, 10, 11);
  Matrix<double> h = uniform_matrix<double>(3, 10, 12);
  const FitOptions o = options_for("hals", 3);
  h(1, 2) = -0.25;
  EXPECT_THROW(transform(x.view(), h.view(), o), DataError);
  EXPECT_TRUE(contains(message_of([&] { transform(x.view(), h.view(), o); }), "H"));
  h(1, 2) = std::nan("");
  EXPECT_THROW(transform(x.view(), h.view(), o), DataError);
}

TEST(TransformErrors, RejectsBadData) {
  Matrix<double> x = uniform_matrix<double>(20, 10, 11);
  const Matrix<double> h = uniform_matrix<double>(3, 10, 12);
  x(4, 5) = -1;
  EXPECT_THROW(transform(x.view(), h.view(), options_for("hals", 3)), DataError);
}

// ---- inverse_transform ----

template <typename T>
void expect_inverse_transform_is_the_product(double tolerance) {
  const Matrix<T> w = uniform_matrix<T>(17, 5, 13);
  Matrix<T> h = uniform_matrix<T>(5, 11, 14);
  h(2, 3) = 0;
  const Matrix<T> wh = inverse_transform(w.view(), h.view());
  ASSERT_EQ(wh.rows, 17);
  ASSERT_EQ(wh.cols, 11);
  const Matrix<double> expected = reference_product(w, h);
  for (Index i = 0; i < 17; ++i)
    for (Index j = 0; j < 11; ++j)
      EXPECT_NEAR(double(wh(i, j)), expected(i, j), tolerance * expected(i, j)) << i << ", " << j;
}

TEST(InverseTransform, IsTheProductInSinglePrecision) {
  expect_inverse_transform_is_the_product<float>(1e-6);
}

TEST(InverseTransform, IsTheProductInDoublePrecision) {
  expect_inverse_transform_is_the_product<double>(1e-14);
}

TEST(InverseTransform, OfAFitReconstructsWithTheFitsError) {
  const auto d = low_rank<double>(30, 20, 3, 15);
  const FitResult<double> f = fit(d.x.view(), options_for("hals", 3));
  const Matrix<double> wh = inverse_transform(f.W.view(), f.H.view());
  double s = 0;
  for (std::size_t i = 0; i < wh.values.size(); ++i) {
    const double diff = d.x.values[i] - wh.values[i];
    s += diff * diff;
  }
  EXPECT_NEAR(std::sqrt(s), f.error, 1e-9 * frobenius(d.x));
}

TEST(InverseTransform, RejectsMismatchedShapes) {
  const Matrix<double> w = uniform_matrix<double>(4, 3, 1);
  const Matrix<double> h = uniform_matrix<double>(2, 5, 2);
  EXPECT_THROW(inverse_transform(w.view(), h.view()), InvalidArgument);
}

// ---- fit from given factors (Init::kCustom) ----

struct Start {
  Matrix<double> w, h;
  StartFactors<double> factors() const { return {w.view(), h.view()}; }
};

Start start_for(Index n, Index m, Index k, std::uint32_t seed) {
  return {uniform_matrix<double>(n, k, seed, 0.1), uniform_matrix<double>(k, m, seed + 1, 0.1)};
}

TEST(CustomInit, StartsFromExactlyTheGivenFactors) {
  const Matrix<double> x = uniform_matrix<double>(40, 25, 20);
  const Start s = start_for(40, 25, 4, 21);
  const StartFactors<double> start = s.factors();
  const double expected = 0.5 * std::pow(direct_error(x, s.w, s.h), 2);
  for (const std::string& solver : registered()) {
    for (DataFormat format : {DataFormat::kDense, DataFormat::kSparse}) {
      SCOPED_TRACE(solver + (format == DataFormat::kDense ? " dense" : " sparse"));
      FitOptions o = options_for(solver, 4);
      o.init = Init::kCustom;
      o.format = format;
      o.max_iter = 5;
      const FitResult<double> r = fit(x.view(), o, &start);
      ASSERT_FALSE(r.loss_history.empty());
      EXPECT_NEAR(r.loss_history[0], expected, 1e-10 * expected);
      EXPECT_EQ(r.init, Init::kCustom);
      EXPECT_LT(r.loss_history.back(), r.loss_history[0]);
    }
  }
}

TEST(CustomInit, StartsFromTheGivenFactorsInSinglePrecision) {
  const Matrix<float> x = uniform_matrix<float>(40, 25, 22);
  const Matrix<float> w0 = uniform_matrix<float>(40, 4, 23, 0.1);
  const Matrix<float> h0 = uniform_matrix<float>(4, 25, 24, 0.1);
  const StartFactors<float> start{w0.view(), h0.view()};
  FitOptions o = options_for("hals", 4);
  o.init = Init::kCustom;
  o.max_iter = 3;
  const FitResult<float> r = fit(x.view(), o, &start);
  const double expected = 0.5 * std::pow(direct_error(x, w0, h0), 2);
  // The Gram trick in single precision is accurate to about 1e-6·‖X‖².
  EXPECT_NEAR(r.loss_history[0], expected, 1e-5 * std::pow(frobenius(x), 2));
}

TEST(CustomInit, StartsFromTheGivenFactorsWithKullbackLeibler) {
  const Matrix<double> x = with_zeros<double>(40, 25, 0.3, 25);
  const Start s = start_for(40, 25, 4, 26);
  const StartFactors<double> start = s.factors();
  FitOptions o = options_for("mu", 4);
  o.beta = 1;
  o.init = Init::kCustom;
  o.max_iter = 3;
  const FitResult<double> r = fit(x.view(), o, &start);
  const double expected = reference_kl(x, s.w, s.h);
  EXPECT_NEAR(r.loss_history[0], expected, 1e-10 * expected);
}

TEST(CustomInit, GivenFactorsAreIgnoredForOtherInits) {
  const Matrix<double> x = uniform_matrix<double>(30, 20, 27);
  const Start s = start_for(30, 20, 3, 28);
  const StartFactors<double> start = s.factors();
  const FitOptions o = options_for("hals", 3);
  const FitResult<double> with = fit(x.view(), o, &start);
  const FitResult<double> without = fit(x.view(), o);
  EXPECT_EQ(with.W.values, without.W.values);
  EXPECT_EQ(with.loss_history, without.loss_history);
}

TEST(CustomInitErrors, MissingStartFactors) {
  const Matrix<double> x = uniform_matrix<double>(30, 20, 27);
  FitOptions o = options_for("hals", 3);
  o.init = Init::kCustom;
  EXPECT_THROW(fit(x.view(), o), InvalidArgument);
  EXPECT_THROW(fit(x.view(), o, nullptr), InvalidArgument);
}

TEST(CustomInitErrors, WrongShapesNameTheFactorAndBothShapes) {
  const Matrix<double> x = uniform_matrix<double>(30, 20, 27);
  FitOptions o = options_for("hals", 3);
  o.init = Init::kCustom;
  const Start good = start_for(30, 20, 3, 29);

  const Matrix<double> w_narrow = uniform_matrix<double>(30, 2, 30);
  const StartFactors<double> bad_w{w_narrow.view(), good.h.view()};
  EXPECT_THROW(fit(x.view(), o, &bad_w), InvalidArgument);
  std::string m = message_of([&] { fit(x.view(), o, &bad_w); });
  EXPECT_TRUE(contains(m, "W0") && contains(m, "30 x 3") && contains(m, "30 x 2")) << m;

  const Matrix<double> w_short = uniform_matrix<double>(29, 3, 30);
  const StartFactors<double> short_w{w_short.view(), good.h.view()};
  m = message_of([&] { fit(x.view(), o, &short_w); });
  EXPECT_TRUE(contains(m, "W0") && contains(m, "30 x 3") && contains(m, "29 x 3")) << m;

  const Matrix<double> h_wide = uniform_matrix<double>(3, 21, 31);
  const StartFactors<double> bad_h{good.w.view(), h_wide.view()};
  EXPECT_THROW(fit(x.view(), o, &bad_h), InvalidArgument);
  m = message_of([&] { fit(x.view(), o, &bad_h); });
  EXPECT_TRUE(contains(m, "H0") && contains(m, "3 x 20") && contains(m, "3 x 21")) << m;

  const StartFactors<double> swapped{good.h.view(), good.w.view()};
  EXPECT_THROW(fit(x.view(), o, &swapped), InvalidArgument);
}

TEST(CustomInitErrors, NegativeNanOrInfStartIsADataError) {
  const Matrix<double> x = uniform_matrix<double>(30, 20, 27);
  FitOptions o = options_for("hals", 3);
  o.init = Init::kCustom;
  for (double bad : {-0.5, std::nan(""), std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(bad);
    Start s = start_for(30, 20, 3, 32);
    s.w(7, 1) = bad;
    StartFactors<double> start = s.factors();
    EXPECT_THROW(fit(x.view(), o, &start), DataError);
    EXPECT_TRUE(contains(message_of([&] { fit(x.view(), o, &start); }), "W0"));
    s = start_for(30, 20, 3, 32);
    s.h(2, 5) = bad;
    start = s.factors();
    EXPECT_THROW(fit(x.view(), o, &start), DataError);
    EXPECT_TRUE(contains(message_of([&] { fit(x.view(), o, &start); }), "H0"));
  }
}

// ---- β-divergences ----

TEST(Beta, KullbackLeiblerFitsDataWithZeros) {
  const Matrix<double> x = with_zeros<double>(50, 30, 0.4, 33);
  FitOptions o = options_for("mu", 4);
  o.beta = 1;
  o.max_iter = 100;
  o.tol = 0;
  const FitResult<double> r = fit(x.view(), o);
  EXPECT_EQ(r.format, "dense");
  EXPECT_TRUE(all_non_negative(r.W));
  EXPECT_TRUE(all_non_negative(r.H));
  EXPECT_TRUE(std::isfinite(r.error));
  for (std::size_t i = 1; i < r.loss_history.size(); ++i)
    EXPECT_LE(r.loss_history[i], r.loss_history[i - 1] * (1 + 1e-12)) << "iteration " << i;
  EXPECT_NEAR(r.error, std::sqrt(2 * reference_kl(x, r.W, r.H)), 1e-6 * r.error);
  EXPECT_LT(r.loss_history.back(), r.loss_history.front());
}

TEST(Beta, ItakuraSaitoRejectsDataWithAZero) {
  Matrix<double> x = uniform_matrix<double>(30, 20, 34, 0.1);
  FitOptions o = options_for("mu", 3);
  o.beta = 0;
  o.max_iter = 20;
  EXPECT_NO_THROW(fit(x.view(), o)) << "positive data is fine";
  x(5, 6) = 0;
  EXPECT_THROW(fit(x.view(), o), DataError);
  EXPECT_TRUE(contains(message_of([&] { fit(x.view(), o); }), "zeros"));
  o.beta = -0.5;  // every β ≤ 0
  EXPECT_THROW(fit(x.view(), o), DataError);
}

TEST(Beta, OnlyMuTakesBetaOtherThanTwoOneAndZero) {
  const Matrix<double> x = uniform_matrix<double>(30, 20, 35, 0.1);
  for (const std::string solver : {"hals", "cd", "anls-bpp"}) {
    for (double beta : {1.0, 0.0, 0.5, 3.0}) {
      // cd's rules for Kullback-Leibler and Itakura-Saito: kl_cd_test.cpp, is_cd_test.cpp.
      if (solver == "cd" && (beta == 1 || beta == 0)) continue;
      SCOPED_TRACE(solver + " beta " + std::to_string(beta));
      FitOptions o = options_for(solver, 3);
      o.beta = beta;
      EXPECT_THROW(fit(x.view(), o), InvalidArgument);
      EXPECT_THROW(o.validate(), InvalidArgument);
      EXPECT_TRUE(contains(message_of([&] { fit(x.view(), o); }), solver));
    }
  }
  FitOptions o = options_for("mu", 3);
  o.beta = 0.5;
  o.max_iter = 10;
  EXPECT_NO_THROW(fit(x.view(), o));
  o = options_for("cd", 3);
  o.beta = 1;
  o.max_iter = 10;
  EXPECT_NO_THROW(fit(x.view(), o));
}

// Every β but 2 and 1 reads X through the storage's row blocks: sparse storage gives the dense
// fit's bytes. Frobenius and Kullback-Leibler read the stored entries instead (the same up to
// rounding; tests/core/sparse_kl_test.cpp compares the Kullback-Leibler fits).
TEST(Beta, SparseFormatGivesTheDenseFit) {
  const Matrix<double> x = with_zeros<double>(30, 20, 0.7, 36);
  FitOptions o = options_for("mu", 3);
  o.max_iter = 10;
  o.init = Init::kRandom;  // NNDSVD's SVD reads the products, which round differently
  for (double beta : {2.0, 1.0, 0.5, 1.5}) {
    SCOPED_TRACE(beta);
    o.beta = beta;
    o.format = DataFormat::kSparse;
    const FitResult<double> sparse = fit(x.view(), o);
    EXPECT_EQ(sparse.format, "sparse");
    if (beta == 2 || beta == 1) continue;
    o.format = DataFormat::kDense;
    const FitResult<double> dense = fit(x.view(), o);
    EXPECT_TRUE(testing::same_bytes(sparse.W.values, dense.W.values));
    EXPECT_TRUE(testing::same_bytes(sparse.H.values, dense.H.values));
    EXPECT_EQ(sparse.loss_history, dense.loss_history);
  }
}

// ---- the reported format ----

TEST(Format, ReportsHowXWasStored) {
  const Matrix<double> sparse_data = with_zeros<double>(40, 20, 0.8, 37);
  const Matrix<double> dense_data = uniform_matrix<double>(40, 20, 38, 0.1);
  FitOptions o = options_for("hals", 3);
  o.max_iter = 5;
  auto format_of = [&](const Matrix<double>& x, DataFormat format) {
    FitOptions fo = o;
    fo.format = format;
    return fit(x.view(), fo).format;
  };
  EXPECT_EQ(format_of(sparse_data, DataFormat::kSparse), "sparse");
  EXPECT_EQ(format_of(dense_data, DataFormat::kSparse), "sparse");
  EXPECT_EQ(format_of(sparse_data, DataFormat::kAuto), "sparse");
  EXPECT_EQ(format_of(dense_data, DataFormat::kAuto), "dense");
  EXPECT_EQ(format_of(sparse_data, DataFormat::kDense), "dense");
  EXPECT_EQ(format_of(dense_data, DataFormat::kDense), "dense");
}

TEST(Format, AutoTurnsSparseAtTheZeroFractionOfTheLossAndK) {
  Matrix<double> x = uniform_matrix<double>(20, 10, 39, 0.1);
  for (std::size_t i = 0; i < 100; ++i) x.values[2 * i] = 0;  // 100 of 200 zero: half
  FitOptions o = options_for("hals", 5);
  o.max_iter = 3;
  EXPECT_EQ(fit(x.view(), o).format, "dense");  // 5 to 12 components: 55%
  FitOptions kl = options_for("mu", 5);
  kl.beta = 1;
  kl.max_iter = 3;
  EXPECT_EQ(fit(x.view(), kl).format, "sparse");  // Kullback-Leibler: half
  x.values[0] = 0.5;                              // 99 of 200
  EXPECT_EQ(fit(x.view(), kl).format, "dense");
  x.values[0] = 0;
  for (std::size_t i = 0; i < 9; ++i) x.values[2 * i + 1] = 0;  // 109 of 200
  EXPECT_EQ(fit(x.view(), o).format, "dense");
  x.values[19] = 0;  // 110 of 200: 55%
  EXPECT_EQ(fit(x.view(), o).format, "sparse");
  // With at most 4 components the Frobenius loss asks 64% zeros.
  o.k = 4;
  EXPECT_EQ(fit(x.view(), o).format, "dense");
  for (std::size_t i = 10; i < 28; ++i) x.values[2 * i + 1] = 0;  // 128 of 200 zero: 64%
  EXPECT_EQ(fit(x.view(), o).format, "sparse");
}

TEST(Format, AutoStaysDenseForOtherBetas) {
  const Matrix<double> x = with_zeros<double>(40, 20, 0.8, 40);
  FitOptions o = options_for("mu", 3);
  o.beta = 0.5;
  o.max_iter = 5;
  EXPECT_EQ(fit(x.view(), o).format, "dense");
  o.beta = 1;  // Kullback-Leibler reads X at its non-zeros: sparse, as Frobenius
  EXPECT_EQ(fit(x.view(), o).format, "sparse");
}

}  // namespace
}  // namespace nmfkit
