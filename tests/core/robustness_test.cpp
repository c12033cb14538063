// Robustness of fit() at the edges: extreme magnitudes, non-finite breakdowns, empty data, sizes
// beyond what a 32-bit BLAS takes, and the accuracy of the reported error in single precision.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/dense.hpp"
#include "nmfkit/nmfkit.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using testing::all_finite;
using testing::direct_error;
using testing::frobenius;
using testing::low_rank;
using testing::options_for;

template <typename T>
Matrix<T> scaled(const Matrix<T>& x, double factor) {
  Matrix<T> y = x;
  for (T& v : y.values) v = static_cast<T>(double(v) * factor);
  return y;
}

// Valid single-precision data with large entries (1e20 is far below FLT_MAX and ‖X‖² is finite in
// double) must either fit honestly or raise NumericError; a NaN loss must never be recorded as 0
// and reported as converged. fit() works on X/rms(X), which keeps the products in range.
TEST(Robustness, NonFiniteLossIsNotReportedAsZero) {
  Matrix<float> x = scaled(low_rank<float>(50, 40, 3, 1).x, 1e20);
  for (const SolverInfo& s : solvers()) {
    FitOptions o = options_for(std::string(s.name), 3);
    o.max_iter = 30;
    try {
      const FitResult<float> r = fit(x.view(), o);
      const bool finite = all_finite(r.W) && all_finite(r.H);
      EXPECT_TRUE(finite) << s.name << ": fit returned non-finite factors with error " << r.error
                          << " and converged=" << r.converged;
      EXPECT_TRUE(std::isfinite(r.error)) << s.name;
      // The history must describe the factors returned (float Gram-trick noise allowed).
      EXPECT_NEAR(std::sqrt(2 * r.loss_history.back()) / frobenius(x), r.relative_error, 1e-3)
          << s.name << ": the history ends at " << r.loss_history.back()
          << " but the returned factors have relative error " << r.relative_error
          << " (converged=" << r.converged << ")";
      if (finite) {
        EXPECT_NEAR(r.relative_error, direct_error(x, r.W, r.H) / frobenius(x), 1e-3) << s.name;
      }
    } catch (const NumericError&) {
      // The documented outcome for a breakdown.
    }
  }
}

// With a scale-equivariant initialisation (random: sqrt(mean(X)/k)·|N(0,1)|) the fit of c·X is
// the fit of X scaled, for c far from 1 in either direction. Up to rounding: X is exactly of rank
// 3, and extrapolated HALS reaches relative errors of 1e-5 to 1e-4 in 60 iterations, where
// float rounding (c·X is not exactly c times X) decides where it settles (3e-5 to 1.5e-4 between
// builds and scales), so the errors are compared to 1e-3 (a scale bug shows as an error of 0.1
// or more, or a breakdown).
TEST(Robustness, FitIsScaleEquivariant) {
  const auto d = low_rank<float>(50, 40, 3, 1);
  for (const SolverInfo& s : solvers()) {
    FitOptions o = options_for(std::string(s.name), 3);
    o.init = Init::kRandom;
    o.max_iter = 60;
    o.tol = 0;
    const FitResult<float> unit = fit(d.x.view(), o);
    for (double c : {1e-30, 1e-12, 1e12, 1e30}) {
      const Matrix<float> x = scaled(d.x, c);
      const FitResult<float> r = fit(x.view(), o);
      EXPECT_NEAR(r.relative_error, unit.relative_error, 1e-3 + 1e-3 * unit.relative_error)
          << s.name << ", data scaled by " << c;
    }
  }
}

// float32 data whose rms is below ~3e-39 (subnormal values): 1/rms does not fit in a float, so
// the problem is scaled by the largest factor that does; the fit is the same as at unit scale up
// to the precision subnormal numbers keep.
TEST(Robustness, SubnormalSinglePrecisionDataIsFitted) {
  const auto d = low_rank<float>(50, 40, 3, 1);
  FitOptions o = options_for("cd", 3);
  o.init = Init::kRandom;
  o.max_iter = 60;
  o.tol = 0;
  const FitResult<float> unit = fit(d.x.view(), o);
  for (double c : {1e-39, 1e-41}) {
    const Matrix<float> x = scaled(d.x, c);
    const FitResult<float> r = fit(x.view(), o);
    EXPECT_TRUE(std::isfinite(r.relative_error)) << c;
    EXPECT_NEAR(r.relative_error, unit.relative_error, 1e-2) << "data scaled by " << c;
  }
}

