// Mini-batch NMF (scikit-learn's MiniBatchNMF): against a direct transcription of scikit-learn's
// formulas on tiny data, partial fits against the fit's first pass, threads, CSR against dense,
// the stopping rules, and every bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "nmfkit/nmfkit.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using testing::low_rank;
using testing::message_of;
using testing::same_bytes;
using testing::uniform_matrix;

constexpr double kEps = 1.1920928955078125e-07;  // scikit-learn's EPSILON
constexpr double kEps64 = 2.220446049250313e-16;

// ---- A direct transcription of scikit-learn's formulas, in double, entry by entry ----

using Mat = std::vector<std::vector<double>>;

Mat to_mat(const Matrix<double>& a) {
  Mat r(size_t(a.rows), std::vector<double>(size_t(a.cols)));
  for (Index i = 0; i < a.rows; ++i)
    for (Index j = 0; j < a.cols; ++j) r[size_t(i)][size_t(j)] = a(i, j);
  return r;
}

Mat product(const Mat& w, const Mat& h) {
  Mat r(w.size(), std::vector<double>(h[0].size(), 0.0));
  for (size_t i = 0; i < w.size(); ++i)
    for (size_t l = 0; l < h.size(); ++l)
      for (size_t j = 0; j < h[0].size(); ++j) r[i][j] += w[i][l] * h[l][j];
  return r;
}

double gamma_of(double beta) {
  return beta < 1 ? 1 / (2 - beta) : beta > 2 ? 1 / (beta - 1) : 1.0;
}

struct Reg {
  double alpha = 0, l1_ratio = 0;
};

// _beta_divergence(X, W, H, beta) on dense X with every entry > EPSILON.
double divergence(const Mat& x, const Mat& w, const Mat& h, double beta) {
  const Mat wh = product(w, h);
  double res = 0;
  for (size_t i = 0; i < x.size(); ++i)
    for (size_t j = 0; j < x[0].size(); ++j) {
      const double a = x[i][j], b = wh[i][j] == 0 ? kEps : wh[i][j];
      if (beta == 2)
        res += (a - wh[i][j]) * (a - wh[i][j]) / 2;
      else if (beta == 1)
        res += a * std::log(a / b) - a + wh[i][j];
      else if (beta == 0)
        res += a / b - 1 - std::log(a / b);
      else
        res += (std::pow(a, beta) - beta * a * std::pow(b, beta - 1) +
                (beta - 1) * std::pow(wh[i][j], beta)) /
               (beta * (beta - 1));
    }
  return res;
}

// _multiplicative_update_w.
void update_w(const Mat& x, Mat& w, const Mat& h, double beta, double l1, double l2) {
  const Mat wh = product(w, h);
  const size_t k = h.size(), m = x[0].size();
  Mat next = w;
  for (size_t i = 0; i < x.size(); ++i)
    for (size_t l = 0; l < k; ++l) {
      double num = 0, den = 0;
      for (size_t j = 0; j < m; ++j) {
        double v = wh[i][j];
        if (beta == 2) {
          num += x[i][j] * h[l][j];
          for (size_t q = 0; q < k; ++q) den += w[i][q] * h[q][j] * h[l][j];
          continue;
        }
        const double safe = v == 0 ? kEps : v;
        num += x[i][j] * std::pow(safe, beta - 2) * h[l][j];
        den += beta == 1 ? h[l][j] : std::pow(beta < 1 && v == 0 ? kEps : v, beta - 1) * h[l][j];
      }
      if (l1 > 0) den += l1;
      if (l2 > 0) den += l2 * w[i][l];
      if (den == 0) den = kEps;
      next[i][l] = w[i][l] * std::pow(num / den, gamma_of(beta));
    }
  w = next;
}

