// Multiplicative updates for the Frobenius loss (Lee & Seung 2001), as scikit-learn applies them:
//     F ← F ⊙ P / (F·G + l1 + l2·F),  with zero denominators replaced by float32's epsilon.
// Each row's update uses that row's old values only, so rows are independent. (For the other
// β-divergences the fit loop runs the elementwise updates of core/beta.hpp instead, through
// core/beta_steps.cpp.)
#include <omp.h>

#include <limits>
#include <vector>

#include "kernels/per_thread.hpp"
#include "solvers/update_rule.hpp"

namespace nmfkit::rules {

namespace {

template <typename T>
class MultiplicativeUpdate final : public UpdateRule<T> {
 public:
  double update(Matrix<T>& f, const Matrix<T>& p, const Matrix<double>& g, const Penalty& penalty,
                int threads) override {
    constexpr double kEpsilon = std::numeric_limits<float>::epsilon();
    const Index k = f.cols;
    const std::vector<double>& gd = g.values;
    kernels::PerThreadScratch<double> denominators(threads, k);
#pragma omp parallel num_threads(threads)
    {
      double* denominator = denominators.mine().data();
#pragma omp for schedule(static)
      for (Index i = 0; i < f.rows; ++i) {
        T* fi = f.row(i);
        const T* pi = p.row(i);
        for (Index j = 0; j < k; ++j) {
          double s = 0;
          for (Index l = 0; l < k; ++l) s += double(fi[l]) * gd[l * k + j];
          s += penalty.l1 + penalty.l2 * double(fi[j]);
          denominator[j] = s == 0 ? kEpsilon : s;
        }
        for (Index j = 0; j < k; ++j)
          fi[j] = static_cast<T>(double(fi[j]) * double(pi[j]) / denominator[j]);
      }
    }
    return 0;
  }
};

}  // namespace

template <typename T>
std::unique_ptr<UpdateRule<T>> make_mu(const FitOptions&) {
  return std::make_unique<MultiplicativeUpdate<T>>();
}

template std::unique_ptr<UpdateRule<float>> make_mu<float>(const FitOptions&);
template std::unique_ptr<UpdateRule<double>> make_mu<double>(const FitOptions&);

}  // namespace nmfkit::rules
