// fit() on degenerate shapes and data: one sample, one feature, k = min(n, m), all-zero rows and
// columns, constant and one-hot matrices, for every solver and initialisation. Whatever the data,
// the factors are finite and non-negative, the loss never increases and the reported error is the
// true one.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "nmfkit/nmfkit.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using testing::direct_error;
using testing::frobenius;

using testing::uniform_matrix;

constexpr Init kInits[] = {Init::kRandom, Init::kNndsvd, Init::kNndsvda, Init::kNndsvdar};

struct Case {
  std::string name;
  Matrix<double> x;
  int k;
  double best;  ///< the relative error a good fit reaches (an upper bound)
};

std::vector<Case> cases() {
  std::vector<Case> c;
  c.push_back({"one sample", uniform_matrix<double>(1, 30, 1, 0.05), 1, 1e-6});
  c.push_back({"one feature", uniform_matrix<double>(30, 1, 2, 0.05), 1, 1e-6});
  c.push_back({"1 x 1", Matrix<double>(1, 1, 3.5), 1, 1e-6});
  c.push_back({"k = n_features", uniform_matrix<double>(25, 6, 3, 0.05), 6, 1e-2});
  c.push_back({"k = n_samples", uniform_matrix<double>(5, 25, 4, 0.05), 5, 1e-2});
  Matrix<double> zero_row = testing::low_rank<double>(30, 20, 3, 5).x;
  for (Index j = 0; j < 20; ++j) zero_row(7, j) = 0;
  c.push_back({"zero row", zero_row, 3, 1e-3});
  Matrix<double> zero_col = testing::low_rank<double>(30, 20, 3, 6).x;
  for (Index i = 0; i < 30; ++i) zero_col(i, 4) = 0;
  for (Index i = 0; i < 30; ++i) zero_col(i, 19) = 0;
  c.push_back({"zero columns", zero_col, 3, 1e-3});
  c.push_back({"constant, k = 3", Matrix<double>(20, 15, 0.7), 3, 1e-6});
  Matrix<double> one_hot(12, 9);
  one_hot(4, 6) = 2.0;
  c.push_back({"one non-zero entry", one_hot, 2, 1e-6});
  Matrix<double> diagonal(8, 8);
  for (Index i = 0; i < 8; ++i) diagonal(i, i) = 1.0 + double(i);
  c.push_back({"diagonal, k = 8", diagonal, 8, 1e-2});
  return c;
}

template <typename T>
Matrix<T> cast(const Matrix<double>& x) {
  Matrix<T> y(x.rows, x.cols);
  for (std::size_t i = 0; i < x.values.size(); ++i) y.values[i] = static_cast<T>(x.values[i]);
  return y;
}

template <typename T>
class Degenerate : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Degenerate, Scalars);

TYPED_TEST(Degenerate, EverySolverAndInitGivesAnHonestFiniteFit) {
  using T = TypeParam;
  const bool single = std::is_same_v<T, float>;
  for (const Case& c : cases()) {
    const Matrix<T> x = cast<T>(c.x);
    const double norm = frobenius(x);
    for (const SolverInfo& s : solvers()) {
      for (Init init : kInits) {
        std::ostringstream what;
        what << c.name << ", " << s.name << ", " << init_name(init);
        FitOptions o;
        o.k = c.k;
        o.solver = std::string(s.name);
        o.init = init;
        o.threads = 1;
        o.max_iter = 300;
        FitResult<T> r;
        ASSERT_NO_THROW(r = fit(x.view(), o)) << what.str();
        for (const Matrix<T>* m : {&r.W, &r.H})
          for (T v : m->values) ASSERT_TRUE(v >= T(0) && std::isfinite(v)) << what.str();
        const double direct = direct_error(x, r.W, r.H);
        // Float: the Gram-trick loss has absolute noise of about 1e-7·‖X‖².
        EXPECT_NEAR(r.error, direct, (single ? 1e-3 : 1e-6) * norm) << what.str();
        const double slack = single ? 1e-6 * norm * norm : 1e-12 * norm * norm;
        for (std::size_t i = 1; i < r.loss_history.size(); ++i)
          ASSERT_LE(r.loss_history[i], r.loss_history[i - 1] + slack)
              << what.str() << " iteration " << i;
        // HALS fits these exactly or nearly; MU is slower, so only bound it loosely.
        if (s.name == "hals" && init != Init::kNndsvd) {
          EXPECT_LT(direct / norm, std::max(c.best, single ? 1e-3 : 0.0)) << what.str();
        }
      }
    }
  }
}

}  // namespace
}  // namespace nmfkit