// _multiplicative_update_h with A, B and rho.
void update_h(const Mat& x, const Mat& w, Mat& h, Mat& a, Mat& b, double rho, double beta,
              double l1, double l2) {
  const Mat wh = product(w, h);
  const size_t k = h.size(), m = x[0].size(), n = x.size();
  const double g = gamma_of(beta);
  for (size_t l = 0; l < k; ++l)
    for (size_t j = 0; j < m; ++j) {
      double num = 0, den = 0;
      for (size_t i = 0; i < n; ++i) {
        const double v = wh[i][j];
        if (beta == 2) {
          num += w[i][l] * x[i][j];
          for (size_t q = 0; q < k; ++q) den += w[i][l] * w[i][q] * h[q][j];
          continue;
        }
        num += w[i][l] * x[i][j] * std::pow(v == 0 ? kEps : v, beta - 2);
        den += beta == 1 ? w[i][l] : w[i][l] * std::pow(beta < 1 && v == 0 ? kEps : v, beta - 1);
      }
      if (beta == 1 && den == 0) den = 1;
      if (l1 > 0) den += l1;
      if (l2 > 0) den += l2 * h[l][j];
      if (den == 0) den = kEps;
      num *= std::pow(h[l][j], 1 / g);
      a[l][j] = rho * a[l][j] + num;
      b[l][j] = rho * b[l][j] + den;
    }
  for (size_t l = 0; l < k; ++l)
    for (size_t j = 0; j < m; ++j) h[l][j] = std::pow(a[l][j] / b[l][j], g);
}

Mat rows_of(const Mat& x, size_t first, size_t count) {
  return Mat(x.begin() + long(first), x.begin() + long(first + count));
}

Mat solve_w(const Mat& x, const Mat& h, double beta, double l1, double l2, int max_iter,
            double tol) {
  double mean = 0;
  for (const auto& row : x)
    for (double v : row) mean += v;
  mean /= double(x.size() * x[0].size());
  Mat w(x.size(), std::vector<double>(h.size(), std::sqrt(mean / double(h.size()))));
  for (int it = 0; it < max_iter; ++it) {
    const Mat before = w;
    update_w(x, w, h, beta, l1, l2);
    double diff = 0, norm = 0;
    for (size_t i = 0; i < w.size(); ++i)
      for (size_t l = 0; l < w[0].size(); ++l) {
        diff += (w[i][l] - before[i][l]) * (w[i][l] - before[i][l]);
        norm += w[i][l] * w[i][l];
      }
    if (tol > 0 && std::sqrt(diff) / std::sqrt(norm) <= tol) break;
  }
  return w;
}

struct Reference {
  Mat w, h;
  std::vector<double> batch_costs;
};

// MiniBatchNMF._fit_transform with tol = 0 and max_no_improvement = None, from W0 and H0.
Reference reference_fit(const Mat& x, Mat w, Mat h, double beta, Reg reg, size_t batch_size,
                        double forget_factor, int max_iter, bool fresh, int fresh_max_iter) {
  const size_t n = x.size(), m = x[0].size();
  batch_size = std::min(batch_size, n);
  const double rho = std::pow(forget_factor, double(batch_size) / double(n));
  Mat a = h, b(h.size(), std::vector<double>(m, 1.0));
  const size_t per_iter = (n + batch_size - 1) / batch_size;
  Reference r;
  const double l1_w = double(m) * reg.alpha * reg.l1_ratio;
  const double l2_w = double(m) * reg.alpha * (1 - reg.l1_ratio);
  for (size_t step = 0; step < per_iter * size_t(max_iter); ++step) {
    const size_t first = (step % per_iter) * batch_size, rows = std::min(batch_size, n - first);
    const Mat xb = rows_of(x, first, rows);
    Mat wb = rows_of(w, first, rows);
    if (fresh)
      wb = solve_w(xb, h, beta, l1_w, l2_w, fresh_max_iter, 0);
    else
      update_w(xb, wb, h, beta, l1_w, l2_w);
    if (beta < 1)
      for (auto& row : wb)
        for (double& v : row)
          if (v < kEps64) v = 0;
    const double l1_h = double(rows) * reg.alpha * reg.l1_ratio;
    const double l2_h = double(rows) * reg.alpha * (1 - reg.l1_ratio);
    double cost = divergence(xb, wb, h, beta);
    for (const auto& row : wb)
      for (double v : row) cost += l1_w * v + l2_w * v * v;
    for (const auto& row : h)
      for (double v : row) cost += l1_h * v + l2_h * v * v;
    r.batch_costs.push_back(cost / double(rows));
    update_h(xb, wb, h, a, b, rho, beta, l1_h, l2_h);
    if (beta <= 1)
      for (auto& row : h)
        for (double& v : row)
          if (v < kEps64) v = 0;
    if (!fresh)
      for (size_t i = 0; i < rows; ++i) w[first + i] = wb[i];
  }
  if (fresh) w = solve_w(x, h, beta, l1_w, l2_w, max_iter, 0);
  r.w = w;
  r.h = h;
  return r;
}

