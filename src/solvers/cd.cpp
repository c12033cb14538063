// scikit-learn's coordinate descent (Cichocki & Phan 2009; Hsieh & Dhillon 2011), faithfully: one
// sweep over the components per half-iteration, in order 0…k−1 or, with shuffle, in the order of
// numpy's RandomState(seed).permutation(k) drawn afresh for every half-iteration (W first), and
// scikit-learn's stopping rule on the summed projected-gradient violation.
#include <numeric>
#include <vector>

#include "core/random.hpp"
#include "solvers/update_rule.hpp"

namespace nmfkit::rules {

namespace {

template <typename T>
class CoordinateDescent final : public UpdateRule<T> {
 public:
  explicit CoordinateDescent(const FitOptions& o)
      : shuffle_(o.shuffle), rng_(static_cast<std::uint32_t>(o.seed)) {}

  double update(Matrix<T>& f, const Matrix<T>& p, const Matrix<double>& g, const Penalty& penalty,
                int threads) override {
    const LanesProblem problem = *lanes_problem(g, penalty);
    return coordinate_descent_rows(f, p, problem.g, problem.l1, problem.control, threads);
  }

  std::optional<LanesProblem> lanes_problem(const Matrix<double>& g,
                                            const Penalty& penalty) override {
    if (shuffle_) {
      order_.resize(static_cast<std::size_t>(g.rows));
      std::iota(order_.begin(), order_.end(), Index{0});
      rng_.shuffle(order_);
    }
    LanesProblem problem{penalised_gram(g, penalty.l2), penalty.l1, {}};
    problem.control.max_sweeps = 1;
    // Natural order is left unsaid, so that the sweeps may keep G·x in registers
    // (solvers/coordinate_descent_lanes.inl): the same bytes as the order given as a list.
    if (shuffle_) problem.control.order = order_.data();
    return problem;
  }

  StopRule stop_rule() const override { return StopRule::kViolation; }

 private:
  bool shuffle_;
  core::NumpyRandom rng_;
  std::vector<Index> order_;
};

}  // namespace

template <typename T>
std::unique_ptr<UpdateRule<T>> make_cd(const FitOptions& options) {
  return std::make_unique<CoordinateDescent<T>>(options);
}

template std::unique_ptr<UpdateRule<float>> make_cd<float>(const FitOptions&);
template std::unique_ptr<UpdateRule<double>> make_cd<double>(const FitOptions&);

}  // namespace nmfkit::rules