// Empty data is a DataError (exit code 1 in the CLI), checked before k is compared with its shape.
TEST(Robustness, EmptyDataIsADataError) {
  Matrix<double> empty_rows(0, 6);
  Matrix<double> empty_cols(6, 0);
  FitOptions o = options_for("hals", 1);
  EXPECT_THROW(fit(empty_rows.view(), o), DataError);
  EXPECT_THROW(fit(empty_cols.view(), o), DataError);
}

// CBLAS takes 32-bit sizes: a view whose stride exceeds INT_MAX is refused with InvalidArgument
// instead of being read at a truncated stride.
TEST(Robustness, BlasDimensionsAboveIntMaxAreRefused) {
  const Index stride = (Index(1) << 32) + 3;
  const Index rows = 2, cols = 3;
  const std::size_t bytes = static_cast<std::size_t>((rows - 1) * stride + cols) * sizeof(float);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) GTEST_SKIP() << "cannot reserve " << bytes << " bytes of address space";
  float* data = static_cast<float*>(mem);
  for (Index j = 0; j < cols; ++j) {
    data[j] = float(j + 1);
    data[stride + j] = float(j + 4);
  }
  const DenseView<float> x(data, rows, cols, stride);
  try {
    fit(x, options_for("hals", 1));
    ADD_FAILURE() << "a stride above INT_MAX was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("2147483647"), std::string::npos) << e.what();
  }
  munmap(mem, bytes);
}

// The Gram-trick loss cancels in single precision (its terms are ~½‖X‖²), so the final error is
// computed directly: on exactly low-rank float data it must match ‖X − WH‖ to 1e-5.
TEST(Robustness, SinglePrecisionReportedErrorIsAccurate) {
  const auto d = low_rank<float>(400, 60, 4, 5);
  FitOptions o = options_for("hals", 4);
  o.max_iter = 400;
  o.tol = 0;
  const FitResult<float> r = fit(d.x.view(), o);
  const double direct = direct_error(d.x, r.W, r.H) / frobenius(d.x);
  EXPECT_NEAR(r.relative_error, direct, 1e-5) << "true relative error " << direct;
}

// NMF is scale-equivariant (X → c·X gives W·H → c·W·H): the same data scaled by 1e-15 (double,
// every NNDSVD entry below the absolute 1e-6 threshold) or 1e-25 (float, products would underflow)
// must fit like the unit-scale data. fit() works on X/rms(X), so thresholds act relative to X.
TEST(Robustness, TinyScaleDataIsFitLikeUnitScaleData) {
  const auto d = low_rank<double>(50, 40, 3, 1);
  for (const SolverInfo& s : solvers()) {
    FitOptions o = options_for(std::string(s.name), 3);
    o.init = Init::kNndsvd;
    o.max_iter = 300;
    const double unit = fit(d.x.view(), o).relative_error;
    const Matrix<double> tiny = scaled(d.x, 1e-15);
    const FitResult<double> r = fit(tiny.view(), o);
    EXPECT_NEAR(r.relative_error, unit, 1e-3 + 0.1 * unit)
        << s.name
        << ", nndsvd: the same data scaled by 1e-15 fits differently (converged=" << r.converged
        << " after " << r.iterations << " iterations)";
  }
  const auto f = low_rank<float>(50, 40, 3, 1);
  FitOptions o = options_for("hals", 3);  // default init: nndsvda
  o.max_iter = 300;
  const double unit = fit(f.x.view(), o).relative_error;
  const Matrix<float> tiny = scaled(f.x, 1e-25);
  const FitResult<float> r = fit(tiny.view(), o);
  EXPECT_NEAR(r.relative_error, unit, 1e-3 + 0.1 * unit)
      << "float, hals, nndsvda: the same data scaled by 1e-25 fits differently (converged="
      << r.converged << " after " << r.iterations << " iterations)";
}

}  // namespace
}  // namespace nmfkit