double max_relative_difference(const Matrix<double>& got, const Mat& want) {
  double worst = 0;
  for (Index i = 0; i < got.rows; ++i)
    for (Index j = 0; j < got.cols; ++j) {
      const double a = got(i, j), b = want[size_t(i)][size_t(j)];
      worst = std::max(worst, std::abs(a - b) / std::max(1e-12, std::abs(b)));
    }
  return worst;
}

FitOptions exact_options(int k, double beta) {
  FitOptions o;
  o.k = k;
  o.solver = "mu";
  o.beta = beta;
  o.init = Init::kCustom;
  o.tol = 0;
  o.threads = 1;
  return o;
}

MiniBatchOptions exact_minibatch(Index batch_size) {
  MiniBatchOptions mb;
  mb.batch_size = batch_size;
  mb.max_no_improvement = 0;
  return mb;
}

struct Case {
  double beta;
  double alpha;
  double l1_ratio;
  bool fresh;
};

class MiniBatchReference : public ::testing::TestWithParam<Case> {};

TEST_P(MiniBatchReference, MatchesScikitLearnFormulas) {
  const Case c = GetParam();
  const Index n = 7, m = 5, k = 2;
  const Matrix<double> x = uniform_matrix<double>(n, m, 3, 0.1);
  const Matrix<double> w0 = uniform_matrix<double>(n, k, 4, 0.1);
  const Matrix<double> h0 = uniform_matrix<double>(k, m, 5, 0.1);
  FitOptions o = exact_options(int(k), c.beta);
  o.alpha_w = c.alpha;
  o.l1_ratio = c.l1_ratio;
  o.max_iter = 3;
  MiniBatchOptions mb = exact_minibatch(3);
  mb.fresh_restarts = c.fresh;
  mb.fresh_restarts_max_iter = 4;
  std::vector<double> costs;
  mb.on_step = [&](const MiniBatchProgress& p) {
    costs.push_back(p.batch_cost);
    EXPECT_EQ(p.step, Index(costs.size()));
    EXPECT_EQ(p.n_steps, 9);
    EXPECT_EQ(p.has_ewa, p.step > 1);
    return true;
  };
  const StartFactors<double> start{w0.view(), h0.view()};
  const MiniBatchResult<double> r = fit_minibatch(x.view(), o, mb, &start);
  const Reference want = reference_fit(to_mat(x), to_mat(w0), to_mat(h0), c.beta,
                                       {c.alpha, c.l1_ratio}, 3, 0.7, 3, c.fresh, 4);
  EXPECT_LT(max_relative_difference(r.fit.H, want.h), 1e-9);
  EXPECT_LT(max_relative_difference(r.fit.W, want.w), 1e-9);
  ASSERT_EQ(costs.size(), want.batch_costs.size());
  for (size_t s = 0; s < costs.size(); ++s)
    EXPECT_NEAR(costs[s], want.batch_costs[s], 1e-9 * std::abs(want.batch_costs[s])) << s;
  EXPECT_EQ(r.n_steps, 9);
  EXPECT_EQ(r.fit.iterations, 3);
  EXPECT_EQ(r.stop, MiniBatchStop::kMaxIter);
  EXPECT_FALSE(r.fit.converged);
  EXPECT_EQ(r.fit.loss_history.size(), 4u);
  // The reported error is scikit-learn's reconstruction_err_ of the returned factors.
  const double d = divergence(to_mat(x), to_mat(r.fit.W), to_mat(r.fit.H), c.beta);
  EXPECT_NEAR(r.fit.error, std::sqrt(2 * d), 1e-9 * std::sqrt(2 * d));
}

INSTANTIATE_TEST_SUITE_P(EveryBeta, MiniBatchReference,
                         ::testing::Values(Case{2, 0, 0, false}, Case{1, 0, 0, false},
                                           Case{0, 0, 0, false}, Case{0.5, 0, 0, false},
                                           Case{3, 0, 0, false}, Case{1.5, 0, 0, false},
                                           Case{2, 0.05, 0.5, false}, Case{1, 0.05, 1, false},
                                           Case{0.5, 0.02, 0, false}, Case{2, 0, 0, true},
                                           Case{1, 0.05, 0.5, true}, Case{0, 0, 0, true}));

