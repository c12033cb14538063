// HALS as exact coordinate descent on each row's non-negative least-squares problem
//     min_{f ≥ 0} ½ fᵀGf − pᵀf,
// sweeping the k coordinates several times per half-iteration (Gillis & Glineur 2012 show the
// extra sweeps are cheap next to the products). A row stops sweeping once a sweep moves it by
// less than sweep_tol times the first sweep's move, or after max_sweeps sweeps.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "solvers/update_rule.hpp"

namespace nmfkit::rules {

namespace {

template <typename T>
class Hals final : public UpdateRule<T> {
 public:
  explicit Hals(const FitOptions& o)
      : max_sweeps_(o.hals_max_sweeps), sweep_tol2_(o.hals_sweep_tol * o.hals_sweep_tol) {}

  void update(Matrix<T>& f, const Matrix<T>& p, const Matrix<double>& g, int threads) override {
    const Index k = f.cols;
    const std::vector<double>& gd = g.values;
#pragma omp parallel num_threads(threads)
    {
      std::vector<double> x(static_cast<std::size_t>(k)), gx(static_cast<std::size_t>(k));
#pragma omp for schedule(static)
      for (Index i = 0; i < f.rows; ++i) solve_row(f.row(i), p.row(i), gd.data(), k, x, gx);
    }
  }

 private:
  void solve_row(T* f, const T* p, const double* g, Index k, std::vector<double>& x,
                 std::vector<double>& gx) const {
    for (Index j = 0; j < k; ++j) x[j] = f[j];
    for (Index j = 0; j < k; ++j) {
      double s = 0;
      for (Index l = 0; l < k; ++l) s += g[j * k + l] * x[l];
      gx[j] = s;
    }
    double first_move = 0;
    for (int sweep = 0; sweep < max_sweeps_; ++sweep) {
      double move = 0;
      for (Index j = 0; j < k; ++j) {
        const double gjj = g[j * k + j];
        if (gjj <= 0) continue;
        const double next = std::max(0.0, x[j] - (gx[j] - double(p[j])) / gjj);
        const double d = next - x[j];
        if (d == 0) continue;
        x[j] = next;
        move += d * d;
        const double* gj = g + j * k;  // G is symmetric: column j = row j
        for (Index l = 0; l < k; ++l) gx[l] += d * gj[l];
      }
      if (sweep == 0) first_move = move;
      if (move <= sweep_tol2_ * first_move) break;
    }
    for (Index j = 0; j < k; ++j) f[j] = static_cast<T>(x[j]);
  }

  int max_sweeps_;
  double sweep_tol2_;
};

}  // namespace

template <typename T>
std::unique_ptr<UpdateRule<T>> make_hals(const FitOptions& options) {
  return std::make_unique<Hals<T>>(options);
}

template std::unique_ptr<UpdateRule<float>> make_hals<float>(const FitOptions&);
template std::unique_ptr<UpdateRule<double>> make_hals<double>(const FitOptions&);

}  // namespace nmfkit::rules
