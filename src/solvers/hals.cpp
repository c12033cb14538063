// HALS as exact coordinate descent on each row's non-negative least-squares problem, sweeping the
// k coordinates several times per half-iteration (Gillis & Glineur 2012 show the extra sweeps are
// cheap next to the products). A row stops sweeping once a sweep moves it by less than
// hals_sweep_tol times the first sweep's move, or after hals_max_sweeps sweeps.
#include "solvers/update_rule.hpp"

namespace nmfkit::rules {

namespace {

template <typename T>
class Hals final : public UpdateRule<T> {
 public:
  explicit Hals(const FitOptions& o) {
    control_.max_sweeps = o.hals_max_sweeps;
    control_.stop_ratio2 = o.hals_sweep_tol * o.hals_sweep_tol;
  }

  double update(Matrix<T>& f, const Matrix<T>& p, const Matrix<double>& g, const Penalty& penalty,
                int threads) override {
    const LanesProblem problem = *lanes_problem(g, penalty);
    return coordinate_descent_rows(f, p, problem.g, problem.l1, problem.control, threads);
  }

  std::optional<LanesProblem> lanes_problem(const Matrix<double>& g,
                                            const Penalty& penalty) override {
    return LanesProblem{penalised_gram(g, penalty.l2), penalty.l1, control_};
  }

 private:
  SweepControl control_;
};

}  // namespace

template <typename T>
std::unique_ptr<UpdateRule<T>> make_hals(const FitOptions& options) {
  return std::make_unique<Hals<T>>(options);
}

template std::unique_ptr<UpdateRule<float>> make_hals<float>(const FitOptions&);
template std::unique_ptr<UpdateRule<double>> make_hals<double>(const FitOptions&);

}  // namespace nmfkit::rules