TEST(MiniBatch, TransformMatchesSolveW) {
  const Matrix<double> x = uniform_matrix<double>(6, 5, 7, 0.1);
  const Matrix<double> h = uniform_matrix<double>(2, 5, 8, 0.1);
  for (double beta : {2.0, 1.0, 0.5}) {
    FitOptions o = exact_options(2, beta);
    o.init = Init::kNndsvda;
    o.max_iter = 50;
    o.alpha_w = 0.01;
    MiniBatchOptions mb;
    mb.transform_max_iter = 7;
    const FitResult<double> r = transform_minibatch(x.view(), h.view(), o, mb);
    const Mat want = solve_w(to_mat(x), to_mat(h), beta, 0, 5 * 0.01, 7, 0);
    EXPECT_LT(max_relative_difference(r.W, want), 1e-9) << beta;
    EXPECT_EQ(r.iterations, 7);
    EXPECT_FALSE(r.converged);
    EXPECT_TRUE(same_bytes(r.H.values, h.values));
    // With a tolerance the steps stop once W settles.
    o.tol = 1e-2;
    o.max_iter = 1000;
    mb.transform_max_iter = 0;  // max_iter
    const FitResult<double> settled = transform_minibatch(x.view(), h.view(), o, mb);
    EXPECT_TRUE(settled.converged);
    EXPECT_LT(settled.iterations, 1000);
  }
}

TEST(MiniBatch, PartialFitsOfEveryBatchAreTheFirstPass) {
  const Index n = 50, m = 12, k = 3, batch = 16;
  const Matrix<float> x = uniform_matrix<float>(n, m, 11, 0.05);
  const Matrix<float> w0 = uniform_matrix<float>(n, k, 12, 0.1);
  const Matrix<float> h0 = uniform_matrix<float>(k, m, 13, 0.1);
  for (double beta : {2.0, 1.0}) {
    FitOptions o = exact_options(int(k), beta);
    o.max_iter = 1;
    o.alpha_w = 0.01;
    MiniBatchOptions mb = exact_minibatch(batch);
    mb.fresh_restarts = true;  // partial fits solve each batch's W afresh
    const StartFactors<float> start{w0.view(), h0.view()};
    const MiniBatchResult<float> fitted = fit_minibatch(x.view(), o, mb, &start);
    // A partial fit's rho comes from its first batch alone: give it the fit's.
    MiniBatchOptions partial = mb;
    partial.forget_factor = std::pow(mb.forget_factor, double(batch) / double(n));
    MiniBatchState<float> state;
    for (Index first = 0; first < n; first += batch) {
      const Index rows = std::min(batch, n - first);
      const StartFactors<float> h_only{DenseView<float>(), h0.view()};
      partial_fit_minibatch(DenseView<float>(x.row(first), rows, m), o, partial, state, &h_only);
    }
    EXPECT_EQ(state.n_steps, 4);
    EXPECT_TRUE(same_bytes(state.h, fitted.fit.H)) << beta;
    EXPECT_TRUE(same_bytes(state.numerator, fitted.state.numerator));
    EXPECT_TRUE(same_bytes(state.denominator, fitted.state.denominator));
    EXPECT_EQ(state.rho, fitted.state.rho);
  }
}

TEST(MiniBatch, PartialFitContinuesAFit) {
  const Matrix<double> x = uniform_matrix<double>(40, 8, 21, 0.05);
  FitOptions o = exact_options(3, 2);
  o.init = Init::kNndsvda;
  o.max_iter = 2;
  const MiniBatchOptions mb = exact_minibatch(10);
  const MiniBatchResult<double> r = fit_minibatch(x.view(), o, mb);
  MiniBatchState<double> state = r.state;
  EXPECT_EQ(state.n_steps, 8);
  const double cost = partial_fit_minibatch(DenseView<double>(x.row(0), 10, 8), o, mb, state);
  EXPECT_GT(cost, 0);
  EXPECT_EQ(state.n_steps, 9);
  EXPECT_FALSE(same_bytes(state.h, r.state.h));
  // A state that does not fit the data is refused.
  MiniBatchState<double> bad = r.state;
  bad.numerator = Matrix<double>(2, 8);
  EXPECT_THROW(partial_fit_minibatch(x.view(), o, mb, bad), InvalidArgument);
  FitOptions other_k = o;
  other_k.k = 2;
  bad = r.state;
  EXPECT_THROW(partial_fit_minibatch(x.view(), other_k, mb, bad), InvalidArgument);
  const Matrix<double> narrow = uniform_matrix<double>(10, 7, 1, 0.05);
  EXPECT_THROW(partial_fit_minibatch(narrow.view(), o, mb, bad), InvalidArgument);
}

TEST(MiniBatch, PartialFitInitialisesFromItsBatch) {
  const Matrix<double> x = uniform_matrix<double>(30, 8, 22, 0.05);
  FitOptions o = exact_options(3, 1);
  o.init = Init::kRandom;
  o.seed = 5;
  MiniBatchOptions mb = exact_minibatch(100);
  MiniBatchState<double> state;
  partial_fit_minibatch(x.view(), o, mb, state);
  EXPECT_EQ(state.h.rows, 3);
  EXPECT_EQ(state.h.cols, 8);
  EXPECT_EQ(state.rho, 0.7);  // batch_size above the batch's rows: rho = forget_factor
  EXPECT_EQ(state.n_steps, 1);
}

template <typename T>
MiniBatchResult<T> run_with_threads(const Matrix<T>& x, double beta, int threads, bool fresh) {
  FitOptions o;
  o.k = 5;
  o.beta = beta;
  o.solver = "mu";
  o.max_iter = 3;
  o.threads = threads;
  o.alpha_w = 0.001;
  MiniBatchOptions mb;
  mb.batch_size = 96;
  mb.fresh_restarts = fresh;
  return fit_minibatch(x.view(), o, mb);
}

TEST(MiniBatch, SameBytesForAnyThreadCount) {
  const Matrix<float> x = low_rank<float>(700, 60, 6, 31).x;
  for (double beta : {2.0, 1.0, 1.5})
    for (bool fresh : {false, true}) {
      const MiniBatchResult<float> a = run_with_threads(x, beta, 1, fresh);
      const MiniBatchResult<float> b = run_with_threads(x, beta, 2, fresh);
      EXPECT_TRUE(same_bytes(a.fit.W, b.fit.W)) << beta;
      EXPECT_TRUE(same_bytes(a.fit.H, b.fit.H)) << beta;
      EXPECT_EQ(a.fit.error, b.fit.error);
      EXPECT_EQ(a.n_steps, b.n_steps);
    }
}

/// ‖a − b‖_F / ‖b‖_F.
double normwise_difference(const Matrix<double>& a, const Matrix<double>& b) {
  double diff = 0, norm = 0;
  for (size_t e = 0; e < b.values.size(); ++e) {
    diff += (a.values[e] - b.values[e]) * (a.values[e] - b.values[e]);
    norm += b.values[e] * b.values[e];
  }
  return std::sqrt(diff / norm);
}

TEST(MiniBatch, CsrGivesTheDenseResult) {
  Matrix<double> x = low_rank<double>(90, 20, 4, 41).x;
  std::vector<std::int32_t> indptr32{0};
  std::vector<std::int64_t> indptr64{0};
  std::vector<std::int32_t> cols32;
  std::vector<std::int64_t> cols64;
  std::vector<double> values;
  for (Index i = 0; i < x.rows; ++i) {
    for (Index j = 0; j < x.cols; ++j)
      if (x(i, j) != 0) {
        cols32.push_back(std::int32_t(j));
        cols64.push_back(j);
        values.push_back(x(i, j));
      }
    indptr32.push_back(std::int32_t(values.size()));
    indptr64.push_back(Index(values.size()));
  }
  ASSERT_LT(values.size(), size_t(x.rows * x.cols));
  const CsrView<double, std::int32_t> csr32{x.rows, x.cols, indptr32.data(), cols32.data(),
                                            values.data()};
  const CsrView<double, std::int64_t> csr64{x.rows, x.cols, indptr64.data(), cols64.data(),
                                            values.data()};
  for (double beta : {2.0, 1.0, 0.5})
    for (bool fresh : {false, true}) {
      FitOptions o;
      o.k = 4;
      o.beta = beta;
      o.solver = "mu";
      o.max_iter = 4;
      o.init = Init::kRandom;
      MiniBatchOptions mb;
      mb.batch_size = 25;
      mb.fresh_restarts = fresh;
      // The Frobenius and Kullback-Leibler losses store each batch as a fit would: this X (7%
      // zeros) dense, so its sums run in another order than the compressed rows' (for
      // Kullback-Leibler, W·H at the stored entries only) and agree to rounding; with its batches
      // stored sparse, the dense input gives the same bytes. The other losses read every batch
      // dense: the same bytes throughout.
      const bool exact = beta != 2 && beta != 1;
      const auto same = [&](const Matrix<double>& u, const Matrix<double>& v) {
        return exact ? same_bytes(u, v) : normwise_difference(u, v) < 1e-12;
      };
      const MiniBatchResult<double> dense = fit_minibatch(x.view(), o, mb);
      FitOptions sparse_batches = o;
      sparse_batches.format = DataFormat::kSparse;
      const MiniBatchResult<double> stored_sparse = fit_minibatch(x.view(), sparse_batches, mb);
      const MiniBatchResult<double> a = fit_minibatch(csr32, o, mb);
      const MiniBatchResult<double> b = fit_minibatch(csr64, o, mb);
      EXPECT_TRUE(same_bytes(stored_sparse.fit.H, a.fit.H)) << beta;
      EXPECT_TRUE(same_bytes(stored_sparse.fit.W, a.fit.W)) << beta;
      EXPECT_TRUE(same_bytes(a.fit.H, b.fit.H)) << beta;
      EXPECT_TRUE(same(dense.fit.H, a.fit.H)) << beta;
      EXPECT_TRUE(same(dense.fit.W, a.fit.W)) << beta;
      EXPECT_NEAR(dense.fit.error, a.fit.error, 1e-9 * dense.fit.error);
      EXPECT_EQ(a.fit.format, "sparse");
      EXPECT_EQ(dense.fit.format, "dense");
      const FitResult<double> t = transform_minibatch(csr32, a.fit.H.view(), o, mb);
      const FitResult<double> u = transform_minibatch(x.view(), a.fit.H.view(), o, mb);
      EXPECT_TRUE(same(t.W, u.W)) << beta;
      MiniBatchState<double> s1, s2;
      partial_fit_minibatch(csr32, o, mb, s1);
      partial_fit_minibatch(x.view(), o, mb, s2);
      EXPECT_TRUE(same(s1.h, s2.h)) << beta;
    }
}

TEST(MiniBatch, EveryBetaLowersTheObjective) {
  const Matrix<double> x = low_rank<double>(300, 30, 5, 51).x;
  Matrix<double> positive = x;
  for (double& v : positive.values) v += 0.05;
  for (double beta : {2.0, 1.0, 0.0, 0.5, 1.5, 3.0}) {
    FitOptions o;
    o.k = 5;
    o.beta = beta;
    o.solver = "mu";
    o.max_iter = 20;
    MiniBatchOptions mb;
    mb.batch_size = 64;
    const MiniBatchResult<double> r = fit_minibatch(positive.view(), o, mb);
    ASSERT_GE(r.fit.loss_history.size(), 2u);
    EXPECT_LT(r.fit.loss_history.back(), r.fit.loss_history.front()) << beta;
    EXPECT_TRUE(testing::all_non_negative(r.fit.W));
    EXPECT_TRUE(testing::all_non_negative(r.fit.H));
    EXPECT_EQ(r.fit.W.rows, 300);
    EXPECT_EQ(r.fit.H.rows, 5);
    EXPECT_GT(r.fit.relative_error, 0);
    if (beta == 2) {
      EXPECT_LT(r.fit.relative_error, 0.2);
    }
  }
}

TEST(MiniBatch, RandomInitIsTheFitsInit) {
  const Matrix<double> x = uniform_matrix<double>(40, 10, 61, 0.0);
  FitOptions o;
  o.k = 3;
  o.solver = "mu";
  o.init = Init::kRandom;
  o.seed = 7;
  o.max_iter = 1;
  const FitResult<double> plain = fit(x.view(), o);
  const MiniBatchResult<double> mini = fit_minibatch(x.view(), o, MiniBatchOptions{});
  // Both histories start at the objective of the same starting factors.
  EXPECT_NEAR(plain.loss_history.front(), mini.fit.loss_history.front(),
              1e-9 * plain.loss_history.front());
}

TEST(MiniBatch, StoppingRules) {
  const Matrix<double> x = low_rank<double>(200, 20, 4, 71).x;
  FitOptions o;
  o.k = 4;
  o.solver = "mu";
  o.max_iter = 500;
  o.tol = 0;
  MiniBatchOptions mb;
  mb.batch_size = 20;
  mb.max_no_improvement = 3;
  const MiniBatchResult<double> stalled = fit_minibatch(x.view(), o, mb);
  EXPECT_EQ(stalled.stop, MiniBatchStop::kNoImprovement);
  EXPECT_TRUE(stalled.fit.converged);
  EXPECT_LT(stalled.n_steps, 5000);
  EXPECT_EQ(stalled.fit.iterations, int((stalled.n_steps + 9) / 10));
  EXPECT_EQ(std::string(minibatch_stop_name(stalled.stop)), "no_improvement");

  o.tol = 1e-2;
  mb.max_no_improvement = 0;
  const MiniBatchResult<double> settled = fit_minibatch(x.view(), o, mb);
  EXPECT_EQ(settled.stop, MiniBatchStop::kTol);
  EXPECT_TRUE(settled.fit.converged);
  EXPECT_GE(settled.n_steps, 2);

  o.tol = 0;
  int passes = 0;
  o.progress = [&](const Progress& p) {
    ++passes;
    EXPECT_EQ(p.iteration, passes);
    EXPECT_EQ(p.max_iter, 500);
    EXPECT_GT(p.error, 0);
    return passes < 4;
  };
  const MiniBatchResult<double> stopped = fit_minibatch(x.view(), o, mb);
  EXPECT_EQ(passes, 4);
  EXPECT_EQ(stopped.stop, MiniBatchStop::kCallback);
  EXPECT_FALSE(stopped.fit.converged);
  EXPECT_EQ(stopped.n_steps, 40);
  EXPECT_EQ(stopped.fit.iterations, 4);
  EXPECT_EQ(stopped.fit.loss_history.size(), 5u);

  o.progress = nullptr;
  mb.on_step = [](const MiniBatchProgress& p) { return p.step < 15; };
  const MiniBatchResult<double> cut = fit_minibatch(x.view(), o, mb);
  EXPECT_EQ(cut.stop, MiniBatchStop::kCallback);
  EXPECT_EQ(cut.n_steps, 15);
  EXPECT_EQ(cut.fit.iterations, 2);
  EXPECT_EQ(cut.fit.loss_history.size(), 3u);  // the cut pass is recorded too
}

TEST(MiniBatch, BatchSizeAboveTheSamplesIsAllOfThem) {
  const Matrix<double> x = uniform_matrix<double>(30, 6, 81, 0.1);
  FitOptions o = exact_options(2, 2);
  o.init = Init::kNndsvda;
  o.max_iter = 5;
  const MiniBatchResult<double> r = fit_minibatch(x.view(), o, exact_minibatch(1000));
  EXPECT_EQ(r.n_steps, 5);
  EXPECT_EQ(r.fit.iterations, 5);
  EXPECT_DOUBLE_EQ(r.state.rho, 0.7);
}

TEST(MiniBatch, OptionsAreValidated) {
  const auto bad = [](const std::function<void(MiniBatchOptions&)>& change) {
    MiniBatchOptions mb;
    change(mb);
    return message_of([&] { mb.validate(); });
  };
  EXPECT_NE(bad([](auto& m) { m.batch_size = 0; }).find("batch_size"), std::string::npos);
  EXPECT_NE(bad([](auto& m) { m.forget_factor = -0.1; }).find("forget_factor"), std::string::npos);
  EXPECT_NE(bad([](auto& m) { m.forget_factor = 1.5; }).find("forget_factor"), std::string::npos);
  EXPECT_NE(bad([](auto& m) { m.forget_factor = std::nan(""); }).find("forget_factor"),
            std::string::npos);
  EXPECT_NE(bad([](auto& m) { m.fresh_restarts_max_iter = 0; }).find("fresh_restarts_max_iter"),
            std::string::npos);
  EXPECT_NE(bad([](auto& m) { m.transform_max_iter = -1; }).find("transform_max_iter"),
            std::string::npos);
  EXPECT_NE(bad([](auto& m) { m.max_no_improvement = -1; }).find("max_no_improvement"),
            std::string::npos);
  EXPECT_EQ(bad([](auto& m) { m.forget_factor = 1; }), "(no exception)");
  EXPECT_EQ(bad([](auto& m) { m.forget_factor = 0; }), "(no exception)");

  const Matrix<double> x = uniform_matrix<double>(20, 6, 91, 0.1);
  FitOptions o;
  o.k = 2;
  MiniBatchOptions mb;
  mb.batch_size = 0;
  EXPECT_THROW(fit_minibatch(x.view(), o, mb), InvalidArgument);
  mb.batch_size = 5;
  o.solver = "anls-bpp";
  EXPECT_NE(message_of([&] { fit_minibatch(x.view(), o, mb); }).find("anls-bpp"),
            std::string::npos);
  // The default rule (hals) and scikit-learn's (cd) are accepted: the fit is multiplicative
  // updates.
  o.solver = FitOptions{}.solver;
  EXPECT_EQ(fit_minibatch(x.view(), o, mb).fit.solver, "mu");
  o.solver = "cd";
  EXPECT_EQ(fit_minibatch(x.view(), o, mb).fit.solver, "mu");
  o.shuffle = true;
  EXPECT_THROW(fit_minibatch(x.view(), o, mb), InvalidArgument);
  o.shuffle = false;
  o.beta = 1;  // another loss with the default solver is fine too
  EXPECT_NO_THROW(fit_minibatch(x.view(), o, mb));
}

TEST(MiniBatch, BadInputsAreRefused) {
  const Matrix<double> x = uniform_matrix<double>(20, 6, 101, 0.0);
  FitOptions o;
  o.k = 2;
  o.solver = "mu";
  const MiniBatchOptions mb;
  Matrix<double> negative = x;
  negative(3, 2) = -1;
  EXPECT_THROW(fit_minibatch(negative.view(), o, mb), DataError);
  Matrix<double> nan = x;
  nan(1, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(fit_minibatch(nan.view(), o, mb), DataError);
  EXPECT_THROW(transform_minibatch(nan.view(), x.view(), o, mb), DataError);
  MiniBatchState<double> state;
  EXPECT_THROW(partial_fit_minibatch(negative.view(), o, mb, state), DataError);
  EXPECT_TRUE(state.h.values.empty());
  Matrix<double> zeros = x;
  zeros(0, 0) = 0;
  FitOptions is = o;
  is.beta = 0;
  EXPECT_THROW(fit_minibatch(zeros.view(), is, mb), DataError);
  EXPECT_THROW(partial_fit_minibatch(zeros.view(), is, mb, state), DataError);
  EXPECT_THROW(fit_minibatch(DenseView<double>(x.data(), 0, 6), o, mb), DataError);
  FitOptions big = o;
  big.k = 7;
  EXPECT_THROW(fit_minibatch(x.view(), big, mb), InvalidArgument);
  big.k = 0;
  EXPECT_THROW(fit_minibatch(x.view(), big, mb), InvalidArgument);
  FitOptions custom = o;
  custom.init = Init::kCustom;
  EXPECT_THROW(fit_minibatch(x.view(), custom, mb), InvalidArgument);
  const Matrix<double> w0 = uniform_matrix<double>(20, 2, 1), h0 = uniform_matrix<double>(2, 6, 2);
  const Matrix<double> wrong = uniform_matrix<double>(19, 2, 1);
  const StartFactors<double> bad_shape{wrong.view(), h0.view()};
  EXPECT_THROW(fit_minibatch(x.view(), custom, mb, &bad_shape), InvalidArgument);
  Matrix<double> negative_h = h0;
  negative_h(1, 1) = -0.5;
  const StartFactors<double> bad_value{w0.view(), negative_h.view()};
  EXPECT_THROW(fit_minibatch(x.view(), custom, mb, &bad_value), DataError);
  EXPECT_THROW(transform_minibatch(x.view(), negative_h.view(), o, mb), DataError);
  const Matrix<double> narrow_h = uniform_matrix<double>(2, 5, 3);
  EXPECT_THROW(transform_minibatch(x.view(), narrow_h.view(), o, mb), InvalidArgument);
  std::vector<std::int32_t> indptr{0, 1, 1}, cols{3};
  std::vector<double> values{1.0};
  const CsrView<double, std::int32_t> out_of_range{2, 3, indptr.data(), cols.data(), values.data()};
  EXPECT_THROW(fit_minibatch(out_of_range, o, mb), DataError);
}

}  // namespace
}  // namespace nmfkit
